/** Anything pusher-js lets us bind on: a Channel, a connection, `pusher.user`, a watchlist. */
export interface Bindable {
  bind(event: string, callback: (data: unknown) => void): unknown;
  unbind(event?: string, callback?: (data: unknown) => void): unknown;
}

// Generous: four suites share two busy cores; a broken server still fails, only later.
export const EVENT_TIMEOUT_MS = 8_000;

/**
 * The data of the next `event` on `source`. Call it BEFORE the action that causes the event, then await
 * it; rejects with a message naming `what` if nothing arrives in time.
 */
export function nextEvent<T = unknown>(
  source: Bindable,
  event: string,
  what: string,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  return nextMatching<T>(source, event, () => true, what, timeoutMs);
}

/** Like `nextEvent`, but skips events until one satisfies `matches`. */
export function nextMatching<T = unknown>(
  source: Bindable,
  event: string,
  matches: (data: T) => boolean,
  what: string,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const seen: T[] = [];
    const onEvent = (data: unknown) => {
      seen.push(data as T);
      if (!matches(data as T)) return;
      clearTimeout(timer);
      source.unbind(event, onEvent);
      resolve(data as T);
    };
    const timer = setTimeout(() => {
      source.unbind(event, onEvent);
      reject(
        new Error(
          `Timed out after ${timeoutMs} ms waiting for "${event}" (${what}); saw ${JSON.stringify(seen)}`,
        ),
      );
    }, timeoutMs);
    source.bind(event, onEvent);
  });
}

/** Resolves with whichever of `events` fires first on `source`, with its name. */
export function firstOf(
  source: Bindable,
  events: readonly string[],
  what: string,
  timeoutMs = EVENT_TIMEOUT_MS,
): Promise<{ event: string; data: unknown }> {
  return new Promise((resolve, reject) => {
    const handlers = events.map((event) => {
      const handler = (data: unknown) => {
        done();
        resolve({ event, data });
      };
      source.bind(event, handler);
      return [event, handler] as const;
    });
    const done = () => {
      clearTimeout(timer);
      for (const [event, handler] of handlers) source.unbind(event, handler);
    };
    const timer = setTimeout(() => {
      done();
      reject(new Error(`Timed out after ${timeoutMs} ms waiting for one of ${events.join(', ')} (${what})`));
    }, timeoutMs);
  });
}

/** Records every `event` emitted on `source` from now on. */
export function record<T = unknown>(source: Bindable, event: string): T[] {
  const seen: T[] = [];
  source.bind(event, (data: unknown) => {
    seen.push(data as T);
  });
  return seen;
}

/**
 * A short window in which something must NOT happen, for behaviour that has no "done" signal on the
 * wire (a client that must stay disconnected). Only for absence checks; never for correctness waits.
 */
export function quietPeriod(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `promise`, or a rejection naming `what` if it does not settle in time. */
export function withTimeout<T>(promise: Promise<T>, what: string, timeoutMs = EVENT_TIMEOUT_MS): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`)),
      timeoutMs,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
