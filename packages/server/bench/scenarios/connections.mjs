// N raw WebSocket connections subscribed to public channels: time to establish, server RSS per
// connection, and event-loop lag while idle with pings running (client-side ping RTT on a probe
// connection, the same measure for both servers). Two layouts: every connection on its own channel
// (`connections-N`), and all on one channel (`connections-N-shared`), the layout of the issue's
// reference figure (soketi: 10,000 subscribed in about 15.7 s), where soketi's per-subscriber cost
// grows with the channel's size.
//
// A count more than one process holds under a hard `ulimit -n` of 20,000 (50k) runs ours with
// `--workers N`, N processes on the one port, and opens the clients from as many processes at least:
// the line then records each server process's descriptors, the largest of which must stay under
// the limit.
import { connect, ms, split, usage, withTarget, withWorkers, workersCpu } from '../harness.mjs';
import { descriptorsPerProcess } from '../proc.mjs';
import { Histogram, round } from '../stats.mjs';

/**
 * @typedef {{
 *   count: number, shared: boolean, pingIntervalMs: number, lagMs: number, probeEveryMs: number,
 *   processes: number
 * }} Params
 */

/** Connections one process holds at most (a hard descriptor limit of 20,000, less its own files). */
const PER_PROCESS = 17_000;

/** @param {number} count */
const label = (count) => (count >= 1000 ? `${count / 1000}k` : `${count}`);

/** @type {import('./index.mjs').Scenario<Params>} */
export const connections = {
  name: 'connections',
  summary: 'N connections on public channels (own or one shared): connect time, RSS/conn, idle ping RTT',
  variants(size) {
    const p = size.connections;
    const timing = { pingIntervalMs: p.pingIntervalMs, lagMs: p.lagMs, probeEveryMs: p.probeEveryMs };
    const own = p.counts.map((count) => {
      const processes = Math.ceil(count / PER_PROCESS);
      return {
        name: `connections-${label(count)}`,
        params: { count, shared: false, processes, ...timing },
        connections: count,
        perProcessConnections: Math.ceil(count / processes),
        ...(count > 10_000 ? { targets: /** @type {const} */ (['ours']) } : {}),
      };
    });
    const shared = p.sharedCounts.map((count) => ({
      name: `connections-${label(count)}-shared`,
      params: { count, shared: true, processes: 1, ...timing },
      connections: count,
    }));
    return [...own, ...shared];
  },
  async measure(kind, params, ctx) {
    const serverWorkers = params.processes > 1 ? params.processes : undefined;
    return withTarget(
      kind,
      (target) =>
        withWorkers('clients', Math.max(ctx.clientWorkers, params.processes), async (workers) => {
          /** @type {import('../harness.mjs').ConnSpec[]} */
          const specs = Array.from({ length: params.count }, (_, i) => ({
            channels: [params.shared ? 'bench-conn-shared' : `bench-conn-${i}`],
            ...(i === 0 ? { role: /** @type {const} */ ('probe') } : {}),
          }));
          await new Promise((ok) => setTimeout(ok, 500));
          const before = usage(target);
          const clientsBefore = workersCpu(workers);
          const opened = await connect(target, workers, split(specs, workers.length));
          const clientCpu = workersCpu(workers) - clientsBefore;
          ctx.log(`  ${kind}: ${opened.opened}/${params.count} subscribed in ${opened.ms} ms`);
          await new Promise((ok) => setTimeout(ok, 1000));
          const held = usage(target);
          await Promise.all(workers.map((w) => w.call('startPings', { intervalMs: params.pingIntervalMs })));
          const probes = await Promise.all(
            workers.map((w, i) =>
              i === 0 ? w.call('probe', { durationMs: params.lagMs, intervalMs: params.probeEveryMs }) : null,
            ),
          );
          const idle = usage(target);
          const descriptors = descriptorsPerProcess(target.pid);
          await Promise.all(workers.map((w) => w.call('stopPings')));
          const stats = await Promise.all(workers.map((w) => w.call('stats')));
          const probe = probes[0];
          const rtt = Histogram.from([probe.rtt]);
          return {
            opened: opened.opened,
            failed: opened.failed,
            errors: opened.errors,
            connectMs: opened.ms,
            connectsPerSec: round(opened.opened / (opened.ms / 1000), 0),
            rssBeforeMb: round(before.rss / 2 ** 20, 1),
            rssHeldMb: round(held.rss / 2 ** 20, 1),
            rssPerConnKb: round((held.rss - before.rss) / 1024 / Math.max(1, opened.opened), 2),
            cpuPerConnectMs: round(((held.cpu - before.cpu) * 1000) / Math.max(1, opened.opened), 3),
            clientCpuPerConnectMs: round((clientCpu * 1000) / Math.max(1, opened.opened), 3),
            idlePingRttMs: ms(rtt),
            idlePingsLost: probe.lost,
            idleCpuPercent: round((100 * (idle.cpu - held.cpu)) / ((idle.at - held.at) / 1000), 1),
            closedWhileIdle: stats.reduce((a, s) => a + s.closedAfterReady, 0),
            serverProcesses: descriptors.length,
            // With --workers N: the primary, then the workers' descriptors, largest first.
            maxDescriptorsPerProcess: descriptors[0] ?? 0,
            descriptorsPerProcess: descriptors,
          };
        }),
      serverWorkers ? { workers: serverWorkers } : {},
    );
  },
  ratios: ['connectMs', 'rssPerConnKb', 'cpuPerConnectMs', 'idlePingRttMs.p99', 'idleCpuPercent'],
  checks(variant) {
    const { count } = variant.params;
    /** @type {import('./index.mjs').Check[]} */
    const checks = [{ metric: 'failed', label: 'every connection subscribed', equals: 0 }];
    if (count === 10_000) {
      checks.push({ metric: 'connectMs', label: '10k connect+subscribe ≤ 0.5× soketi', maxRatio: 0.5 });
      checks.push({ metric: 'rssPerConnKb', label: 'RSS/conn ≤ 0.8× soketi', maxRatio: 0.8 });
    }
    if (count > 10_000) {
      const held = label(count);
      checks.push({ metric: 'idlePingRttMs.p99', label: `${held} held, lag p99 < 50 ms`, below: 50 });
      checks.push({ metric: 'closedWhileIdle', label: `${held} held, none closed`, equals: 0 });
    }
    if (variant.params.processes > 1) {
      checks.push({
        metric: 'maxDescriptorsPerProcess',
        label: `--workers ${variant.params.processes}: each server process under 20,000 descriptors`,
        below: 20_000,
      });
    }
    return checks;
  },
};
