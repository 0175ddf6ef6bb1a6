// Every core (`reverb start --workers N`), ours only: the same server with `--workers N` and with one
// process (`--workers 1`, the default), both running in the same measurement.
//
// - fan-out throughput: N subscribers on one public channel, events triggered through the signed
//   HTTP API in a closed loop clocked by the subscribers (at most `window` events outstanding until
//   every client process has them on all its connections, workers/acks.mjs), so the server never
//   runs ahead of what the clients read. Deliveries/s is every delivery over the time until the last
//   one arrived.
// - fan-out CPU per delivery: the same subscribers, events at a steady `rate` both sides can serve,
//   so each delivery costs what it costs alone. (Under the closed loop a busy process writes several
//   frames per socket at once, socket/turn-writes.ts, and CPU per delivery there depends on how far
//   behind the process is: it compares backlogs, not the cost of a delivery.)
// - `POST /events` throughput: closed loop, `inflight` requests over keep-alive connections from
//   `publishers` processes (the connections spread over the workers); one subscriber checks that
//   every accepted event arrives, wherever it was triggered.
//
// Subscribers are lean (workers/lean-clients.mjs): with `ws` clients they spend more CPU per delivery
// than the server, and on 2 cores would be all this measures. Each sample records the server's CPU
// (the process tree: the primary and its workers, and the primary alone), the client processes' CPU
// and how busy the whole machine was, so the line shows what bounded a figure: when the machine is
// busy through and through, the cores did, not the server. Samples alternate one, many, many, one
// (ABBA, `blocks` times) after a warm-up of each; each figure is the median of its samples.
import {
  clientStats,
  connect,
  resetClients,
  split,
  withTarget,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { cpuSeconds, machineJiffies, ownCpuSeconds } from '../proc.mjs';
import { combineSamples, Histogram, round } from '../stats.mjs';

/** Each side's subscribers on a channel of their own: the clients count deliveries per channel. */
const FANOUT_CHANNEL = { w1: 'bench-workers-fanout-1', wN: 'bench-workers-fanout-n' };
const HTTP_CHANNEL = 'bench-workers-http';

/**
 * @typedef {{
 *   workers: number, subscribers: number, window: number, fanoutMs: number, rate: number,
 *   pacedMs: number, httpMs: number, inflight: number, publishers: number, blocks: number
 * }} Params
 * @typedef {import('../pool.mjs').Worker} Worker
 * @typedef {import('../targets.mjs').Target} Target
 * @typedef {Record<string, number>} Sample
 * @typedef {{ target: Target, channel: string, clients: Worker[], publishers: Worker[] }} Side
 */

/** @param {number} ms */
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** @param {Target} target */
const ref = (target) => ({ host: target.host, port: target.port, app: target.app });

/**
 * CPU seconds so far of the server's tree, of its first process (with --workers N the primary),
 * of the clients and publishers, and the machine's jiffies.
 * @param {Side} side
 */
function reading(side) {
  return {
    server: cpuSeconds(side.target.pid),
    primary: ownCpuSeconds(side.target.pid),
    clients: workersCpu(side.clients),
    publishers: workersCpu(side.publishers),
    machine: machineJiffies(),
    at: performance.now(),
  };
}

/**
 * Cores kept busy between two readings (1 = one core), and how busy the machine was in all.
 * @param {ReturnType<typeof reading>} a
 * @param {ReturnType<typeof reading>} b
 * @param {number} endAt when the work measured ended (performance.now())
 */
function cores(a, b, endAt) {
  const seconds = (endAt - a.at) / 1000;
  return {
    serverCores: round((b.server - a.server) / seconds, 2),
    // With --workers N, the primary's share: it relays every broadcast between the workers.
    primaryCores: round((b.primary - a.primary) / seconds, 2),
    clientCores: round((b.clients - a.clients) / seconds, 2),
    publisherCores: round((b.publishers - a.publishers) / seconds, 2),
    machineBusyPercent: round(
      (100 * (b.machine.busy - a.machine.busy)) / Math.max(1, b.machine.total - a.machine.total),
      1,
    ),
  };
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
 * A fan-out sample on `side.channel`: `closedLoop` runs the subscriber-clocked loop, else events at
 * `p.rate`; then waits until every delivery arrived.
 * @param {Side} side
 * @param {Params} p
 * @param {boolean} closedLoop
 * @returns {Promise<Sample>}
 */
async function fanoutSample(side, p, closedLoop) {
  const { target, channel, clients } = side;
  const publisher = /** @type {Worker} */ (side.publishers[0]);
  await resetClients(clients);
  const server = ref(target);
  let extra = {};
  const before = reading(side);
  let run;
  if (closedLoop) {
    const { port } = await publisher.call('ackPort');
    const reporting = await Promise.all(clients.map((c) => c.call('reportTo', { port, channel })));
    const reporters = reporting.filter((r) => r.connections > 0).length;
    const args = {
      server,
      channels: [channel],
      durationMs: p.fanoutMs,
      inflight: p.window,
      window: p.window,
    };
    run = await publisher.call('runAcked', { ...args, reporters }, p.fanoutMs + 60_000);
    extra = {
      // Events not counted everywhere within 10 s of their request (undelivered ones count in lost).
      stalled: run.stalled,
      allDeliveredP99Ms: Histogram.from([run.ackedLatency]).summary(1e-3).p99 ?? Number.NaN,
    };
  } else {
    const args = { server, channels: [channel], durationMs: p.pacedMs, inflight: 32, rate: p.rate };
    run = await publisher.call('run', args, p.pacedMs + 60_000);
  }
  const expected = run.ok * p.subscribers;
  const done = await delivered(clients, expected);
  const after = reading(side);
  if (closedLoop) await Promise.all(clients.map((c) => c.call('stopReporting')));
  const seconds = (done.at - before.at) / 1000;
  const latency = done.stats.latency.summary(1e-3);
  return {
    triggered: run.ok,
    failed: run.failed,
    expected,
    received: done.stats.received,
    lost: Math.max(0, expected - done.stats.received),
    deliveriesPerSec: round(done.stats.received / seconds, 0),
    cpuPerDeliveryUs: round(((after.server - before.server) * 1e6) / Math.max(1, done.stats.received), 2),
    latencyP50Ms: latency.p50 ?? Number.NaN,
    latencyP99Ms: latency.p99 ?? Number.NaN,
    ...extra,
    ...cores(before, after, done.at),
  };
}

/**
 * One `POST /events` sample: closed loop for `httpMs`; the subscriber must get every accepted event.
 * @param {Side} side
 * @param {Params} p
 * @returns {Promise<Sample>}
 */
async function httpSample(side, p) {
  const { target, clients, publishers } = side;
  await resetClients(clients);
  const before = reading(side);
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
  const after = reading(side);
  const ok = runs.reduce((a, r) => a + r.ok, 0);
  const got = await delivered(clients, ok);
  const elapsedS = Math.max(...runs.map((r) => r.elapsedMs)) / 1000;
  const requestMs = Histogram.from(runs.map((r) => r.requestLatency)).summary(1e-3);
  return {
    requests: ok,
    failed: runs.reduce((a, r) => a + r.failed, 0),
    received: got.stats.received,
    lost: Math.max(0, ok - got.stats.received),
    requestsPerSec: round(ok / elapsedS, 0),
    cpuPerRequestUs: round(((after.server - before.server) * 1e6) / Math.max(1, ok), 1),
    requestP99Ms: requestMs.p99 ?? Number.NaN,
    ...cores(before, after, after.at),
  };
}

/** Counts that add up over samples; every other figure is the median of the samples. */
const SUMMED = new Set(['triggered', 'failed', 'stalled', 'expected', 'received', 'lost', 'requests']);

/** @param {Sample[]} samples @returns {Sample} */
const combine = (samples) => combineSamples(samples, SUMMED);

/** @param {number | undefined} a @param {number | undefined} b */
const over = (a, b) => (a && b ? round(a / b, 3) : null);

const KINDS = /** @type {const} */ (['fanout', 'paced', 'http']);

/**
 * @param {Record<'w1' | 'wN', Target>} targets both running
 * @param {Params} p
 * @param {import('../harness.mjs').Context} ctx
 */
function compare(targets, p, ctx) {
  return withWorkers(/** @type {'clients'} */ ('lean-clients'), ctx.clientWorkers, (clients) =>
    withWorkers('trigger', p.publishers, async (publishers) => {
      /** @type {Record<'w1' | 'wN', Side>} */
      const sides = {
        w1: { target: targets.w1, channel: FANOUT_CHANNEL.w1, clients, publishers },
        wN: { target: targets.wN, channel: FANOUT_CHANNEL.wN, clients, publishers },
      };
      for (const { target, channel } of Object.values(sides)) {
        const specs = Array.from({ length: p.subscribers }, () => ({ channels: [channel] }));
        const opened = await connect(target, clients, split(specs, clients.length));
        if (opened.failed > 0) throw new Error(`${opened.failed} subscriptions failed: ${opened.errors[0]}`);
        const http = await connect(target, clients.slice(0, 1), [[{ channels: [HTTP_CHANNEL] }]]);
        if (http.failed > 0) throw new Error(http.errors[0]);
      }
      ctx.log(
        `  --workers 1 (pid ${targets.w1.pid}) and --workers ${p.workers} (pid ${targets.wN.pid}): ` +
          `${(await clientStats(clients)).connections} connections`,
      );
      /** @param {Side} side @param {Params} params */
      const take = async (side, params) => ({
        fanout: await fanoutSample(side, params, true),
        paced: await fanoutSample(side, params, false),
        http: await httpSample(side, params),
      });
      // Warm-up, not recorded: code V8 has not optimized yet would fall on one side of ABBA only.
      const warmup = { ...p, fanoutMs: 1500, pacedMs: 1500, httpMs: 1500 };
      for (const side of Object.values(sides)) await take(side, warmup);
      /** @type {Record<'w1' | 'wN', Record<(typeof KINDS)[number], Sample[]>>} */
      const samples = { w1: { fanout: [], paced: [], http: [] }, wN: { fanout: [], paced: [], http: [] } };
      for (let block = 0; block < p.blocks; block++) {
        for (const name of /** @type {const} */ (['w1', 'wN', 'wN', 'w1'])) {
          const s = await take(sides[name], p);
          for (const kind of KINDS) samples[name][kind].push(s[kind]);
          ctx.log(
            `  --workers ${name === 'w1' ? 1 : p.workers}: fan-out ${s.fanout.deliveriesPerSec} deliveries/s ` +
              `(server ${s.fanout.serverCores} cores, clients ${s.fanout.clientCores}, machine ` +
              `${s.fanout.machineBusyPercent} %), paced ${s.paced.cpuPerDeliveryUs} µs/delivery, ` +
              `POST /events ${s.http.requestsPerSec}/s (server ${s.http.serverCores} cores, publishers ` +
              `${s.http.publisherCores}, machine ${s.http.machineBusyPercent} %)`,
          );
        }
      }
      /** @param {(typeof KINDS)[number]} kind */
      const both = (kind) => ({ w1: combine(samples.w1[kind]), wN: combine(samples.wN[kind]) });
      const fanout = both('fanout');
      const paced = both('paced');
      const http = both('http');
      const sum = (/** @type {string} */ key) =>
        [fanout, paced, http].reduce((a, k) => a + (k.w1[key] ?? 0) + (k.wN[key] ?? 0), 0);
      return {
        workers: p.workers,
        subscribers: p.subscribers,
        deliveriesSpeedup: over(fanout.wN.deliveriesPerSec, fanout.w1.deliveriesPerSec),
        httpSpeedup: over(http.wN.requestsPerSec, http.w1.requestsPerSec),
        cpuPerDeliveryRatio: over(paced.wN.cpuPerDeliveryUs, paced.w1.cpuPerDeliveryUs),
        cpuPerRequestRatio: over(http.wN.cpuPerRequestUs, http.w1.cpuPerRequestUs),
        fanout,
        paced,
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
  summary: 'ours with --workers 2 vs one process: fan-out deliveries/s, CPU/delivery, POST /events/s',
  variants: (size) => {
    const p = size.everyCore;
    return [
      {
        name: `workers-${p.workers}-vs-1`,
        params: p,
        // Both servers hold their subscribers at once.
        connections: 2 * (p.subscribers + 1),
        targets: /** @type {const} */ (['ours']),
      },
    ];
  },
  measure: (_kind, p, ctx) =>
    withTarget('ours', (w1) =>
      withTarget('ours', (wN) => compare({ w1, wN }, p, ctx), { workers: p.workers }),
    ),
  ratios: [],
  // Ours only: N workers ÷ one process, and each side's figures.
  shown: [
    'deliveriesSpeedup',
    'fanout.w1.deliveriesPerSec',
    'fanout.wN.deliveriesPerSec',
    'fanout.w1.serverCores',
    'fanout.wN.serverCores',
    'fanout.wN.primaryCores',
    'fanout.w1.clientCores',
    'fanout.wN.clientCores',
    'fanout.w1.machineBusyPercent',
    'fanout.wN.machineBusyPercent',
    'fanout.w1.allDeliveredP99Ms',
    'fanout.wN.allDeliveredP99Ms',
    'cpuPerDeliveryRatio',
    'paced.w1.cpuPerDeliveryUs',
    'paced.wN.cpuPerDeliveryUs',
    'paced.w1.latencyP99Ms',
    'paced.wN.latencyP99Ms',
    'httpSpeedup',
    'http.w1.requestsPerSec',
    'http.wN.requestsPerSec',
    'cpuPerRequestRatio',
    'http.w1.serverCores',
    'http.wN.serverCores',
    'http.wN.primaryCores',
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
    { metric: 'cpuPerDeliveryRatio', label: 'CPU per delivery, --workers 2 ≤ 1.1× one', atMost: 1.1 },
  ],
};
