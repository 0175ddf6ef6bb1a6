// The scenario registry, in the order `pnpm bench` runs them.
import { clientEventsLoad } from './client-events-load.mjs';
import { clientEventsRtt } from './client-events-rtt.mjs';
import { cluster } from './cluster.mjs';
import { connections } from './connections.mjs';
import { everyCore } from './every-core.mjs';
import { fanout } from './fanout.mjs';
import { fanoutFrames } from './fanout-frames.mjs';
import { fanoutPresence } from './fanout-presence.mjs';
import { fanoutRooms } from './fanout-rooms.mjs';
import { historyCost } from './history-cost.mjs';
import { httpBatch, httpEvents } from './http-api.mjs';
import { recovery } from './recovery.mjs';

/**
 * A check on ours: either a ratio to soketi (`maxRatio`/`minRatio`, ours ÷ soketi) or an absolute
 * bound (`equals`, `below`, `atMost`, `atLeast`). `metric` is a dotted path into the figures.
 * @typedef {{
 *   metric: string, label: string, maxRatio?: number, minRatio?: number, equals?: number, below?: number,
 *   atMost?: number, atLeast?: number
 * }} Check
 */

/**
 * `perProcessConnections`: the most connections one process holds when the variant spreads them
 * over several server and client processes (each has its own `ulimit -n`); `connections` otherwise.
 * @template P
 * @typedef {{
 *   name: string, params: P, connections: number, perProcessConnections?: number,
 *   targets?: readonly ('ours' | 'soketi')[]
 * }} Variant
 */

/**
 * `measure` returns the figures of one server; `ratios` lists the metrics compared ours ÷ soketi;
 * `shown` lists more metrics for the report, without that ratio (ours-only comparisons such as
 * history on ÷ off, or counts where a ratio means nothing).
 * A scenario may measure one server only (`targets`), or return `{ skipped: reason }`.
 * @template P
 * @typedef {{
 *   name: string,
 *   summary: string,
 *   variants: (size: import('../sizes.mjs').SizeParams) => Variant<P>[],
 *   measure: (kind: 'ours' | 'soketi', params: P, ctx: import('../harness.mjs').Context) => Promise<Record<string, unknown>>,
 *   ratios: string[],
 *   shown?: string[],
 *   checks: (variant: Variant<P>) => Check[],
 * }} Scenario
 */

/** @type {Scenario<any>[]} */
export const SCENARIOS = [
  connections,
  fanout,
  fanoutFrames,
  fanoutRooms,
  fanoutPresence,
  httpEvents,
  httpBatch,
  clientEventsRtt,
  clientEventsLoad,
  everyCore,
  cluster,
  recovery,
  historyCost,
];
