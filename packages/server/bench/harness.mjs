// Building blocks the scenarios share: start a server and client workers for the length of a
// measurement, connect subscribers, wait for deliveries, read the server's CPU and memory.
import { startWorkers, stopWorkers } from './pool.mjs';
import { cpuSeconds, rssBytes, systemCpuSeconds } from './proc.mjs';
import { Histogram, round } from './stats.mjs';
import { startRedis, startTarget } from './targets.mjs';

/**
 * @typedef {import('./targets.mjs').Target} Target
 * @typedef {import('./targets.mjs').TargetKind} TargetKind
 * @typedef {import('./pool.mjs').Worker} Worker
 * @typedef {import('./pool.mjs').WorkerKind} WorkerKind
 * @typedef {{ channels: string[], user?: { id: string, info?: unknown }, role?: 'sender' | 'probe' }} ConnSpec
 * @typedef {{ clientWorkers: number, log: (line: string) => void }} Context
 */

/** @param {number} ms */
export const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Runs `fn` with a started server and stops it afterwards, whatever happens.
 * @template T
 * @param {TargetKind} kind
 * @param {(target: Target) => Promise<T>} fn
 * @param {{ env?: Record<string, string> }} [options]
 */
export async function withTarget(kind, fn, options) {
  const target = await startTarget(kind, options);
  try {
    return await fn(target);
  } finally {
    await target.stop();
  }
}

/**
 * One server, or a cluster: `nodes` servers of `kind` on one redis-server of their own (scale-out
 * on: `REVERB_SCALING_ENABLED`, with `REDIS_URL` for ours and `REDIS_HOST`/`REDIS_PORT` for soketi's
 * `start.sh`).
 * @typedef {{ nodes: Target[], redis?: Awaited<ReturnType<typeof startRedis>> }} Deployment
 */

/**
 * Runs `fn` with a started deployment of `nodes` servers (a cluster over Redis when more than one)
 * and stops everything afterwards, whatever happens.
 * @template T
 * @param {TargetKind} kind
 * @param {number} nodes
 * @param {(deployment: Deployment) => Promise<T>} fn
 * @param {{ env?: Record<string, string> }} [options]
 */
export async function withDeployment(kind, nodes, fn, options = {}) {
  if (nodes === 1) return withTarget(kind, (node) => fn({ nodes: [node] }), options);
  const redis = await startRedis();
  /** @type {Deployment} */
  const deployment = { nodes: [], redis };
  try {
    const env = {
      ...options.env,
      REVERB_SCALING_ENABLED: 'true',
      REDIS_URL: redis.url,
      REDIS_HOST: '127.0.0.1',
      REDIS_PORT: String(redis.port),
    };
    for (let i = 0; i < nodes; i++) deployment.nodes.push(await startTarget(kind, { env }));
    return await fn(deployment);
  } finally {
    await Promise.all(deployment.nodes.map((n) => n.stop()));
    await redis.stop();
  }
}

/**
 * CPU seconds used so far by a deployment: its nodes' process trees, and its redis-server.
 * @param {Deployment} deployment
 */
export function deploymentCpu(deployment) {
  return {
    nodes: deployment.nodes.reduce((a, n) => a + cpuSeconds(n.pid), 0),
    redis: deployment.redis ? cpuSeconds(deployment.redis.pid) : 0,
  };
}

/**
 * Runs `fn` with `count` forked workers of `kind` and stops them afterwards.
 * @template T
 * @param {WorkerKind} kind
 * @param {number} count
 * @param {(workers: Worker[]) => Promise<T>} fn
 */
export async function withWorkers(kind, count, fn) {
  const workers = startWorkers(kind, count);
  try {
    return await fn(workers);
  } finally {
    await stopWorkers(workers);
  }
}

/**
 * Splits `items` into `parts` contiguous slices of near-equal length.
 * @template T
 * @param {T[]} items
 * @param {number} parts
 * @returns {T[][]}
 */
export function split(items, parts) {
  const out = [];
  const size = Math.ceil(items.length / parts);
  for (let i = 0; i < parts; i++) out.push(items.slice(i * size, (i + 1) * size));
  return out;
}

/**
 * Source addresses for client sockets: one loopback address per 20,000 connections of a worker
 * (`BENCH_CONNS_PER_SOURCE_IP`), because the ephemeral port range (about 28,000 ports) is per
 * source address, and addresses of their own per worker once all workers together open more than
 * that (50,000 over 4 processes of 12,500 would otherwise all leave from 127.0.0.1). The server
 * still listens on 127.0.0.1 only.
 * @param {number} workerIndex
 * @param {number} connections connections this worker opens
 * @param {number} total connections all workers open
 */
