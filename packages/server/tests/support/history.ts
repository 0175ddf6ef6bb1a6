/**
 * What the history tests share: frames to publish, requests to read with, and the stores under test
 * (a MemoryHistory on a clock the test moves, a RedisHistory on a real redis-server, where time is
 * Redis's own and passes for real).
 */
import { randomUUID } from 'node:crypto';
import { encodeChannelEvent, type StreamPosition } from '@react-reverb/core/protocol';
import type { RedisHandle } from '@react-reverb/test-helpers';
import { Redis } from 'ioredis';
import type { HistoryRead, HistoryStore, ReadRequest } from '../../src/scaling/history';
import { MemoryHistory, type MemoryHistoryOptions } from '../../src/scaling/memory-history';
import { RedisHistory, type RedisHistoryOptions } from '../../src/scaling/redis-history';

export const APP = 'app-1';
export const CURRENT_SOCKET = '9.9';

/** The n-th event of a channel, as the HTTP API frames it. */
export function frame(n: number, channel = 'private-chat.1'): string {
  return encodeChannelEvent('App\\Events\\Msg', channel, JSON.stringify({ n }));
}

export function request(extra: Partial<ReadRequest> = {}): ReadRequest {
  return { currentSocketId: CURRENT_SOCKET, maxEvents: 100, ttlMs: 300_000, ...extra };
}

export function recover(position: StreamPosition, socketIds: readonly string[] = []) {
  return request({ recover: { ...position, socketIds } });
}

/** The `n` of every replayed frame, checking that each carries its position as the last fields. */
export function replayedNs(read: HistoryRead): number[] {
  return read.replay.map((event) => {
    const parsed = JSON.parse(event.frame) as { data: string; offset: number; epoch: string };
    if (parsed.offset !== event.offset || parsed.epoch !== read.stream?.epoch) {
      throw new Error(`replayed frame carries the wrong position: ${event.frame}`);
    }
    return (JSON.parse(parsed.data) as { n: number }).n;
  });
}

export interface StoreUnderTest {
  readonly store: HistoryStore;
  /** Lets `ms` pass on the store's clock. */
  advance(ms: number): Promise<void>;
  close(): Promise<void>;
}

export function memoryStore(options: MemoryHistoryOptions = {}): Omit<StoreUnderTest, 'store'> & {
  store: MemoryHistory;
  clock: { now: number };
} {
  const clock = { now: 1_700_000_000_000 };
  const store = new MemoryHistory({ now: () => clock.now, ...options });
  return {
    store,
    clock,
    advance: async (ms) => {
      clock.now += ms;
    },
    close: async () => {},
  };
}

/** A connection like the adapter's: fails fast while Redis is unreachable, reconnects by itself. */
export async function redisClient(redis: RedisHandle): Promise<Redis> {
  const client = new Redis(redis.url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    retryStrategy: (times) => Math.min(50 * times, 500),
  });
  client.on('error', () => {});
  if (client.status !== 'ready') await new Promise<void>((resolve) => client.once('ready', () => resolve()));
  return client;
}

export async function redisStore(
  redis: RedisHandle,
  options: Partial<RedisHistoryOptions> = {},
): Promise<Omit<StoreUnderTest, 'store'> & { store: RedisHistory; client: Redis; prefix: string }> {
  const client = await redisClient(redis);
  const prefix = `h-${randomUUID().slice(0, 8)}`;
  const store = new RedisHistory({ redis: client, nodeId: 'node-a', prefix, ...options });
  return {
    store,
    client,
    prefix,
    advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    close: async () => {
      client.disconnect();
    },
  };
}
