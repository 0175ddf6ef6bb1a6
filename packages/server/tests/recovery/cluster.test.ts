/**
 * Recovery in a cluster (docs/protocol.md §11.1): real servers scaled out over a real redis-server,
 * positions assigned in Redis, a raw client behind the fault proxy as behind a load balancer. It is
 * cut, reconnects to the OTHER node (`retarget`) and recovers there; Redis restarted empty gives a gap
 * (`epoch_changed`), never a silent loss or a duplicate; a slow Redis (the fault proxy frozen between
 * a node and Redis) and a slow pub/sub path never make an event arrive twice or be lost.
 */
import { randomUUID } from 'node:crypto';
import {
  DEMO_APP_CONFIG,
  type FaultProxy,
  type RedisHandle,
  startFaultProxy,
  startRedis,
  waitFor,
} from '@react-reverb/test-helpers';
import { pino } from 'pino';
import type Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterMessage, LocalNode } from '../../src/scaling/adapter';
import { RedisAdapter } from '../../src/scaling/redis-adapter';
import { sdkFor } from '../support/auth';
import { cleanupAfterEach, teardownInOrder } from '../support/cleanup';
import { unique } from '../support/ids';
import {
  afterAnswer,
  eventsOn,
  expectContiguous,
  ns,
  RecoveringClient,
  triggerRange,
  wsUrlAt,
} from '../support/recovery';
import { redisConfig, scalingOver } from '../support/redis';
import { startTestServer, type TestServer } from '../support/server';

const SHORT_APP = { id: '5001', key: 'short-key', secret: 'short-secret', history: { ttl: 1 } };
const APPS = [DEMO_APP_CONFIG, SHORT_APP];

let redis: RedisHandle;
/** Between node C and Redis: a slow Redis is a frozen proxy. */
let redisProxy: FaultProxy;
/** Between clients and the nodes: the load balancer. */
let proxy: FaultProxy;
let a: TestServer;
let b: TestServer;
let c: TestServer;
/** Positioned broadcasts reach node C's sockets this late (a slow pub/sub path); 0 = at once. */
let applyDelayMs = 0;
const defer = cleanupAfterEach();
const sdk = (node: TestServer): Pusher => sdkFor(node);

/** Node C's side of its adapter, with positioned broadcasts delayed by `applyDelayMs` (order kept). */
function delayed(node: LocalNode): LocalNode {
  return {
    apply: (message: AdapterMessage) => {
      if (message.type === 'broadcast' && message.position && applyDelayMs > 0) {
        setTimeout(() => node.apply(message), applyDelayMs);
      } else node.apply(message);
    },
    answer: (query) => node.answer(query),
  };
}

beforeAll(async () => {
  redis = await startRedis();
  redisProxy = await startFaultProxy({ target: redis.port });
  const channel = `rec-${randomUUID().slice(0, 8)}`;
  const scaling = scalingOver(redis, channel);
  [a, b] = await Promise.all([startTestServer(APPS, { scaling }), startTestServer(APPS, { scaling })]);
  c = await startTestServer(
    APPS,
    { scaling },
    {
      adapter: (node) =>
        new RedisAdapter(delayed(node), {
          nodeId: `node-c-${randomUUID()}`,
          redis: redisConfig({ url: `redis://127.0.0.1:${redisProxy.port}` }),
          prefix: channel,
          apps: APPS.map((app) => app.id),
          logger: pino({ level: 'silent' }),
        }),
    },
  );
  proxy = await startFaultProxy({ target: a.port });
}, 30_000);

afterAll(async () => {
  // Node C before `redisProxy`: its Redis connections go through it, and it closes once they are gone.
  await teardownInOrder([
    ['client proxy', () => proxy?.close()],
    ['node C', () => c?.close()],
    ['nodes A and B', () => Promise.all([a, b].map((node) => node?.close()))],
    ['Redis proxy', () => redisProxy?.close()],
    ['redis-server', () => redis?.stop()],
  ]);
}, 60_000);

afterEach(() => {
  applyDelayMs = 0;
  proxy.accept();
  proxy.retarget(a.port);
  redisProxy.thaw();
});

