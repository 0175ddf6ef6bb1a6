/** Names no other test uses, so tests can share one server (or an external target) without interfering. */
import { randomUUID } from 'node:crypto';

// Random per process: two runs against the same external target, or two suites on one Redis, never meet.
const RUN = randomUUID().slice(0, 6);
let n = 0;

/** `prefix` made unique: `orders-` becomes `orders-7-1a2b3c`. */
export function unique(prefix: string): string {
  return `${prefix}${++n}-${RUN}`;
}
