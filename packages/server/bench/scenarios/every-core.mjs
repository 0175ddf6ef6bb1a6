// Every core (`reverb start --workers N`), ours only: the same server with `--workers 2` and with one
// process (`--workers 1`, the default), both running in the same measurement.
//
// - fan-out throughput: N subscribers on one public channel, events triggered through the signed
//   HTTP API in a delivery-clocked closed loop (at most `window` events outstanding until every
//   tracker connection has them; trackers are several connections, so each worker holds some).
//   Deliveries/s is every delivery over the time until the last one arrived.
// - `POST /events` throughput: closed loop, `inflight` requests over keep-alive connections from
//   `publishers` processes (the connections spread over the workers); one subscriber checks that
//   every accepted event arrives, wherever it was triggered.
//
// Each sample records the server's CPU (the process tree: the primary and its workers), the client
// processes' CPU and how busy the whole machine was, so the line shows what bounded a figure: on a
// machine whose cores are all busy, the cores did, not the server. Samples alternate one, many, many,
// one (ABBA, `blocks` times) after a warm-up of each; each figure is the median of its samples.
import {
  clientStats,
  connect,
  resetClients,
  split,
  withTarget,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { cpuSeconds, machineJiffies } from '../proc.mjs';
import { Histogram, round } from '../stats.mjs';

const FANOUT_CHANNEL = 'bench-workers-fanout';
const HTTP_CHANNEL = 'bench-workers-http';

/**
 * @typedef {{
 *   workers: number, subscribers: number, window: number, trackers: number, fanoutMs: number,
 *   httpMs: number, inflight: number, publishers: number, blocks: number
 * }} Params
 * @typedef {import('../pool.mjs').Worker} Worker
 * @typedef {import('../targets.mjs').Target} Target
 * @typedef {Record<string, number>} Sample
 */

/** @param {number} ms */
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** @param {Target} target */
const ref = (target) => ({ host: target.host, port: target.port, app: target.app });

/** CPU seconds of the server's tree and the machine's jiffies, now. @param {Target} target */
function reading(target) {
  return { server: cpuSeconds(target.pid), machine: machineJiffies(), at: performance.now() };
}

/**
 * @param {ReturnType<typeof reading>} a
 * @param {ReturnType<typeof reading>} b
 */
function machineBusy(a, b) {
  return round((100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total), 1);
}

/**
 * Polls the subscribers every 25 ms until `expected` deliveries arrived (or nothing new came for 3 s):
 * the time of the last delivery, to within a poll.
 * @param {Worker[]} clients
 * @param {number} expected
 */
async function delivered(clients, expected) {
  let last = -1;
  let lastChange = performance.now();
  for (;;) {
    const stats = await clientStats(clients);
    const now = performance.now();
    if (stats.received >= expected) return { stats, at: now };
    if (stats.received !== last) {
      last = stats.received;
      lastChange = now;
    }
    if (now - lastChange > 3000) return { stats, at: lastChange };
    await sleep(25);
  }
}

/**
 * One fan-out sample: the delivery-clocked closed loop for `fanoutMs`, then until every delivery
 * arrived.
 * @param {Target} target
 * @param {Worker[]} clients
 * @param {Worker} publisher
 * @param {Params} p
 * @returns {Promise<Sample>}
 */
async function fanoutSample(target, clients, publisher, p) {
  await resetClients(clients);
  const before = reading(target);
  const clientsBefore = workersCpu(clients);
  const publisherBefore = workersCpu([publisher]);
  const run = await publisher.call(
    'runTracked',
    {
      server: ref(target),
      channels: [FANOUT_CHANNEL],
      durationMs: p.fanoutMs,
      inflight: p.window,
      window: p.window,
      trackerUrls: Array.from({ length: p.trackers }, () => target.wsUrl),
    },
    p.fanoutMs + 60_000,
  );
  const expected = run.ok * p.subscribers;
  const done = await delivered(clients, expected);
  const after = reading(target);
  const seconds = (done.at - before.at) / 1000;
  const server = after.server - before.server;
  const latency = done.stats.latency.summary(1e-3);
  return {
    triggered: run.ok,
    failed: run.failed,
    expected,
    received: done.stats.received,
    lost: Math.max(0, expected - done.stats.received),
    deliveriesPerSec: round(done.stats.received / seconds, 0),
    cpuPerDeliveryUs: round((server * 1e6) / Math.max(1, done.stats.received), 2),
    latencyP50Ms: latency.p50 ?? Number.NaN,
    latencyP99Ms: latency.p99 ?? Number.NaN,
    // Cores kept busy (1 = one core): the server's tree, the subscribers, the publisher with its
    // trackers, and the machine as a whole (these and everything else running).
    serverCores: round(server / seconds, 2),
    clientCores: round((workersCpu(clients) - clientsBefore) / seconds, 2),
    publisherCores: round((workersCpu([publisher]) - publisherBefore) / seconds, 2),
    machineBusyPercent: machineBusy(before, after),
  };
}

/**
 * One `POST /events` sample: closed loop for `httpMs`; the subscriber must get every accepted event.
 * @param {Target} target
 * @param {Worker[]} clients
 * @param {Worker[]} publishers
 * @param {Params} p
 * @returns {Promise<Sample>}
 */
async function httpSample(target, clients, publishers, p) {
  await resetClients(clients);
  const before = reading(target);
  const publishersBefore = workersCpu(publishers);
  const clientsBefore = workersCpu(clients);
  const runs = await Promise.all(
    publishers.map((publisher) =>
      publisher.call(
        'run',
        {
          server: ref(target),
          channels: [HTTP_CHANNEL],
          durationMs: p.httpMs,
          inflight: Math.ceil(p.inflight / publishers.length),
        },
        p.httpMs + 60_000,
      ),
    ),
  );
  const after = reading(target);
  const seconds = (after.at - before.at) / 1000;
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const got = await delivered(clients, ok);
  const elapsedS = Math.max(...runs.map((r) => r.elapsedMs)) / 1000;
  const server = after.server - before.server;
  const requestMs = Histogram.from(runs.map((r) => r.requestLatency)).summary(1e-3);
  return {
    requests: ok,
    failed: runs.reduce((a, r) => a + r.failed, 0),
    received: got.stats.received,
    lost: Math.max(0, ok - got.stats.received),
    requestsPerSec: round(ok / elapsedS, 0),
    cpuPerRequestUs: round((server * 1e6) / Math.max(1, ok), 1),
    requestP99Ms: requestMs.p99 ?? Number.NaN,
    serverCores: round(server / seconds, 2),
    publisherCores: round((workersCpu(publishers) - publishersBefore) / seconds, 2),
    clientCores: round((workersCpu(clients) - clientsBefore) / seconds, 2),
    machineBusyPercent: machineBusy(before, after),
  };
}

/** Counts that add up over samples; every other figure is the median of the samples. */
const SUMMED = new Set(['triggered', 'failed', 'expected', 'received', 'lost', 'requests']);

/** @param {Sample[]} samples @returns {Sample} */
function combine(samples) {
  /** @type {Sample} */
  const out = { samples: samples.length };
  for (const key of Object.keys(samples[0] ?? {})) {
    const values = samples.map((s) => /** @type {number} */ (s[key])).filter(Number.isFinite);
    if (SUMMED.has(key)) {
      out[key] = values.reduce((a, v) => a + v, 0);
      continue;
    }
    const sorted = values.sort((a, b) => a - b);
    const mid = sorted.length / 2;
    out[key] =
      sorted.length === 0
        ? Number.NaN
        : sorted.length % 2
          ? /** @type {number} */ (sorted[Math.floor(mid)])
          : round(((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2, 2);
  }
  return out;
}

/** @param {number | undefined} a @param {number | undefined} b */
const over = (a, b) => (a && b ? round(a / b, 3) : null);

/**
 * @param {Record<'w1' | 'wN', Target>} targets both running
 * @param {Params} p
 * @param {import('../harness.mjs').Context} ctx
 */
function compare(targets, p, ctx) {
  return withWorkers('clients', ctx.clientWorkers, (clients) =>
    withWorkers('trigger', p.publishers, async (publishers) => {
      for (const side of /** @type {const} */ (['w1', 'wN'])) {
        const target = targets[side];
        const opened = await connect(
          target,
          clients,
          split(
            Array.from({ length: p.subscribers }, () => ({ channels: [FANOUT_CHANNEL] })),
            clients.length,
          ),
        );
        if (opened.failed > 0)
          throw new Error(`${side}: ${opened.failed} subscriptions failed: ${opened.errors[0]}`);
        const http = await connect(target, clients.slice(0, 1), [[{ channels: [HTTP_CHANNEL] }]]);
        if (http.failed > 0) throw new Error(`${side}: ${http.errors[0]}`);
      }
      const connected = await clientStats(clients);
      ctx.log(
        `  --workers 1 (pid ${targets.w1.pid}) and --workers ${p.workers} (pid ${targets.wN.pid}): ` +
          `${connected.connections} connections`,
      );
      const publisher = /** @type {Worker} */ (publishers[0]);
      // Warm-up, not recorded: code V8 has not optimized yet would fall on one side of ABBA only.
      const warmup = { ...p, fanoutMs: 1500, httpMs: 1500 };
      for (const side of /** @type {const} */ (['w1', 'wN'])) {
        await fanoutSample(targets[side], clients, publisher, warmup);
        await httpSample(targets[side], clients, publishers, warmup);
      }
      /** @type {Record<'w1' | 'wN', { fanout: Sample[], http: Sample[] }>} */
      const samples = { w1: { fanout: [], http: [] }, wN: { fanout: [], http: [] } };
      for (let block = 0; block < p.blocks; block++) {
        for (const side of /** @type {const} */ (['w1', 'wN', 'wN', 'w1'])) {
          const fanout = await fanoutSample(targets[side], clients, publisher, p);
          const http = await httpSample(targets[side], clients, publishers, p);
          samples[side].fanout.push(fanout);
          samples[side].http.push(http);
          ctx.log(
            `  ${side === 'w1' ? '--workers 1' : `--workers ${p.workers}`}: fan-out ` +
              `${fanout.deliveriesPerSec} deliveries/s (${fanout.cpuPerDeliveryUs} µs each, server ` +
              `${fanout.serverCores} cores, clients ${fanout.clientCores}, machine ${fanout.machineBusyPercent} %), ` +
              `POST /events ${http.requestsPerSec}/s (server ${http.serverCores} cores, publishers ` +
              `${http.publisherCores}, machine ${http.machineBusyPercent} %)`,
          );
        }
      }
      const fanout = { w1: combine(samples.w1.fanout), wN: combine(samples.wN.fanout) };
      const http = { w1: combine(samples.w1.http), wN: combine(samples.wN.http) };
      const sum = (/** @type {string} */ key) =>
        (fanout.w1[key] ?? 0) + (fanout.wN[key] ?? 0) + (http.w1[key] ?? 0) + (http.wN[key] ?? 0);
      return {
        workers: p.workers,
        subscribers: p.subscribers,
        deliveriesSpeedup: over(fanout.wN.deliveriesPerSec, fanout.w1.deliveriesPerSec),
        httpSpeedup: over(http.wN.requestsPerSec, http.w1.requestsPerSec),
        cpuPerDeliveryRatio: over(fanout.wN.cpuPerDeliveryUs, fanout.w1.cpuPerDeliveryUs),
        cpuPerRequestRatio: over(http.wN.cpuPerRequestUs, http.w1.cpuPerRequestUs),
        fanout,
        http,
        lost: sum('lost'),
        failed: sum('failed'),
        samples,
        closedDuringRun: (await clientStats(clients)).closedAfterReady,
      };
    }),
  );
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const everyCore = {
  name: 'workers',
  summary: 'ours with --workers 2 vs one process: fan-out deliveries/s and POST /events req/s, with CPU',
  variants: (size) => {
    const p = size.everyCore;
    return [
      {
        name: `workers-${p.workers}-vs-1`,
        params: p,
        // Both servers hold their subscribers at once.
        connections: 2 * (p.subscribers + 1 + p.trackers),
        targets: /** @type {const} */ (['ours']),
      },
    ];
  },
  measure: (_kind, p, ctx) =>
    withTarget('ours', (w1) =>
      withTarget('ours', (wN) => compare({ w1, wN }, p, ctx), { workers: p.workers }),
    ),
  // Ours-only figures (shown with soketi's column empty): N workers ÷ one process, and each side's.
  ratios: [
    'deliveriesSpeedup',
    'fanout.w1.deliveriesPerSec',
    'fanout.wN.deliveriesPerSec',
    'cpuPerDeliveryRatio',
    'fanout.w1.cpuPerDeliveryUs',
    'fanout.wN.cpuPerDeliveryUs',
    'fanout.w1.serverCores',
    'fanout.wN.serverCores',
    'fanout.w1.clientCores',
    'fanout.wN.clientCores',
    'fanout.w1.machineBusyPercent',
    'fanout.wN.machineBusyPercent',
    'fanout.w1.latencyP99Ms',
    'fanout.wN.latencyP99Ms',
    'httpSpeedup',
    'http.w1.requestsPerSec',
    'http.wN.requestsPerSec',
    'cpuPerRequestRatio',
    'http.w1.serverCores',
    'http.wN.serverCores',
    'http.w1.publisherCores',
    'http.wN.publisherCores',
    'http.w1.machineBusyPercent',
    'http.wN.machineBusyPercent',
  ],
  checks: () => [
    { metric: 'lost', label: '0 messages lost', equals: 0 },
    { metric: 'failed', label: 'no failed request', equals: 0 },
    { metric: 'deliveriesSpeedup', label: 'fan-out deliveries/s, --workers 2 ≥ 1.4× one', atLeast: 1.4 },
    { metric: 'httpSpeedup', label: 'POST /events req/s, --workers 2 ≥ 1.4× one', atLeast: 1.4 },
    {
      metric: 'cpuPerDeliveryRatio',
      label: 'CPU per delivery, --workers 2 < 1.1× one',
      below: 1.1,
    },
  ],
};
