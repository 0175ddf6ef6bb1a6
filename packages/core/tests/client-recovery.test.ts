/**
 * The client's side of docs/protocol.md §11.1 against a fake socket playing our server: positions
 * remembered, duplicates dropped, `recover` (with the previous socket ids) on a resubscribe, replayed
 * events marked, gaps reported, `rewind`, the user's channel, and nothing of it towards a server that
 * sends no positions.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  type AuthRequest,
  createReverbClient,
  type EventMeta,
  type ReverbClient,
  type ReverbClientOptions,
  type StreamRecovery,
} from '../src/index';
import { RECOVERY_REASONS } from '../src/protocol';
import { FakeWebSocket, flush } from './support/fake-websocket';

const CHANNEL = 'private-App.Models.User.17';

const authorize = vi.fn(async ({ socketId, channelName }: AuthRequest) => ({
  auth: `demo-key-0001:sig-for-${socketId}-${channelName}`,
}));

function makeClient(options: Partial<ReverbClientOptions> = {}): ReverbClient {
  return createReverbClient({
    key: 'demo-key-0001',
    host: 'localhost',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    authorize,
    authenticateUser: async (socketId) => ({ auth: `k:${socketId}`, user_data: '{"id":"17"}' }),
    ...options,
  });
}

let socketCounter = 0;
/** Opens the next socket; its id is `1.<n>`. */
function establish(): string {
  const id = `1.${++socketCounter}`;
  FakeWebSocket.last.establish(id);
  return id;
}

/** Cuts the connected socket (1006) and lets the client reconnect to a new one. */
async function reconnect(): Promise<string> {
  const before = FakeWebSocket.instances.length;
  FakeWebSocket.last.serverClose(1006);
  // The first retry comes within 1.5 s (1 s stretched by up to half).
  vi.advanceTimersByTime(1_500);
  expect(FakeWebSocket.instances).toHaveLength(before + 1);
  const id = establish();
  await flush();
  return id;
}

function succeed(channel: string, data: Record<string, unknown> = {}): void {
  FakeWebSocket.last.receive({
    event: 'pusher_internal:subscription_succeeded',
    channel,
    data: JSON.stringify(data),
  });
}

/** An app event as our server sends it: the Pusher fields, then its position. */
function event(channel: string, name: string, data: unknown, epoch?: string, offset?: number): void {
  FakeWebSocket.last.receive({ event: name, channel, data: JSON.stringify(data), offset, epoch });
}

/** The `pusher:subscribe` data frames of `channel` sent on the current socket. */
function subscribes(channel: string) {
  return FakeWebSocket.last.framesOf('pusher:subscribe').filter((f) => f.data?.channel === channel);
}

async function subscribed(client: ReverbClient, channel = CHANNEL, stream?: object) {
  const held = client.retain(channel).channel;
  await flush();
  succeed(channel, stream ? { stream } : {});
  return held;
}

