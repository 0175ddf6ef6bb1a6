import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WHISPER_SPACING_MS } from '../src/client/whisper-outbox';
import {
  AuthError,
  type AuthRequest,
  ClientEventError,
  createReverbClient,
  formatEventName,
  type ReverbClientOptions,
  ReverbError,
} from '../src/index';
import { MAX_CLIENT_EVENTS_PER_SECOND } from '../src/protocol/limits';
import { FakeWebSocket, flush } from './support/fake-websocket';

/** Options a test overrides; `undefined` removes a default. */
type Overrides = { [K in keyof ReverbClientOptions]?: ReverbClientOptions[K] | undefined };

const authorize = vi.fn(async ({ socketId, channelName }: AuthRequest) => ({
  auth: `demo-key-0001:sig-for-${socketId}-${channelName}`,
}));

function makeClient(options: Overrides = {}) {
  return createReverbClient({
    key: 'demo-key-0001',
    host: 'localhost',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    authorize,
    ...options,
  } as ReverbClientOptions);
}

function connected(options: Overrides = {}, socketId = '1.1') {
  const client = makeClient(options);
  client.connect();
  FakeWebSocket.last.establish(socketId);
  return client;
}

function succeed(channel: string, data: Record<string, unknown> = {}) {
  FakeWebSocket.last.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel,
    data: JSON.stringify(data),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  authorize.mockClear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('ref-counted channels', () => {
  it('subscribes a public channel once however many hold it', async () => {
    const client = connected();
    const a = client.retain('orders');
    const b = client.retain('orders');
    await flush();
    expect(a.channel).toBe(b.channel);
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toEqual([
      { event: 'pusher:subscribe', data: { channel: 'orders', auth: '' } },
    ]);
    expect(a.channel.getSnapshot().status).toBe('subscribing');
    succeed('orders');
    expect(a.channel.getSnapshot()).toEqual({
      name: 'orders',
      status: 'subscribed',
      error: null,
      subscriptionCount: null,
      recovery: null,
    });
  });

  it('unsubscribes on the wire only after the last release, deferred to the next macrotask', async () => {
    const client = connected();
    const a = client.retain('orders');
    const b = client.retain('orders');
    await flush();
    succeed('orders');
    a.release();
    a.release(); // idempotent
    vi.advanceTimersByTime(1_000);
    expect(FakeWebSocket.last.framesOf('pusher:unsubscribe')).toHaveLength(0);
    b.release();
    expect(FakeWebSocket.last.framesOf('pusher:unsubscribe')).toHaveLength(0);
    expect(client.channel('orders')).toBe(b.channel);
    vi.advanceTimersByTime(0);
    expect(FakeWebSocket.last.framesOf('pusher:unsubscribe')).toEqual([
      { event: 'pusher:unsubscribe', data: { channel: 'orders' } },
    ]);
    expect(b.channel.getSnapshot().status).toBe('idle');
    expect(client.channel('orders')).toBeUndefined();
  });

  it('a re-retain within the deferral keeps the subscription (StrictMode, route swaps)', async () => {
    const client = connected();
    const first = client.retain('orders');
    await flush();
    succeed('orders');
    first.release();
    const second = client.retain('orders');
    vi.advanceTimersByTime(1_000);
    await flush();
    expect(second.channel).toBe(first.channel);
    expect(FakeWebSocket.last.framesOf('pusher:unsubscribe')).toHaveLength(0);
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(1);
    expect(second.channel.getSnapshot().status).toBe('subscribed');
  });

  it('a channel retained before connecting subscribes once connected', async () => {
    const client = makeClient();
    const { channel } = client.retain('orders');
    expect(channel.getSnapshot().status).toBe('subscribing');
    expect(channel.getServerSnapshot().status).toBe('idle');
    client.connect();
    FakeWebSocket.last.establish();
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(1);
  });

  it('refuses invalid and reserved names with a coded error', () => {
    const client = makeClient();
    expect(() => client.retain('bad name!')).toThrow(ReverbError);
    expect(() => client.retain('')).toThrow(expect.objectContaining({ code: 'REVERB_ERR_CHANNEL_NAME' }));
    expect(() => client.retain('#server-to-user-1')).toThrow(/reserved/);
    expect(() => client.retainPresence('private-x')).toThrow(
      expect.objectContaining({ code: 'REVERB_ERR_NOT_PRESENCE' }),
    );
  });
});

describe('authorization', () => {
  it('authorizes private channels with the socket id and sends the signature', async () => {
    const client = connected({}, '123.456');
    client.retain('private-orders.17');
    await flush();
    expect(authorize).toHaveBeenCalledWith({ socketId: '123.456', channelName: 'private-orders.17' });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toEqual([
      {
        event: 'pusher:subscribe',
        data: { channel: 'private-orders.17', auth: 'demo-key-0001:sig-for-123.456-private-orders.17' },
      },
    ]);
  });

  it('POSTs form-encoded to authEndpoint with params, headers, X-CSRF-TOKEN and X-Socket-ID', async () => {
    const requests: Array<{ url: string; init: RequestInit }> = [];
    const fetch = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
      requests.push({ url: String(url), init: init ?? {} });
      return new Response(JSON.stringify({ auth: 'demo-key-0001:abc' }), { status: 200 });
    });
    const client = connected(
      {
        authorize: undefined,
        authEndpoint: 'https://app.test/broadcasting/auth',
        csrfToken: 'csrf-1',
        auth: { headers: () => ({ Authorization: 'Bearer t' }), params: { team: '7' } },
        fetch,
      },
      '5.6',
    );
    client.retain('private-orders.17');
    await flush();
    expect(requests).toHaveLength(1);
    const [request] = requests;
    expect(request?.url).toBe('https://app.test/broadcasting/auth');
    expect(request?.init.method).toBe('POST');
    // What fetch puts on the wire for this init: a form-encoded body.
    expect(new Request(request?.url ?? '', request?.init).headers.get('content-type')).toMatch(
      /^application\/x-www-form-urlencoded\b/,
    );
    expect(request?.init.headers).toMatchObject({
      'X-CSRF-TOKEN': 'csrf-1',
      'X-Socket-ID': '5.6',
      Authorization: 'Bearer t',
    });
    expect(Object.fromEntries(new URLSearchParams(String(request?.init.body)))).toEqual({
      team: '7',
      socket_id: '5.6',
      channel_name: 'private-orders.17',
    });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')[0]?.data?.auth).toBe('demo-key-0001:abc');
  });

  it('defaults to Echo’s /broadcasting/auth', async () => {
    const fetch = vi.fn(async () => new Response('{"auth":"k:s"}'));
    const client = connected({ authorize: undefined, fetch });
    client.retain('private-a');
    await flush();
    expect(fetch).toHaveBeenCalledWith('/broadcasting/auth', expect.anything());
  });

  it('puts an endpoint refusal on the channel status as an AuthError with the HTTP status', async () => {
    const fetch = vi.fn(async () => new Response('Forbidden', { status: 403 }));
    const client = connected({ authorize: undefined, fetch });
    const { channel } = client.retain('private-orders.17');
    await flush();
    expect(channel.getSnapshot()).toMatchObject({
      status: 'error',
      error: { type: 'AuthError', status: 403 },
    });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(0);
  });

  it('rejects authorization answers without an auth string', async () => {
    const client = connected({ authorize: async () => ({}) as never });
    const { channel } = client.retain('private-a');
    await flush();
    expect(channel.getSnapshot()).toMatchObject({ status: 'error', error: { type: 'AuthError' } });
  });

  it('a pusher:subscription_error frame is terminal for the channel', async () => {
    const client = connected();
    const { channel } = client.retain('private-orders.17');
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher:subscription_error',
      channel: 'private-orders.17',
      data: { type: 'AuthError', error: 'Invalid signature', status: 401 },
    });
    expect(channel.getSnapshot()).toMatchObject({
      status: 'error',
      error: { type: 'AuthError', message: 'Invalid signature', status: 401 },
    });
  });

  it('exports AuthError with its status', () => {
    const error = new AuthError('no', 401);
    expect(error).toBeInstanceOf(ReverbError);
    expect(error).toMatchObject({ code: 'REVERB_ERR_AUTH', status: 401 });
  });
});

