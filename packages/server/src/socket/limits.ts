/**
 * Per-connection limits that need state: the client-event rate (a one-second window) and Reverb's
 * message rate (rate-limiter.ts). A fixed window, no timer: it restarts lazily on the first event after
 * it elapsed, so it starts with the first event counted in it, as Laravel's RateLimiter does.
 */
export class RateWindow {
  private windowStart = 0;
  private count = 0;

  constructor(
    private readonly maxPerWindow: number,
    private readonly windowMs = 1000,
  ) {}

  /** Counts one event; false when it is over the limit (the event must be refused). */
  take(nowMs: number): boolean {
    if (nowMs - this.windowStart >= this.windowMs) {
      this.windowStart = nowMs;
      this.count = 0;
    }
    this.count++;
    return this.count <= this.maxPerWindow;
  }
}

/** Whether `origin` (an Origin header) matches one of `allowed` (host names or full origins, `*` wildcards). */
export function originAllowed(origin: string | undefined, allowed: readonly string[]): boolean {
  if (allowed.includes('*')) return true;
  // Non-browser clients send no Origin and could forge one anyway: the check protects browsers.
  if (origin === undefined || origin === '') return true;
  let host: string;
  try {
    host = new URL(origin).host;
  } catch {
    return false;
  }
  const hostname = host.replace(/:\d+$/, '');
  return allowed.some((pattern) => {
    const re = new RegExp(`^${pattern.split('*').map(escapeRegExp).join('.*')}$`, 'i');
    return re.test(origin) || re.test(host) || re.test(hostname);
  });
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * A token bucket (capacity = one second's worth, refilled continuously, no timer): the per-app
 * HTTP API request limit. Bursts up to `perSecond` pass at once, then requests are admitted at the rate.
 */
export class TokenBucket {
  private tokens: number;
  private lastMs: number;

  constructor(
    private readonly perSecond: number,
    nowMs = Date.now(),
  ) {
    this.tokens = perSecond;
    this.lastMs = nowMs;
  }

  /** Takes one token; false when the bucket is empty (the request must be refused). */
  take(nowMs: number): boolean {
    const elapsed = Math.max(0, nowMs - this.lastMs);
    this.lastMs = nowMs;
    this.tokens = Math.min(this.perSecond, this.tokens + (elapsed * this.perSecond) / 1000);
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
