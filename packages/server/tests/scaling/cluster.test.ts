/**
 * Three real server processes (`reverb start`, REVERB_SCALING_ENABLED=true) on one real redis-server act
 * as one server: pusher-js clients spread over the nodes, the official `pusher` SDK talking to another
 * node. The SIGKILL and Redis restart tests run last: they change the cluster.
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_APP_CONFIG,
  type RedisHandle,
  type ServerHandle,
  startRedis,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import type PusherJs from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { SMALL_APP } from '../support/apps';
import { sdkFor } from '../support/auth';
import { firstOf, nextEvent, nextMatching, quietPeriod, record } from '../support/events';
import { getJson } from '../support/http-api';
import { unique } from '../support/ids';
import {
  aboutUser,
  connected,
  nextWatchlistEvent,
  pusherJsPool,
  signedIn,
  subscribed,
  type WatchlistEvent,
} from '../support/pusher-js-clients';
import { type Target, targetOf } from '../support/target';

let redis: RedisHandle;
let nodes: ServerHandle[] = [];
let targets: Target[] = [];
let sdks: Pusher[] = [];
let backend: AppBackend;
const pools = [0, 1, 2].map((i) =>
  pusherJsPool(
    () => targets[i] as Target,
    () => backend,
  ),
);

/** A pusher-js client on node `i`, authenticating as `userId`. */
const on = (i: number, userId?: string) => (pools[i] as (typeof pools)[number]).connect(userId);
const sdk = (i: number) => sdks[i] as Pusher;

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    REVERB_SCALING_ENABLED: 'true',
    REDIS_URL: redis.url,
    REVERB_SCALING_CHANNEL: `c-${randomUUID().slice(0, 8)}`,
  };
  const apps = [DEMO_APP_CONFIG, SMALL_APP];
  nodes = await Promise.all([0, 1, 2].map(() => startServer({ env, apps })));
  targets = nodes.map((node) => targetOf(node));
  sdks = targets.map((t) => sdkFor(t));
  backend = await startAppBackend(targets[0] as Target);
  // Nodes learn about each other from heartbeats (every 2 s): wait until every node counts all three.
  const probe = unique('probe-');
  const clients = await Promise.all([0, 1, 2].map((i) => on(i)));
  await Promise.all(clients.map((c) => subscribed(c, probe)));
  await waitFor(
    async () => {
      const answers = await Promise.all(
        [0, 1, 2].map((i) =>
          getJson<{ subscription_count?: number }>(sdk(i), `/channels/${probe}`, {
            info: 'subscription_count',
          }),
        ),
      );
      return answers.every((a) => a.subscription_count === 3);
    },
    15_000,
    'every node to see the whole cluster',
  );
  for (const pool of pools) pool.closeAll();
}, 60_000);

afterEach(() => {
  for (const pool of pools) pool.closeAll();
});

afterAll(async () => {
  await backend?.close();
  await Promise.all(nodes.map((node) => node.stop()));
  await redis?.stop();
});

