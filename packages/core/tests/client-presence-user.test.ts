import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { type AuthRequest, createReverbClient, type ReverbClientOptions } from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

/** Options a test overrides; `undefined` removes a default. */
type Overrides = { [K in keyof ReverbClientOptions]?: ReverbClientOptions[K] | undefined };

const authorize = vi.fn(async ({ channelName }: AuthRequest) => ({
  auth: `k:sig-${channelName}`,
  channel_data: JSON.stringify({ user_id: 17, user_info: { name: 'Ada' } }),
}));
const authenticateUser = vi.fn(async (socketId: string) => ({
  auth: `k:user-${socketId}`,
  user_data: JSON.stringify({ id: '17', user_info: { name: 'Ada' }, watchlist: ['18', '19'] }),
}));

function connected(options: Overrides = {}, socketId = '1.1') {
  const client = createReverbClient({
    key: 'k',
    host: 'localhost',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    authorize,
    authenticateUser,
    ...options,
  } as ReverbClientOptions);
  client.connect();
  FakeWebSocket.last.establish(socketId);
  return client;
}

/** `members` as [id, info] pairs, in join order (object keys that look like numbers would be sorted). */
function presenceSucceeded(channel: string, pairs: Array<[string, unknown]>) {
  const ids = pairs.map(([id]) => id);
  const members = Object.fromEntries(pairs);
  FakeWebSocket.last.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel,
    data: JSON.stringify({ presence: { ids, hash: members, count: ids.length } }),
  });
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  authorize.mockClear();
  authenticateUser.mockClear();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('presence', () => {
  it('sends channel_data as signed and builds the members snapshot in join order', async () => {
    const client = connected();
    const { channel } = client.retainPresence<{ name: string }>('presence-room.1');
    await flush();
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')[0]?.data).toEqual({
      channel: 'presence-room.1',
      auth: 'k:sig-presence-room.1',
      channel_data: '{"user_id":17,"user_info":{"name":"Ada"}}',
    });
    expect(channel.presence.getSnapshot()).toEqual({
      members: [],
      me: null,
      myId: null,
      count: 0,
      stale: false,
    });
    presenceSucceeded('presence-room.1', [
      ['18', { name: 'Bob' }],
      ['17', { name: 'Ada' }],
    ]);
    const snapshot = channel.presence.getSnapshot();
    expect(snapshot).toEqual({
      members: [
        { id: '18', info: { name: 'Bob' } },
        { id: '17', info: { name: 'Ada' } },
      ],
      me: { id: '17', info: { name: 'Ada' } },
      myId: '17',
      count: 2,
      stale: false,
    });
    expect(channel.presence.getSnapshot()).toBe(snapshot);
    expect(channel.presence.getServerSnapshot().count).toBe(0);
  });

  it('reads numeric user ids (Reverb passes channel_data through) as strings', async () => {
    const client = connected();
    const { channel } = client.retainPresence('presence-room.1');
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher_internal:subscription_succeeded',
      channel: 'presence-room.1',
      data: JSON.stringify({ presence: { ids: [18, 17], hash: { 17: 'Ada', 18: 'Bob' }, count: 2 } }),
    });
    expect(channel.presence.getSnapshot()).toMatchObject({
      members: [
        { id: '18', info: 'Bob' },
        { id: '17', info: 'Ada' },
      ],
      me: { id: '17', info: 'Ada' },
    });
    FakeWebSocket.last.receive({
      event: 'pusher_internal:member_removed',
      channel: 'presence-room.1',
      data: JSON.stringify({ user_id: 18 }),
    });
    expect(channel.presence.getSnapshot().members).toEqual([{ id: '17', info: 'Ada' }]);
  });

  it('retain() of a presence name gives the same presence channel', async () => {
    const client = connected();
    const viaRetain = client.retain('presence-room.1').channel;
    const viaPresence = client.retainPresence('presence-room.1').channel;
    expect(viaPresence).toBe(viaRetain);
    expect('presence' in viaRetain).toBe(true);
  });

  it('tracks joins and leaves with listeners and new snapshots', async () => {
    const client = connected();
    const { channel } = client.retainPresence('presence-room.1');
    await flush();
    presenceSucceeded('presence-room.1', [['17', { name: 'Ada' }]]);
    const joined = vi.fn();
    const left = vi.fn();
    channel.onJoin(joined);
    const stopLeave = channel.onLeave(left);
    const before = channel.presence.getSnapshot();
    FakeWebSocket.last.receive({
      event: 'pusher_internal:member_added',
      channel: 'presence-room.1',
      data: '{"user_id":"18","user_info":{"name":"Bob"}}',
    });
    expect(joined).toHaveBeenCalledWith({ id: '18', info: { name: 'Bob' } });
    const after = channel.presence.getSnapshot();
    expect(after).not.toBe(before);
    expect(after.count).toBe(2);
    // A duplicate add changes nothing.
    FakeWebSocket.last.receive({
      event: 'pusher_internal:member_added',
      channel: 'presence-room.1',
      data: '{"user_id":"18"}',
    });
    expect(channel.presence.getSnapshot()).toBe(after);
    FakeWebSocket.last.receive({
      event: 'pusher_internal:member_removed',
      channel: 'presence-room.1',
      data: '{"user_id":"18"}',
    });
    expect(left).toHaveBeenCalledWith({ id: '18', info: { name: 'Bob' } });
    expect(channel.presence.getSnapshot().members.map((m) => m.id)).toEqual(['17']);
    stopLeave();
    FakeWebSocket.last.receive({
      event: 'pusher_internal:member_removed',
      channel: 'presence-room.1',
      data: '{"user_id":"17"}',
    });
    expect(left).toHaveBeenCalledTimes(1);
  });

  it('keeps the members while reconnecting, marked stale, then reports the difference', async () => {
    const client = connected();
    const { channel } = client.retainPresence('presence-room.1');
    await flush();
    presenceSucceeded('presence-room.1', [
      ['17', null],
      ['18', null],
    ]);
    const joined = vi.fn();
    const left = vi.fn();
    channel.onJoin(joined);
    channel.onLeave(left);
    FakeWebSocket.last.serverClose(1006);
    expect(channel.presence.getSnapshot()).toMatchObject({ count: 2, stale: true });
    vi.advanceTimersByTime(1_500);
    FakeWebSocket.last.establish('2.2');
    await flush();
    expect(authorize).toHaveBeenLastCalledWith({ socketId: '2.2', channelName: 'presence-room.1' });
    presenceSucceeded('presence-room.1', [
      ['17', null],
      ['19', { name: 'Cy' }],
    ]);
    expect(channel.presence.getSnapshot()).toMatchObject({ count: 2, stale: false });
    expect(left).toHaveBeenCalledExactlyOnceWith({ id: '18', info: null });
    expect(joined).toHaveBeenCalledExactlyOnceWith({ id: '19', info: { name: 'Cy' } });
  });

  it('empties the snapshot when the last hold is released', async () => {
    const client = connected();
    const held = client.retainPresence('presence-room.1');
    await flush();
    presenceSucceeded('presence-room.1', [['17', null]]);
    held.release();
    vi.advanceTimersByTime(0);
    expect(held.channel.presence.getSnapshot()).toMatchObject({ members: [], count: 0, myId: null });
  });

  it('forwards whispers with the sender id', async () => {
    const client = connected();
    const { channel } = client.retainPresence('presence-room.1');
    const listener = vi.fn();
    channel.bind('client-typing', listener);
    FakeWebSocket.last.receive({
      event: 'client-typing',
      channel: 'presence-room.1',
      data: '{"typing":true}',
      user_id: '18',
    });
    expect(listener).toHaveBeenCalledWith(
      { typing: true },
      { event: 'client-typing', channel: 'presence-room.1', userId: '18' },
    );
  });
});

