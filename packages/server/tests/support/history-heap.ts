/**
 * How far `MemoryHistory`'s byte accounting is from the V8 heap it really takes (docs/history.md,
 * "Memory accounting"). Fills one store per shape, lets GC run, and prints one JSON line per shape:
 * the heap growth and the accounted bytes. Run with the GC exposed, one process per shape or several:
 *
 *   node --expose-gc --import tsx tests/support/history-heap.ts 10000x1x300 10000x100x300 …
 *
 * A shape is `streams x events x frame characters`, optionally `xP` (P events published per stream,
 * at most `events` kept) and `xK` (then all but the newest K expire, the sweep drops them: a stream's
 * ring left half empty). Frames are notifications as Laravel broadcasts them; app id `app-1`.
 */
import { MemoryHistory } from '../../src/scaling/memory-history';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

function heapUsed(): number {
  gc?.();
  gc?.();
  return process.memoryUsage().heapUsed;
}

export interface HeapShape {
  readonly streams: number;
  readonly events: number;
  readonly frameChars: number;
  readonly published?: number;
  readonly keep?: number;
}

export interface HeapResult extends HeapShape {
  readonly heapBytes: number;
  readonly accountedBytes: number;
  readonly keptEvents: number;
}

export function measure(shape: HeapShape): HeapResult {
  const { streams, events, frameChars } = shape;
  const published = shape.published ?? events;
  const clock = { now: 1_700_000_000_000 };
  const hourMs = 3_600_000;
  const store = new MemoryHistory({ now: () => clock.now, memoryBudgetBytes: Number.MAX_SAFE_INTEGER });
  const limits = { maxEvents: events, ttlMs: hourMs };
  const padding = 'x'.repeat(Math.max(0, frameChars - 212));
  const before = heapUsed();
  for (let e = 0; e < published; e++) {
    // The newest `keep` events come 50 minutes after the others: 30 minutes later only they are left.
    if (shape.keep !== undefined && e === published - shape.keep) clock.now += (50 * hourMs) / 60;
    for (let s = 0; s < streams; s++) {
      const channel = `private-App.Models.User.${s}`;
      const data = JSON.stringify({ id: `${s}-${e}`, type: 'App\\Notifications\\InvoicePaid', padding });
      const frame = JSON.stringify({
        event: 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated',
        channel,
        data,
      });
      store.append('app-1', channel, frame, limits);
    }
  }
  if (shape.keep !== undefined) {
    clock.now += (30 * hourMs) / 60;
    store.sweep(clock.now);
  }
  const heapBytes = heapUsed() - before;
  const stats = store.stats();
  return { ...shape, heapBytes, accountedBytes: stats.bytes, keptEvents: stats.events };
}

function parseShape(text: string): HeapShape {
  const [streams, events, frameChars, published, keep] = text.split('x').map(Number);
  if (!streams || !events || !frameChars) throw new Error(`not a shape: ${text}`);
  return {
    streams,
    events,
    frameChars,
    ...(published ? { published } : {}),
    ...(keep ? { keep } : {}),
  };
}

for (const arg of process.argv.slice(2)) {
  console.log(JSON.stringify(measure(parseShape(arg))));
}