function record(client: ReverbClient, channel = CHANNEL) {
  const got: Array<[data: unknown, meta: EventMeta]> = [];
  client.channel(channel)?.bind('Msg', (data, meta) => got.push([data, meta]));
  return got;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  authorize.mockClear();
  socketCounter = 0;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('positions', () => {
  it('remembers the position from stream, then from every event, and recovers from it after a reconnect', async () => {
    const client = makeClient();
    client.connect();
    const first = establish();
    await subscribed(client, CHANNEL, { epoch: 'k2x9q1', offset: 5 });
    const got = record(client);
    event(CHANNEL, 'Msg', { n: 6 }, 'k2x9q1', 6);
    event(CHANNEL, 'Msg', { n: 7 }, 'k2x9q1', 7);
    await reconnect();
    expect(subscribes(CHANNEL)).toEqual([
      {
        event: 'pusher:subscribe',
        data: {
          channel: CHANNEL,
          auth: expect.any(String),
          recover: { epoch: 'k2x9q1', offset: 7, socket_ids: [first] },
        },
      },
    ]);
    expect(got.map(([data]) => data)).toEqual([{ n: 6 }, { n: 7 }]);
  });

  it('a fresh subscribe that got no event yet recovers from its stream position', async () => {
    const client = makeClient();
    client.connect();
    establish();
    await subscribed(client, CHANNEL, { epoch: 'e', offset: 41 });
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data?.recover).toMatchObject({ epoch: 'e', offset: 41 });
  });

  it('drops an event at or below the position in the same epoch, keeps the others', async () => {
    const client = makeClient();
    client.connect();
    establish();
    await subscribed(client, CHANNEL, { epoch: 'e', offset: 5 });
    const got = record(client);
    event(CHANNEL, 'Msg', 'six', 'e', 6);
    event(CHANNEL, 'Msg', 'six again', 'e', 6);
    event(CHANNEL, 'Msg', 'five', 'e', 5);
    event(CHANNEL, 'Msg', 'seven', 'e', 7);
    event(CHANNEL, 'Msg', 'a whisper or another server: no position');
    expect(got.map(([data]) => data)).toEqual(['six', 'seven', 'a whisper or another server: no position']);
  });

  it('names up to 5 previous socket ids, oldest first, never the current one', async () => {
    const client = makeClient();
    client.connect();
    const ids = [establish()];
    await subscribed(client, CHANNEL, { epoch: 'e', offset: 1 });
    for (let i = 0; i < 6; i++) {
      const previous = [...ids].slice(-5);
      const current = await reconnect();
      expect(subscribes(CHANNEL)[0]?.data?.recover).toEqual({ epoch: 'e', offset: 1, socket_ids: previous });
      ids.push(current);
      succeed(CHANNEL, { stream: { epoch: 'e', offset: 1 }, recovery: { recovered: true, replayed: 0 } });
    }
    expect(ids).toHaveLength(7);
  });

  it('ignores positions that are not valid: the event is delivered and nothing is remembered', async () => {
    const client = makeClient();
    client.connect();
    establish();
    await subscribed(client, CHANNEL, { epoch: 'x'.repeat(33), offset: 1 });
    const got = record(client);
    event(CHANNEL, 'Msg', 'string offset', 'e', '7' as unknown as number);
    event(CHANNEL, 'Msg', 'negative', 'e', -1);
    event(CHANNEL, 'Msg', 'empty epoch', '', 3);
    expect(got).toHaveLength(3);
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data).not.toHaveProperty('recover');
  });
});