describe('user sign-in', () => {
  it('is signed-out until asked', () => {
    const client = connected();
    expect(client.user.getSnapshot()).toEqual({
      status: 'signed-out',
      id: null,
      info: null,
      error: null,
      watchlist: {},
      recovery: null,
    });
  });

  it('authenticates, sends pusher:signin, then subscribes to #server-to-user-{id}', async () => {
    const client = connected({}, '3.4');
    client.user.signin();
    expect(client.user.getSnapshot().status).toBe('signing-in');
    await flush();
    expect(authenticateUser).toHaveBeenCalledWith('3.4');
    const signin = FakeWebSocket.last.framesOf('pusher:signin');
    expect(signin).toEqual([
      {
        event: 'pusher:signin',
        data: {
          auth: 'k:user-3.4',
          user_data: '{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}',
        },
      },
    ]);
    FakeWebSocket.last.receive({
      event: 'pusher:signin_success',
      data: { user_data: signin[0]?.data?.user_data },
    });
    expect(client.user.getSnapshot()).toMatchObject({ status: 'signed-in', id: '17', info: { name: 'Ada' } });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toEqual([
      { event: 'pusher:subscribe', data: { channel: '#server-to-user-17', auth: '' } },
    ]);
  });

  it('delivers #server-to-user events and tracks the watchlist', async () => {
    const client = connected();
    client.user.signin();
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher:signin_success',
      data: { user_data: '{"id":"17","watchlist":["18","19"]}' },
    });
    const listener = vi.fn();
    client.user.bind('invoice-paid', listener);
    FakeWebSocket.last.receive({ event: 'invoice-paid', channel: '#server-to-user-17', data: '{"n":1}' });
    FakeWebSocket.last.receive({ event: 'invoice-paid', channel: '#server-to-user-99', data: '{"n":2}' });
    expect(listener).toHaveBeenCalledExactlyOnceWith(
      { n: 1 },
      { event: 'invoice-paid', channel: '#server-to-user-17' },
    );
    FakeWebSocket.last.receive({
      event: 'pusher_internal:watchlist_events',
      data: JSON.stringify({
        events: [
          { name: 'online', user_ids: ['18'] },
          { name: 'offline', user_ids: ['19'] },
        ],
      }),
    });
    expect(client.user.getSnapshot().watchlist).toEqual({ '18': true, '19': false });
  });

  it('signs in again after every reconnect, with the new socket id', async () => {
    const client = connected({}, '1.1');
    client.user.signin();
    await flush();
    FakeWebSocket.last.receive({ event: 'pusher:signin_success', data: { user_data: '{"id":"17"}' } });
    FakeWebSocket.last.serverClose(4200);
    expect(client.user.getSnapshot()).toMatchObject({ status: 'signing-in', id: '17' });
    vi.advanceTimersByTime(0);
    FakeWebSocket.last.establish('2.2');
    await flush();
    expect(authenticateUser).toHaveBeenLastCalledWith('2.2');
    expect(FakeWebSocket.last.framesOf('pusher:signin')).toHaveLength(1);
  });

  it('the server snapshot stays signed-out (SSR)', async () => {
    const client = connected();
    const idle = client.user.getServerSnapshot();
    client.user.signin();
    await flush();
    FakeWebSocket.last.receive({ event: 'pusher:signin_success', data: { user_data: '{"id":"17"}' } });
    expect(client.user.getSnapshot().status).toBe('signed-in');
    expect(client.user.getServerSnapshot()).toBe(idle);
    expect(idle.status).toBe('signed-out');
  });

  it('signin() before connecting waits for the socket', async () => {
    const client = createReverbClient({
      key: 'k',
      host: 'h',
      WebSocket: FakeWebSocket,
      autoConnect: false,
      authenticateUser,
    });
    client.user.signin();
    await flush();
    expect(authenticateUser).not.toHaveBeenCalled();
    client.connect();
    FakeWebSocket.last.establish('7.7');
    await flush();
    expect(authenticateUser).toHaveBeenCalledWith('7.7');
  });

  it('reports a refused authentication and a refused sign-in', async () => {
    const refused = connected({
      authenticateUser: async () => {
        throw new Error('401 from the app');
      },
    });
    refused.user.signin();
    await flush();
    expect(refused.user.getSnapshot()).toMatchObject({
      status: 'error',
      error: { message: '401 from the app' },
    });

    const client = connected();
    client.user.signin();
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher:error',
      data: { code: 4009, message: 'Connection is unauthorized' },
    });
    expect(client.user.getSnapshot()).toMatchObject({
      status: 'error',
      error: { message: 'Connection is unauthorized' },
    });
  });

  it('POSTs socket_id to userAuthEndpoint by default form', async () => {
    const fetch = vi.fn(
      async (_url: string | URL | Request, _init?: RequestInit) =>
        new Response(JSON.stringify({ auth: 'k:s', user_data: '{"id":"1"}' })),
    );
    const client = connected({ authenticateUser: undefined, fetch }, '4.4');
    client.user.signin();
    await flush();
    expect(fetch.mock.calls[0]?.[0]).toBe('/broadcasting/user-auth');
    expect(String(fetch.mock.calls[0]?.[1]?.body)).toBe('socket_id=4.4');
    expect(FakeWebSocket.last.framesOf('pusher:signin')).toHaveLength(1);
  });
});