describe('a three-node cluster over Redis', () => {
  it('delivers HTTP triggers from another node to every subscriber exactly once, in order', async () => {
    const channel = unique('orders-');
    const clients = await Promise.all([on(0), on(1), on(2)]);
    const received = await Promise.all(
      clients.map(async (client) => record<{ n: number }>(await subscribed(client, channel), 'tick')),
    );
    for (let i = 0; i < 20; i++) await sdk(2).trigger(channel, 'tick', { n: i });
    const done = clients.map((client) => nextEvent(client.channel(channel), 'done', 'the last trigger'));
    await sdk(2).trigger(channel, 'done', {});
    await Promise.all(done);
    const expected = Array.from({ length: 20 }, (_, i) => ({ n: i }));
    for (const got of received) expect(got).toEqual(expected);
  });

  it('excludes the socket_id of a connection on another node, and delivers client events across nodes', async () => {
    const channel = unique('private-chat.');
    const [a, b] = await Promise.all([on(0, '1'), on(1, '2')]);
    const [chatA, chatB] = await Promise.all([subscribed(a, channel), subscribed(b, channel)]);
    const gotA = record(chatA, 'news');
    const gotB = nextEvent(chatB, 'news', 'the trigger on node 1');
    await sdk(2).trigger(channel, 'news', { v: 1 }, { socket_id: a.connection.socket_id });
    expect(await gotB).toEqual({ v: 1 });

    const whisperAtA = record(chatA, 'client-typing');
    const whisper = nextEvent(chatB, 'client-typing', 'the client event from node 0');
    chatA.trigger('client-typing', { typing: true });
    expect(await whisper).toEqual({ typing: true });
    // A marker sent after both, from the same node, to a subscriber on node 0: whatever A was going to get came first.
    const marker = nextEvent(chatA, 'marker', 'marker');
    await sdk(2).trigger(channel, 'marker', {});
    await marker;
    expect(gotA).toEqual([]);
    expect(whisperAtA).toEqual([]);
  });

  it('keeps one presence member per user across nodes', async () => {
    const channel = unique('presence-room.');
    const observer = await on(2, '3');
    const room = await subscribed(observer, channel);
    const joins = record<{ id: string }>(room, 'pusher:member_added');
    const leaves = record<{ id: string }>(room, 'pusher:member_removed');

    const tab1 = await on(0, '1');
    const firstJoin = nextMatching<{ id: string }>(
      room,
      'pusher:member_added',
      (m) => m.id === '1',
      'user 1 joins',
    );
    await subscribed(tab1, channel);
    await subscribed(tab1, `${channel}-side`);
    await firstJoin;
    const tab2 = await on(1, '1');
    const tab2Room = await subscribed(tab2, channel);
    // Node 1's list comes from the whole cluster: users 3 and 1, one member each.
    const members = tab2Room as unknown as { members: { count: number; members: Record<string, unknown> } };
    expect(members.members.count).toBe(2);
    expect(Object.keys(members.members.members).sort()).toEqual(['1', '3']);

    for (const i of [0, 1, 2]) {
      const users = await getJson<{ users: { id: string }[] }>(sdk(i), `/channels/${channel}/users`);
      expect(users.users.map((u) => u.id).sort()).toEqual(['1', '3']);
      expect(await getJson(sdk(i), `/channels/${channel}`, { info: 'user_count' })).toEqual({
        occupied: true,
        user_count: 2,
      });
    }

    // User 1 is still connected on node 1, so closing the tab on node 0 must not remove the member.
    tab1.disconnect();
    await waitFor(
      async () =>
        (await getJson<{ occupied: boolean }>(sdk(0), `/channels/${channel}-side`)).occupied === false,
      10_000,
      'node 0 to see the tab go',
    );
    const lastLeave = nextMatching<{ id: string }>(
      room,
      'pusher:member_removed',
      (m) => m.id === '1',
      'user 1 leaves',
    );
    await quietPeriod(1_000);
    expect(leaves).toEqual([]);
    tab2.disconnect();
    await lastLeave;
    expect(joins.map((m) => m.id)).toEqual(['1']);
    expect(leaves.map((m) => m.id)).toEqual(['1']);
  });

  it('answers /channels, /channels/{name} and info= for the whole cluster', async () => {
    const prefix = unique('agg-');
    const presence = `presence-${prefix}`;
    const clients = await Promise.all([on(0, '1'), on(1, '2'), on(2, '2')]);
    await Promise.all(clients.map((c) => subscribed(c, `${prefix}-all`)));
    await subscribed(clients[1] as PusherJs, `${prefix}-one`);
    await Promise.all(clients.map((c) => subscribed(c, presence)));
    for (const i of [0, 1, 2]) {
      expect(await getJson(sdk(i), '/channels', { filter_by_prefix: prefix })).toEqual({
        channels: { [`${prefix}-all`]: {}, [`${prefix}-one`]: {} },
      });
      expect(await getJson(sdk(i), '/channels', { filter_by_prefix: presence, info: 'user_count' })).toEqual({
        channels: { [presence]: { user_count: 2 } },
      });
      expect(await getJson(sdk(i), `/channels/${prefix}-all`, { info: 'subscription_count' })).toEqual({
        occupied: true,
        subscription_count: 3,
      });
    }
    const response = await sdk(1).trigger(`${prefix}-all`, 'x', {}, { info: 'subscription_count' });
    expect(await response.json()).toEqual({ channels: { [`${prefix}-all`]: { subscription_count: 3 } } });
  });

  it('reports watched users going online and offline on other nodes', async () => {
    const watcher = await on(2, '1'); // user 1 watches 2 and 3
    await signedIn(watcher);
    const online = nextWatchlistEvent(watcher, 'online', '2', 'user 2 online');
    const [tab1, tab2] = await Promise.all([on(0, '2'), on(1, '2')]);
    await Promise.all([signedIn(tab1), signedIn(tab2)]);
    const side = unique('side-');
    await subscribed(tab1, side);
    await online;
    // Signed in as 2 elsewhere: a new watcher on node 0 learns it at sign-in.
    const late = await on(0, '1');
    const already = nextWatchlistEvent(late, 'online', '2', 'already online');
    await signedIn(late);
    await already;

    const offline = nextWatchlistEvent(watcher, 'offline', '2', 'user 2 offline');
    const offlineEvents = record<WatchlistEvent>(watcher.user.watchlist, 'offline');
    tab1.disconnect();
    await waitFor(
      async () => (await getJson<{ occupied: boolean }>(sdk(0), `/channels/${side}`)).occupied === false,
      10_000,
      'node 0 to see user 2’s first tab go',
    );
    await quietPeriod(1_000);
    expect(offlineEvents.filter(aboutUser('2'))).toEqual([]);
    tab2.disconnect();
    await offline;
  });

  it('counts an app’s connection quota over every node', async () => {
    interface Refused {
      error?: { data?: { code?: number } };
    }
    const small = (i: number) => (pools[i] as (typeof pools)[number]).create(undefined, SMALL_APP.key);
    const first = await connected(small(0));
    await connected(small(1));
    const third = small(2);
    const refused = await nextEvent<Refused>(third.connection, 'error', 'over the cluster-wide quota');
    expect(refused.error?.data?.code).toBe(4004);
    first.disconnect();
    // Node 0 frees the slot on the close; a new connection on node 2 gets it.
    await waitFor(
      async () => {
        const client = small(2);
        const result = await firstOf(
          client.connection,
          ['connected', 'error'],
          'a connection after a slot freed',
        );
        return result.event === 'connected';
      },
      10_000,
      'a free slot',
    );
  });

  it('sends subscription_count over the whole cluster', async () => {
    const channel = unique('counted-');
    const [a, b] = await Promise.all([on(0), on(1)]);
    const atA = await subscribed(a, channel);
    const two = nextMatching<{ subscription_count: number }>(
      atA,
      'pusher:subscription_count',
      (d) => d.subscription_count === 2,
      'the count after a subscriber on node 1',
    );
    await subscribed(b, channel);
    await two;
    const one = nextMatching<{ subscription_count: number }>(
      atA,
      'pusher:subscription_count',
      (d) => d.subscription_count === 1,
      'the count after node 1’s subscriber left',
    );
    b.disconnect();
    await one;
  });

  it('terminates a user’s connections on every node', async () => {
    const [tab1, tab2, bystander] = await Promise.all([on(0, '1'), on(1, '1'), on(2, '2')]);
    await Promise.all([signedIn(tab1), signedIn(tab2), signedIn(bystander)]);
    const down1 = nextEvent(tab1.connection, 'disconnected', 'tab on node 0 terminated');
    const down2 = nextEvent(tab2.connection, 'disconnected', 'tab on node 1 terminated');
    const bystanderStates = record(bystander.connection, 'state_change');
    expect((await sdk(2).terminateUserConnections('1')).status).toBe(200);
    await Promise.all([down1, down2]);
    const stillThere = nextEvent(bystander.user, 'ping-user', 'user 2 still connected');
    await sdk(0).sendToUser('2', 'ping-user', {});
    await stillThere;
    expect(bystanderStates).toEqual([]);
  });

  it('replays a cache channel’s last event on any node', async () => {
    const channel = unique('cache-prices.');
    await sdk(0).trigger(channel, 'price', { eur: 7 });
    for (const i of [1, 2]) {
      const client = await on(i);
      const got = nextEvent(client.subscribe(channel), 'price', `replay on node ${i}`);
      expect(await got).toEqual({ eur: 7 });
    }
    const cache = await getJson<{ cache: { data: string; ttl: number } }>(sdk(2), `/channels/${channel}`, {
      info: 'cache',
    });
    expect(cache.cache.data).toBe('{"eur":7}');
  });

  it('removes a SIGKILLed node’s presence members everywhere, with member_removed', async () => {
    const channel = unique('presence-kill.');
    const observers = await Promise.all([on(0, '1'), on(1, '2')]);
    const rooms = await Promise.all(observers.map((o) => subscribed(o, channel)));
    const victim = await on(2, '3');
    const joined = rooms.map((room) =>
      nextMatching<{ id: string }>(room, 'pusher:member_added', (m) => m.id === '3', 'user 3 joins'),
    );
    await subscribed(victim, channel);
    await Promise.all(joined);
    // Bound: heartbeat 2 s × (3 missed + 1) = 8 s; the wait allows for a loaded machine.
    const removed = rooms.map((room) =>
      nextMatching<{ id: string }>(
        room,
        'pusher:member_removed',
        (m) => m.id === '3',
        'user 3 removed',
        20_000,
      ),
    );
    await (nodes[2] as ServerHandle).kill();
    await Promise.all(removed);
    for (const i of [0, 1]) {
      const users = await getJson<{ users: { id: string }[] }>(sdk(i), `/channels/${channel}/users`);
      expect(users.users.map((u) => u.id).sort()).toEqual(['1', '2']);
    }
  }, 40_000);

  it('resumes cross-node delivery after Redis restarts', async () => {
    const channel = unique('after-restart-');
    const client = await on(0);
    const sub = await subscribed(client, channel);
    const got = record(sub, 'ping');
    await redis.restart(1_000);
    await waitFor(
      async () => {
        await sdk(1).trigger(channel, 'ping', {});
        return got.length > 0;
      },
      20_000,
      'a trigger on node 1 to reach a client of node 0 after the restart',
    );
  }, 40_000);
});
