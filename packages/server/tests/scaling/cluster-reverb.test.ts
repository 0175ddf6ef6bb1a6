/**
 * Laravel Reverb's own features on a cluster: two real server processes (`reverb start`,
 * REVERB_SCALING_ENABLED=true) on one real redis-server. `GET /apps/{id}/connections` answers for the
 * whole cluster on every node, and the message rate limiter counts each connection on the node that
 * holds it: what passed reaches the other node, what it refused reaches nobody, and a terminated
 * connection leaves its presence channels cluster-wide before pusher-js brings it back.
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_APP,
  type RedisHandle,
  type ServerHandle,
  startRedis,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import type { PresenceChannel } from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { sdkFor } from '../support/auth';
import { EVENT_TIMEOUT_MS, nextEvent, nextMatching, record } from '../support/events';
import { drain, pusherJsPool, subscribed } from '../support/pusher-js-clients';
import type { Target } from '../support/target';

const LIMITS = { enabled: true, max_attempts: 3, decay_seconds: 60 };
const APPS = {
  demo: { ...DEMO_APP, client_events: true },
  limited: { id: '4001', key: 'limited-key', secret: 'limited-secret', rate_limiting: LIMITS },
  terminating: {
    id: '4002',
    key: 'terminating-key',
    secret: 'terminating-secret',
    rate_limiting: { ...LIMITS, terminate_on_limit: true },
  },
} as const;
type AppName = keyof typeof APPS;
const NODES = [0, 1] as const;

let redis: RedisHandle;
let nodes: ServerHandle[] = [];
const backends = {} as Record<AppName, AppBackend>;
/** The target of `app` on node `i`. */
function targetOf(app: AppName, i: number): Target {
  const node = nodes[i] as ServerHandle;
  const { id, key, secret } = APPS[app];
  return {
    host: node.host,
    port: node.port,
    httpUrl: node.httpUrl,
    app: { id, key, secret },
    async stop() {},
  };
}
const pools = NODES.flatMap((i) =>
  (Object.keys(APPS) as AppName[]).map((app) => ({
    i,
    app,
    pool: pusherJsPool(
      () => targetOf(app, i),
      () => backends[app],
    ),
  })),
);
/** A connected pusher-js client of `app` on node `i`, authenticating as `userId`. */
function on(app: AppName, i: number, userId?: string) {
  const entry = pools.find((p) => p.app === app && p.i === i);
  if (!entry) throw new Error(`no pool for ${app} on ${i}`);
  return entry.pool.connect(userId);
}
const sdk = (i: number): Pusher => sdkFor(targetOf('demo', i));
const unique = (prefix: string) => `${prefix}${randomUUID().slice(0, 8)}`;

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    REVERB_SCALING_ENABLED: 'true',
    REDIS_URL: redis.url,
    REVERB_SCALING_CHANNEL: `c-${randomUUID().slice(0, 8)}`,
  };
  nodes = await Promise.all(NODES.map(() => startServer({ env, apps: Object.values(APPS) })));
  for (const app of Object.keys(APPS) as AppName[]) backends[app] = await startAppBackend(targetOf(app, 0));
  // Nodes learn about each other from heartbeats: wait until a channel on both counts twice everywhere.
  const probe = unique('probe-');
  await Promise.all(NODES.map(async (i) => subscribed(await on('demo', i), probe)));
  await waitFor(
    async () => {
      const counts = await Promise.all(
        NODES.map(async (i) => {
          const response = await sdk(i).get({
            path: `/channels/${probe}`,
            params: { info: 'subscription_count' },
          });
          return ((await response.json()) as { subscription_count?: number }).subscription_count;
        }),
      );
      return counts.every((count) => count === 2);
    },
    15_000,
    'both nodes to see the whole cluster',
  );
  for (const { pool } of pools) pool.closeAll();
}, 60_000);

afterEach(() => {
  for (const { pool } of pools) pool.closeAll();
});

afterAll(async () => {
  await Promise.all(Object.values(backends).map((b) => b?.close()));
  await Promise.all(nodes.map((node) => node.stop()));
  await redis?.stop();
});

describe('GET /apps/{id}/connections on a cluster', () => {
  it('counts the connections of every node, whichever node is asked', async () => {
    const connections = async (i: number) => (await sdk(i).get({ path: '/connections' })).text();
    const everywhere = (n: number) =>
      waitFor(
        async () =>
          (await Promise.all(NODES.map(connections))).every((text) => text === `{"connections":${n}}`),
        EVENT_TIMEOUT_MS,
        `${n} connections on both nodes' answers`,
      );
    const [first] = await Promise.all([on('demo', 0), on('demo', 0), on('demo', 1)]);
    await everywhere(3);
    first.disconnect();
    await everywhere(2);
  });
});

describe("Reverb's rate limiter on a cluster", () => {
  it('counts each connection on its own node: what passed reaches the other node, the refused message nobody', async () => {
    const name = unique('private-limited.');
    const [a, b] = await Promise.all([on('limited', 0, '1'), on('limited', 1, '2')]);
    const [atA, atB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const heardAtB = record(atB, 'client-typing');
    const refused = nextMatching<{ type?: string; data?: { code?: number } }>(
      a.connection,
      'error',
      (e) => e.type === 'PusherError',
      'the rate limit error on node 0',
    );
    for (const n of [1, 2, 3]) atA.trigger('client-typing', { n });
    expect((await refused).data?.code).toBe(4301);
    await drain(backends.limited, b, name);
    expect(heardAtB).toEqual([{ n: 1 }, { n: 2 }]);
    // b, on the other node, has a count of its own.
    const heardAtA = record(atA, 'client-typing');
    const errorsAtB = record(b.connection, 'error');
    for (const n of [4, 5]) atB.trigger('client-typing', { n });
    await waitFor(() => heardAtA.length === 2, EVENT_TIMEOUT_MS, "b's whispers on node 0");
    expect(heardAtA).toEqual([{ n: 4 }, { n: 5 }]);
    expect(errorsAtB).toEqual([]);
  });

  it('terminate: the connection leaves its presence channel on every node, then pusher-js comes back', async () => {
    const name = unique('presence-limited.');
    const [a, b] = await Promise.all([on('terminating', 0, '1'), on('terminating', 1, '2')]);
    const [atA, atB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const firstSocketId = a.connection.socket_id;
    // b may hear user 1 join a moment after both subscriptions succeed (it crosses Redis): wait for it, so the
    // member_added awaited below is the one after the reconnect and not that first join.
    await waitFor(
      () => (atB as PresenceChannel).members.count === 2,
      EVENT_TIMEOUT_MS,
      'user 1 seen on node 1 before the flood',
    );
    const left = nextEvent<{ id: string }>(atB, 'pusher:member_removed', 'user 1 leaving, seen on node 1');
    for (const n of [1, 2, 3]) atA.trigger('client-typing', { n });
    expect((await left).id).toBe('1');
    const back = nextMatching<{ id: string }>(
      atB,
      'pusher:member_added',
      (member) => member.id === '1',
      'user 1 back, seen on node 1',
    );
    expect((await back).id).toBe('1');
    await waitFor(() => a.connection.state === 'connected', EVENT_TIMEOUT_MS, 'pusher-js connected again');
    expect(a.connection.socket_id).not.toBe(firstSocketId);
  });
});
