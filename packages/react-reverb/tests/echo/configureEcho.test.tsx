import { cleanup, renderHook } from '@testing-library/react';
import {
  configureEcho,
  type EchoOptions,
  echo,
  echoIsConfigured,
  useConnectionStatus,
} from 'react-reverb/echo';
import { createMockClient } from 'react-reverb/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resetEcho } from '../../src/echo/config';
import { toClientOptions } from '../../src/echo/options';

afterEach(() => {
  cleanup();
  resetEcho();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  document.head.innerHTML = '';
});

/** What `php artisan install:broadcasting` writes into resources/js/echo.js, with the values filled in. */
const echoJs: EchoOptions = {
  broadcaster: 'reverb',
  key: 'app-key',
  wsHost: 'ws.example.com',
  wsPort: 8080,
  wssPort: 443,
  forceTLS: true,
  enabledTransports: ['ws', 'wss'],
};

const headersOf = (options: ReturnType<typeof toClientOptions>) => {
  const headers = options.auth?.headers;
  return typeof headers === 'function' ? headers() : headers;
};

describe('configureEcho options (laravel-echo names → ours)', () => {
  it('reads the echo.js object: TLS picks wssPort, else wsPort', () => {
    expect(toClientOptions(echoJs, {})).toMatchObject({
      key: 'app-key',
      host: 'ws.example.com',
      port: 443,
      forceTLS: true,
      namespace: 'App.Events',
    });
    expect(toClientOptions({ ...echoJs, forceTLS: false }, {})).toMatchObject({
      port: 8080,
      forceTLS: false,
    });
    expect(toClientOptions({ broadcaster: 'reverb', key: 'k', wsHost: 'h', forceTLS: false }, {}).port).toBe(
      80,
    );
  });

  it("fills echo-react's defaults from VITE_REVERB_* (ports as Vite gives them, strings)", () => {
    const env = {
      VITE_REVERB_APP_KEY: 'from-env',
      VITE_REVERB_HOST: 'localhost',
      VITE_REVERB_PORT: '8080',
      VITE_REVERB_SCHEME: 'http',
    };
    expect(toClientOptions({ broadcaster: 'reverb' }, env)).toMatchObject({
      key: 'from-env',
      host: 'localhost',
      port: 8080,
      forceTLS: false,
    });
    // No scheme: https, as echo-react's default.
    const { VITE_REVERB_SCHEME: _, ...noScheme } = env;
    expect(toClientOptions({ broadcaster: 'reverb' }, noScheme)).toMatchObject({
      port: 8080,
      forceTLS: true,
    });
  });

  it('reads import.meta.env when the app is built by Vite', () => {
    vi.stubEnv('VITE_REVERB_APP_KEY', 'vite-key');
    vi.stubEnv('VITE_REVERB_HOST', 'vite.example.com');
    vi.stubEnv('VITE_REVERB_PORT', '6001');
    vi.stubEnv('VITE_REVERB_SCHEME', 'https');
    expect(toClientOptions({ broadcaster: 'reverb' })).toMatchObject({
      key: 'vite-key',
      host: 'vite.example.com',
      port: 6001,
      forceTLS: true,
    });
  });

  it('hosted Pusher: ws-{cluster}.pusher.com from VITE_PUSHER_*', () => {
    const env = { VITE_PUSHER_APP_KEY: 'pk', VITE_PUSHER_APP_CLUSTER: 'eu' };
    expect(toClientOptions({ broadcaster: 'pusher' }, env)).toMatchObject({
      key: 'pk',
      host: 'ws-eu.pusher.com',
      port: 443,
      forceTLS: true,
    });
  });

  it('our own names win where both are given', () => {
    expect(toClientOptions({ ...echoJs, host: 'ours.example.com', port: 9000 }, {})).toMatchObject({
      host: 'ours.example.com',
      port: 9000,
    });
  });

  it('auth: headers, bearerToken, csrfToken (option, then <meta>), userAuthentication endpoint', () => {
    const options = toClientOptions(
      {
        ...echoJs,
        authEndpoint: '/api/broadcasting/auth',
        auth: { headers: { 'X-App': 'a' } },
        userAuthentication: { endpoint: '/api/broadcasting/user-auth', headers: { 'X-User-Auth': 'u' } },
        bearerToken: 'tok',
      },
      {},
    );
    expect(options).toMatchObject({
      authEndpoint: '/api/broadcasting/auth',
      userAuthEndpoint: '/api/broadcasting/user-auth',
    });
    document.head.innerHTML = '<meta name="csrf-token" content="from-meta">';
    expect(headersOf(options)).toEqual({
      'X-App': 'a',
      'X-User-Auth': 'u',
      'X-CSRF-TOKEN': 'from-meta',
      Authorization: 'Bearer tok',
    });
    expect(headersOf(toClientOptions({ ...echoJs, csrfToken: 'opt' }, {}))).toEqual({
      'X-CSRF-TOKEN': 'opt',
    });
    vi.stubGlobal('Laravel', { csrfToken: 'window-laravel' });
    expect(headersOf(toClientOptions({ ...echoJs, csrfToken: 'opt' }, {}))).toEqual({
      'X-CSRF-TOKEN': 'window-laravel',
    });
  });

  it.each([
    [{ broadcaster: 'reverb', wsHost: 'h' }, /options\.key is required/],
    [{ broadcaster: 'reverb', key: 'k' }, /options\.wsHost is required/],
    [
      { broadcaster: 'reverb', key: 'k', wsHost: 'h', forceTLS: false, wsPort: 'eighty' },
      /wsPort must be a port number, got "eighty"/,
    ],
    [
      { broadcaster: 'reverb', key: 'k', wsHost: 'h', forceTLS: true, wssPort: 70000 },
      /wssPort must be a port number, got 70000/,
    ],
    [{ broadcaster: 'socket.io', host: 'h' }, /broadcaster "socket\.io" is not supported/],
  ] as Array<[EchoOptions, RegExp]>)('throws one clear error at configureEcho: %j', (options, message) => {
    expect(() => configureEcho(options)).toThrow(message);
    expect(echoIsConfigured()).toBe(false);
  });
});

