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

  it('fits the tick to the shortest timing, within 50 ms..1 s', () => {
    expect(tickIntervalFor([120, 30])).toBe(1000);
    expect(tickIntervalFor([1, 0.5])).toBe(125);
    expect(tickIntervalFor([0.05])).toBe(50);
  });
});
