import { describe, expect, it, vi } from 'vitest';
import { Ticker, tickIntervalFor } from '../src/shared/timers';

describe('Ticker', () => {
  it('runs every task on each tick, survives a throwing task, and stops', () => {
    vi.useFakeTimers();
    try {
      const errors: unknown[] = [];
      const ticker = new Ticker(100, (e) => errors.push(e));
      const seen: number[] = [];
      ticker.add(() => {
        throw new Error('boom');
      });
      const remove = ticker.add((now) => seen.push(now));
      ticker.start();
      vi.advanceTimersByTime(350);
      expect(seen).toHaveLength(3);
      expect(errors).toHaveLength(3);
      remove();
      vi.advanceTimersByTime(100);
      expect(seen).toHaveLength(3);
      ticker.stop();
    } finally {
      vi.useRealTimers();
    }
  });

  it('runs a task added with everyMs at most once per everyMs, the first time at the first tick', () => {
    const ticker = new Ticker(250);
    const seen: number[] = [];
    ticker.add((now) => seen.push(now), { everyMs: 1_000 });
    for (let now = 10_000; now <= 12_500; now += 250) ticker.tick(now);
    expect(seen).toEqual([10_000, 11_000, 12_000]);
  });

  it('fits the tick to the shortest timing, within 50 ms..1 s', () => {
    expect(tickIntervalFor([120, 30])).toBe(1000);
    expect(tickIntervalFor([1, 0.5])).toBe(125);
    expect(tickIntervalFor([0.05])).toBe(50);
  });
});