describe('configureEcho and echo()', () => {
  it("throws echo-react's message until configured", () => {
    expect(echoIsConfigured()).toBe(false);
    expect(() => echo()).toThrow('Echo has not been configured. Please call `configureEcho()`');
  });

  it('creates the client on first use, from the echo.js object; a second configureEcho disconnects it', () => {
    configureEcho({ ...echoJs, autoConnect: false });
    expect(echoIsConfigured()).toBe(true);
    const first = echo();
    expect(first.options).toMatchObject({ host: 'ws.example.com', port: 443 });
    expect(echo()).toBe(first);
    const disconnect = vi.spyOn(first.client, 'disconnect');
    configureEcho({ ...echoJs, wsHost: 'other.example.com', autoConnect: false });
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(echo().options.host).toBe('other.example.com');
  });

  it("never disconnects a client the app passed in (configureEcho({ client })); it is the app's", () => {
    const client = createMockClient();
    configureEcho({ broadcaster: 'reverb', client });
    configureEcho({ broadcaster: 'reverb', client: createMockClient() });
    expect(client.calls.disconnect).toBe(0);
  });

  it('echo(): channel/private/join/encryptedPrivate hold once per name; leaveChannel and leave let go', async () => {
    const client = createMockClient();
    configureEcho({ broadcaster: 'reverb', client });
    const got: unknown[] = [];
    echo()
      .private('orders.1')
      .listen('OrderShipped', (d: unknown) => got.push(d));
    echo().listen('orders', '.tick', (d: unknown) => got.push(d));
    expect(echo().private('orders.1')).toBe(echo().private('orders.1'));
    echo().join('orders.1');
    client.emit('private-orders.1', 'App\\Events\\OrderShipped', 1);
    client.emit('orders', 'tick', 2);
    expect(got).toEqual([1, 2]);
    echo().leave('orders.1');
    echo().leaveChannel('orders');
    await client.flush();
    expect(
      client.subscriptions
        .filter((s) => s.type === 'unsubscribe')
        .map((s) => s.channel)
        .sort(),
    ).toEqual(['orders', 'presence-orders.1', 'private-orders.1']);
    expect(client.listenerCount('private-orders.1')).toBe(0);
    expect(echo().encryptedPrivate('x').name).toBe('private-encrypted-x');
    echo().leaveAllChannels();
    await client.flush();
    expect(client.refCount('private-encrypted-x')).toBe(0);
  });

  it('listenToAll gives Echo short names; stopListening without a callback drops what this object bound', () => {
    const client = createMockClient();
    configureEcho({ broadcaster: 'reverb', client });
    const all: unknown[] = [];
    const channel = echo().channel('orders');
    channel.listenToAll((event: string, data: unknown) => all.push([event, data]));
    channel.listen('A', () => all.push('a1')).listen('A', () => all.push('a2'));
    client.emit('orders', 'App\\Events\\A', 1);
    client.emit('orders', 'order.placed', 2);
    channel.stopListening('A').stopListeningToAll();
    client.emit('orders', 'App\\Events\\A', 3);
    expect(all).toEqual(['a1', 'a2', ['A', 1], ['.order.placed', 2]]);
  });

  it('hooks render with the configured client without a provider', () => {
    const client = createMockClient({ state: 'reconnecting' });
    configureEcho({ broadcaster: 'reverb', client });
    const { result } = renderHook(() => useConnectionStatus());
    expect(result.current).toBe('reconnecting');
  });
});
