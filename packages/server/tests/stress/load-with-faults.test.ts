/**
 * Load with faults (issue 10), bounded and on 127.0.0.1 only: STRESS_CLIENTS (default 2,000) WebSocket
 * clients over a three-node cluster (`reverb start`, REVERB_SCALING_ENABLED=true, one redis-server) with
 * steady HTTP triggers, during which node B is SIGKILLed and Redis is restarted (losing everything).
 * Afterwards every surviving client got, exactly once, every event answered 200 on a live path: its own
 * node's events always, other nodes' events except those triggered between the Redis kill and the first
 * confirmed cross-node delivery after it. No presence ghost of node B remains on any survivor, and once
 * the clients leave, node A's open descriptors and memory return near baseline.
 */
import { readdirSync, readFileSync } from 'node:fs';
import {
  type RedisHandle,
  type ServerHandle,
  startRedis,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import { afterAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { sdkFor } from '../support/auth';
import { signedPath } from '../support/http';
import { PUSHER_JS_QUERY } from '../support/raw-client';

const CLIENTS = Number(process.env.STRESS_CLIENTS ?? 2000);
const PRESENCE_PER_NODE = 20;
const APP = { id: '5151', key: 'stress-key', secret: 'stress-secret', client_events: true } as const;
const signer = sdkFor({ app: APP });

/** A bare client: counts every `tick` sequence number it receives. */
class LoadClient {
  readonly ticks = new Map<number, number>();
  socketId = '';
  closed = false;

  private constructor(readonly ws: WebSocket) {}

  static open(port: number, presenceUser?: string): Promise<LoadClient> {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?${PUSHER_JS_QUERY}`);
    const client = new LoadClient(ws);
    return new Promise((resolve, reject) => {
      let pending = presenceUser === undefined ? 1 : 2;
      const settled = () => {
        if (--pending === 0) resolve(client);
      };
      ws.on('error', reject);
      ws.on('close', () => {
        client.closed = true;
      });
      ws.on('message', (raw) => {
        const frame = JSON.parse(raw.toString()) as { event: string; channel?: string; data?: string };
        if (frame.event === 'tick') {
          const seq = Number(frame.data);
          client.ticks.set(seq, (client.ticks.get(seq) ?? 0) + 1);
        } else if (frame.event === 'pusher:connection_established') {
          client.socketId = (JSON.parse(frame.data as string) as { socket_id: string }).socket_id;
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'load', auth: '' } }));
          if (presenceUser !== undefined) {
            const auth = signer.authorizeChannel(client.socketId, 'presence-room', { user_id: presenceUser });
            ws.send(
              JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-room', ...auth } }),
            );
          }
        } else if (frame.event === 'pusher_internal:subscription_succeeded') {
          settled();
        } else if (frame.event === 'pusher:error' || frame.event === 'pusher:subscription_error') {
          reject(new Error(`client refused: ${raw.toString()}`));
        }
      });
    });
  }
}

async function openMany(port: number, count: number, presencePrefix: string): Promise<LoadClient[]> {
  const clients: LoadClient[] = [];
  for (let start = 0; start < count; start += 100) {
    const batch = Array.from({ length: Math.min(100, count - start) }, (_, i) => {
      const n = start + i;
      return LoadClient.open(port, n < PRESENCE_PER_NODE ? `${presencePrefix}${n}` : undefined);
    });
    clients.push(...(await Promise.all(batch)));
  }
  return clients;
}

async function signedGet(node: ServerHandle, path: string): Promise<Record<string, unknown>> {
  const response = await fetch(`${node.httpUrl}${signedPath(APP, 'GET', `/apps/${APP.id}${path}`)}`);
  return (await response.json()) as Record<string, unknown>;
}

/** One trigger of `tick` number `seq` through `node`; true when answered 200. */
async function trigger(node: ServerHandle, seq: number): Promise<boolean> {
  const body = JSON.stringify({ name: 'tick', channels: ['load'], data: String(seq) });
  const path = signedPath(APP, 'POST', `/apps/${APP.id}/events`, { body });
  try {
    const response = await fetch(`${node.httpUrl}${path}`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/json' },
      signal: AbortSignal.timeout(5000),
    });
    await response.text();
    return response.status === 200;
  } catch {
    return false;
  }
}

/** Open file descriptors (sockets included) and resident memory of a server process. */
function usage(node: ServerHandle): { fds: number; rssMb: number } {
  const pid = node.process.pid as number;
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return { fds: readdirSync(`/proc/${pid}/fd`).length, rssMb: rssKb / 1024 };
}

let redis: RedisHandle | undefined;
const nodes: ServerHandle[] = [];
afterAll(async () => {
  for (const node of nodes) await node.kill();
  await redis?.stop();
});

interface Triggered {
  readonly seq: number;
  readonly via: ServerHandle;
  /** Triggered while Redis was down or not yet confirmed back: only the triggering node's clients count. */
  readonly duringOutage: boolean;
}

describe(`${CLIENTS} clients on a three-node cluster`, () => {
  it('survive a node SIGKILL and a Redis restart: every live event delivered once, no ghosts, no leaks', async () => {
    redis = await startRedis();
    const env = {
      REVERB_SCALING_ENABLED: 'true',
      REDIS_URL: redis.url,
      REVERB_SCALING_CHANNEL: `stress-${process.pid}`,
    };
    const [a, b, c] = await Promise.all([0, 1, 2].map(() => startServer({ apps: [APP], env })));
    if (!a || !b || !c) throw new Error('nodes did not start');
    nodes.push(a, b, c);

    // Baseline of node A, after a warm-up round of connections.
    const warm = await openMany(a.port, 50, 'warm-');
    for (const client of warm) client.ws.close();
    await waitFor(
      async () => Object.keys((await signedGet(a, '/channels')).channels as object).length === 0,
      20_000,
      'warm-up clients gone',
    );
    const baseline = usage(a);

    const third = Math.floor(CLIENTS / 3);
    const onA = await openMany(a.port, third, 'a-');
    const onB = await openMany(b.port, third, 'b-');
    const onC = await openMany(c.port, CLIENTS - 2 * third, 'c-');
    await waitFor(
      async () =>
        ((await signedGet(a, '/channels/presence-room/users')).users as unknown[]).length ===
        3 * PRESENCE_PER_NODE,
      20_000,
      'node A to see the presence members of every node',
    );
    const peak = usage(a);

    // Steady triggers, rotating over the live nodes; faults injected on the way.
    const triggered: Triggered[] = [];
    let live = [a, b, c];
    let outage = false;
    let seq = 0;
    let running = true;
    const loop = (async () => {
      while (running) {
        const n = seq++;
        const via = live[n % live.length] as ServerHandle;
        const duringOutage = outage;
        if (await trigger(via, n)) triggered.push({ seq: n, via, duringOutage: duringOutage || outage });
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const waitTicks = (count: number) => waitFor(() => seq >= count, 60_000, `${count} triggers`);
    await waitTicks(60);
    live = [a, c];
    await b.kill();
    await waitTicks(120);
    outage = true;
    await redis.restart(500);
    // Back to live only once a cross-node event flows again, both ways.
    let probe = 0;
    await waitFor(
      async () => {
        const n = -1 - probe++;
        await trigger(a, n);
        await trigger(c, n - 1_000_000);
        return onC.every((x) => x.ticks.has(n)) && onA.every((x) => x.ticks.has(n - 1_000_000));
      },
      30_000,
      'cross-node delivery after the Redis restart',
    );
    outage = false;
    const resumedAt = seq;
    await waitTicks(resumedAt + 80);
    running = false;
    await loop;

    /** What a client on `node` must have received: its node's events always, others' outside the outage. */
    const owed = (node: ServerHandle) =>
      triggered.filter((t) => t.via === node || !t.duringOutage).map((t) => t.seq);
    expect(triggered.length).toBeGreaterThan(200);
    for (const [node, clients] of [
      [a, onA],
      [c, onC],
    ] as const) {
      const expected = owed(node);
      await waitFor(
        () => clients.every((x) => expected.every((n) => x.ticks.has(n))),
        30_000,
        `${expected.length} events at each of ${clients.length} clients of node ${node.port}`,
      );
      for (const x of clients) {
        expect(x.closed).toBe(false);
        for (const [n, times] of x.ticks) expect(times, `tick ${n} delivered ${times} times`).toBe(1);
      }
    }
    expect(onB.every((x) => x.closed)).toBe(true);

    // No presence ghost of the killed node, on any survivor, also after Redis lost everything.
    const expectedUsers = [
      ...Array.from({ length: PRESENCE_PER_NODE }, (_, i) => `a-${i}`),
      ...Array.from({ length: PRESENCE_PER_NODE }, (_, i) => `c-${i}`),
    ].sort();
    for (const node of [a, c]) {
      await waitFor(
        async () => {
          const users = (
            (await signedGet(node, '/channels/presence-room/users')).users as Array<{ id: string }>
          )
            .map((u) => u.id)
            .sort();
          return JSON.stringify(users) === JSON.stringify(expectedUsers);
        },
        30_000,
        `presence on node ${node.port}: exactly the members of A and C`,
      );
    }

    // Everyone leaves: channels empty, sockets closed, memory back near the baseline.
    for (const x of [...onA, ...onC]) x.ws.close();
    await waitFor(
      async () => Object.keys((await signedGet(a, '/channels')).channels as object).length === 0,
      30_000,
      'channels to empty',
    );
    await waitFor(
      () => usage(a).fds <= baseline.fds + 10,
      30_000,
      `node A's descriptors back to ${baseline.fds}`,
    );
    const after = usage(a);
    console.log(
      `node A: baseline ${JSON.stringify(baseline)}, peak ${JSON.stringify(peak)}, after ${JSON.stringify(after)}`,
    );
    // A coarse bound (V8 keeps heap it grew and RSS lags); the exact heap, timer and listener checks
    // are in leaks.test.ts, in-process.
    expect(after.rssMb).toBeLessThan(baseline.rssMb + 80);
  });
});