describe('replay', () => {
  it('marks the events up to stream.offset as replayed, in order, then live ones unmarked', async () => {
    const client = makeClient();
    client.connect();
    establish();
    await subscribed(client, CHANNEL, { epoch: 'e', offset: 7 });
    const got = record(client);
    await reconnect();
    succeed(CHANNEL, { stream: { epoch: 'e', offset: 10 }, recovery: { recovered: true, replayed: 3 } });
    for (const n of [8, 9, 10, 11]) event(CHANNEL, 'Msg', n, 'e', n);
    expect(got).toEqual([
      [8, { event: 'Msg', channel: CHANNEL, replayed: true }],
      [9, { event: 'Msg', channel: CHANNEL, replayed: true }],
      [10, { event: 'Msg', channel: CHANNEL, replayed: true }],
      [11, { event: 'Msg', channel: CHANNEL }],
    ]);
    expect(client.channel(CHANNEL)?.getSnapshot().recovery).toEqual({ recovered: true, replayed: 3 });
  });

  it('takes every replayed event when the client caused some in between (not replayed to it)', async () => {
    const client = makeClient();
    client.connect();
    establish();
    await subscribed(client, CHANNEL, { epoch: 'e', offset: 10 });
    const got = record(client);
    await reconnect();
    // 13 was triggered with this client's previous socket as socket_id (toOthers()): not replayed.
    succeed(CHANNEL, { stream: { epoch: 'e', offset: 15 }, recovery: { recovered: true, replayed: 4 } });
    for (const n of [11, 12, 14, 15]) event(CHANNEL, 'Msg', n, 'e', n);
    expect(got.map(([data]) => data)).toEqual([11, 12, 14, 15]);
  });

  it.each(RECOVERY_REASONS.map((reason) => [reason]))(
    'reports a gap with reason %s on the channel snapshot',
    async (reason) => {
      const client = makeClient();
      client.connect();
      establish();
      const channel = await subscribed(client, CHANNEL, { epoch: 'e', offset: 3 });
      expect(channel.getSnapshot().recovery).toBeNull();
      await reconnect();
      const recovery: StreamRecovery = { recovered: false, replayed: 0, reason };
      succeed(
        CHANNEL,
        reason === 'not_kept' ? { recovery } : { stream: { epoch: 'e', offset: 3 }, recovery },
      );
      expect(channel.getSnapshot()).toMatchObject({ status: 'subscribed', recovery });
    },
  );

  it('after an epoch change, takes the replay of the new epoch from its start', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const channel = await subscribed(client, CHANNEL, { epoch: 'old', offset: 40 });
    const got = record(client);
    await reconnect();
    const recovery = { recovered: false, replayed: 2, reason: 'epoch_changed' };
    succeed(CHANNEL, { stream: { epoch: 'new', offset: 3 }, recovery });
    event(CHANNEL, 'Msg', 2, 'new', 2);
    event(CHANNEL, 'Msg', 3, 'new', 3);
    event(CHANNEL, 'Msg', 4, 'new', 4);
    expect(got.map(([data, meta]) => [data, meta.replayed ?? false])).toEqual([
      [2, true],
      [3, true],
      [4, false],
    ]);
    // The server's gap, not a second one for the replay of the new epoch.
    expect(channel.getSnapshot().recovery).toEqual(recovery);
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data?.recover).toMatchObject({ epoch: 'new', offset: 4 });
  });

  it('reports an epoch change seen live as a gap, takes the event and recovers from it', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const channel = await subscribed(client, CHANNEL, { epoch: 'e', offset: 5 });
    const got = record(client);
    event(CHANNEL, 'Msg', 6, 'e', 6);
    expect(channel.getSnapshot().recovery).toBeNull();
    event(CHANNEL, 'Msg', 'after a Redis restart', 'r', 1);
    expect(channel.getSnapshot().recovery).toEqual({
      recovered: false,
      replayed: 0,
      reason: 'epoch_changed',
    });
    expect(got.map(([data]) => data)).toEqual([6, 'after a Redis restart']);
    event(CHANNEL, 'Msg', 'duplicate', 'r', 1);
    expect(got).toHaveLength(2);
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data?.recover).toMatchObject({ epoch: 'r', offset: 1 });
  });

  it('delivers the cached event of a cache channel (sent without a position) and keeps its position', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const name = 'private-cache-prices';
    await subscribed(client, name, { epoch: 'e', offset: 4 });
    const got: unknown[] = [];
    client.channel(name)?.bind('Price', (data, meta) => got.push([data, meta.replayed]));
    event(name, 'Price', 99);
    event(name, 'Price', 100, 'e', 5);
    expect(got).toEqual([
      [99, undefined],
      [100, undefined],
    ]);
    await reconnect();
    expect(subscribes(name)[0]?.data?.recover).toMatchObject({ epoch: 'e', offset: 5 });
  });

  it('keeps a malformed recovery answer out of the snapshot', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const channel = await subscribed(client, CHANNEL, { epoch: 'e', offset: 1 });
    await reconnect();
    succeed(CHANNEL, { stream: { epoch: 'e', offset: 1 }, recovery: 5 });
    expect(channel.getSnapshot()).toMatchObject({ status: 'subscribed', recovery: null });
  });
});

describe('rewind', () => {
  it('asks for the last N on the first subscribe only; the first hold decides', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const first = client.retain(CHANNEL, { rewind: 20 });
    client.retain(CHANNEL, { rewind: 5 });
    await flush();
    expect(subscribes(CHANNEL).map((f) => f.data)).toEqual([
      { channel: CHANNEL, auth: expect.any(String), rewind: 20 },
    ]);
    succeed(CHANNEL, { stream: { epoch: 'e', offset: 30 }, recovery: { recovered: true, replayed: 2 } });
    const got: unknown[] = [];
    first.channel.bind('Msg', (data, meta) => got.push([data, meta.replayed]));
    event(CHANNEL, 'Msg', 29, 'e', 29);
    event(CHANNEL, 'Msg', 30, 'e', 30);
    event(CHANNEL, 'Msg', 31, 'e', 31);
    expect(got).toEqual([
      [29, true],
      [30, true],
      [31, undefined],
    ]);
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data).toEqual({
      channel: CHANNEL,
      auth: expect.any(String),
      recover: { epoch: 'e', offset: 31, socket_ids: ['1.1'] },
    });
  });

  it('asks again after a subscribe that never succeeded, not after one on a channel without history', async () => {
    const client = makeClient();
    client.connect();
    establish();
    client.retain(CHANNEL, { rewind: 3 });
    await flush();
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data?.rewind).toBe(3);
    succeed(CHANNEL, { recovery: { recovered: false, replayed: 0, reason: 'not_kept' } });
    await reconnect();
    expect(subscribes(CHANNEL)[0]?.data).toEqual({ channel: CHANNEL, auth: expect.any(String) });
  });
});

