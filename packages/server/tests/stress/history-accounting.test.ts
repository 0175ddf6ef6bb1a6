/**
 * MemoryHistory's byte accounting against the V8 heap it really takes (docs/history.md, "Memory
 * accounting"): the budget holds only if the accounted bytes are never below the real ones. Each shape
 * fills a store in a process of its own with the GC exposed (tests/support/history-heap.ts) and
 * compares the heap growth after GC with `stats().bytes`: never below, and not far above (or the
 * budget would keep much less than it says). Shapes: one event per stream, full streams, a stream
 * kept at its limit while events flow, and rings left about half empty by expiry (their worst case).
 */
import { execFile } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import type { HeapResult } from '../support/history-heap';

const run = promisify(execFile);
const serverDir = join(dirname(fileURLToPath(import.meta.url)), '../..');

async function measure(shape: string): Promise<HeapResult> {
  const { stdout } = await run(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=4096', '--import', 'tsx', 'tests/support/history-heap.ts', shape],
    { cwd: serverDir, maxBuffer: 1 << 20 },
  );
  return JSON.parse(stdout) as HeapResult;
}

describe('MemoryHistory accounting against the heap', () => {
  it.each([
    ['10000x1x300', 'one ~300-byte event in each of 10,000 streams'],
    ['50000x1x250', 'one event in each of 50,000 streams'],
    ['2000x100x300', '2,000 full streams'],
    ['500x100x2100', 'full streams of ~2 KB events'],
    ['5000x33x300', 'a third full'],
    ['2000x100x300x300', 'kept at the limit while events flow'],
    ['5000x100x300x100x51', 'half the events expired: rings left half empty'],
    ['5000x100x300x100x26', 'three quarters expired'],
  ])('%s (%s): never below the heap, at most 15 percent above', async (shape) => {
    const result = await measure(shape);
    const ratio = result.accountedBytes / result.heapBytes;
    console.log(
      `${shape}: heap +${(result.heapBytes / 1e6).toFixed(2)} MB, accounted ${(result.accountedBytes / 1e6).toFixed(2)} MB (${ratio.toFixed(3)}), ${result.keptEvents} events`,
    );
    expect(result.keptEvents).toBeGreaterThan(0);
    expect(ratio).toBeGreaterThanOrEqual(1);
    expect(ratio).toBeLessThanOrEqual(1.15);
  });
});
