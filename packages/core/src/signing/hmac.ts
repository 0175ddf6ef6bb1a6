import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** Lowercase hex HMAC-SHA256 of `message` (UTF-8) keyed with `secret`: every Pusher signature. */
export function hmacSha256Hex(secret: string, message: string): string {
  return createHmac('sha256', secret).update(message, 'utf8').digest('hex');
}

/**
 * Compares two signatures without leaking, through timing, how many leading characters match.
 * A length mismatch returns false at once: the length of a hex digest is public anyway.
 */
export function timingSafeEqualHex(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) return false;
  return timingSafeEqual(left, right);
}

/** Lowercase hex MD5 of the exact body bytes (`body_md5` of docs/protocol.md §7.2). */
export function md5Hex(body: string | Uint8Array): string {
  const hash = createHash('md5');
  if (typeof body === 'string') hash.update(body, 'utf8');
  else hash.update(body);
  return hash.digest('hex');
}
