// N raw WebSocket connections subscribed to public channels: time to establish, server RSS per
// connection, and event-loop lag while idle with pings running (client-side ping RTT on a probe
// connection, the same measure for both servers). Two layouts: every connection on its own channel
// (`connections-N`), and all on one channel (`connections-N-shared`), the layout of the issue's
// reference figure (soketi: 10,000 subscribed in about 15.7 s), where soketi's per-subscriber cost
// grows with the channel's size.
import { connect, ms, split, usage, withTarget, withWorkers, workersCpu } from '../harness.mjs';
import { Histogram, round } from '../stats.mjs';

/** @typedef {{ count: number, shared: boolean, pingIntervalMs: number, lagMs: number, probeEveryMs: number }} Params */

/** @param {number} count */
const label = (count) => (count >= 1000 ? `${count / 1000}k` : `${count}`);

/** @type {import('./index.mjs').Scenario<Params>} */
export const connections = {
  name: 'connections',
  summary: 'N connections on public channels (own or one shared): connect time, RSS/conn, idle ping RTT',
  variants(size) {
    const p = size.connections;
    const timing = { pingIntervalMs: p.pingIntervalMs, lagMs: p.lagMs, probeEveryMs: p.probeEveryMs };
    const own = p.counts.map((count) => ({
      name: `connections-${label(count)}`,
      params: { count, shared: false, ...timing },
      connections: count,
      ...(count > 10_000 ? { targets: /** @type {const} */ (['ours']) } : {}),
    }));
    const shared = p.sharedCounts.map((count) => ({
      name: `connections-${label(count)}-shared`,
      params: { count, shared: true, ...timing },
      connections: count,
    }));
    return [...own, ...shared];
  },
  async measure(kind, params, ctx) {
    return withTarget(kind, (target) =>
      withWorkers('clients', ctx.clientWorkers, async (workers) => {
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
        };
      }),
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
    return checks;
  },
};
