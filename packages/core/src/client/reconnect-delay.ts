/** First back-off step and the ceiling, in ms. */
export const BASE_RETRY_DELAY_MS = 1_000;
export const MAX_RETRY_DELAY_MS = 30_000;

/**
 * Exponential back-off with jitter for the `n`th attempt (n ≥ 1): 1 s, 2 s, 4 s … capped at 30 s,
 * each stretched by up to half again at random so that clients dropped together don't return together.
 * Never below 1 s, which is what 4100–4199 ask for.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(MAX_RETRY_DELAY_MS, BASE_RETRY_DELAY_MS * 2 ** Math.max(0, attempt - 1));
  return Math.round(step * (1 + random() / 2));
}
