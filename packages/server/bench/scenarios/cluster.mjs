// Scale-out: fan-out throughput of one node, then of 3 nodes sharing one redis-server, with the
// same subscribers spread over the nodes. Throughput is delivery-clocked: at most `window` events
// are outstanding until a tracker connection on every node has received them, so no node can be
// flooded past what it delivers. Skips with a clear line when scaling does not work.
import {
  clientStats,
  connect,
  ms,
  resetClients,
  split,
  waitDelivered,
  withTarget,
  withWorkers,
} from '../harness.mjs';
import { cpuSeconds, machineJiffies } from '../proc.mjs';
import { Histogram, round } from '../stats.mjs';
import { startRedis, startTarget } from '../targets.mjs';

/** @typedef {{ nodes: number, subscribers: number, window: number, durationMs: number }} Params */

const CHANNEL = 'bench-cluster';

/**
 * @param {import('../targets.mjs').Target[]} nodes
 * @param {import('../pool.mjs').Worker[]} clients
 * @param {import('../pool.mjs').Worker} publisher
 * @param {Params} params
 */
async function throughput(nodes, clients, publisher, params) {
  const perNode = split(
    Array.from({ length: params.subscribers }, () => ({ channels: [CHANNEL] })),
    nodes.length,
  );
  let connectMs = 0;
  for (const [i, node] of nodes.entries()) {
    const opened = await connect(node, clients, split(perNode[i] ?? [], clients.length));
    connectMs += opened.ms;
    if (opened.failed > 0)
      throw new Error(`node ${i}: ${opened.failed} subscriptions failed: ${opened.errors[0]}`);
  }
  await resetClients(clients);
  const first = /** @type {import('../targets.mjs').Target} */ (nodes[0]);
  const cpuBefore = nodes.reduce((a, n) => a + cpuSeconds(n.pid), 0);
  const machineBefore = machineJiffies();
  const startedAt = performance.now();
  const run = await publisher.call(
    'runTracked',
    {
      server: { host: first.host, port: first.port, app: first.app },
      channels: [CHANNEL],
      durationMs: params.durationMs,
      inflight: params.window,
      window: params.window,
      trackerUrls: nodes.map((n) => n.wsUrl),
    },
    params.durationMs + 60_000,
  );
  const expected = run.ok * params.subscribers;
  const got = await waitDelivered(clients, expected);
  const cpu = nodes.reduce((a, n) => a + cpuSeconds(n.pid), 0) - cpuBefore;
  const machineAfter = machineJiffies();
  const seconds = (performance.now() - startedAt) / 1000;
  await Promise.all(clients.map((c) => c.call('close')));
  return {
    nodes: nodes.length,
    connectMs: round(connectMs, 1),
    triggered: run.ok,
    triggerFailed: run.failed,
    expected,
    received: got.received,
    lost: Math.max(0, expected - got.received),
    deliveriesPerSec: round(got.received / (run.elapsedMs / 1000), 0),
    latencyMs: ms(got.latency),
    trackedLatencyMs: ms(Histogram.from([run.trackedLatency])),
    cpuPerDeliveryUs: round((cpu * 1e6) / Math.max(1, got.received), 2),
    // Cores the server nodes kept busy, and how busy the whole machine was (servers, clients, Redis):
    // near 100 % the cores, not the servers, bound the speedup.
    serverCoresUsed: round(cpu / seconds, 2),
    machineBusyPercent: round(
      (100 * (machineAfter.busy - machineBefore.busy)) /
        Math.max(1, machineAfter.total - machineBefore.total),
      1,
    ),
  };
}

/**
 * Does an event triggered on node 0 reach a subscriber on node 1?
 * @param {import('../targets.mjs').Target[]} nodes
 * @param {import('../pool.mjs').Worker[]} clients
 * @param {import('../pool.mjs').Worker} publisher
 */
async function scalingWorks(nodes, clients, publisher) {
  const [a, b] = /** @type {import('../targets.mjs').Target[]} */ (nodes);
  const probe = clients.slice(0, 1);
  await resetClients(probe);
  const opened = await connect(b, probe, [[{ channels: ['bench-cluster-probe'] }]]);
  if (opened.failed > 0) return false;
  await publisher.call('run', {
    server: { host: a.host, port: a.port, app: a.app },
    channels: ['bench-cluster-probe'],
    durationMs: 300,
    inflight: 1,
    rate: 10,
  });
  const got = await waitDelivered(probe, 1, { quietMs: 3000, maxMs: 3000 });
  await Promise.all(probe.map((c) => c.call('close')));
  return got.received > 0;
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const cluster = {
  name: 'cluster',
  summary: 'fan-out throughput of 3 nodes on one Redis vs one node',
  variants: (size) => [
    {
      name: `cluster-${size.cluster.nodes}-nodes`,
      params: size.cluster,
      connections: size.cluster.subscribers,
    },
  ],
  async measure(kind, params, ctx) {
    return withWorkers('clients', ctx.clientWorkers, (clients) =>
      withWorkers('trigger', 1, async ([publisher]) => {
        const pub = /** @type {import('../pool.mjs').Worker} */ (publisher);
        const single = await withTarget(kind, (node) => throughput([node], clients, pub, params));
        ctx.log(`  ${kind}: 1 node ${single.deliveriesPerSec} deliveries/s`);
        const redis = await startRedis().catch((/** @type {Error} */ error) => error);
        if (redis instanceof Error) {
          return { skipped: `redis-server did not start: ${redis.message.split('\n').pop()}`, single };
        }
        /** @type {import('../targets.mjs').Target[]} */
        const nodes = [];
        try {
          const env = {
            REVERB_SCALING_ENABLED: 'true',
            REDIS_URL: redis.url,
            REDIS_HOST: '127.0.0.1',
            REDIS_PORT: String(redis.port),
          };
          for (let i = 0; i < params.nodes; i++) nodes.push(await startTarget(kind, { env }));
          if (!(await scalingWorks(nodes, clients, pub))) {
            return {
              skipped: 'scaling not available (an event triggered on node 1 did not reach node 2 in 3 s)',
              single,
            };
          }
          const multi = await throughput(nodes, clients, pub, params);
          ctx.log(`  ${kind}: ${params.nodes} nodes ${multi.deliveriesPerSec} deliveries/s`);
          const stats = await clientStats(clients);
          return {
            single,
            cluster: multi,
            clusterSpeedup: round(multi.deliveriesPerSec / Math.max(1, single.deliveriesPerSec), 2),
            lost: single.lost + multi.lost,
            closedDuringRun: stats.closedAfterReady,
          };
        } finally {
          await Promise.all(nodes.map((n) => n.stop()));
          await redis.stop();
        }
      }),
    );
  },
  ratios: ['clusterSpeedup', 'single.deliveriesPerSec', 'cluster.deliveriesPerSec', 'cluster.latencyMs.p99'],
  checks: () => [
    { metric: 'lost', label: '0 messages lost', equals: 0 },
    { metric: 'clusterSpeedup', label: '3-node cluster ≥ 2× one node', atLeast: 2 },
  ],
};