describe('reconnect', () => {
  it('re-authorizes and re-subscribes every held channel with the new socket id', async () => {
    const client = connected({}, '1.1');
    const pub = client.retain('orders');
    const priv = client.retain('private-orders.17');
    await flush();
    succeed('orders');
    succeed('private-orders.17');
    FakeWebSocket.last.serverClose(1006);
    expect(pub.channel.getSnapshot().status).toBe('subscribing');
    expect(priv.channel.getSnapshot().status).toBe('subscribing');
    vi.advanceTimersByTime(1_500);
    FakeWebSocket.last.establish('2.2');
    await flush();
    expect(authorize).toHaveBeenLastCalledWith({ socketId: '2.2', channelName: 'private-orders.17' });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe').map((f) => f.data)).toEqual([
      { channel: 'orders', auth: '' },
      { channel: 'private-orders.17', auth: 'demo-key-0001:sig-for-2.2-private-orders.17' },
    ]);
  });

  it('drops an authorization that arrives for a socket that is gone', async () => {
    let resolveAuth: (value: { auth: string }) => void = () => {};
    const slow = vi.fn(
      ({ socketId }: AuthRequest) =>
        new Promise<{ auth: string }>((resolve) => {
          if (socketId === '1.1') resolveAuth = resolve;
          else resolve({ auth: `k:${socketId}` });
        }),
    );
    const client = connected({ authorize: slow }, '1.1');
    client.retain('private-a');
    FakeWebSocket.last.serverClose(4200);
    vi.advanceTimersByTime(0);
    FakeWebSocket.last.establish('2.2');
    resolveAuth({ auth: 'k:1.1' });
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe').map((f) => f.data?.auth)).toEqual(['k:2.2']);
  });

  it('a channel released while the socket is down is not re-subscribed', async () => {
    const client = connected();
    const held = client.retain('orders');
    await flush();
    FakeWebSocket.last.serverClose(4200);
    held.release();
    vi.advanceTimersByTime(0);
    FakeWebSocket.last.establish('2.2');
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(0);
  });
});

