// The cost of history (docs/protocol.md §11.1), ours only: the same server with history on (the
// default: every `private-*` channel keeps it) and off (`REVERB_APP_HISTORY_CHANNELS=none`), both
// running in the same measurement, on one node and on a cluster over one redis-server each.
//
// - fan-out: N subscribers on one private channel (spread over the nodes), events triggered at a
//   steady rate; server CPU per delivery (the nodes' and, in a cluster, Redis's: the history lives
//   there). Same load both ways, so the CPU per delivery compares directly.
// - `POST /events`: closed loop on a private channel, requests spread over the nodes; requests/s.
//
// Both deployments run side by side with their subscribers connected, and the samples alternate
// off, on, on, off (ABBA, `blocks` times), so a drift of the machine's load falls on both alike;
// each figure is the median of its samples, and the samples are kept in the results file.
import {
  clientStats,
  connect,
  deploymentCpu,
  resetClients,
  split,
  waitDelivered,
  withDeployment,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { machineJiffies } from '../proc.mjs';
import { combineSamples, round } from '../stats.mjs';

const FANOUT_CHANNEL = 'private-bench-history-fanout';
const HTTP_CHANNEL = 'private-bench-history-http';
/** The settings of each side: the default app, and the same app with history off. */
const CONDITIONS = /** @type {const} */ ({ on: {}, off: { REVERB_APP_HISTORY_CHANNELS: 'none' } });

/**
 * @typedef {{
 *   nodes: number, subscribers: number, rate: number, fanoutMs: number, httpMs: number,
 *   inflight: number, publishers: number, blocks: number
 * }} Params
 * @typedef {import('../pool.mjs').Worker} Worker
 * @typedef {import('../targets.mjs').Target} Target
 * @typedef {import('../harness.mjs').Deployment} Deployment
 * @typedef {Record<string, number>} Sample
 */

/** CPU seconds so far: the nodes', Redis's, and the machine's jiffies. @param {Deployment} d */
function reading(d) {
  return { ...deploymentCpu(d), machine: machineJiffies(), at: performance.now() };
}

/**
 * Server CPU between two readings: per unit of work (µs, nodes + Redis), and as % of one core.
 * @param {ReturnType<typeof reading>} a @param {ReturnType<typeof reading>} b @param {number} units
 * @param {boolean} hasRedis
 */
function serverCpu(a, b, units, hasRedis) {
  const seconds = (b.at - a.at) / 1000;
  const nodes = b.nodes - a.nodes;
  const redis = b.redis - a.redis;
  return {
    seconds,
    perUnitUs: round(((nodes + redis) * 1e6) / Math.max(1, units), 2),
    nodesPerUnitUs: round((nodes * 1e6) / Math.max(1, units), 2),
    serverCpuPercent: round((100 * nodes) / seconds, 1),
    // NaN (shown as –) without Redis.
    redisCpuPercent: hasRedis ? round((100 * redis) / seconds, 1) : Number.NaN,
    machineBusyPercent: round(
      (100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total),
      1,
    ),
  };
}

/** @param {Target} node */
const ref = (node) => ({ host: node.host, port: node.port, app: node.app });

/**
 * One fan-out sample on `d`: the rate for `fanoutMs`, then until every delivery arrived.
 * @param {Deployment} d @param {Worker[]} clients @param {Worker} publisher @param {Params} p
 * @returns {Promise<Sample>}
 */
async function fanoutSample(d, clients, publisher, p) {
  const first = /** @type {Target} */ (d.nodes[0]);
  await resetClients(clients);
  const before = reading(d);
  const clientsBefore = workersCpu(clients);
  const publisherBefore = workersCpu([publisher]);
  const sent = await publisher.call(
    'run',
    { server: ref(first), channels: [FANOUT_CHANNEL], durationMs: p.fanoutMs, inflight: 32, rate: p.rate },
    p.fanoutMs + 60_000,
  );
  const expected = sent.ok * p.subscribers;
  const got = await waitDelivered(clients, expected);
  const cpu = serverCpu(before, reading(d), got.received, d.redis !== undefined);
  return {
    triggered: sent.ok,
    failed: sent.failed,
    expected,
    received: got.received,
    lost: Math.max(0, expected - got.received),
    positionedPercent: round((100 * got.positioned) / Math.max(1, got.received), 1),
    deliveriesPerSec: round(got.received / (sent.elapsedMs / 1000), 0),
    cpuPerDeliveryUs: cpu.perUnitUs,
    nodesCpuPerDeliveryUs: cpu.nodesPerUnitUs,
    latencyP50Ms: got.latency.summary(1e-3).p50 ?? Number.NaN,
    latencyP99Ms: got.latency.summary(1e-3).p99 ?? Number.NaN,
    serverCpuPercent: cpu.serverCpuPercent,
    redisCpuPercent: cpu.redisCpuPercent,
    clientCpuPercent: round((100 * (workersCpu(clients) - clientsBefore)) / cpu.seconds, 1),
    publisherCpuPercent: round((100 * (workersCpu([publisher]) - publisherBefore)) / cpu.seconds, 1),
    machineBusyPercent: cpu.machineBusyPercent,
  };
}

/**
 * One `POST /events` sample on `d`: closed loop for `httpMs`, requests spread over the nodes; one
 * subscriber (on the first node) checks that every accepted event is delivered.
 * @param {Deployment} d @param {Worker[]} clients @param {Worker[]} publishers @param {Params} p
 * @returns {Promise<Sample>}
 */
async function httpSample(d, clients, publishers, p) {
  await resetClients(clients);
  const before = reading(d);
  const publishersBefore = workersCpu(publishers);
  const runs = await Promise.all(
    publishers.map((publisher) =>
      publisher.call(
        'run',
        {
          server: ref(/** @type {Target} */ (d.nodes[0])),
          servers: d.nodes.map(ref),
          channels: [HTTP_CHANNEL],
          durationMs: p.httpMs,
          inflight: Math.ceil(p.inflight / publishers.length),
        },
        p.httpMs + 60_000,
      ),
    ),
  );
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const cpu = serverCpu(before, reading(d), ok, d.redis !== undefined);
  const publisherCpu = workersCpu(publishers) - publishersBefore;
  const got = await waitDelivered(clients, ok);
  const elapsedS = Math.max(...runs.map((r) => r.elapsedMs)) / 1000;
  return {
    requests: ok,
    failed: runs.reduce((a, r) => a + r.failed, 0),
    received: got.received,
    lost: Math.max(0, ok - got.received),
    requestsPerSec: round(ok / elapsedS, 0),
    cpuPerRequestUs: cpu.perUnitUs,
    serverCpuPercent: cpu.serverCpuPercent,
    redisCpuPercent: cpu.redisCpuPercent,
    publisherCpuPercent: round((100 * publisherCpu) / cpu.seconds, 1),
    machineBusyPercent: cpu.machineBusyPercent,
  };
}

/** Counts that add up over samples; every other figure is the median of the samples. */
const SUMMED = new Set(['triggered', 'failed', 'expected', 'received', 'lost', 'requests']);

/** @param {Sample[]} samples @returns {Sample} */
const combine = (samples) => combineSamples(samples, SUMMED);

/** @param {number | undefined} on @param {number | undefined} off */
const onOff = (on, off) => (on && off ? round(on / off, 3) : null);

/**
 * @param {'ours' | 'soketi'} _kind
 * @param {Params} p
 * @param {import('../harness.mjs').Context} ctx
 */
function measureHistoryCost(_kind, p, ctx) {
  return withDeployment('ours', p.nodes, (on) =>
    withDeployment('ours', p.nodes, (off) => compare({ on, off }, p, ctx), { env: CONDITIONS.off }),
  );
}

/**
 * @param {Record<'on' | 'off', Deployment>} deployments both running
 * @param {Params} p
 * @param {import('../harness.mjs').Context} ctx
 */
function compare(deployments, p, ctx) {
  return withWorkers('clients', ctx.clientWorkers, (clients) =>
    withWorkers('trigger', p.publishers, async (publishers) => {
      for (const side of /** @type {const} */ (['on', 'off'])) {
        const d = deployments[side];
        const perNode = split(
          Array.from({ length: p.subscribers }, () => ({ channels: [FANOUT_CHANNEL] })),
          d.nodes.length,
        );
        for (const [i, node] of d.nodes.entries()) {
          const opened = await connect(node, clients, split(perNode[i] ?? [], clients.length));
          if (opened.failed > 0) throw new Error(`history ${side}, node ${i}: ${opened.errors[0]}`);
        }
        const http = await connect(/** @type {Target} */ (d.nodes[0]), clients.slice(0, 1), [
          [{ channels: [HTTP_CHANNEL] }],
        ]);
        if (http.failed > 0) throw new Error(`history ${side}: ${http.errors[0]}`);
      }
      const connected = await clientStats(clients);
      ctx.log(
        `  history on (pids ${deployments.on.nodes.map((n) => n.pid)}) and off (pids ` +
          `${deployments.off.nodes.map((n) => n.pid)}), ${p.nodes} node(s) each: ${connected.connections} connections`,
      );
      const publisher = /** @type {Worker} */ (publishers[0]);
      // Warm-up, not recorded: a process's first seconds of load run code V8 has not optimized yet
      // (the first sample measured about half the requests/s of the next ones), and ABBA would give
      // that cold sample to one side only.
      const warmup = { ...p, fanoutMs: 1500, httpMs: 1500 };
      for (const side of /** @type {const} */ (['off', 'on'])) {
        await fanoutSample(deployments[side], clients, publisher, warmup);
        await httpSample(deployments[side], clients, publishers, warmup);
      }
      /** @type {Record<'on' | 'off', { fanout: Sample[], http: Sample[] }>} */
      const samples = { on: { fanout: [], http: [] }, off: { fanout: [], http: [] } };
      for (let block = 0; block < p.blocks; block++) {
        for (const side of /** @type {const} */ (['off', 'on', 'on', 'off'])) {
          const d = deployments[side];
          const fanout = await fanoutSample(d, clients, publisher, p);
          const http = await httpSample(d, clients, publishers, p);
          samples[side].fanout.push(fanout);
          samples[side].http.push(http);
          ctx.log(
            `  history ${side}: fan-out ${fanout.cpuPerDeliveryUs} µs/delivery, ` +
              `POST /events ${http.requestsPerSec}/s`,
          );
        }
      }
      const fanout = { on: combine(samples.on.fanout), off: combine(samples.off.fanout) };
      const http = { on: combine(samples.on.http), off: combine(samples.off.http) };
      return {
        nodes: p.nodes,
        subscribers: p.subscribers,
        httpThroughputRatio: onOff(http.on.requestsPerSec, http.off.requestsPerSec),
        httpCpuRatio: onOff(http.on.cpuPerRequestUs, http.off.cpuPerRequestUs),
        fanoutCpuRatio: onOff(fanout.on.cpuPerDeliveryUs, fanout.off.cpuPerDeliveryUs),
        fanout,
        http,
        lost: (fanout.on.lost ?? 0) + (fanout.off.lost ?? 0) + (http.on.lost ?? 0) + (http.off.lost ?? 0),
        failed:
          (fanout.on.failed ?? 0) + (fanout.off.failed ?? 0) + (http.on.failed ?? 0) + (http.off.failed ?? 0),
        samples,
        closedDuringRun: (await clientStats(clients)).closedAfterReady,
      };
    }),
  );
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const historyCost = {
  name: 'history-cost',
  summary:
    'history on vs off (ours): fan-out CPU per delivery and POST /events req/s, one node and a cluster',
  variants: (size) => {
    const p = size.historyCost;
    const variant = (/** @type {number} */ nodes) => ({
      name: nodes === 1 ? 'history-cost-1-node' : `history-cost-${nodes}-nodes`,
      params: { ...p, nodes },
      // Both deployments hold their subscribers at once.
      connections: 2 * p.subscribers + 16,
      targets: /** @type {const} */ (['ours']),
    });
    return [variant(1), variant(p.clusterNodes)];
  },
  measure: measureHistoryCost,
  ratios: [],
  shown: [
    'httpThroughputRatio',
    'http.on.requestsPerSec',
    'http.off.requestsPerSec',
    'http.on.serverCpuPercent',
    'http.off.serverCpuPercent',
    'http.on.redisCpuPercent',
    'http.off.redisCpuPercent',
    'http.on.publisherCpuPercent',
    'http.off.publisherCpuPercent',
    'httpCpuRatio',
    'fanoutCpuRatio',
    'fanout.on.cpuPerDeliveryUs',
    'fanout.off.cpuPerDeliveryUs',
    'fanout.on.serverCpuPercent',
    'fanout.off.serverCpuPercent',
    'fanout.on.redisCpuPercent',
    'fanout.off.redisCpuPercent',
    'fanout.on.clientCpuPercent',
    'fanout.off.clientCpuPercent',
    'fanout.on.latencyP99Ms',
    'fanout.off.latencyP99Ms',
  ],
  checks: () => [
    { metric: 'lost', label: '0 messages lost', equals: 0 },
    { metric: 'failed', label: 'no failed request', equals: 0 },
    // The comparison compares what it says: positions on every event with history on, none with it off.
    { metric: 'fanout.on.positionedPercent', label: 'history on: every event positioned', equals: 100 },
    { metric: 'fanout.off.positionedPercent', label: 'history off: no event positioned', equals: 0 },
    { metric: 'httpThroughputRatio', label: 'POST /events req/s, history on ≥ 0.9× off', atLeast: 0.9 },
    { metric: 'fanoutCpuRatio', label: 'fan-out CPU per delivery, history on ≤ 1.1× off', atMost: 1.1 },
  ],
};