function sourceAddresses(workerIndex, connections, total) {
  const perAddress = Number(process.env.BENCH_CONNS_PER_SOURCE_IP) || 20_000;
  if (total <= perAddress) return undefined;
  const count = Math.max(1, Math.ceil(connections / perAddress));
  return Array.from({ length: count }, (_, i) => `127.0.${workerIndex + 1}.${i + 2}`);
}

/**
 * Opens the given connections (one list per worker, all workers at once) on `target` and waits
 * until each is subscribed to all its channels or failed.
 * @param {Target} target
 * @param {Worker[]} workers
 * @param {ConnSpec[][]} specsPerWorker
 * @param {{ concurrency?: number, timeoutMs?: number }} [options]
 */
export async function connect(target, workers, specsPerWorker, options = {}) {
  const started = performance.now();
  const total = specsPerWorker.reduce((a, specs) => a + specs.length, 0);
  const results = await Promise.all(
    workers.map((worker, i) => {
      const specs = specsPerWorker[i] ?? [];
      return worker.call(
        'open',
        {
          url: target.wsUrl,
          app: target.app,
          specs,
          concurrency: options.concurrency ?? 100,
          timeoutMs: options.timeoutMs ?? 30_000,
          localAddresses: sourceAddresses(i, specs.length, total),
        },
        600_000,
      );
    }),
  );
  const ms = performance.now() - started;
  const opened = results.reduce((a, r) => a + r.opened, 0);
  const failed = results.reduce((a, r) => a + r.failed, 0);
  /** @type {string[]} */
  const errors = results.flatMap((r) => r.errors).slice(0, 5);
  return { ms: round(ms, 1), opened, failed, errors };
}

/**
 * Merged counters of all client workers.
 * @param {Worker[]} workers
 */
export async function clientStats(workers) {
  const parts = await Promise.all(workers.map((w) => w.call('stats')));
  /** @type {Record<string, number>} */
  const serverErrors = {};
  for (const p of parts) {
    for (const [k, v] of Object.entries(p.serverErrors)) serverErrors[k] = (serverErrors[k] ?? 0) + v;
  }
  return {
    connections: parts.reduce((a, p) => a + p.connections, 0),
    received: parts.reduce((a, p) => a + p.received, 0),
    positioned: parts.reduce((a, p) => a + p.positioned, 0),
    closedAfterReady: parts.reduce((a, p) => a + p.closedAfterReady, 0),
    membersAdded: parts.reduce((a, p) => a + p.membersAdded, 0),
    latency: Histogram.from(parts.map((p) => p.latency)),
    serverErrors,
  };
}

/** @param {Worker[]} workers */
export async function resetClients(workers) {
  await Promise.all(workers.map((w) => w.call('reset')));
}

/**
 * Polls the workers until `expected` deliveries arrived, or nothing new came for `quietMs`.
 * @param {Worker[]} workers
 * @param {number} expected
 * @param {{ quietMs?: number, maxMs?: number }} [options]
 */
export async function waitDelivered(workers, expected, options = {}) {
  const quietMs = options.quietMs ?? 3000;
  const end = Date.now() + (options.maxMs ?? 60_000);
  let last = -1;
  let lastChange = Date.now();
  for (;;) {
    const stats = await clientStats(workers);
    if (stats.received >= expected) return stats;
    if (stats.received !== last) {
      last = stats.received;
      lastChange = Date.now();
    }
    if (Date.now() - lastChange > quietMs || Date.now() > end) return stats;
    await sleep(100);
  }
}

/**
 * A reading of the server's CPU time and memory, to diff against a later one.
 * @param {Target} target
 */
export function usage(target) {
  return {
    cpu: cpuSeconds(target.pid),
    systemCpu: systemCpuSeconds(target.pid),
    rss: rssBytes(target.pid),
    at: performance.now(),
  };
}

/**
 * CPU seconds used so far by client/publisher processes, to show when the client side, not the
 * server, was the limit.
 * @param {Worker[]} workers
 */
export function workersCpu(workers) {
  return workers.reduce((a, w) => a + (w.child.pid ? cpuSeconds(w.child.pid) : 0), 0);
}

/**
 * @param {ReturnType<typeof usage>} before
 * @param {ReturnType<typeof usage>} after
 */
export function usageDelta(before, after) {
  const seconds = (after.at - before.at) / 1000;
  const cpu = after.cpu - before.cpu;
  return {
    cpuSeconds: round(cpu, 3),
    // Share of that CPU spent in the kernel (system time): socket writes and reads.
    kernelPercent: round((100 * (after.systemCpu - before.systemCpu)) / Math.max(cpu, 1e-9), 1),
    cpuPercent: round((100 * cpu) / seconds, 1),
    seconds: round(seconds, 2),
  };
}

/**
 * Latency summary in milliseconds from a histogram of microseconds.
 * @param {Histogram} histogram
 */
export function ms(histogram) {
  return histogram.summary(1e-3);
}