describe('events', () => {
  it('binds per event, passes parsed data and the event name, and unbinds', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    await flush();
    const shipped = vi.fn();
    const every = vi.fn();
    const unbind = channel.bind('App\\Events\\OrderShipped', shipped);
    channel.bindAll(every);
    FakeWebSocket.last.receive({
      event: 'App\\Events\\OrderShipped',
      channel: 'orders',
      data: '{"id":17,"status":"shipped"}',
    });
    FakeWebSocket.last.receive({ event: 'other', channel: 'orders', data: 'not json' });
    expect(shipped).toHaveBeenCalledExactlyOnceWith(
      { id: 17, status: 'shipped' },
      { event: 'App\\Events\\OrderShipped', channel: 'orders' },
    );
    expect(every.mock.calls.map((c) => c[1].event)).toEqual(['App\\Events\\OrderShipped', 'other']);
    expect(every.mock.calls[1]?.[0]).toBe('not json');
    unbind();
    FakeWebSocket.last.receive({ event: 'App\\Events\\OrderShipped', channel: 'orders', data: '{}' });
    expect(shipped).toHaveBeenCalledTimes(1);
  });

  it('subscribes on a subscription_succeeded without data (older Reverb releases send it so)', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    await flush();
    FakeWebSocket.last.receive({ event: 'pusher_internal:subscription_succeeded', channel: 'orders' });
    expect(channel.getSnapshot()).toMatchObject({ status: 'subscribed', error: null });
  });

  it('passes a whisper’s numeric user_id (Reverb forwards channel_data’s) as a string', async () => {
    const client = connected();
    const { channel } = client.retain('presence-room');
    await flush();
    const typing = vi.fn();
    channel.bind('client-typing', typing);
    FakeWebSocket.last.receive({ event: 'client-typing', channel: 'presence-room', data: '{}', user_id: 17 });
    FakeWebSocket.last.receive({ event: 'client-typing', channel: 'presence-room', data: '{}', user_id: 0 });
    expect(typing.mock.calls.map((call) => call[1].userId)).toEqual(['17', '0']);
  });

  it('does not deliver protocol frames to bindAll, nor events of other channels', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    await flush();
    const every = vi.fn();
    channel.bindAll(every);
    succeed('orders');
    FakeWebSocket.last.receive({
      event: 'pusher_internal:subscription_count',
      channel: 'orders',
      data: '{"subscription_count":3}',
    });
    FakeWebSocket.last.receive({ event: 'x', channel: 'elsewhere', data: '{}' });
    expect(every).not.toHaveBeenCalled();
    expect(channel.getSnapshot().subscriptionCount).toBe(3);
  });

  it("delivers to the name's listeners before bindAll ones, as the bindings were when the event came", async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    const calls: string[] = [];
    channel.bindAll((_, meta) => calls.push(`every ${meta.event}`));
    let unbindLate = () => {};
    channel.bind('e', () => {
      calls.push('first');
      // Changes made during delivery count from the next event on.
      unbindLate();
      channel.bind('e', () => calls.push('added during e'));
    });
    unbindLate = channel.bind('e', () => calls.push('unbound during e'));
    FakeWebSocket.last.receive({ event: 'e', channel: 'orders', data: '{}' });
    expect(calls).toEqual(['first', 'unbound during e', 'every e']);

    calls.length = 0;
    channel.bind('pusher:cache_miss', () => calls.push('cache_miss'));
    FakeWebSocket.last.receive({ event: 'pusher:cache_miss', channel: 'orders' });
    expect(calls).toEqual(['cache_miss']);
  });

  it('the same function bound twice is two bindings, unbound one at a time', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    const listener = vi.fn();
    const unbindFirst = channel.bind('e', listener);
    channel.bind('e', listener);
    unbindFirst();
    FakeWebSocket.last.receive({ event: 'e', channel: 'orders', data: '{}' });
    expect(listener).toHaveBeenCalledTimes(1);
  });

  it('a throwing listener does not stop the others; its error is reported, not swallowed', async () => {
    const reported: unknown[] = [];
    vi.stubGlobal('queueMicrotask', (task: () => void) => {
      try {
        task();
      } catch (error) {
        reported.push(error);
      }
    });
    try {
      const client = connected();
      const { channel } = client.retain('orders');
      const after = vi.fn();
      channel.bind('e', () => {
        throw new Error('listener bug');
      });
      channel.bind('e', after);
      FakeWebSocket.last.receive({ event: 'e', channel: 'orders', data: '{}' });
      expect(after).toHaveBeenCalledTimes(1);
      expect(reported).toEqual([new Error('listener bug')]);
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('formats Laravel event names', () => {
    expect(formatEventName('.OrderShipped')).toBe('OrderShipped');
    expect(formatEventName('OrderShipped')).toBe('App\\Events\\OrderShipped');
    expect(formatEventName('Orders.Shipped')).toBe('App\\Events\\Orders\\Shipped');
    expect(formatEventName('\\Domain\\Shipped')).toBe('Domain\\Shipped');
    expect(makeClient({ namespace: 'Domain.Events' }).formatEventName('Shipped')).toBe(
      'Domain\\Events\\Shipped',
    );
    expect(makeClient({ namespace: false }).formatEventName('Shipped')).toBe('Shipped');
    expect(makeClient().formatEventName('OrderShipped')).toBe('App\\Events\\OrderShipped');
  });
});

describe('whispers', () => {
  it('refuse public and encrypted channels with a ClientEventError', () => {
    const client = makeClient();
    expect(() => client.retain('orders').channel.whisper('typing', {})).toThrow(ClientEventError);
    expect(() => client.retain('private-encrypted-vault').channel.whisper('typing', {})).toThrow(
      expect.objectContaining({ code: 'REVERB_ERR_CLIENT_EVENT_CHANNEL' }),
    );
  });

  it('are queued until subscribed, then sent with the client- prefix', async () => {
    const client = connected();
    const { channel } = client.retain('private-chat');
    channel.whisper('typing', { typing: true });
    channel.whisper('client-stopped', { typing: false });
    await flush();
    expect(FakeWebSocket.last.framesOf('client-typing')).toHaveLength(0);
    succeed('private-chat');
    vi.advanceTimersByTime(1_000);
    expect(FakeWebSocket.last.frames().filter((f) => f.event.startsWith('client-'))).toEqual([
      { event: 'client-typing', channel: 'private-chat', data: { typing: true } },
      { event: 'client-stopped', channel: 'private-chat', data: { typing: false } },
    ]);
  });

  it('are spaced by the ceiling of 1000 ms over one less than the per-second limit', () => {
    expect(WHISPER_SPACING_MS).toBe(Math.ceil(1000 / (MAX_CLIENT_EVENTS_PER_SECOND - 1)));
  });

  it('are throttled under 10 per second across the connection', async () => {
    const client = connected();
    const a = client.retain('private-a').channel;
    const b = client.retain('presence-b').channel;
    await flush();
    succeed('private-a');
    succeed('presence-b', { presence: { ids: [], hash: {}, count: 0 } });
    const sentAt: number[] = [];
    const socket = FakeWebSocket.last;
    const send = socket.send.bind(socket);
    socket.send = (data: string) => {
      if (data.includes('"client-')) sentAt.push(Date.now());
      send(data);
    };
    for (let i = 0; i < 15; i++) (i % 2 ? a : b).whisper('tick', { i });
    vi.advanceTimersByTime(5_000);
    expect(sentAt).toHaveLength(15);
    for (let i = 0; i < sentAt.length; i++) {
      const inWindow = sentAt.filter((t) => t >= (sentAt[i] ?? 0) && t < (sentAt[i] ?? 0) + 1_000);
      expect(inWindow.length).toBeLessThan(10);
    }
  });

  it('wait through a reconnect and go out after the new subscription', async () => {
    const client = connected();
    const { channel } = client.retain('private-chat');
    await flush();
    succeed('private-chat');
    FakeWebSocket.last.serverClose(4200);
    channel.whisper('typing', { typing: true });
    vi.advanceTimersByTime(0);
    FakeWebSocket.last.establish('2.2');
    await flush();
    expect(FakeWebSocket.last.framesOf('client-typing')).toHaveLength(0);
    succeed('private-chat');
    vi.advanceTimersByTime(1_000);
    expect(FakeWebSocket.last.framesOf('client-typing')).toHaveLength(1);
  });

  it('are dropped when the channel is released', async () => {
    const client = connected();
    const held = client.retain('private-chat');
    held.channel.whisper('typing', {});
    held.release();
    vi.advanceTimersByTime(1_000);
    await flush();
    expect(FakeWebSocket.last.framesOf('client-typing')).toHaveLength(0);
  });
});
