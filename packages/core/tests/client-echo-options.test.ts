/**
 * laravel-echo 2.x's options object (the `reverb` and `pusher` broadcasters) given to createReverbClient
 * as it is: the socket URL it makes, the auth requests it sends, the one rule where our names and Echo's
 * overlap, and the one error a value that cannot work throws.
 */

import { echoJsConnection, type ViteEnv } from '@react-reverb/test-helpers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReverbClient, type ReverbClientOptions, ReverbError } from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

/** What `php artisan install:broadcasting` writes into resources/js/echo.js, with its env as strings. */
const echoJs = (env: ViteEnv) => echoJsConnection(env) as ReverbClientOptions;

/** The URL the client opens for `options` (without the query string). */
function socketUrl(options: Partial<ReverbClientOptions>): string {
  createReverbClient({ WebSocket: FakeWebSocket, autoConnect: true, ...options } as ReverbClientOptions);
  return FakeWebSocket.last.url.split('?')[0] ?? '';
}

function connected(options: Partial<ReverbClientOptions>) {
  const client = createReverbClient({
    key: 'app-key',
    wsHost: 'localhost',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    ...options,
  } as ReverbClientOptions);
  client.connect();
  FakeWebSocket.last.establish('5.6');
  return client;
}

/** A fetch that records each request and answers `answer` as JSON. */
function recordingFetch(answer: Record<string, string>) {
  const requests: Array<{ url: string; headers: Record<string, string>; body: Record<string, string> }> = [];
  const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    requests.push({
      url: String(url),
      headers: init?.headers as Record<string, string>,
      body: Object.fromEntries(new URLSearchParams(init?.body as URLSearchParams)),
    });
    return new Response(JSON.stringify(answer));
  });
  return { fetch, requests };
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the socket URL from Echo names', () => {
  it('is what install:broadcasting’s echo.js asks for, with the env as strings', () => {
    const env = { VITE_REVERB_APP_KEY: 'app-key', VITE_REVERB_HOST: 'localhost', VITE_REVERB_PORT: '8080' };
    expect(socketUrl(echoJs({ ...env, VITE_REVERB_SCHEME: 'http' }))).toBe('ws://localhost:8080/app/app-key');
    expect(socketUrl(echoJs({ ...env, VITE_REVERB_SCHEME: 'https' }))).toBe(
      'wss://localhost:8080/app/app-key',
    );
    // No VITE_REVERB_PORT: the stub's own defaults, 80 and 443.
    const { VITE_REVERB_PORT: _, ...noPort } = env;
    expect(socketUrl(echoJs({ ...noPort, VITE_REVERB_SCHEME: 'http' }))).toBe(
      'ws://localhost:80/app/app-key',
    );
    expect(socketUrl(echoJs(noPort))).toBe('wss://localhost:443/app/app-key');
  });

  it('takes wsPort without TLS and wssPort with it; an empty string or 0 is unset, as in pusher-js', () => {
    const base = { key: 'k', wsHost: 'h', wsPort: 6001, wssPort: '6002' };
    expect(socketUrl({ ...base, forceTLS: false })).toBe('ws://h:6001/app/k');
    expect(socketUrl({ ...base, forceTLS: true })).toBe('wss://h:6002/app/k');
    expect(socketUrl({ key: 'k', wsHost: 'h', wsPort: '', forceTLS: false })).toBe('ws://h:80/app/k');
    expect(socketUrl({ key: 'k', wsHost: 'h', wssPort: 0, forceTLS: true })).toBe('wss://h:443/app/k');
  });

  it('moves to wssPort when a 4000 close asks for TLS', () => {
    createReverbClient({
      key: 'k',
      wsHost: 'h',
      wsPort: '6001',
      wssPort: '6002',
      forceTLS: false,
      WebSocket: FakeWebSocket,
      autoConnect: true,
    });
    FakeWebSocket.last.serverClose(4000, 'SSL only');
    vi.advanceTimersByTime(0);
    expect(FakeWebSocket.last.url).toMatch(/^wss:\/\/h:6002\/app\/k\?/);
  });

  it('reaches hosted Pusher by its cluster', () => {
    expect(socketUrl({ broadcaster: 'pusher', key: 'k', cluster: 'eu', forceTLS: true })).toBe(
      'wss://ws-eu.pusher.com:443/app/k',
    );
    // Laravel's pusher stub passes VITE_PUSHER_HOST, empty for hosted Pusher: the cluster decides.
    expect(socketUrl({ broadcaster: 'pusher', key: 'k', cluster: 'mt1', wsHost: '', wsPort: '' })).toBe(
      'wss://ws-mt1.pusher.com:443/app/k',
    );
  });

  it('uses TLS for an Echo object without forceTLS, as pusher-js does; ours keep their default', () => {
    expect(socketUrl({ broadcaster: 'reverb', key: 'k', wsHost: 'h' })).toBe('wss://h:443/app/k');
    expect(socketUrl({ key: 'k', wsHost: 'h' })).toBe('ws://h:80/app/k');
    expect(socketUrl({ key: 'k', host: 'h', port: 443 })).toBe('wss://h:443/app/k');
  });
});

