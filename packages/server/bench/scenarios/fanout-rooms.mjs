// Fan-out over many small rooms: C public channels of K subscribers, events round robin over them.
import { FANOUT_CHECKS, FANOUT_RATIOS, measureFanout } from './fanout.mjs';

/** @typedef {{ channels: number, perChannel: number, rate: number, durationMs: number }} Params */

/** @type {import('./index.mjs').Scenario<Params>} */
export const fanoutRooms = {
  name: 'fanout-rooms',
  summary: 'C channels × K subscribers, events round robin over the channels',
  variants(size) {
    const p = size.fanoutRooms;
    return [
      {
        name: `fanout-rooms-${p.channels}x${p.perChannel}`,
        params: p,
        connections: p.channels * p.perChannel,
      },
    ];
  },
  measure(kind, params, ctx) {
    const channels = Array.from({ length: params.channels }, (_, i) => `bench-room-${i}`);
    return measureFanout(
      kind,
      {
        specs: Array.from({ length: params.channels * params.perChannel }, (_, i) => ({
          channels: [/** @type {string} */ (channels[i % params.channels])],
        })),
        channels,
        subscribersPerChannel: channels.map(() => params.perChannel),
        rate: params.rate,
        durationMs: params.durationMs,
      },
      ctx,
    );
  },
  ratios: FANOUT_RATIOS,
  checks: () => FANOUT_CHECKS,
};
