/**
 * What only MemoryHistory does: the per-node memory budget (exact byte accounting, eviction order,
 * the `evicted` reason), metadata that expires after a day without publishes, `sweep`, and a restart
 * changing every epoch.
 */
import { encodeChannelEvent } from '@react-reverb/core/protocol';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ENTRY_OVERHEAD_BYTES,
  MemoryHistory,
  STREAM_OVERHEAD_BYTES,
  stringBytes,
} from '../../src/scaling/memory-history';
import { APP, frame, memoryStore, recover, replayedNs, request } from '../support/history';

const LIMITS = { maxEvents: 100, ttlMs: 300_000 };
const DAY_MS = 24 * 3600_000;

const streamCost = (channel: string, appId = APP) =>
  STREAM_OVERHEAD_BYTES + stringBytes(`${appId}\u0000${channel}`);
const eventCost = (text: string, exceptSocketId?: string) =>
  ENTRY_OVERHEAD_BYTES + stringBytes(text) + (exceptSocketId === undefined ? 0 : stringBytes(exceptSocketId));

describe('MemoryHistory byte accounting', () => {
  it('counts one byte per character of a Latin-1 string and two when any character is wider', () => {
    expect(stringBytes('{"a":"é"}')).toBe(9);
    expect(stringBytes('{"a":"☃"}')).toBe(18);
    expect(stringBytes('😀')).toBe(4);
  });

  it('adds up every stream and kept event exactly, and gives it all back', () => {
    const { store, clock } = memoryStore();
    expect(store.stats()).toEqual({ streams: 0, events: 0, bytes: 0 });
    store.read(APP, 'private-a', request());
    expect(store.stats()).toEqual({ streams: 1, events: 0, bytes: streamCost('private-a') });
    store.append(APP, 'private-a', frame(1, 'private-a'), LIMITS);
    store.append(APP, 'private-a', frame(2, 'private-a'), { ...LIMITS, exceptSocketId: '12.34' });
    const wide = '{"event":"x","channel":"private-b","data":"☃"}';
    store.append(APP, 'private-b', wide, LIMITS);
    expect(store.stats()).toEqual({
      streams: 2,
      events: 3,
      bytes:
        streamCost('private-a') +
        eventCost(frame(1, 'private-a')) +
        eventCost(frame(2, 'private-a'), '12.34') +
        streamCost('private-b') +
        eventCost(wide),
    });
    // The count limit gives back what it drops.
    store.append(APP, 'private-b', frame(2, 'private-b'), { ...LIMITS, maxEvents: 1 });
    expect(store.stats().events).toBe(3);
    expect(store.stats().bytes).toBe(
      streamCost('private-a') +
        eventCost(frame(1, 'private-a')) +
        eventCost(frame(2, 'private-a'), '12.34') +
        streamCost('private-b') +
        eventCost(frame(2, 'private-b')),
    );
    // Expired events go at the sweep; the metadata a day after the last publish.
    clock.now += LIMITS.ttlMs;
    store.sweep(clock.now);
    expect(store.stats()).toEqual({
      streams: 2,
      events: 0,
      bytes: streamCost('private-a') + streamCost('private-b'),
    });
    clock.now += DAY_MS;
    store.sweep(clock.now);
    expect(store.stats()).toEqual({ streams: 0, events: 0, bytes: 0 });
  });
});

