// Fan-out: subscribers on a channel, events triggered through the signed HTTP API at a steady
// rate. Deliveries/s, delivery latency (send time in the payload), messages lost, server CPU per
// delivery. The rooms and presence variants reuse `measureFanout`.
import {
  clientStats,
  connect,
  ms,
  resetClients,
  split,
  usage,
  usageDelta,
  waitDelivered,
  withTarget,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { Histogram, round } from '../stats.mjs';

/**
 * @typedef {{
 *   specs: import('../harness.mjs').ConnSpec[], channels: string[], subscribersPerChannel: number[],
 *   rate: number, durationMs: number
 * }} FanoutPlan
 */

/**
 * @param {'ours' | 'soketi'} kind
 * @param {FanoutPlan} plan
 * @param {import('../harness.mjs').Context} ctx
 */
export function measureFanout(kind, plan, ctx) {
  return withTarget(kind, (target) =>
    withWorkers('clients', ctx.clientWorkers, (workers) =>
      withWorkers('trigger', 1, async ([publisher]) => {
        const opened = await connect(target, workers, split(plan.specs, workers.length));
        ctx.log(`  ${kind}: ${opened.opened}/${plan.specs.length} subscribed in ${opened.ms} ms`);
        if (opened.failed > 0) {
          return { failed: opened.failed, errors: opened.errors, connectMs: opened.ms };
        }
        const joined = await clientStats(workers);
        await resetClients(workers);
        const before = usage(target);
        const clientsBefore = workersCpu([
          ...workers,
          /** @type {import('../pool.mjs').Worker} */ (publisher),
        ]);
        const sent = await /** @type {import('../pool.mjs').Worker} */ (publisher).call(
          'run',
          {
            server: { host: target.host, port: target.port, app: target.app },
            channels: plan.channels,
            durationMs: plan.durationMs,
            inflight: 32,
            rate: plan.rate,
          },
          plan.durationMs + 60_000,
        );
        /** @type {number[]} */
        const perChannel = sent.perChannel;
        const expected = perChannel.reduce((a, n, i) => a + n * (plan.subscribersPerChannel[i] ?? 0), 0);
        const got = await waitDelivered(workers, expected);
        const after = usage(target);
        const cpu = usageDelta(before, after);
        const clientCpu =
          workersCpu([...workers, /** @type {import('../pool.mjs').Worker} */ (publisher)]) - clientsBefore;
        return {
          connections: opened.opened,
          failed: opened.failed,
          connectMs: opened.ms,
          membersAdded: joined.membersAdded,
          triggered: sent.ok,
          triggerFailed: sent.failed,
          triggerErrors: sent.errors,
          triggersPerSec: round(sent.ok / (sent.elapsedMs / 1000), 1),
          expected,
          received: got.received,
          lost: Math.max(0, expected - got.received),
          extra: Math.max(0, got.received - expected),
          deliveriesPerSec: round(got.received / (sent.elapsedMs / 1000), 0),
          latencyMs: ms(got.latency),
          cpuPerDeliveryUs: round((cpu.cpuSeconds * 1e6) / Math.max(1, got.received), 2),
          serverCpuPercent: cpu.cpuPercent,
          serverKernelPercent: cpu.kernelPercent,
          clientCpuPercent: round((100 * clientCpu) / cpu.seconds, 1),
          triggerRequestMs: ms(Histogram.from([sent.requestLatency])),
          serverErrors: got.serverErrors,
          closedDuringRun: got.closedAfterReady,
        };
      }),
    ),
  );
}

/** Comparisons shared by the fan-out scenarios. */
export const FANOUT_RATIOS = [
  'cpuPerDeliveryUs',
  'latencyMs.p50',
  'latencyMs.p99',
  'latencyMs.max',
  'deliveriesPerSec',
  'connectMs',
];

/** @type {import('./index.mjs').Check[]} */
export const FANOUT_CHECKS = [
  { metric: 'lost', label: '0 messages lost', equals: 0 },
  { metric: 'cpuPerDeliveryUs', label: 'CPU per delivery ≤ 0.8× soketi', maxRatio: 0.8 },
  { metric: 'latencyMs.p99', label: 'delivery p99 ≤ 0.8× soketi', maxRatio: 0.8 },
];

/** @typedef {{ subscribers: number, rate: number, durationMs: number }} Params */

/** @type {import('./index.mjs').Scenario<Params>} */
export const fanout = {
  name: 'fanout',
  summary: 'N subscribers on one public channel, HTTP-triggered events at a steady rate',
  variants(size) {
    const p = size.fanout;
    return [{ name: 'fanout', params: p, connections: p.subscribers }];
  },
  measure(kind, params, ctx) {
    return measureFanout(
      kind,
      {
        specs: Array.from({ length: params.subscribers }, () => ({ channels: ['bench-fanout'] })),
        channels: ['bench-fanout'],
        subscribersPerChannel: [params.subscribers],
        rate: params.rate,
        durationMs: params.durationMs,
      },
      ctx,
    );
  },
  ratios: FANOUT_RATIOS,
  checks: () => FANOUT_CHECKS,
};
