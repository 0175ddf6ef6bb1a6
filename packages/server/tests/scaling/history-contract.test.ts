/**
 * One contract for both history stores (docs/protocol.md §11.1): positions, limits, every reason a
 * store gives, exclusion by socket ids, rewind, fresh reads. Run against MemoryHistory and against
 * RedisHistory on a real redis-server. Time-dependent cases use a 300 ms ttl: the memory store's clock
 * is moved, Redis's passes for real.
 */
import { positionFrame } from '@react-reverb/core/protocol';
import { type RedisHandle, startRedis } from '@react-reverb/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppendOptions } from '../../src/scaling/history';
import { machineWorkerAdapter } from '../support/adapters';
import {
  APP,
  CURRENT_SOCKET,
  frame,
  memoryStore,
  recover,
  redisStore,
  replayedNs,
  request,
  type StoreUnderTest,
} from '../support/history';

const LIMITS: AppendOptions = { maxEvents: 100, ttlMs: 300_000 };
const SHORT_TTL = 300;

function contract(name: string, open: () => Promise<StoreUnderTest>) {
  describe(`history contract: ${name}`, () => {
    let s: StoreUnderTest;
    let channelCount = 0;
    /** A channel no other test touched. */
    const fresh = () => `private-chat.${++channelCount}`;

    beforeAll(async () => {
      s = await open();
    });
    afterAll(async () => s?.close());

    async function publish(channel: string, ns: readonly number[], options: Partial<AppendOptions> = {}) {
      const positions = [];
      for (const n of ns) {
        positions.push(await s.store.append(APP, channel, frame(n, channel), { ...LIMITS, ...options }));
      }
      return positions;
    }

    it('creates the epoch on a fresh read: offset 0, the same on the next read and for the first event', async () => {
      const channel = fresh();
      const first = await s.store.read(APP, channel, request());
      expect(first.stream).toEqual({ epoch: expect.any(String), offset: 0 });
      expect(first.stream?.epoch.length).toBeLessThanOrEqual(32);
      expect(first.replay).toEqual([]);
      expect(first.recovery).toBeUndefined();
      expect(first.topPublishedAtMs).toBeUndefined();
      const second = await s.store.read(APP, channel, request());
      expect(second.stream).toEqual(first.stream);
      const [position] = await publish(channel, [1]);
      expect(position).toEqual({ epoch: first.stream?.epoch, offset: 1 });
    });

    it('numbers events 1, 2, 3… per stream, with its own epoch per channel and per app', async () => {
      const a = fresh();
      const b = fresh();
      const positions = await publish(a, [1, 2, 3]);
      expect(positions.map((p) => p.offset)).toEqual([1, 2, 3]);
      expect(new Set(positions.map((p) => p.epoch)).size).toBe(1);
      const [onB] = await publish(b, [1]);
      expect(onB?.offset).toBe(1);
      expect(onB?.epoch).not.toBe(positions[0]?.epoch);
      const otherApp = await s.store.append('app-2', a, frame(1, a), LIMITS);
      expect(otherApp.offset).toBe(1);
      expect(otherApp.epoch).not.toBe(positions[0]?.epoch);
    });

    it('replays exactly the events after the position, in order, each framed with its position', async () => {
      const channel = fresh();
      const positions = await publish(channel, [1, 2, 3, 4, 5]);
      const epoch = positions[0]?.epoch as string;
      const read = await s.store.read(APP, channel, recover({ epoch, offset: 2 }));
      expect(read.recovery).toEqual({ recovered: true, replayed: 3 });
      expect(read.stream).toEqual({ epoch, offset: 5 });
      expect(read.replay.map((e) => e.offset)).toEqual([3, 4, 5]);
      expect(read.replay.map((e) => e.frame)).toEqual(
        [3, 4, 5].map((n) => positionFrame(frame(n, channel), { epoch, offset: n })),
      );
      // The top's publish time, on the store's clock.
      expect(read.topPublishedAtMs).toBeLessThanOrEqual(read.nowMs);
      expect(read.nowMs - (read.topPublishedAtMs as number)).toBeLessThan(5_000);
    });

    it('recovers with nothing to replay at the top, and everything kept from offset 0', async () => {
      const channel = fresh();
      const [p1, , p3] = await publish(channel, [1, 2, 3]);
      const epoch = p1?.epoch as string;
      const atTop = await s.store.read(APP, channel, recover({ epoch, offset: p3?.offset as number }));
      expect(atTop.recovery).toEqual({ recovered: true, replayed: 0 });
      expect(atTop.replay).toEqual([]);
      const fromZero = await s.store.read(APP, channel, recover({ epoch, offset: 0 }));
      expect(fromZero.recovery).toEqual({ recovered: true, replayed: 3 });
      expect(replayedNs(fromZero)).toEqual([1, 2, 3]);
    });

    it('answers invalid_position for an offset beyond the top of the same epoch, replaying nothing', async () => {
      const channel = fresh();
      const [p1] = await publish(channel, [1, 2]);
      const read = await s.store.read(APP, channel, recover({ epoch: p1?.epoch as string, offset: 3 }));
      expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'invalid_position' });
      expect(read.replay).toEqual([]);
      expect(read.stream).toEqual({ epoch: p1?.epoch, offset: 2 });
    });

    it('answers epoch_changed for another epoch and replays the kept events of the new one, up to maxEvents', async () => {
      const channel = fresh();
      const positions = await publish(channel, [1, 2, 3, 4], { maxEvents: 3 });
      const epoch = positions[0]?.epoch as string;
      const read = await s.store.read(APP, channel, recover({ epoch: 'gone', offset: 2 }));
      expect(read.recovery).toEqual({ recovered: false, replayed: 3, reason: 'epoch_changed' });
      expect(replayedNs(read)).toEqual([2, 3, 4]);
      expect(read.stream).toEqual({ epoch, offset: 4 });
      const fewer = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch: 'gone', offset: 9, socketIds: [] }, maxEvents: 2 }),
      );
      expect(fewer.recovery?.reason).toBe('epoch_changed');
      expect(replayedNs(fewer)).toEqual([3, 4]);
    });

    it('answers too_far_behind when more was published than maxEvents keeps, replaying the kept rest', async () => {
      const channel = fresh();
      const positions = await publish(channel, [1, 2, 3, 4, 5], { maxEvents: 3 });
      const epoch = positions[0]?.epoch as string;
      const behind = await s.store.read(APP, channel, recover({ epoch, offset: 1 }));
      expect(behind.recovery).toEqual({ recovered: false, replayed: 3, reason: 'too_far_behind' });
      expect(replayedNs(behind)).toEqual([3, 4, 5]);
      // Offset 2 is the last one dropped: everything after it is kept.
      const inside = await s.store.read(APP, channel, recover({ epoch, offset: 2 }));
      expect(inside.recovery).toEqual({ recovered: true, replayed: 3 });
    });

    it('answers expired when events after the position outlived the ttl, replaying the kept rest', async () => {
      const channel = fresh();
      const [p1] = await publish(channel, [1, 2], { ttlMs: SHORT_TTL });
      const epoch = p1?.epoch as string;
      await s.advance(SHORT_TTL + 200);
      await publish(channel, [3], { ttlMs: SHORT_TTL });
      const read = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: 0, socketIds: [] }, ttlMs: SHORT_TTL }),
      );
      expect(read.recovery).toEqual({ recovered: false, replayed: 1, reason: 'expired' });
      expect(replayedNs(read)).toEqual([3]);
      const fromTwo = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: 2, socketIds: [] }, ttlMs: SHORT_TTL }),
      );
      expect(fromTwo.recovery).toEqual({ recovered: true, replayed: 1 });
    });

    it('keeps the epoch and top after every event expired: nothing missed at the top, expired below it', async () => {
      const channel = fresh();
      const [p1, p2] = await publish(channel, [1, 2], { ttlMs: SHORT_TTL });
      const epoch = p1?.epoch as string;
      await s.advance(SHORT_TTL + 200);
      const atTop = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: p2?.offset as number, socketIds: [] }, ttlMs: SHORT_TTL }),
      );
      expect(atTop.recovery).toEqual({ recovered: true, replayed: 0 });
      expect(atTop.stream).toEqual({ epoch, offset: 2 });
      const below = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: 1, socketIds: [] }, ttlMs: SHORT_TTL }),
      );
      expect(below.recovery).toEqual({ recovered: false, replayed: 0, reason: 'expired' });
      // The next event continues the same epoch.
      const [p3] = await publish(channel, [3], { ttlMs: SHORT_TTL });
      expect(p3).toEqual({ epoch, offset: 3 });
    });

    it('names the reason that last moved the oldest kept event: the count limit, then the ttl', async () => {
      const channel = fresh();
      const [p1] = await publish(channel, [1, 2, 3, 4], { maxEvents: 2, ttlMs: SHORT_TTL });
      const epoch = p1?.epoch as string;
      const limits = { maxEvents: 2, ttlMs: SHORT_TTL };
      const counted = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: 0, socketIds: [] }, ...limits }),
      );
      expect(counted.recovery?.reason).toBe('too_far_behind');
      expect(replayedNs(counted)).toEqual([3, 4]);
      await s.advance(SHORT_TTL + 200);
      const expired = await s.store.read(
        APP,
        channel,
        request({ recover: { epoch, offset: 0, socketIds: [] }, ...limits }),
      );
      expect(expired.recovery).toEqual({ recovered: false, replayed: 0, reason: 'expired' });
    });

    it('does not replay events triggered by the current socket or a previous one, and still recovers', async () => {
      const channel = fresh();
      const sends: [number, string | undefined][] = [
        [1, '1.1'],
        [2, undefined],
        [3, CURRENT_SOCKET],
        [4, '5.5'],
        [5, '2.2'],
      ];
      let epoch = '';
      for (const [n, exceptSocketId] of sends) {
        ({ epoch } = await s.store.append(APP, channel, frame(n, channel), { ...LIMITS, exceptSocketId }));
      }
      const read = await s.store.read(APP, channel, recover({ epoch, offset: 0 }, ['1.1', '2.2']));
      expect(replayedNs(read)).toEqual([2, 4]);
      expect(read.recovery).toEqual({ recovered: true, replayed: 2 });
      // The client's own newest event is skipped, not missed: it stands at the top.
      expect(read.stream).toEqual({ epoch, offset: 5 });
    });

    it('rewinds the last n kept events; beyond maxEvents answers rewind_limit with the last maxEvents', async () => {
      const channel = fresh();
      const positions = await publish(channel, [1, 2, 3, 4, 5]);
      const epoch = positions[0]?.epoch;
      const two = await s.store.read(APP, channel, request({ rewind: 2 }));
      expect(two.recovery).toEqual({ recovered: true, replayed: 2 });
      expect(replayedNs(two)).toEqual([4, 5]);
      expect(two.stream).toEqual({ epoch, offset: 5 });
      const all = await s.store.read(APP, channel, request({ rewind: 5 }));
      expect(all.recovery).toEqual({ recovered: true, replayed: 5 });
      const limited = await s.store.read(APP, channel, request({ rewind: 10, maxEvents: 3 }));
      expect(limited.recovery).toEqual({ recovered: false, replayed: 3, reason: 'rewind_limit' });
      expect(replayedNs(limited)).toEqual([3, 4, 5]);
      const onEmpty = await s.store.read(APP, fresh(), request({ rewind: 3 }));
      expect(onEmpty.recovery).toEqual({ recovered: true, replayed: 0 });
      expect(onEmpty.stream?.offset).toBe(0);
    });

    it('rewinds without the current socket’s own events and names expired when the asked ones are gone', async () => {
      const channel = fresh();
      await s.store.append(APP, channel, frame(1, channel), { ...LIMITS, ttlMs: SHORT_TTL });
      await s.advance(SHORT_TTL + 200);
      await s.store.append(APP, channel, frame(2, channel), { ...LIMITS, ttlMs: SHORT_TTL });
      await s.store.append(APP, channel, frame(3, channel), {
        ...LIMITS,
        ttlMs: SHORT_TTL,
        exceptSocketId: CURRENT_SOCKET,
      });
      const read = await s.store.read(APP, channel, request({ rewind: 3, ttlMs: SHORT_TTL }));
      expect(read.recovery).toEqual({ recovered: false, replayed: 1, reason: 'expired' });
      expect(replayedNs(read)).toEqual([2]);
    });

    it('answers a malformed recover or rewind with its reason, the stream’s top and no replay', async () => {
      const channel = fresh();
      const [p1, p2] = await publish(channel, [1, 2]);
      for (const invalid of ['invalid_position', 'invalid_rewind'] as const) {
        const read = await s.store.read(APP, channel, request({ invalid }));
        expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: invalid });
        expect(read.replay).toEqual([]);
        expect(read.stream).toEqual({ epoch: p1?.epoch, offset: p2?.offset });
      }
    });
  });
}

contract('MemoryHistory', async () => memoryStore());

// A worker of `--workers N` reads (and could append) through the primary's MemoryHistory.
contract('MemoryHistory through the primary (a worker’s adapter.history)', async () => {
  const clock = { now: 1_700_000_000_000 };
  const machine = await machineWorkerAdapter(clock);
  return {
    store: machine.on(0).history,
    advance: async (ms) => {
      clock.now += ms;
    },
    close: () => machine.close(),
  };
});

let redis: RedisHandle;
describe('on a real redis-server', () => {
  beforeAll(async () => {
    redis = await startRedis();
  });
  afterAll(async () => redis?.stop());
  contract('RedisHistory', async () => redisStore(redis));
});
