/**
 * What only RedisHistory does, on a real redis-server: the append script publishes the cluster message
 * with the position (and a real RedisAdapter node decodes it), Redis losing its data changes the epoch,
 * Redis unreachable answers `unavailable` and rejects appends, a failed append resets the stream, and
 * a long replay comes back whole and in order.
 */
import { encodeChannelEvent, positionFrame } from '@react-reverb/core/protocol';
import { type RedisHandle, startRedis, waitFor } from '@react-reverb/test-helpers';
import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  type ClusterBroadcast,
  decodeMessageEnvelope,
  keyNames,
  positionedEnvelopeHead,
} from '../../src/scaling/cluster-messages';
import type { RedisAdapter } from '../../src/scaling/redis-adapter';
import { RecordingNode, startRedisAdapter } from '../support/adapters';
import {
  APP,
  frame,
  recover,
  redisClient,
  redisStore,
  replayedNs,
  request,
  type StoreUnderTest,
} from '../support/history';

const LIMITS = { maxEvents: 100, ttlMs: 300_000 };
const CHANNEL = 'private-chat.1';

let redis: RedisHandle;
const open: (StoreUnderTest | { close(): Promise<void> })[] = [];
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());
afterEach(async () => {
  for (const closable of open.splice(0)) await closable.close();
  for (const client of clients.splice(0)) client.disconnect();
});

async function store() {
  const s = await redisStore(redis);
  open.push(s);
  return s;
}