describe('where our names and Echo’s overlap, ours win', () => {
  it('url over host over wsHost over cluster; port over wsPort and wssPort', () => {
    const echo = { key: 'k', wsHost: 'echo-host', cluster: 'eu', wsPort: 6001, wssPort: 6002 };
    expect(socketUrl({ ...echo, url: 'ws://url-host:9000' })).toBe('ws://url-host:9000/app/k');
    expect(socketUrl({ ...echo, host: 'our-host', port: '8080', forceTLS: false })).toBe(
      'ws://our-host:8080/app/k',
    );
    expect(socketUrl({ ...echo, host: 'our-host', port: 8080, forceTLS: true })).toBe(
      'wss://our-host:8080/app/k',
    );
    expect(socketUrl({ ...echo, forceTLS: false })).toBe('ws://echo-host:6001/app/k');
    expect(socketUrl({ key: 'k', cluster: 'eu', forceTLS: false })).toBe('ws://ws-eu.pusher.com:80/app/k');
  });

  it('authorize over channelAuthorization.customHandler over the endpoint', async () => {
    const customHandler = vi.fn();
    const { fetch } = recordingFetch({ auth: 'k:from-endpoint' });
    const authorize = vi.fn(async () => ({ auth: 'k:from-authorize' }));
    const client = connected({ authorize, channelAuthorization: { endpoint: '/x', customHandler }, fetch });
    client.retain('private-orders');
    await flush();
    expect(authorize).toHaveBeenCalledWith({ socketId: '5.6', channelName: 'private-orders' });
    expect(customHandler).not.toHaveBeenCalled();
    expect(fetch).not.toHaveBeenCalled();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')[0]?.data?.auth).toBe('k:from-authorize');
  });

  it('authenticateUser over userAuthentication.customHandler; userAuthEndpoint over its endpoint', async () => {
    const customHandler = vi.fn();
    const authenticateUser = vi.fn(async () => ({ auth: 'k:ours', user_data: '{"id":"1"}' }));
    connected({ authenticateUser, userAuthentication: { customHandler } }).user.signin();
    await flush();
    expect(authenticateUser).toHaveBeenCalledWith('5.6');
    expect(customHandler).not.toHaveBeenCalled();

    const { fetch, requests } = recordingFetch({ auth: 'k:s', user_data: '{"id":"1"}' });
    connected({
      userAuthEndpoint: '/ours/user-auth',
      userAuthentication: { endpoint: '/echo/user-auth' },
      fetch,
    }).user.signin();
    await flush();
    expect(requests.map((r) => r.url)).toEqual(['/ours/user-auth']);
  });
});

