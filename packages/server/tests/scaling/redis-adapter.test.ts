/**
 * What only the Redis adapter does: survive a Redis restart, purge a SIGKILLed peer, stay within its
 * apps, drop malformed traffic and answer questions when a node is silent. Real redis-server, real
 * peer process (tests/support/peer-node.ts) for the kill.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { encodeChannelEvent } from '@react-reverb/core/protocol';
import { type RedisHandle, startRedis, waitFor } from '@react-reverb/test-helpers';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { RedisAdapter } from '../../src/scaling/redis-adapter';
import { redisConnectionOptions } from '../../src/scaling/redis-connection';
import { RecordingNode, recordingLogger, startRedisAdapter } from '../support/adapters';
import { redisConfig } from '../support/redis';

const APP = 'app-1';
const OTHER_APP = 'app-2';
const PEER = fileURLToPath(new URL('../support/peer-node.ts', import.meta.url));

function broadcast(channel: string, n: number, appId = APP) {
  return {
    type: 'broadcast' as const,
    appId,
    channel,
    frame: encodeChannelEvent('tick', channel, String(n)),
  };
}

const isMemberRemoved = (frame: string, userId: string) =>
  frame.includes('pusher_internal:member_removed') && frame.includes(`\\"user_id\\":\\"${userId}\\"`);

let redis: RedisHandle;
const adapters: RedisAdapter[] = [];
const children: ChildProcess[] = [];
let prefix: string;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());
afterEach(async () => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  await Promise.all(adapters.splice(0).map((a) => a.close()));
});

async function node(apps: readonly string[], options: Parameters<typeof startRedisAdapter>[2] = { prefix }) {
  const recording = new RecordingNode(apps);
  const adapter = await startRedisAdapter(redis, recording, options);
  adapters.push(adapter);
  return { recording, adapter };
}

function startPeer(): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', PEER], {
    env: { ...process.env, PEER_REDIS_URL: redis.url, PEER_PREFIX: prefix, PEER_APP: APP },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('ready')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`peer exited with ${code}: ${stderr}`)));
  });
}

describe('RedisAdapter', () => {
  beforeAll(() => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
  });

  it('keeps serving its own clients while Redis restarts, logs and counts the failure, then resumes', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const log = recordingLogger();
    const a = await node([APP], { prefix, logger: log.logger });
    const b = await node([APP]);
    await waitFor(
      () => a.adapter.stats().peers.length === 1 && b.adapter.stats().peers.length === 1,
      10_000,
      'peers',
    );
    await a.adapter.state.joinPresence(APP, 'presence-room', 'before', null, null);
    const failuresBefore = a.adapter.stats().failures;

    const restarting = redis.restart(1_500);
    await waitFor(() => !a.adapter.stats().connected, 5_000, 'the adapter to notice Redis is gone');
    // Local delivery and local state go on.
    await a.adapter.publish(broadcast('orders', 1));
    expect(a.recording.broadcasts('orders')).toHaveLength(1);
    expect(await a.adapter.state.joinPresence(APP, 'presence-room', 'during', null, null)).toBe('first');
    expect((await a.adapter.state.presenceMembers(APP, 'presence-room')).ids).toEqual(['before', 'during']);
    expect(await a.adapter.query({ type: 'channels', appId: APP })).toEqual({});
    expect(a.adapter.stats().failures).toBeGreaterThan(failuresBefore);
    expect(log.lines().some((line) => line.level === 40 && String(line.msg).includes('Redis'))).toBe(true);
    await restarting;

    // Cross-node delivery resumes by itself.
    let n = 0;
    await waitFor(
      async () => {
        await a.adapter.publish(broadcast('after', n++));
        return b.recording.broadcasts('after').length > 0;
      },
      20_000,
      'delivery after the restart',
    );
    // The restarted (empty) Redis got A's members back, including the one that joined during the outage.
    await waitFor(
      async () =>
        (await b.adapter.state.presenceMembers(APP, 'presence-room')).ids.sort().join() === 'before,during',
      10_000,
      'presence written back',
    );
    // The members are visible before the resync finishes (counters, then the log line): wait for it.
    await waitFor(
      () => log.lines().some((line) => String(line.msg).includes('Redis restarted empty')),
      5_000,
      'the restart to be logged',
    );
    expect(a.adapter.stats().connected).toBe(true);
  });

  it('history broadcasts: applied when they come back positioned; while Redis is down, at once without a position', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const a = await node([APP], { prefix });
    const history = { maxEvents: 10, ttlMs: 60_000 };
    await a.adapter.publish({ ...broadcast('private-chat', 1), history });
    await waitFor(() => a.recording.broadcasts('private-chat').length === 1, 5_000, 'the echo');
    const [first] = a.recording.broadcasts('private-chat');
    expect(first?.position).toEqual({ epoch: expect.any(String), offset: 1 });

    const restarting = redis.restart(1_500);
    await waitFor(() => !a.adapter.stats().connected, 5_000, 'the adapter to notice Redis is gone');
    await a.adapter.publish({ ...broadcast('private-chat', 2), history });
    // Delivered here at once, without a position: the history does not hold it.
    expect(a.recording.broadcasts('private-chat').at(-1)).toMatchObject({
      frame: broadcast('private-chat', 2).frame,
    });
    expect(a.recording.broadcasts('private-chat').at(-1)?.position).toBeUndefined();
    await restarting;

    let n = 3;
    await waitFor(
      async () => {
        await a.adapter.publish({ ...broadcast('private-chat', n++), history });
        return a.recording.broadcasts('private-chat').at(-1)?.position !== undefined;
      },
      20_000,
      'positions after the restart',
    );
    // A new epoch: whoever stood on the old one learns of the gap.
    const after = a.recording.broadcasts('private-chat').at(-1)?.position;
    expect(after?.epoch).not.toBe(first?.position?.epoch);
    expect(after?.offset).toBe(1);
  });

  it('after losing its connection, tells the other nodes what changed meanwhile', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const a = await node([APP]);
    const b = await node([APP]);
    await waitFor(() => b.adapter.stats().peers.length === 1, 10_000, 'peers');
    expect(await a.adapter.state.joinPresence(APP, 'presence-room', 'leaver', null, null)).toBe('first');
    expect((await b.adapter.state.presenceMembers(APP, 'presence-room')).ids).toEqual(['leaver']);

    // While A is cut off, 'leaver' leaves and 'newcomer' joins: only A's own clients hear it then.
    const during = new Promise<string[]>((resolve) => {
      a.adapter.once('disconnected', () => {
        void Promise.all([
          a.adapter.state.leavePresence(APP, 'presence-room', 'leaver'),
          a.adapter.state.joinPresence(APP, 'presence-room', 'newcomer', { name: 'New' }, null),
        ]).then(resolve);
      });
    });
    const raw = new Redis(redis.url);
    try {
      await raw.client('KILL', 'TYPE', 'normal', 'SKIPME', 'yes');
    } finally {
      raw.disconnect();
    }
    expect(await during).toEqual(['last', 'first']);
    await waitFor(
      () => b.recording.broadcasts('presence-room').length >= 2,
      15_000,
      'the changes to reach B after the reconnect',
    );
    expect(b.recording.broadcasts('presence-room').map((m) => JSON.parse(m.frame))).toEqual([
      {
        event: 'pusher_internal:member_removed',
        channel: 'presence-room',
        data: JSON.stringify({ user_id: 'leaver' }),
      },
      {
        event: 'pusher_internal:member_added',
        channel: 'presence-room',
        data: JSON.stringify({ user_id: 'newcomer', user_info: { name: 'New' } }),
      },
    ]);
    expect(await b.adapter.state.presenceMembers(APP, 'presence-room')).toEqual({
      ids: ['newcomer'],
      hash: { newcomer: { name: 'New' } },
    });
  });

  it('purges a SIGKILLed peer: its members leave everywhere once, with member_removed, and its counts go', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const b = await node([APP]);
    const c = await node([APP]);
    await startPeer();
    await waitFor(() => b.adapter.stats().peers.length === 2, 10_000, 'the peer to be seen');

    expect((await b.adapter.state.presenceMembers(APP, 'presence-room')).hash).toEqual({
      ghost: { name: 'Ghost' },
    });
    expect(await c.adapter.state.onlineUsers(APP, ['ghost'])).toEqual(new Set(['ghost']));
    expect(await b.adapter.state.reserveConnection(APP, 1)).toBe(false);
    expect(await b.adapter.state.countSubscription(APP, 'counted', 1)).toBe(2);
    expect(await b.adapter.query({ type: 'channels', appId: APP })).toEqual({
      'presence-room': { subscriptionCount: 1, userCount: 1 },
    });

    for (const child of children) child.kill('SIGKILL');
    // Documented bound with heartbeatMs 500: 500 × (3 + 1) = 2 s; the wait allows for a loaded machine.
    await waitFor(
      () =>
        [b, c].every((n) =>
          n.recording.broadcasts('presence-room').some((m) => isMemberRemoved(m.frame, 'ghost')),
        ),
      15_000,
      'member_removed for the dead peer’s member on every node',
    );
    for (const n of [b, c]) {
      expect(
        n.recording.broadcasts('presence-room').filter((m) => isMemberRemoved(m.frame, 'ghost')),
      ).toHaveLength(1);
      expect(n.recording.applied).toContainEqual({
        type: 'user_status',
        appId: APP,
        userId: 'ghost',
        online: false,
      });
      expect(await n.adapter.state.presenceMembers(APP, 'presence-room')).toEqual({ ids: [], hash: {} });
      expect(await n.adapter.state.onlineUsers(APP, ['ghost'])).toEqual(new Set());
      await waitFor(
        () => n.adapter.stats().peers.length === 1,
        5_000,
        'the dead peer to leave the live list',
      );
    }
    expect(await b.adapter.query({ type: 'channels', appId: APP })).toEqual({});
    expect(await b.adapter.state.reserveConnection(APP, 1)).toBe(true);
    expect(await c.adapter.state.countSubscription(APP, 'counted', 1)).toBe(2);
  });

  it('hears only the apps it serves and drops malformed messages', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const log = recordingLogger();
    const both = await node([APP, OTHER_APP]);
    const one = await node([APP], { prefix, logger: log.logger });
    const raw = new Redis(redis.url);
    try {
      await raw.publish(`${prefix}#${APP}`, '{"node":"x","message":{"type":"broadcast"}}');
      await raw.publish(`${prefix}#${APP}`, 'not json');
      await both.adapter.publish(broadcast('orders', 1, OTHER_APP));
      await both.adapter.publish(broadcast('orders', 2, APP));
      await waitFor(() => one.recording.applied.length === 1, 5_000, 'the app-1 broadcast');
      expect(one.recording.applied).toEqual([broadcast('orders', 2, APP)]);
      expect(log.lines().filter((line) => String(line.msg).includes('malformed'))).toHaveLength(2);
    } finally {
      raw.disconnect();
    }
  });

  it('answers with the nodes that replied when one stays silent, and names the missing node', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const log = recordingLogger();
    const a = await node([APP], { prefix, logger: log.logger, queryTimeoutMs: 300 });
    const b = await node([APP]);
    b.recording.snapshots.set(APP, { orders: { subscriptionCount: 2 } });
    const raw = new Redis(redis.url);
    try {
      // A node that heartbeats but never answers (its last heartbeat is fresh, so it counts as live).
      const keepAlive = setInterval(() => void raw.zadd(`${prefix}:nodes`, Date.now(), 'silent-node'), 200);
      try {
        await waitFor(
          () => a.adapter.stats().peers.includes('silent-node'),
          10_000,
          'the silent node to be listed',
        );
        expect(await a.adapter.query({ type: 'channels', appId: APP })).toEqual({
          orders: { subscriptionCount: 2 },
        });
      } finally {
        clearInterval(keepAlive);
      }
      expect(a.adapter.stats().queryTimeouts).toBe(1);
      const warning = log.lines().find((line) => String(line.msg).includes('timed out'));
      expect(warning?.missing).toEqual(['silent-node']);
    } finally {
      raw.disconnect();
    }
  });

  it('leaves nothing behind in Redis once everything is undone, and nothing of itself after close', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const a = await node([APP]);
    const raw = new Redis(redis.url);
    const ownKeys = async () =>
      (await raw.keys(`${prefix}:*`)).filter((k) => !k.endsWith(':seq') && !k.endsWith(':epoch'));
    try {
      for (let i = 0; i < 20; i++) {
        await a.adapter.state.joinPresence(APP, `presence-${i}`, `u${i}`, null, null);
        await a.adapter.state.userOnline(APP, `u${i}`);
        await a.adapter.state.reserveConnection(APP, null);
      }
      expect(await ownKeys()).not.toEqual([`${prefix}:nodes`]);
      for (let i = 0; i < 20; i++) {
        expect(await a.adapter.state.leavePresence(APP, `presence-${i}`, `u${i}`)).toBe('last');
        expect(await a.adapter.state.userOffline(APP, `u${i}`)).toBe('last');
        await a.adapter.state.releaseConnection(APP);
      }
      // Only the heartbeat entry is left: no member, no count, no index entry of a channel it left.
      expect(await ownKeys()).toEqual([`${prefix}:nodes`]);

      await a.adapter.state.joinPresence(APP, 'presence-kept', 'k', null, null);
      await a.adapter.close();
      adapters.splice(adapters.indexOf(a.adapter), 1);
      expect(await ownKeys()).toEqual([]);
    } finally {
      raw.disconnect();
    }
  });

  it('connects with REDIS_HOST/REDIS_PORT/REDIS_DB settings instead of a URL', async () => {
    prefix = `r-${randomUUID().slice(0, 8)}`;
    const byHost = { ...redisConfig(redis), url: undefined, db: 3 };
    const a = await node([APP], { prefix, redis: byHost });
    const b = await node([APP]);
    expect(a.adapter.stats().connected).toBe(true);
    // db 3 is a different keyspace: B (db 0) never sees A.
    await a.adapter.state.joinPresence(APP, 'presence-room', 'a', null, null);
    expect((await b.adapter.state.presenceMembers(APP, 'presence-room')).ids).toEqual([]);
    const raw = new Redis(redis.url, { db: 3 });
    try {
      expect(await raw.zcard(`${prefix}:nodes`)).toBe(1);
    } finally {
      raw.disconnect();
    }
  });
});

describe('redisConnectionOptions', () => {
  const base = { host: '127.0.0.1', port: 6379, username: undefined, password: undefined, db: 0 };

  it('turns TLS on for rediss:// URLs and leaves it off for redis://', () => {
    expect(redisConnectionOptions({ ...base, url: 'rediss://user:pw@redis.example:6380/2' })).toMatchObject({
      url: 'rediss://user:pw@redis.example:6380/2',
      options: { tls: {} },
    });
    expect(redisConnectionOptions({ ...base, url: 'redis://redis.example' }).options.tls).toBeUndefined();
  });

  it('maps REDIS_HOST, REDIS_PORT, REDIS_USERNAME, REDIS_PASSWORD and REDIS_DB', () => {
    const { url, options } = redisConnectionOptions({
      url: undefined,
      host: 'redis.internal',
      port: 6390,
      username: 'reverb',
      password: 'secret',
      db: 4,
    });
    expect(url).toBeUndefined();
    expect(options).toMatchObject({
      host: 'redis.internal',
      port: 6390,
      username: 'reverb',
      password: 'secret',
      db: 4,
    });
    // Fail fast while disconnected: the node serves its own clients instead of queueing.
    expect(options).toMatchObject({ enableOfflineQueue: false, maxRetriesPerRequest: 0 });
  });
});
