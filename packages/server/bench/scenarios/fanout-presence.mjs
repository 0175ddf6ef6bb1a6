// Fan-out on presence channels of 100 members (the protocol's member limit): every member joins
// with a signed channel_data, then events go round robin over the channels.
import { FANOUT_CHECKS, FANOUT_RATIOS, measureFanout } from './fanout.mjs';

/** @typedef {{ channels: number, members: number, rate: number, durationMs: number }} Params */

/** @type {import('./index.mjs').Scenario<Params>} */
export const fanoutPresence = {
  name: 'fanout-presence',
  summary: 'presence channels of 100 members: join time, then HTTP-triggered events',
  variants(size) {
    const p = size.fanoutPresence;
    return [
      { name: `fanout-presence-${p.channels}x${p.members}`, params: p, connections: p.channels * p.members },
    ];
  },
  measure(kind, params, ctx) {
    const channels = Array.from({ length: params.channels }, (_, i) => `presence-bench-${i}`);
    return measureFanout(
      kind,
      {
        specs: Array.from({ length: params.channels * params.members }, (_, i) => ({
          channels: [/** @type {string} */ (channels[i % params.channels])],
          user: { id: `user-${i}`, info: { name: `Bench User ${i}` } },
        })),
        channels,
        subscribersPerChannel: channels.map(() => params.members),
        rate: params.rate,
        durationMs: params.durationMs,
      },
      ctx,
    );
  },
  ratios: FANOUT_RATIOS,
  checks: () => FANOUT_CHECKS,
};
