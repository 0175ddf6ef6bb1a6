/** Constant-time comparison of secrets typed by people (tokens, passwords). */
import { createHash, timingSafeEqual } from 'node:crypto';

/** Hashing first makes both sides the same length, so the length of the secret doesn't leak. */
export function timingSafeEqualText(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
