import { ReverbError } from '@react-reverb/core';
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

afterEach(() => {
  cleanup();
  resetEcho();
  vi.unstubAllEnvs();
  vi.unstubAllGlobals();
  document.head.innerHTML = '';
  opened.length = 0;
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

/** The socket URLs the configured client asked for (without the query); the sockets never open. */
const opened: string[] = [];
class UrlOnlyWebSocket {
  readonly readyState = 0;
  onmessage = null;
  onclose = null;
  onerror = null;
  constructor(url: string) {
    opened.push(url.split('?')[0] ?? '');
  }
  send(): void {}
  close(): void {}
}

/** Where the client configureEcho made from `options` connects, once something uses it. */
function socketUrl(options: EchoOptions): string | undefined {
  configureEcho({ ...options, WebSocket: UrlOnlyWebSocket, autoConnect: true });
  echo();
  return opened.at(-1);
}

/** The error configureEcho throws for `options`, or undefined. */
function configureError(options: EchoOptions): ReverbError | undefined {
  try {
    configureEcho(options);
  } catch (error) {
    return error as ReverbError;
  }
  return undefined;
}

describe('configureEcho options: the object goes to the core as it is', () => {
  it("echo().options is the echo.js object, Echo's names unchanged", () => {
    configureEcho({ ...echoJs, autoConnect: false });
    expect(echo().options).toMatchObject(echoJs);
    expect(echo().options).not.toHaveProperty('host');
    expect(echo().options).not.toHaveProperty('port');
    expect(socketUrl(echoJs)).toBe('wss://ws.example.com:443/app/app-key');
    expect(socketUrl({ ...echoJs, forceTLS: false })).toBe('ws://ws.example.com:8080/app/app-key');
  });

  it('configuring opens no socket: the client is created (and connects) on first use, as echo-react does', () => {
    configureEcho({ ...echoJs, WebSocket: UrlOnlyWebSocket, autoConnect: true });
    expect(opened).toEqual([]);
    echo();
    expect(opened).toEqual(['wss://ws.example.com:443/app/app-key']);
  });

  it("fills echo-react's defaults from VITE_REVERB_* (import.meta.env, where Vite builds the app)", () => {
    vi.stubEnv('VITE_REVERB_APP_KEY', 'from-env');
    vi.stubEnv('VITE_REVERB_HOST', 'localhost');
    vi.stubEnv('VITE_REVERB_PORT', '8080');
    vi.stubEnv('VITE_REVERB_SCHEME', 'http');
    expect(socketUrl({ broadcaster: 'reverb' })).toBe('ws://localhost:8080/app/from-env');
    // No scheme: https, as echo-react's default.
    vi.stubEnv('VITE_REVERB_SCHEME', undefined);
    expect(socketUrl({ broadcaster: 'reverb' })).toBe('wss://localhost:8080/app/from-env');
    // An empty VITE_REVERB_PORT is unset, as pusher-js reads it: the scheme's port.
    vi.stubEnv('VITE_REVERB_PORT', '');
    expect(socketUrl({ broadcaster: 'reverb' })).toBe('wss://localhost:443/app/from-env');
    // What the app gives wins over the defaults; our names win over Echo's.
    expect(socketUrl({ broadcaster: 'reverb', wsHost: 'given.example.com', forceTLS: false })).toBe(
      'ws://given.example.com:80/app/from-env',
    );
    expect(socketUrl({ broadcaster: 'reverb', host: 'ours.example.com', port: 9000 })).toBe(
      'wss://ours.example.com:9000/app/from-env',
    );
  });

  it('hosted Pusher from VITE_PUSHER_*: ws-{cluster}.pusher.com, TLS', () => {
    vi.stubEnv('VITE_PUSHER_APP_KEY', 'pk');
    vi.stubEnv('VITE_PUSHER_APP_CLUSTER', 'eu');
    expect(socketUrl({ broadcaster: 'pusher' })).toBe('wss://ws-eu.pusher.com:443/app/pk');
  });

  it("ably: Ably's Pusher endpoint with VITE_ABLY_PUBLIC_KEY, run as the pusher broadcaster (as laravel-echo does)", () => {
    vi.stubEnv('VITE_ABLY_PUBLIC_KEY', 'ably-key');
    expect(socketUrl({ broadcaster: 'ably' })).toBe('wss://realtime-pusher.ably.io:443/app/ably-key');
    expect(echo().options.broadcaster).toBe('pusher');
  });

  it("csrfToken as laravel-echo reads it: window.Laravel.csrfToken, the option, then <meta name='csrf-token'>", () => {
    configureEcho({ ...echoJs, autoConnect: false });
    expect(echo().options.csrfToken).toBeUndefined();
    document.head.innerHTML = '<meta name="csrf-token" content="from-meta">';
    configureEcho({ ...echoJs, autoConnect: false });
    expect(echo().options.csrfToken).toBe('from-meta');
    configureEcho({ ...echoJs, csrfToken: 'opt', autoConnect: false });
    expect(echo().options.csrfToken).toBe('opt');
    vi.stubGlobal('Laravel', { csrfToken: 'window-laravel' });
    configureEcho({ ...echoJs, csrfToken: 'opt', autoConnect: false });
    expect(echo().options.csrfToken).toBe('window-laravel');
  });

  it.each([
    [{ broadcaster: 'reverb', wsHost: 'h' }, 'options.key is required'],
    [{ broadcaster: 'reverb', key: 'k' }, 'options.wsHost (or host, cluster, url) is required'],
    [
      { broadcaster: 'reverb', key: 'k', wsHost: 'h', wsPort: 'eighty' },
      'options.wsPort is not a port number: "eighty"',
    ],
    [
      { broadcaster: 'reverb', key: 'k', wsHost: 'h', wssPort: 70000 },
      'options.wssPort is not a port number: "70000"',
    ],
    [
      { broadcaster: 'socket.io', host: 'h' },
      `options.broadcaster "socket.io" is not supported: 'reverb', 'pusher' or 'ably'`,
    ],
  ] as Array<[EchoOptions, string]>)(
    'throws the one error naming the option, at configureEcho: %j',
    (options, message) => {
      const error = configureError({ ...options, WebSocket: UrlOnlyWebSocket });
      expect(error).toBeInstanceOf(ReverbError);
      expect(error).toMatchObject({ code: 'REVERB_ERR_OPTIONS', message });
      expect(echoIsConfigured()).toBe(false);
      expect(opened).toEqual([]);
    },
  );
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
    expect(first.options).toMatchObject({ wsHost: 'ws.example.com' });
    expect(echo()).toBe(first);
    const disconnect = vi.spyOn(first.client, 'disconnect');
    configureEcho({ ...echoJs, wsHost: 'other.example.com', autoConnect: false });
    expect(disconnect).toHaveBeenCalledTimes(1);
    expect(echo().options.wsHost).toBe('other.example.com');
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