describe('MemoryHistory memory budget', () => {
  const channels = ['private-a', 'private-b', 'private-c'];
  const padding = 'x'.repeat(600);
  /** An event larger than a stream's metadata, so the arithmetic below is simple. */
  const big = (n: number, channel: string) =>
    encodeChannelEvent('App\\Events\\Msg', channel, JSON.stringify({ n, padding }));
  /** Room for exactly two streams of three events each (every frame has the same length). */
  const budget = 2 * streamCost('private-a') + 6 * eventCost(big(1, 'private-a'));

  it('has events that cost more than a stream’s metadata but less than two', () => {
    expect(eventCost(big(1, 'private-a'))).toBeGreaterThan(streamCost('private-quiet'));
    expect(streamCost('private-a') + eventCost(big(1, 'private-a'))).toBeLessThan(
      2 * eventCost(big(1, 'private-a')),
    );
  });

  it('evicts the oldest events of the least recently published stream first, and says evicted', () => {
    const { store } = memoryStore({ memoryBudgetBytes: budget });
    const [a, b, c] = channels as [string, string, string];
    const epochA = store.append(APP, a, big(1, a), LIMITS).epoch;
    store.append(APP, a, big(2, a), LIMITS);
    store.append(APP, a, big(3, a), LIMITS);
    const epochB = store.append(APP, b, big(1, b), LIMITS).epoch;
    store.append(APP, b, big(2, b), LIMITS);
    store.append(APP, b, big(3, b), LIMITS);
    expect(store.stats()).toEqual({ streams: 2, events: 6, bytes: budget });

    // A third stream needs its metadata and one event: a's two oldest events go (a published least recently).
    store.append(APP, c, big(1, c), LIMITS);
    expect(store.stats().bytes).toBeLessThanOrEqual(budget);
    expect(store.stats().events).toBe(5);
    const fromA = store.read(APP, a, recover({ epoch: epochA, offset: 0 }));
    expect(fromA.recovery).toEqual({ recovered: false, replayed: 1, reason: 'evicted' });
    expect(replayedNs(fromA)).toEqual([3]);
    const fromB = store.read(APP, b, recover({ epoch: epochB, offset: 0 }));
    expect(fromB.recovery).toEqual({ recovered: true, replayed: 3 });
  });

  it('drops the metadata of streams that keep no event before any event', () => {
    const { store } = memoryStore({ memoryBudgetBytes: budget });
    const [a, b] = channels as [string, string];
    // A subscriber's fresh read: metadata only.
    const fresh = store.read(APP, 'private-quiet', request()).stream;
    for (const n of [1, 2, 3]) store.append(APP, a, big(n, a), LIMITS);
    for (const n of [1, 2]) store.append(APP, b, big(n, b), LIMITS);
    expect(store.stats().events).toBe(5);
    // Over budget by less than one stream's metadata: the quiet stream goes, every event stays.
    store.append(APP, b, big(3, b), LIMITS);
    expect(store.stats()).toEqual({ streams: 2, events: 6, bytes: budget });
    const again = store.read(APP, 'private-quiet', recover(fresh as { epoch: string; offset: number }));
    expect(again.recovery?.reason).toBe('epoch_changed');
  });

  it('keeps a stream’s epoch and top when its events are evicted, until its metadata is needed too', () => {
    const { store } = memoryStore({ memoryBudgetBytes: budget });
    const [a, b, c] = channels as [string, string, string];
    const top = store.append(APP, a, big(1, a), LIMITS);
    for (const n of [1, 2, 3]) store.append(APP, b, big(n, b), LIMITS);
    for (const n of [1, 2]) store.append(APP, c, big(n, c), LIMITS);
    // a lost its only event to the budget, not its position.
    expect(store.stats()).toMatchObject({ streams: 3, events: 5 });
    expect(store.read(APP, a, recover(top)).recovery).toEqual({ recovered: true, replayed: 0 });
    expect(store.read(APP, a, recover({ ...top, offset: 0 })).recovery).toEqual({
      recovered: false,
      replayed: 0,
      reason: 'evicted',
    });
    // Over budget again: the empty stream's metadata goes before any kept event.
    store.append(APP, c, big(3, c), LIMITS);
    expect(store.stats()).toMatchObject({ streams: 2, events: 6 });
    const read = store.read(APP, a, recover(top));
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    // The new metadata is what the subscriber was told: it outlives an event of another stream.
    expect(store.stats()).toMatchObject({ streams: 3, events: 5 });
    expect(store.read(APP, a, request()).stream).toEqual(read.stream);
  });

  it('stays within its budget and accounts exactly under any sequence of publishes, reads and sweeps', () => {
    const op = fc.oneof(
      fc.record({
        kind: fc.constant('append' as const),
        channel: fc.integer({ min: 0, max: 7 }),
        size: fc.integer({ min: 0, max: 400 }),
        maxEvents: fc.integer({ min: 1, max: 6 }),
      }),
      fc.record({ kind: fc.constant('read' as const), channel: fc.integer({ min: 0, max: 9 }) }),
      fc.record({ kind: fc.constant('wait' as const), ms: fc.integer({ min: 0, max: 200_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 500, max: 6_000 }),
        fc.array(op, { maxLength: 80 }),
        (budgetBytes, ops) => {
          const { store, clock } = memoryStore({ memoryBudgetBytes: budgetBytes });
          /** The last position of each channel, to check that offsets are contiguous within an epoch. */
          const tops = new Map<string, { epoch: string; offset: number }>();
          for (const o of ops) {
            if (o.kind === 'append') {
              const channel = `private-${o.channel}`;
              const position = store.append(
                APP,
                channel,
                encodeChannelEvent('e', channel, 'x'.repeat(o.size)),
                {
                  maxEvents: o.maxEvents,
                  ttlMs: 300_000,
                },
              );
              const previous = tops.get(channel);
              if (previous && previous.epoch === position.epoch)
                expect(position.offset).toBe(previous.offset + 1);
              else expect(position.offset).toBe(1);
              tops.set(channel, position);
            } else if (o.kind === 'read') {
              const channel = `private-${o.channel}`;
              const read = store.read(
                APP,
                channel,
                request({ recover: { epoch: 'x', offset: 0, socketIds: [] } }),
              );
              // Whatever is kept is contiguous and ends at the top.
              const offsets = read.replay.map((e) => e.offset);
              const top = read.stream?.offset ?? 0;
              expect(offsets).toEqual(offsets.map((_, i) => top - offsets.length + 1 + i));
            } else {
              clock.now += o.ms;
              store.sweep(clock.now);
            }
            expect(store.stats().bytes).toBeLessThanOrEqual(budgetBytes);
            expect(store.stats().bytes).toBeGreaterThanOrEqual(0);
          }
          // Everything given back once all is swept away.
          clock.now += DAY_MS + 300_000;
          store.sweep(clock.now);
          expect(store.stats()).toEqual({ streams: 0, events: 0, bytes: 0 });
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('MemoryHistory metadata and restarts', () => {
  it('forgets a stream a day after its last publish; a read does not keep it alive', () => {
    const { store, clock } = memoryStore();
    const position = store.append(APP, 'private-a', frame(1, 'private-a'), LIMITS);
    clock.now += DAY_MS - 1;
    store.sweep(clock.now);
    expect(store.read(APP, 'private-a', recover(position)).recovery).toEqual({
      recovered: true,
      replayed: 0,
    });
    clock.now += 1;
    store.sweep(clock.now);
    expect(store.stats().streams).toBe(0);
    const read = store.read(APP, 'private-a', recover(position));
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    expect(read.stream?.epoch).not.toBe(position.epoch);
  });

  it('drops expired events at the sweep and on the next read, whichever comes first', () => {
    const { store, clock } = memoryStore();
    const ttl = { maxEvents: 100, ttlMs: 1_000 };
    const p1 = store.append(APP, 'private-a', frame(1, 'private-a'), ttl);
    store.append(APP, 'private-b', frame(1, 'private-b'), ttl);
    clock.now += 999;
    store.sweep(clock.now);
    expect(store.stats().events).toBe(2);
    clock.now += 1;
    // No sweep yet: the read itself leaves the expired event out.
    const read = store.read(
      APP,
      'private-a',
      request({ recover: { ...p1, offset: 0, socketIds: [] }, ttlMs: 1_000 }),
    );
    expect(read.recovery).toEqual({ recovered: false, replayed: 0, reason: 'expired' });
    expect(store.stats().events).toBe(1);
    store.sweep(clock.now);
    expect(store.stats().events).toBe(0);
  });

  it('gives every stream a new epoch after a restart (a new store)', () => {
    const before = new MemoryHistory().append(APP, 'private-a', frame(1), LIMITS);
    const after = new MemoryHistory().append(APP, 'private-a', frame(1), LIMITS);
    expect(after.offset).toBe(1);
    expect(after.epoch).not.toBe(before.epoch);
  });
});