/** A client of `node`'s app, directly or through the load balancer (`url`). */
async function clientOf(node: TestServer, url = node.wsUrl()): Promise<RecoveringClient> {
  const client = new RecoveringClient(node, url);
  await client.connect();
  defer(() => client.client.ws.terminate());
  return client;
}

/** Every node answers its own clients with the cluster's positions: no hold anywhere once done. */
function expectNoHolds(): void {
  for (const node of [a, b, c]) expect(node.server.stats().held).toBe(0);
}

describe('recovery across a cluster', () => {
  it('positions are the cluster’s: every node sends the same epoch and offset for an event', async () => {
    const channel = unique('private-chat.');
    const [onA, onB, onC] = await Promise.all([clientOf(a), clientOf(b), clientOf(c)]);
    const answers = await Promise.all([onA, onB, onC].map((x) => x.subscribe(channel)));
    expect(new Set(answers.map((x) => JSON.stringify(x.stream))).size).toBe(1);
    await triggerRange(sdk(a), channel, 0, 2);
    await triggerRange(sdk(b), channel, 2, 4);
    await triggerRange(sdk(c), channel, 4, 6);
    const seen = await Promise.all([onA, onB, onC].map((x) => x.received(channel, 6)));
    for (const events of seen) {
      expect(ns(events)).toEqual([0, 1, 2, 3, 4, 5]);
      expectContiguous(events, answers[0]?.stream?.epoch as string, 1);
    }
  });

  it('a client cut from node A reconnects to node B and gets every missed event once, in order', async () => {
    const channel = unique('private-chat.');
    const client = await clientOf(a, wsUrlAt(proxy.port, a.app.key));
    const { stream } = await client.subscribe(channel);
    await triggerRange(sdk(b), channel, 0, 2);
    await client.received(channel, 2);

    proxy.cut();
    proxy.refuse();
    await client.client.closed();
    // Published on both nodes while the client is away.
    await triggerRange(sdk(a), channel, 2, 5);
    await triggerRange(sdk(b), channel, 5, 8);
    proxy.retarget(b.port);
    proxy.accept();
    await client.connect();
    expect(proxy.connections.at(-1)?.target.port).toBe(b.port);

    const answer = await client.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 6 });
    expect(answer.stream).toEqual({ epoch: stream?.epoch, offset: 8 });
    await triggerRange(sdk(a), channel, 8, 9);
    await triggerRange(sdk(b), channel, 9, 10);
    const events = await client.received(channel, 8);
    expect(ns(events)).toEqual([2, 3, 4, 5, 6, 7, 8, 9]);
    expectContiguous(events, stream?.epoch as string, 3);
    expectNoHolds();
  });

  it('an event in Redis whose pub/sub copy is still on its way is not sent twice', async () => {
    const channel = unique('private-chat.');
    const client = await clientOf(c);
    await client.subscribe(channel);
    await triggerRange(sdk(a), channel, 0, 1);
    await client.received(channel, 1);
    client.client.ws.terminate();

    applyDelayMs = 600;
    // Offset 2 is in Redis when this resolves, and reaches node C 600 ms later.
    await triggerRange(sdk(a), channel, 1, 2);
    await client.connect();
    const answer = await client.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 1 });
    await triggerRange(sdk(a), channel, 2, 3);
    await client.received(channel, 2);
    // Long after the late copy of offset 2 arrived: still once.
    await new Promise((resolve) => setTimeout(resolve, 700));
    await client.client.ping();
    expect(ns(eventsOn(client.client, channel))).toEqual([1, 2]);
    expectNoHolds();
  });

  it('a live event published while Redis is slow to answer the read is delivered once, after the replay', async () => {
    const channel = unique('private-chat.');
    const client = await clientOf(c);
    const { stream } = await client.subscribe(channel);
    await triggerRange(sdk(a), channel, 0, 2);
    await client.received(channel, 2);
    client.client.ws.terminate();
    await triggerRange(sdk(a), channel, 2, 4);

    await client.connect();
    // Node C's Redis stops answering (nothing is closed); the read waits, the others keep publishing.
    redisProxy.freeze();
    const answered = client.subscribe(channel, 'recover');
    await new Promise((resolve) => setTimeout(resolve, 100));
    await triggerRange(sdk(a), channel, 4, 6);
    await triggerRange(sdk(b), channel, 6, 8);
    await new Promise((resolve) => setTimeout(resolve, 300));
    redisProxy.thaw();
    const answer = await answered;
    expect(answer.recovery).toMatchObject({ recovered: true });
    await triggerRange(sdk(b), channel, 8, 9);
    const events = await client.received(channel, 7);
    await client.client.ping();
    expect(ns(eventsOn(client.client, channel))).toEqual([2, 3, 4, 5, 6, 7, 8]);
    expectContiguous(events, stream?.epoch as string, 3);
    // The replay came first, then whatever was held, then live: one run without repeats.
    expect(afterAnswer(client.client, channel).map((f) => f.event)).toEqual(
      Array(7).fill('App\\Events\\Msg'),
    );
    expectNoHolds();
  });

  it('expired in Redis: a gap with reason expired', async () => {
    const short = { ...a, app: { id: SHORT_APP.id, key: SHORT_APP.key, secret: SHORT_APP.secret } };
    const channel = unique('private-chat.');
    const client = await clientOf(short, a.wsUrl(SHORT_APP.key));
    await client.subscribe(channel);
    client.client.ws.terminate();
    await triggerRange(sdk(short), channel, 0, 2);
    await new Promise((resolve) => setTimeout(resolve, 1_300));
    await triggerRange(sdkFor({ ...short, port: b.port }), channel, 2, 3);
    await client.connect(b.wsUrl(SHORT_APP.key));
    const answer = await client.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: false, replayed: 1, reason: 'expired' });
    expect(ns(await client.received(channel, 1))).toEqual([2]);
  });
});