describe('RedisHistory', () => {
  it('publishes the broadcast with its position in the same script, and another node decodes it', async () => {
    const s = await store();
    const recording = new RecordingNode([APP]);
    const peer: RedisAdapter = await startRedisAdapter(redis, recording, { prefix: s.prefix });
    open.push({ close: () => peer.close() });
    const listener = await redisClient(redis);
    clients.push(listener);
    const heard: string[] = [];
    listener.on('message', (_channel: string, text: string) => heard.push(text));
    await listener.subscribe(`${s.prefix}#${APP}`);

    // Unicode, escapes and a slash: the frame must come out byte for byte.
    const sent = encodeChannelEvent(
      'App\\Events\\Msg',
      CHANNEL,
      JSON.stringify({ text: 'hé / ☃ 😀 \\ "\u2028' }),
    );
    expect(sent).toContain('😀');
    const position = await s.store.append(APP, CHANNEL, sent, {
      ...LIMITS,
      exceptSocketId: '123.456',
      cache: { data: '{"n":1}', ttlSeconds: 60 },
    });
    expect(position.offset).toBe(1);

    await waitFor(
      () => heard.length === 1 && recording.broadcasts(CHANNEL).length === 1,
      5_000,
      'the message',
    );
    const envelope = decodeMessageEnvelope(heard[0] as string);
    expect(envelope).toEqual({
      node: 'node-a',
      message: {
        type: 'broadcast',
        appId: APP,
        channel: CHANNEL,
        frame: sent,
        exceptSocketId: '123.456',
        cache: { data: '{"n":1}', ttlSeconds: 60 },
        position,
      },
    });
    // The node received exactly that message (the adapter applies what it decodes).
    const applied = recording.broadcasts(CHANNEL)[0] as ClusterBroadcast;
    expect(applied.position).toEqual(position);
    expect(positionFrame(applied.frame, position)).toBe(
      positionFrame(sent, { epoch: position.epoch, offset: 1 }),
    );
  });

  it('sets the ttls: events expire ttl after the last publish, the meta a day after', async () => {
    const s = await store();
    await s.store.append(APP, CHANNEL, frame(1), { maxEvents: 10, ttlMs: 60_000 });
    const keys = keyNames(s.prefix);
    const eventsTtl = await s.client.pttl(keys.historyEvents(APP, CHANNEL));
    const metaTtl = await s.client.pttl(keys.historyMeta(APP, CHANNEL));
    expect(eventsTtl).toBeGreaterThan(50_000);
    expect(eventsTtl).toBeLessThanOrEqual(60_000);
    expect(metaTtl).toBeGreaterThan(23 * 3600_000);
    expect(metaTtl).toBeLessThanOrEqual(24 * 3600_000);
    // A fresh read's meta expires too, so an unused channel leaves nothing behind.
    await s.store.read(APP, 'private-unused', request());
    expect(await s.client.pttl(keys.historyMeta(APP, 'private-unused'))).toBeGreaterThan(23 * 3600_000);
  });

  it('starts a new epoch when Redis loses its data (FLUSHALL), and recovery says epoch_changed', async () => {
    const s = await store();
    const [first] = [await s.store.append(APP, CHANNEL, frame(1), LIMITS)];
    await s.store.append(APP, CHANNEL, frame(2), LIMITS);
    await s.client.flushall();
    const next = await s.store.append(APP, CHANNEL, frame(3), LIMITS);
    expect(next.offset).toBe(1);
    expect(next.epoch).not.toBe(first?.epoch);
    const read = await s.store.read(APP, CHANNEL, recover({ epoch: first?.epoch as string, offset: 2 }));
    expect(read.recovery).toEqual({ recovered: false, replayed: 1, reason: 'epoch_changed' });
    expect(replayedNs(read)).toEqual([3]);
  });

  it('starts a new epoch when the meta vanished (a day without publishes)', async () => {
    const s = await store();
    const before = await s.store.append(APP, CHANNEL, frame(1), LIMITS);
    await s.client.del(keyNames(s.prefix).historyMeta(APP, CHANNEL));
    const read = await s.store.read(APP, CHANNEL, recover(before));
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    expect(read.stream?.offset).toBe(0);
    expect(read.stream?.epoch).not.toBe(before.epoch);
  });

  it('answers unavailable while Redis is down, rejects appends, and works again with a new epoch after', async () => {
    const own = await startRedis();
    try {
      const s = await redisStore(own);
      open.push(s);
      const before = await s.store.append(APP, CHANNEL, frame(1), LIMITS);
      await own.stop();
      await waitFor(() => s.client.status !== 'ready', 5_000, 'the connection to drop');

      await expect(s.store.append(APP, CHANNEL, frame(2), LIMITS)).rejects.toThrow();
      const recovering = await s.store.read(APP, CHANNEL, recover(before));
      expect(recovering.recovery).toEqual({ recovered: false, replayed: 0, reason: 'unavailable' });
      expect(recovering.replay).toEqual([]);
      // The client keeps its own position: nothing was replayed.
      expect(recovering.stream).toEqual(before);
      const rewinding = await s.store.read(APP, CHANNEL, request({ rewind: 5 }));
      expect(rewinding.recovery).toEqual({ recovered: false, replayed: 0, reason: 'unavailable' });
      expect(rewinding.stream).toBeUndefined();
      const plain = await s.store.read(APP, CHANNEL, request());
      expect(plain.recovery).toBeUndefined();
      expect(plain.stream).toBeUndefined();

      // Restarted without persistence: the history is gone and the stream starts over.
      await own.restart(0);
      await waitFor(() => s.client.status === 'ready', 10_000, 'the connection to come back');
      const after = await s.store.append(APP, CHANNEL, frame(3), LIMITS);
      expect(after.offset).toBe(1);
      expect(after.epoch).not.toBe(before.epoch);
      const read = await s.store.read(APP, CHANNEL, recover(before));
      expect(read.recovery?.reason).toBe('epoch_changed');
      expect(replayedNs(read)).toEqual([3]);
    } finally {
      await own.stop();
    }
  });

  it('changes the epoch after a restart of redis-server (what a node’s clients then see)', async () => {
    const s = await store();
    const before = await s.store.append(APP, CHANNEL, frame(1), LIMITS);
    await redis.restart(100);
    await waitFor(() => s.client.status === 'ready', 10_000, 'the connection to come back');
    const read = await s.store.read(APP, CHANNEL, recover(before));
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    expect(read.stream?.epoch).not.toBe(before.epoch);
  });

  it('resets a stream whose append failed although Redis kept it: the event went out without history', async () => {
    const s = await store();
    const before = await s.store.append(APP, CHANNEL, frame(1), LIMITS);
    // Our connection drops; Redis itself keeps everything.
    s.client.disconnect();
    await waitFor(() => s.client.status === 'end', 5_000, 'the connection to close');
    await expect(s.store.append(APP, CHANNEL, frame(2), LIMITS)).rejects.toThrow();
    const other = await s.store.append(APP, 'private-other', frame(1), LIMITS).catch(() => undefined);
    expect(other).toBeUndefined();
    await s.client.connect();
    const meta = await s.client.hget(keyNames(s.prefix).historyMeta(APP, CHANNEL), 'e');
    expect(meta).toBe(before.epoch);

    const read = await s.store.read(APP, CHANNEL, recover(before));
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    const after = await s.store.append(APP, CHANNEL, frame(3), LIMITS);
    expect(after).toEqual({ epoch: read.stream?.epoch, offset: 1 });
    // Reset once: the stream goes on in its new epoch.
    const next = await s.store.append(APP, CHANNEL, frame(4), LIMITS);
    expect(next).toEqual({ epoch: after.epoch, offset: 2 });
  });

  it('sends one turn’s appends in one script call, in order per stream; a broken stream fails alone', async () => {
    const s = await store();
    const keys = keyNames(s.prefix);
    const broken = 'private-broken';
    await s.store.append(APP, broken, frame(1, broken), LIMITS);
    // A key of the wrong type makes that event's XADD fail inside the script.
    await s.client.set(keys.historyKeys(APP, broken)[1], 'not a stream');
    const scriptCalls = async () => {
      const stats = await s.client.info('commandstats');
      const calls = [...stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)];
      return calls.reduce((sum, match) => sum + Number(match[1]), 0);
    };
    const before = await scriptCalls();

    const appends = [
      s.store.append(APP, CHANNEL, frame(1), LIMITS),
      s.store.append(APP, 'private-other', frame(1, 'private-other'), LIMITS),
      s.store.append(APP, broken, frame(2, broken), LIMITS),
      s.store.append(APP, CHANNEL, frame(2), LIMITS),
      s.store.append(APP, CHANNEL, frame(3), LIMITS),
    ];
    const settled = await Promise.allSettled(appends);
    expect(await scriptCalls()).toBe(before + 1);
    const offsets = settled.map((result) => (result.status === 'fulfilled' ? result.value.offset : 'failed'));
    expect(offsets).toEqual([1, 1, 'failed', 2, 3]);
    expect(settled[2]).toMatchObject({
      status: 'rejected',
      reason: { message: expect.stringContaining('WRONGTYPE') },
    });
    const read = await s.store.read(APP, CHANNEL, request({ rewind: 10 }));
    expect(replayedNs(read)).toEqual([1, 2, 3]);

    // The failed stream starts a new epoch on its next append, once the key is fit again.
    await s.client.del(keys.historyKeys(APP, broken)[1]);
    const next = await s.store.append(APP, broken, frame(3, broken), LIMITS);
    expect(next.offset).toBe(1);
  });

  it('returns 1,000 events in order from offset 0 with max_events 1000', async () => {
    const s = await store();
    const limits = { maxEvents: 1000, ttlMs: 300_000 };
    const positions = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => s.store.append(APP, CHANNEL, frame(i + 1), limits)),
    );
    expect(positions.map((p) => p.offset)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const epoch = positions[0]?.epoch as string;
    const read = await s.store.read(
      APP,
      CHANNEL,
      request({ recover: { epoch, offset: 0, socketIds: [] }, ...limits }),
    );
    expect(read.recovery).toEqual({ recovered: true, replayed: 1000 });
    expect(replayedNs(read)).toEqual(Array.from({ length: 1000 }, (_, i) => i + 1));
    const over = await s.store.append(APP, CHANNEL, frame(1001), limits);
    expect(over.offset).toBe(1001);
    const behind = await s.store.read(
      APP,
      CHANNEL,
      request({ recover: { epoch, offset: 0, socketIds: [] }, ...limits }),
    );
    expect(behind.recovery).toEqual({ recovered: false, replayed: 1000, reason: 'too_far_behind' });
    expect(behind.replay[0]?.offset).toBe(2);
  });

  it('keeps exactly the events within ttl and maxEvents after every append, however they age', async () => {
    // The append script reads the oldest entry only when the meta's `o` says it may have expired:
    // whatever the timing, what it keeps must be what a plain model keeps.
    const s = await store();
    const keys = keyNames(s.prefix);
    const events = keys.historyEvents(APP, CHANNEL);
    const limits = { maxEvents: 4, ttlMs: 900 };
    const published: { offset: number; at: number }[] = [];
    const pauses = [0, 0, 300, 0, 700, 100, 0, 0, 0, 1_000, 400, 400, 400, 0, 950];
    for (const pause of pauses) {
      if (pause > 0) await new Promise((resolve) => setTimeout(resolve, pause));
      const { offset } = await s.store.append(APP, CHANNEL, frame(published.length + 1), limits);
      const id = `${offset}-0`;
      const [added] = (await s.client.xrange(events, id, id)) as [string, string[]][];
      published.push({ offset, at: Number(added?.[1][1]) });
      const now = published[published.length - 1]?.at as number;
      const expected = published
        .filter((event) => event.at > now - limits.ttlMs)
        .slice(-limits.maxEvents)
        .map((event) => `${event.offset}-0`);
      const kept = ((await s.client.xrange(events, '-', '+')) as [string, string[]][]).map(
        ([entry]) => entry,
      );
      expect(kept).toEqual(expected);
    }
    expect(published.map((event) => event.offset)).toEqual(pauses.map((_, i) => i + 1));
  });

  it('reads the top’s publish time and now on the Redis clock', async () => {
    const s = await store();
    const before = Date.now();
    await s.store.append(APP, CHANNEL, frame(1), LIMITS);
    const read = await s.store.read(APP, CHANNEL, request());
    const published = read.topPublishedAtMs as number;
    // Same machine: Redis's clock is ours, give or take scheduling.
    expect(published).toBeGreaterThanOrEqual(before - 50);
    expect(published).toBeLessThanOrEqual(read.nowMs);
    expect(read.nowMs).toBeLessThanOrEqual(Date.now() + 50);
  });
});

