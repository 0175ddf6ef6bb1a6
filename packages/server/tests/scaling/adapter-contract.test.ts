/**
 * One contract for every adapter, run against the one-node `LocalAdapter` and against three
 * `RedisAdapter` nodes on a real redis-server. Each test spreads its work over the cluster's nodes
 * (`on(i)` wraps around), so with one node it checks the same rules on that node alone.
 */
import { encodeChannelEvent } from '@react-reverb/core/protocol';
import { type RedisHandle, startRedis, waitFor } from '@react-reverb/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterMessage } from '../../src/scaling/adapter';
import {
  type ClusterFactory,
  localCluster,
  machineClusterFactory,
  redisClusterFactory,
  type TestCluster,
} from '../support/adapters';

const APP = 'app-1';
const OTHER_APP = 'app-2';

function broadcast(
  channel: string,
  n: number,
  extra: Partial<Extract<AdapterMessage, { type: 'broadcast' }>> = {},
) {
  const frame = encodeChannelEvent('tick', channel, JSON.stringify({ n }));
  return { type: 'broadcast' as const, appId: APP, channel, frame, ...extra };
}

function contract(
  name: string,
  factory: ClusterFactory,
  setup: { before?: () => Promise<void>; after?: () => Promise<void> } = {},
) {
  describe(`adapter contract: ${name}`, () => {
    let c: TestCluster;
    beforeAll(async () => setup.before?.());
    afterAll(async () => setup.after?.());
    afterEach(async () => c?.close());

    it('delivers every broadcast to every node exactly once, in the order one node published them', async () => {
      c = await factory([APP, OTHER_APP]);
      const origin = c.on(c.adapters.length - 1);
      for (let n = 0; n < 30; n++) await origin.publish(broadcast('orders', n));
      // Sent after the 30 from the same node: once it is everywhere, so is everything before it.
      await origin.publish(broadcast('done', 0));
      await waitFor(
        () => c.nodes.every((node) => node.broadcasts('done').length === 1),
        10_000,
        'the last broadcast',
      );
      for (const node of c.nodes) {
        expect(node.broadcasts('orders').map((m) => m.frame)).toEqual(
          Array.from({ length: 30 }, (_, n) => broadcast('orders', n).frame),
        );
      }
    });

    it('carries the excluded socket, the cache entry, terminations and user statuses intact', async () => {
      c = await factory([APP, OTHER_APP]);
      const sent: AdapterMessage[] = [
        broadcast('private-chat', 1, { exceptSocketId: '123.456' }),
        broadcast('cache-prices', 2, { cache: { data: '{"n":2}', ttlSeconds: 60 } }),
        { type: 'terminate_user', appId: APP, userId: '17' },
        { type: 'user_status', appId: OTHER_APP, userId: '18', online: true },
      ];
      for (const [i, message] of sent.entries()) await c.on(i).publish(message);
      await waitFor(
        () => c.nodes.every((node) => node.applied.length === sent.length),
        10_000,
        'all messages',
      );
      for (const node of c.nodes) expect(new Set(node.applied)).toEqual(new Set(sent));
      for (const node of c.nodes) expect(node.applied).toHaveLength(sent.length);
    });

    it('positions history broadcasts once for the cluster and applies them everywhere in offset order', async () => {
      c = await factory([APP]);
      const history = { maxEvents: 100, ttlMs: 60_000 };
      // From every node at once: the offsets are the cluster's, and each node applies them in order.
      await Promise.all(
        Array.from({ length: 30 }, (_, n) => c.on(n).publish(broadcast('private-chat', n, { history }))),
      );
      await waitFor(
        () => c.nodes.every((node) => node.broadcasts('private-chat').length === 30),
        10_000,
        'every history broadcast on every node',
      );
      const first = c.node(0).broadcasts('private-chat');
      const epoch = first[0]?.position?.epoch;
      expect(epoch).toEqual(expect.any(String));
      for (const node of c.nodes) {
        const applied = node.broadcasts('private-chat');
        expect(applied.map((m) => m.position)).toEqual(
          Array.from({ length: 30 }, (_, i) => ({ epoch, offset: i + 1 })),
        );
        expect(applied.map((m) => m.frame)).toEqual(first.map((m) => m.frame));
        // The app's limits are for the append; they never reach a node.
        expect(applied.every((m) => m.history === undefined)).toBe(true);
      }
      expect(new Set(first.map((m) => m.frame)).size).toBe(30);
      // Any node reads the same history back.
      const read = await c.on(1).history.read(APP, 'private-chat', {
        rewind: 30,
        currentSocketId: '1.1',
        ...history,
      });
      expect(read.replay.map((event) => event.offset)).toEqual(first.map((m) => m.position?.offset));
      // Broadcasts without `history` stay unpositioned.
      await c.on(0).publish(broadcast('private-chat', 99));
      await waitFor(
        () => c.nodes.every((node) => node.broadcasts('private-chat').length === 31),
        10_000,
        'the plain broadcast',
      );
      for (const node of c.nodes) expect(node.broadcasts('private-chat').at(-1)?.position).toBeUndefined();
    });

    it('keeps one presence member per user across nodes: first join anywhere, last leave anywhere', async () => {
      c = await factory([APP]);
      const room = 'presence-room.1';
      expect(await c.on(0).state.joinPresence(APP, room, '17', { name: 'Ada' }, null)).toBe('first');
      expect(await c.on(1).state.joinPresence(APP, room, '17', { name: 'Ada' }, null)).toBe('again');
      expect(await c.on(2).state.joinPresence(APP, room, '18', null, null)).toBe('first');
      expect(await c.on(0).state.joinPresence(APP, room, '19', undefined, null)).toBe('first');
      for (const adapter of c.adapters) {
        expect(await adapter.state.presenceMembers(APP, room)).toEqual({
          ids: ['17', '18', '19'],
          hash: { '17': { name: 'Ada' }, '18': null, '19': null },
        });
        expect(await adapter.query({ type: 'users', appId: APP, channel: room })).toEqual(['17', '18', '19']);
      }
      expect(await c.on(0).state.leavePresence(APP, room, '17')).toBe('remaining');
      expect(await c.on(1).state.leavePresence(APP, room, '17')).toBe('last');
      expect(await c.on(2).state.leavePresence(APP, room, '18')).toBe('last');
      for (const adapter of c.adapters) {
        expect((await adapter.state.presenceMembers(APP, room)).ids).toEqual(['19']);
      }
      expect((await c.on(1).state.presenceMembers(APP, 'presence-empty')).ids).toEqual([]);
    });

    it('refuses a new member beyond the limit, counting members on every node', async () => {
      c = await factory([APP]);
      const room = 'presence-small';
      expect(await c.on(0).state.joinPresence(APP, room, 'a', null, 2)).toBe('first');
      expect(await c.on(1).state.joinPresence(APP, room, 'b', null, 2)).toBe('first');
      expect(await c.on(2).state.joinPresence(APP, room, 'c', null, 2)).toBe('full');
      // An existing member may open more connections.
      expect(await c.on(2).state.joinPresence(APP, room, 'a', null, 2)).toBe('again');
      expect((await c.on(0).state.presenceMembers(APP, room)).ids).toEqual(['a', 'b']);
      expect(await c.on(1).state.leavePresence(APP, room, 'b')).toBe('last');
      expect(await c.on(2).state.joinPresence(APP, room, 'c', null, 2)).toBe('first');
    });

    it('tracks signed-in users across nodes for watchlists', async () => {
      c = await factory([APP]);
      expect(await c.on(0).state.userOnline(APP, '17')).toBe('first');
      expect(await c.on(1).state.userOnline(APP, '17')).toBe('again');
      expect(await c.on(2).state.userOnline(APP, '18')).toBe('first');
      for (const adapter of c.adapters) {
        expect(await adapter.state.onlineUsers(APP, ['17', '18', '19'])).toEqual(new Set(['17', '18']));
      }
      expect(await c.on(0).state.userOffline(APP, '17')).toBe('remaining');
      expect(await c.on(1).state.userOffline(APP, '17')).toBe('last');
      expect(await c.on(2).state.onlineUsers(APP, ['17', '18'])).toEqual(new Set(['18']));
      expect(await c.on(0).state.onlineUsers(APP, [])).toEqual(new Set());
    });

    it('enforces an app connection quota over the whole cluster', async () => {
      c = await factory([APP, OTHER_APP]);
      expect(await c.on(0).state.reserveConnection(APP, 3)).toBe(true);
      expect(await c.on(1).state.reserveConnection(APP, 3)).toBe(true);
      expect(await c.on(2).state.reserveConnection(APP, 3)).toBe(true);
      expect(await c.on(0).state.reserveConnection(APP, 3)).toBe(false);
      expect(await c.on(1).state.reserveConnection(OTHER_APP, 3)).toBe(true);
      await c.on(1).state.releaseConnection(APP);
      expect(await c.on(2).state.reserveConnection(APP, 3)).toBe(true);
      expect(await c.on(0).state.reserveConnection(APP, null)).toBe(true);
    });

    it('counts a channel’s subscriptions over every node', async () => {
      c = await factory([APP]);
      expect(await c.on(0).state.countSubscription(APP, 'counted', 1)).toBe(1);
      expect(await c.on(1).state.countSubscription(APP, 'counted', 1)).toBe(2);
      expect(await c.on(2).state.countSubscription(APP, 'counted', 1)).toBe(3);
      expect(await c.on(2).state.countSubscription(APP, 'other', 1)).toBe(1);
      expect(await c.on(1).state.countSubscription(APP, 'counted', -1)).toBe(2);
      expect(await c.on(0).state.countSubscription(APP, 'counted', -1)).toBe(1);
      expect(await c.on(2).state.countSubscription(APP, 'counted', -1)).toBe(0);
      expect(await c.on(0).state.countSubscription(APP, 'counted', 1)).toBe(1);
    });

    it('lets any node replay the last cached event until its TTL runs out', async () => {
      c = await factory([APP]);
      const message = broadcast('cache-prices', 7, { cache: { data: '{"n":7}', ttlSeconds: 60 } });
      await c.on(0).publish(message);
      for (const adapter of c.adapters) {
        await waitFor(
          async () => (await adapter.state.cachedEvent(APP, 'cache-prices')) !== null,
          5_000,
          'the cache entry',
        );
        const cached = await adapter.state.cachedEvent(APP, 'cache-prices');
        expect(cached?.frame).toBe(message.frame);
        expect(cached?.data).toBe('{"n":7}');
        expect(cached?.ttl).toBeGreaterThan(0);
        expect(cached?.ttl).toBeLessThanOrEqual(60);
        const answer = await adapter.query({ type: 'cache', appId: APP, channel: 'cache-prices' });
        expect(answer?.data).toBe('{"n":7}');
        expect(await adapter.state.cachedEvent(APP, 'cache-other')).toBeNull();
      }
      await c.on(1).publish(broadcast('cache-short', 1, { cache: { data: '{"n":1}', ttlSeconds: 1 } }));
      expect(await c.on(2).state.cachedEvent(APP, 'cache-short')).not.toBeNull();
      await waitFor(
        async () => (await c.on(2).state.cachedEvent(APP, 'cache-short')) === null,
        5_000,
        'expiry',
      );
    });

    it('answers channel questions for the whole cluster', async () => {
      c = await factory([APP]);
      c.nodes.forEach((node, i) => {
        node.snapshots.set(APP, {
          orders: { subscriptionCount: i + 1 },
          [`only-on-${i}`]: { subscriptionCount: 1 },
          'presence-room': { subscriptionCount: 2, userCount: 1 },
        });
      });
      // Two users in the room, wherever their connections are.
      await c.on(0).state.joinPresence(APP, 'presence-room', 'u1', null, null);
      await c.on(1).state.joinPresence(APP, 'presence-room', 'u2', null, null);
      const size = c.nodes.length;
      const expected: Record<string, unknown> = {
        orders: { subscriptionCount: (size * (size + 1)) / 2 },
        'presence-room': { subscriptionCount: 2 * size, userCount: 2 },
      };
      for (let i = 0; i < size; i++) expected[`only-on-${i}`] = { subscriptionCount: 1 };
      for (const adapter of c.adapters) {
        expect(await adapter.query({ type: 'channels', appId: APP })).toEqual(expected);
        expect(await adapter.query({ type: 'channels', appId: APP, prefix: 'presence-' })).toEqual({
          'presence-room': expected['presence-room'],
        });
        expect(await adapter.query({ type: 'channel', appId: APP, channel: 'orders' })).toEqual(
          expected.orders,
        );
        expect(await adapter.query({ type: 'channel', appId: APP, channel: 'presence-room' })).toEqual(
          expected['presence-room'],
        );
        expect(await adapter.query({ type: 'channel', appId: APP, channel: 'nowhere' })).toEqual({
          subscriptionCount: 0,
        });
      }
    });
  });
}

contract('LocalAdapter (one node)', localCluster);

// The in-machine adapter of `--workers 3`, over a structured-clone stand-in of the IPC channel
// (tests/support/adapters.ts); real worker processes run in tests/workers/.
contract('MachineAdapter (three workers, one primary hub)', machineClusterFactory(3));

let redis: RedisHandle;
contract(
  'RedisAdapter (three nodes, real redis-server)',
  redisClusterFactory(() => redis),
  {
    before: async () => {
      redis = await startRedis();
    },
    after: async () => redis?.stop(),
  },
);
