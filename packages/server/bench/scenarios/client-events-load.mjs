// Client events under load: S senders whisper at a steady rate (10/s each: the protocol's
// per-connection limit), each on its own private channel with one receiver in another process.
import {
  connect,
  ms,
  resetClients,
  usage,
  usageDelta,
  waitDelivered,
  withTarget,
  withWorkers,
} from '../harness.mjs';
import { round } from '../stats.mjs';

/** @typedef {{ senders: number, perSecond: number, durationMs: number }} Params */

/**
 * Worker w holds senders of slice w and receivers of slice w+1, so every whisper crosses processes.
 * @param {number} senders
 * @param {number} workers
 * @returns {import('../harness.mjs').ConnSpec[][]}
 */
function pairs(senders, workers) {
  const per = Math.ceil(senders / workers);
  /** @type {import('../harness.mjs').ConnSpec[][]} */
  const out = Array.from({ length: workers }, () => []);
  for (let i = 0; i < senders; i++) {
    const w = Math.floor(i / per);
    const channels = [`private-bench-pair-${i}`];
    out[w]?.push({ channels, role: 'sender' });
    out[(w + 1) % workers]?.push({ channels });
  }
  return out;
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const clientEventsLoad = {
  name: 'client-events-load',
  summary: 'S senders × 10 whispers/s, each to its own receiver on a private channel',
  variants: (size) => [
    {
      name: `client-events-load-${size.clientLoad.senders}`,
      params: size.clientLoad,
      connections: size.clientLoad.senders * 2,
    },
  ],
  measure(kind, params, ctx) {
    return withTarget(kind, (target) =>
      withWorkers('clients', ctx.clientWorkers, async (workers) => {
        const opened = await connect(target, workers, pairs(params.senders, workers.length));
        ctx.log(`  ${kind}: ${opened.opened}/${params.senders * 2} subscribed in ${opened.ms} ms`);
        if (opened.failed > 0) return { failed: opened.failed, errors: opened.errors, connectMs: opened.ms };
        await resetClients(workers);
        const before = usage(target);
        const runs = await Promise.all(
          workers.map((w) => w.call('whisper', params, params.durationMs + 30_000)),
        );
        const sent = runs.reduce((a, r) => a + r.sent, 0);
        const got = await waitDelivered(workers, sent);
        const cpu = usageDelta(before, usage(target));
        const rejected = Object.entries(got.serverErrors)
          .filter(([k]) => k.startsWith('pusher:error'))
          .reduce((a, [, v]) => a + v, 0);
        return {
          connections: opened.opened,
          connectMs: opened.ms,
          sent,
          sentPerSec: round(sent / (params.durationMs / 1000), 0),
          received: got.received,
          rejected,
          lost: Math.max(0, sent - rejected - got.received),
          latencyMs: ms(got.latency),
          cpuPerDeliveryUs: round((cpu.cpuSeconds * 1e6) / Math.max(1, got.received), 2),
          serverCpuPercent: cpu.cpuPercent,
          serverErrors: got.serverErrors,
        };
      }),
    );
  },
  ratios: ['latencyMs.p50', 'latencyMs.p99', 'cpuPerDeliveryUs', 'connectMs'],
  checks: () => [
    { metric: 'lost', label: '0 whispers lost', equals: 0 },
    { metric: 'rejected', label: 'none rejected at 10/s', equals: 0 },
  ],
};