describe('the cluster message of a history broadcast', () => {
  const message = { type: 'broadcast' as const, appId: APP, channel: CHANNEL, frame: frame(1) };

  it('is the envelope head completed with the position, as the append script writes it', () => {
    const head = positionedEnvelopeHead('node-a', message);
    const text = `${head},"position":{"epoch":"k2x9q1","offset":18}}}`;
    expect(decodeMessageEnvelope(text)).toEqual({
      node: 'node-a',
      message: { ...message, position: { epoch: 'k2x9q1', offset: 18 } },
    });
  });

  it('drops a message whose position is malformed instead of applying it without one', () => {
    for (const position of [
      null,
      'k2x9q1:18',
      { epoch: 'k2x9q1' },
      { epoch: '', offset: 1 },
      { epoch: 'e', offset: -1 },
      { epoch: 'e', offset: 1.5 },
      { epoch: 'x'.repeat(33), offset: 1 },
    ]) {
      const text = JSON.stringify({ node: 'node-a', message: { ...message, position } });
      expect(decodeMessageEnvelope(text), JSON.stringify(position)).toBeUndefined();
    }
    // Without a position it is an ordinary broadcast, as before.
    expect(decodeMessageEnvelope(JSON.stringify({ node: 'node-a', message }))?.message).toEqual(message);
  });
});
