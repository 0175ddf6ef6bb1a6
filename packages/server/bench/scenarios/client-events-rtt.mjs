// Client-event round trip: pairs of connections on a private channel each; one whispers, the
// other (in another client process) echoes, one round trip at a time per pair, paced under the
// protocol's 10 client events/s per connection.
import { connect, ms, withTarget, withWorkers } from '../harness.mjs';
import { Histogram } from '../stats.mjs';

/** @typedef {{ pairs: number, roundTrips: number, minIntervalMs: number, maxMs: number }} Params */

/** @type {import('./index.mjs').Scenario<Params>} */
export const clientEventsRtt = {
  name: 'client-events-rtt',
  summary: 'whisper round trips between pairs of connections on private channels',
  variants: (size) => [
    { name: 'client-events-rtt', params: size.clientRtt, connections: size.clientRtt.pairs * 2 },
  ],
  measure(kind, params) {
    return withTarget(kind, (target) =>
      withWorkers('clients', 2, async ([sender, echoer]) => {
        const workers = /** @type {import('../pool.mjs').Worker[]} */ ([sender, echoer]);
        const channels = Array.from({ length: params.pairs }, (_, i) => `private-bench-rtt-${i}`);
        const opened = await connect(target, workers, [
          channels.map((channel) => ({ channels: [channel], role: /** @type {const} */ ('sender') })),
          channels.map((channel) => ({ channels: [channel] })),
        ]);
        if (opened.failed > 0) return { failed: opened.failed, errors: opened.errors };
        await workers[1]?.call('echo', { on: true });
        const result = await workers[0]?.call(
          'roundTrips',
          { count: params.roundTrips, maxMs: params.maxMs, minIntervalMs: params.minIntervalMs },
          params.maxMs + 30_000,
        );
        const rejected = await Promise.all(workers.map((w) => w.call('stats')));
        return {
          pairs: params.pairs,
          roundTrips: result.rtt.count,
          serverErrors: rejected.map((r) => r.serverErrors),
          lost: result.lost,
          rttMs: ms(Histogram.from([result.rtt])),
        };
      }),
    );
  },
  ratios: ['rttMs.p50', 'rttMs.p99', 'rttMs.max'],
  checks: () => [
    { metric: 'lost', label: '0 round trips lost', equals: 0 },
    { metric: 'rttMs.p99', label: 'client-event RTT p99 ≤ soketi', maxRatio: 1 },
  ],
};