describe('Redis restarted empty (runs last: it restarts Redis)', () => {
  it('clients get a gap (epoch_changed), never a silent loss, never a duplicate', async () => {
    const channel = unique('private-chat.');
    const away = await clientOf(a, wsUrlAt(proxy.port, a.app.key));
    const stays = await clientOf(a);
    const { stream } = await away.subscribe(channel);
    await stays.subscribe(channel);
    await triggerRange(sdk(a), channel, 0, 2);
    await away.received(channel, 2);
    proxy.cut();
    proxy.refuse();
    await away.client.closed();

    await redis.stop();
    // Published while Redis is down: node A's own subscribers get it, without a position.
    await triggerRange(sdk(a), channel, 2, 3);
    const [during] = (await stays.received(channel, 3)).slice(2);
    expect(during).toEqual({ event: 'App\\Events\\Msg', channel, data: '{"n":2}' });
    await redis.restart(0);

    // Once node A reaches Redis again, its events carry positions of a new epoch. (Node A delivers
    // them when they come back from Redis, just after the trigger returns; while its subscriber
    // connection is still re-subscribing they may not come back: the history has them.)
    let n = 3;
    await waitFor(
      async () => {
        await triggerRange(sdk(a), channel, n, n + 1);
        n++;
        await waitFor(() => eventsOn(stays.client, channel).length >= n, 1_000, 'the echo').catch(() => {});
        return eventsOn(stays.client, channel).at(-1)?.epoch !== undefined;
      },
      15_000,
      'node A publishing with positions again',
    );
    const fresh = eventsOn(stays.client, channel).at(-1);
    expect(fresh?.epoch).not.toBe(stream?.epoch);

    proxy.retarget(b.port);
    proxy.accept();
    await away.connect();
    const answer = await away.subscribe(channel, 'recover');
    // The position's epoch is gone: the client is told, and gets the whole new epoch.
    expect(answer.recovery).toMatchObject({ recovered: false, reason: 'epoch_changed' });
    expect(answer.stream?.epoch).toBe(fresh?.epoch);
    const replayed = answer.recovery?.replayed as number;
    expect(replayed).toBe(answer.stream?.offset);
    const events = await away.received(channel, replayed);
    // The last events triggered, once each, in order, ending with the last one.
    expect(ns(events)).toEqual(Array.from({ length: replayed }, (_, i) => n - replayed + i));
    expectContiguous(events, fresh?.epoch as string, 1);
  }, 60_000);
});