describe('a server without positions (Laravel Reverb, soketi, Pusher)', () => {
  it('never gets recover, and rewind only when asked', async () => {
    const client = makeClient();
    client.connect();
    establish();
    const plain = await subscribed(client, CHANNEL);
    await subscribed(client, 'orders');
    const got = record(client);
    event(CHANNEL, 'Msg', 1);
    event(CHANNEL, 'Msg', 1);
    for (let i = 0; i < 3; i++) {
      await reconnect();
      succeed(CHANNEL);
      succeed('orders');
      event(CHANNEL, 'Msg', 2);
    }
    const frames = FakeWebSocket.instances.flatMap((s) => s.framesOf('pusher:subscribe'));
    expect(frames).toHaveLength(8);
    for (const frame of frames) expect(Object.keys(frame.data ?? {}).sort()).toEqual(['auth', 'channel']);
    expect(got.map(([data, meta]) => [data, meta])).toEqual([
      [1, { event: 'Msg', channel: CHANNEL }],
      [1, { event: 'Msg', channel: CHANNEL }],
      [2, { event: 'Msg', channel: CHANNEL }],
      [2, { event: 'Msg', channel: CHANNEL }],
      [2, { event: 'Msg', channel: CHANNEL }],
    ]);
    expect(plain.getSnapshot().recovery).toBeNull();
  });
});

describe("the user's channel (#server-to-user-{id})", () => {
  const USER_CHANNEL = '#server-to-user-17';

  async function signedIn(stream?: object) {
    await flush();
    FakeWebSocket.last.receive({ event: 'pusher:signin_success', data: { user_data: '{"id":"17"}' } });
    succeed(USER_CHANNEL, stream ? { stream } : {});
  }

  it('recovers what it missed after a reconnect, marked replayed, and reports gaps on the user snapshot', async () => {
    const client = makeClient();
    client.connect();
    const first = establish();
    client.user.signin();
    await signedIn({ epoch: 'u', offset: 2 });
    const got: unknown[] = [];
    client.user.bind('Notice', (data, meta) => got.push([data, meta.replayed ?? false]));
    event(USER_CHANNEL, 'Notice', 3, 'u', 3);
    event(USER_CHANNEL, 'Notice', 3, 'u', 3);
    await reconnect();
    FakeWebSocket.last.receive({ event: 'pusher:signin_success', data: { user_data: '{"id":"17"}' } });
    expect(subscribes(USER_CHANNEL).map((f) => f.data)).toEqual([
      { channel: USER_CHANNEL, auth: '', recover: { epoch: 'u', offset: 3, socket_ids: [first] } },
    ]);
    const recovery = { recovered: false, replayed: 1, reason: 'expired' };
    succeed(USER_CHANNEL, { stream: { epoch: 'u', offset: 9 }, recovery });
    event(USER_CHANNEL, 'Notice', 9, 'u', 9);
    event(USER_CHANNEL, 'Notice', 10, 'u', 10);
    expect(got).toEqual([
      [3, false],
      [9, true],
      [10, false],
    ]);
    expect(client.user.getSnapshot()).toMatchObject({ status: 'signed-in', id: '17', recovery });
  });

  it("starts over for another user: no recover from the previous user's position", async () => {
    let userData = '{"id":"17"}';
    const client = makeClient({
      authenticateUser: async (socketId) => ({ auth: `k:${socketId}`, user_data: userData }),
    });
    client.connect();
    establish();
    client.user.signin();
    await signedIn({ epoch: 'u', offset: 2 });
    succeed(USER_CHANNEL, {
      stream: { epoch: 'u', offset: 2 },
      recovery: { recovered: false, replayed: 0, reason: 'expired' },
    });
    userData = '{"id":"18"}';
    await reconnect();
    FakeWebSocket.last.receive({ event: 'pusher:signin_success', data: { user_data: userData } });
    expect(subscribes('#server-to-user-18').map((f) => f.data)).toEqual([
      { channel: '#server-to-user-18', auth: '' },
    ]);
    expect(client.user.getSnapshot()).toMatchObject({ id: '18', recovery: null });
  });
});
