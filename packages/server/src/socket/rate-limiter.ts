/**
 * Laravel Reverb's message rate limiter (REVERB_APP_RATE_LIMITING_*, docs/protocol.md §3.16). Every text
 * frame a connection sends counts (pings, subscriptions, client events, frames we cannot read), in a
 * fixed window of `decay_seconds` that starts with the first message counted in it. A message over
 * `max_attempts` is dropped with `pusher:error` 4301 "Rate limit exceeded", Reverb's code and text;
 * with `terminate_on_limit` the connection is then closed with 4100, so clients back off and reconnect.
 *
 * The counter is the connection's own, kept on the node that holds it, in a cluster too: Reverb counts
 * per socket id and a socket lives on one node, so a counter in Redis would count exactly the same
 * messages while making every frame wait for a Redis round trip.
 */
import { ErrorCode } from '@react-reverb/core/protocol';
import type { RateLimiting } from '../config/config';
import type { Connection } from './connection';
import { RateWindow } from './limits';

/** Reverb's message (RateLimitExceeded), in the `pusher:error` and in the close reason. */
export const RATE_LIMIT_EXCEEDED = 'Rate limit exceeded';

/** The window of a new connection, or undefined when its app does not limit messages. */
export function messageRateWindow(settings: RateLimiting): RateWindow | undefined {
  return settings.enabled ? new RateWindow(settings.maxAttempts, settings.decaySeconds * 1000) : undefined;
}

/** Counts one message; false when it is over the limit (the client is told, and closed if so set). */
export function admitMessage(conn: Connection): boolean {
  const window = conn.messageRate;
  // Off by default: then a frame costs this one check, not even a clock read.
  if (window === undefined || window.take(Date.now())) return true;
  conn.sendError(ErrorCode.ClientEventRateLimit, RATE_LIMIT_EXCEEDED);
  // 4100, not 4301: pusher-js treats a close code ≥ 4300 as a refusal and never reconnects (§4).
  if (conn.app.rateLimiting.terminate) conn.close(ErrorCode.OverCapacity, RATE_LIMIT_EXCEEDED);
  return false;
}
