/**
 * `reverb start --workers 2` with REVERB_SCALING_ENABLED on a real redis-server, next to a second
 * machine (one process) on the same Redis: each worker is a node of the cluster of its own
 * (packages/server/docs/scaling.md, "Workers and Redis"), so presence, broadcasts and answers span
 * both workers and the other machine, and a SIGKILLed worker is purged at once by the other worker (its
 * primary names the dead node; heartbeats would take up to 8 s) while the primary starts a new one,
 * which joins the cluster.
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
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinPresence, sdkFor } from '../support/auth';
import { getJson } from '../support/http-api';
import { dataOf, PUSHER_JS_QUERY, RawClient } from '../support/raw-client';
import { childPids, clientsOnDistinctWorkers, startWorkers } from '../support/workers';

let redis: RedisHandle;
let machine: ServerHandle;
let other: ServerHandle;
let sdkOfOther: Pusher;
const clients: RawClient[] = [];

beforeAll(async () => {
  redis = await startRedis();
  const env = {
    REVERB_SCALING_ENABLED: 'true',
    REDIS_URL: redis.url,
    REVERB_SCALING_CHANNEL: `w-${randomUUID().slice(0, 8)}`,
  };
  [machine, other] = await Promise.all([
    startWorkers(2, { env, apps: [DEMO_APP_CONFIG] }),
    startServer({ env, apps: [DEMO_APP_CONFIG] }),
  ]);
  sdkOfOther = sdkFor({ app: other.app, port: other.port });
});

afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  // Both stop (and Redis with them) whatever the first one's exit code was.
  const codes = await Promise.all([machine?.stop(), other?.stop()]);
  await redis?.stop();
  expect(codes).toEqual([0, 0]);
});

describe('workers as nodes of a Redis cluster', () => {
  it('share presence and broadcasts with another machine; a killed worker is purged at once and replaced', async () => {
    const room = 'presence-cluster';
    const url = `${machine.wsUrl}/app/${DEMO_APP_CONFIG.key}?${PUSHER_JS_QUERY}`;
    const [first, second] = await clientsOnDistinctWorkers(machine, url);
    const a = (first as { client: RawClient }).client;
    const { client: b, worker: victim } = second as { client: RawClient; worker: { pid: number } };
    const c = await RawClient.open(`${other.wsUrl}/app/${DEMO_APP_CONFIG.key}?${PUSHER_JS_QUERY}`);
    clients.push(a, b, c);

    await joinPresence(machine, a, room, 'on-worker-a');
    await joinPresence(machine, b, room, 'on-worker-b');
    const joined = await joinPresence(other, c, room, 'elsewhere');
    expect(dataOf<{ presence: { ids: string[] } }>(joined).presence.ids).toEqual([
      'on-worker-a',
      'on-worker-b',
      'elsewhere',
    ]);
    for (const client of [a, b]) await client.subscribe('news');
    await sdkOfOther.trigger('news', 'flash', { n: 1 });
    for (const client of [a, b]) expect(dataOf(await client.nextEvent('flash', 'news'))).toEqual({ n: 1 });

    const killedAt = Date.now();
    process.kill(victim.pid, 'SIGKILL');
    const removed = await c.next(
      (f) => f.event === 'pusher_internal:member_removed' && f.channel === room,
      'member_removed',
      12_000,
    );
    expect(dataOf(removed)).toEqual({ user_id: 'on-worker-b' });
    // Not the 8 s of lapsed heartbeats: the primary saw the exit and the other worker purged the node.
    expect(Date.now() - killedAt).toBeLessThan(2_000);
    expect(await getJson(sdkOfOther, `/channels/${room}/users`)).toEqual({
      users: [{ id: 'on-worker-a' }, { id: 'elsewhere' }],
    });

    // The new worker is a new node of the cluster: a client on it hears the other machine.
    await waitFor(() => childPids(machine.process.pid as number).length === 2, 10_000, 'a new worker');
    const fresh = await RawClient.open(url);
    const another = await RawClient.open(url);
    clients.push(fresh, another);
    for (const client of [fresh, another]) await client.subscribe('news');
    await sdkOfOther.trigger('news', 'again', { n: 2 });
    for (const client of [a, fresh, another]) await client.nextEvent('again', 'news');
  });
});
