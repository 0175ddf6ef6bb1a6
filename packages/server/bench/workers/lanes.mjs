// The two loops the bench's worker processes share: opening many connections a few at a time, and a
// closed loop of publishes for a fixed time.
import { nowUs } from '../bench-events.mjs';

/**
 * Opens one connection per item, `concurrency` at a time. `openOne` settles with an error text, or
 * undefined when the connection is up; the first five errors are kept.
 * @template T
 * @param {readonly T[]} items
 * @param {number} concurrency
 * @param {(item: T, index: number) => Promise<unknown>} openOne
 */
export async function openAll(items, concurrency, openOne) {
  const started = performance.now();
  let next = 0;
  let failed = 0;
  /** @type {string[]} */
  const errors = [];
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      const error = await openOne(/** @type {T} */ (items[index]), index);
      if (error !== undefined) {
        failed += 1;
        if (errors.length < 5) errors.push(String(error));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, lane));
  return { opened: items.length - failed, failed, errors, ms: performance.now() - started };
}

/**
 * The loopback source address of the `index`-th connection, when several are given (above 20,000
 * connections per process: the ephemeral port range is per source address).
 * @param {readonly string[] | undefined} addresses
 * @param {number} index
 */
export function localAddressOf(addresses, index) {
  return addresses?.length ? addresses[index % addresses.length] : undefined;
}

/**
 * `lanes` loops, each calling `step` with the next sequence number (1, 2, 3…) and its send time until
 * `durationMs` have passed. Resolves with the time it took, the last steps included.
 * @param {number} lanes
 * @param {number} durationMs
 * @param {(seq: number, sentAt: number) => Promise<void>} step `sentAt` from bench-events.mjs `nowUs`
 */
export async function closedLoop(lanes, durationMs, step) {
  const started = performance.now();
  const end = started + durationMs;
  let seq = 0;
  const lane = async () => {
    while (performance.now() < end) await step(++seq, nowUs());
  };
  await Promise.all(Array.from({ length: lanes }, lane));
  return performance.now() - started;
}
