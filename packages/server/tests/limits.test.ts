import { describe, expect, it } from 'vitest';
import { originAllowed, RateWindow } from '../src/socket/limits';

describe('RateWindow', () => {
  it('allows max events per window, then refuses until the window passes', () => {
    const rate = new RateWindow(10);
    const results = Array.from({ length: 12 }, () => rate.take(1_000));
    expect(results.filter(Boolean)).toHaveLength(10);
    expect(results.slice(10)).toEqual([false, false]);
    expect(rate.take(1_999)).toBe(false);
    expect(rate.take(2_000)).toBe(true);
  });
});

describe('originAllowed', () => {
  it.each([
    [undefined, ['example.com'], true],
    ['https://example.com', ['*'], true],
    ['https://example.com', ['example.com'], true],
    ['https://example.com:8443', ['example.com'], true],
    ['https://a.laravel.test', ['*.laravel.test'], true],
    ['https://evil.com', ['example.com'], false],
    ['https://example.com.evil.com', ['example.com'], false],
    ['not a url', ['example.com'], false],
    ['https://exact.io', ['https://exact.io'], true],
  ])('%s with %j → %s', (origin, allowed, expected) => {
    expect(originAllowed(origin, allowed)).toBe(expected);
  });
});