describe('auth requests from Echo names', () => {
  it('send bearerToken and csrfToken, auth.headers over them, the route’s headers and params over those', async () => {
    const { fetch, requests } = recordingFetch({ auth: 'k:signed' });
    const client = connected({
      bearerToken: 'sanctum-token',
      csrfToken: 'csrf-1',
      auth: { headers: { 'X-Team': 'a', 'X-Shared': 'auth' }, params: { team: 'a', shared: 'auth' } },
      authEndpoint: '/broadcasting/auth-legacy',
      channelAuthorization: {
        endpoint: '/api/broadcasting/auth',
        headers: { 'X-Shared': 'route' },
        params: { shared: 'route', channel_name: 'not-this' },
        transport: 'ajax',
      },
      fetch,
    });
    client.retain('private-orders.7');
    await flush();
    expect(requests).toHaveLength(1);
    const [request] = requests;
    // channelAuthorization.endpoint over authEndpoint, as pusher-js does.
    expect(request?.url).toBe('/api/broadcasting/auth');
    expect(request?.headers).toMatchObject({
      Authorization: 'Bearer sanctum-token',
      'X-CSRF-TOKEN': 'csrf-1',
      'X-Socket-ID': '5.6',
      'X-Team': 'a',
      'X-Shared': 'route',
    });
    expect(request?.body).toEqual({
      team: 'a',
      shared: 'route',
      socket_id: '5.6',
      channel_name: 'private-orders.7',
    });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')[0]?.data?.auth).toBe('k:signed');
  });

  it('sign the user in at userAuthentication.endpoint with its headers', async () => {
    const { fetch, requests } = recordingFetch({ auth: 'k:user', user_data: '{"id":"17"}' });
    const client = connected({
      bearerToken: 'sanctum-token',
      userAuthentication: { endpoint: '/api/broadcasting/user-auth', headers: { 'X-Device': 'phone' } },
      fetch,
    });
    client.user.signin();
    await flush();
    expect(requests).toEqual([
      {
        url: '/api/broadcasting/user-auth',
        headers: expect.objectContaining({ Authorization: 'Bearer sanctum-token', 'X-Device': 'phone' }),
        body: { socket_id: '5.6' },
      },
    ]);
    expect(FakeWebSocket.last.framesOf('pusher:signin')[0]?.data).toEqual({
      auth: 'k:user',
      user_data: '{"id":"17"}',
    });
  });

  it('call channelAuthorization.customHandler with pusher-js’s params and callback', async () => {
    const customHandler = vi.fn(
      (
        { socketId, channelName }: { socketId: string; channelName: string },
        callback: (error: Error | null, data: { auth: string } | null) => void,
      ) => {
        setTimeout(() => callback(null, { auth: `k:${socketId}:${channelName}` }), 10);
      },
    );
    const client = connected({ channelAuthorization: { customHandler } });
    client.retain('private-orders');
    await flush();
    expect(customHandler).toHaveBeenCalledWith(
      { socketId: '5.6', channelName: 'private-orders' },
      expect.any(Function),
    );
    vi.advanceTimersByTime(10);
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')[0]?.data?.auth).toBe('k:5.6:private-orders');
  });

  it('put a customHandler’s error on the channel as an AuthError', async () => {
    const client = connected({
      channelAuthorization: { customHandler: (_params, callback) => callback(new Error('No ticket'), null) },
    });
    const { channel } = client.retain('private-orders');
    await flush();
    expect(channel.getSnapshot()).toMatchObject({
      status: 'error',
      error: { type: 'AuthError', message: 'No ticket', status: null },
    });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(0);
  });

  it('sign the user in through userAuthentication.customHandler', async () => {
    const client = connected({
      userAuthentication: {
        customHandler: ({ socketId }, callback) =>
          callback(null, { auth: `k:user-${socketId}`, user_data: '{"id":"17"}' }),
      },
    });
    client.user.signin();
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:signin')[0]?.data).toEqual({
      auth: 'k:user-5.6',
      user_data: '{"id":"17"}',
    });
  });
});

describe('Echo’s namespace', () => {
  it('formats event names with Echo’s dotted App.Events as with ours', () => {
    const client = connected({ namespace: 'App.Events' });
    expect(client.formatEventName('OrderShipped')).toBe('App\\Events\\OrderShipped');
    expect(client.formatEventName('.order.shipped')).toBe('order.shipped');
  });
});

describe('a value that cannot work', () => {
  /** The one error createReverbClient throws for `options`. */
  function refusal(options: Partial<ReverbClientOptions>): ReverbError {
    try {
      createReverbClient({ autoConnect: false, ...options } as ReverbClientOptions);
    } catch (error) {
      return error as ReverbError;
    }
    throw new Error('createReverbClient accepted the options');
  }

  it('throws one ReverbError naming the option', () => {
    const cases: Array<[Partial<ReverbClientOptions>, string]> = [
      [{ wsHost: 'h' }, 'options.key is required'],
      [{ key: '', wsHost: 'h' }, 'options.key is required'],
      [{ key: 'k' }, 'options.wsHost (or host, cluster, url) is required'],
      [{ key: 'k', wsHost: '', cluster: '' }, 'options.wsHost (or host, cluster, url) is required'],
      [{ key: 'k', wsHost: 'h', wsPort: 'abc' }, 'options.wsPort is not a port number: "abc"'],
      [{ key: 'k', wsHost: 'h', wssPort: '70000' }, 'options.wssPort is not a port number: "70000"'],
      [{ key: 'k', host: 'h', port: 80.5 }, 'options.port is not a port number: "80.5"'],
      [{ key: 'k', host: 'h', port: '-1' }, 'options.port is not a port number: "-1"'],
    ];
    for (const [options, message] of cases) {
      const error = refusal(options);
      expect(error).toBeInstanceOf(ReverbError);
      expect(error).toMatchObject({ code: 'REVERB_ERR_OPTIONS', message });
    }
    expect(FakeWebSocket.instances).toHaveLength(0);
  });

  it('accepts numeric strings and an empty VITE_ variable', () => {
    expect(() => createReverbClient({ key: 'k', wsHost: 'h', wsPort: '8080', wssPort: '' })).not.toThrow();
  });
});
