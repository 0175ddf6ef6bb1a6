import { hmacSha256Hex, timingSafeEqualHex } from './hmac';

/** `X-Pusher-Signature`: hex HMAC-SHA256 of the raw webhook body (docs/protocol.md §8). */
export function signWebhook(secret: string, body: string): string {
  return hmacSha256Hex(secret, body);
}

export function verifyWebhook(secret: string, body: string, signature: string): boolean {
  return timingSafeEqualHex(signature, signWebhook(secret, body));
}
