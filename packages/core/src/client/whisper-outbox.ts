import type { TimerProvider } from './types';

/**
 * The server allows 10 client events per second per connection (docs/protocol.md §3.10, 4301 beyond);
 * spacing sends this far apart keeps any one-second window at 9 or fewer: ⌈1000 / (10 − 1)⌉ ms, a
 * literal so the bundle carries no arithmetic (a test holds it to MAX_CLIENT_EVENTS_PER_SECOND).
 */
export const WHISPER_SPACING_MS = 112;

/**
 * Hands a whisper frame to the outbox, with its channel's `ready` (subscribed now?) and `requeue`
 * (where the frame goes back when the channel lost its subscription meanwhile).
 */
export type WhisperOutbox = (frame: string, ready: () => boolean, requeue: (frame: string) => void) => void;

/** The connection-wide whisper queue: sends in order, spaced out, only on subscribed channels. */
export function createWhisperOutbox(timers: TimerProvider, send: (frame: string) => boolean): WhisperOutbox {
  const queue: Array<Parameters<WhisperOutbox>> = [];
  let lastSentAt = -Infinity;
  let timer: unknown = null;

  function drain(): void {
    if (timer !== null) return;
    while (queue.length > 0) {
      const wait = lastSentAt + WHISPER_SPACING_MS - timers.now();
      if (wait > 0) {
        timer = timers.setTimeout(() => {
          timer = null;
          drain();
        }, wait);
        return;
      }
      const [frame, ready, requeue] = queue.shift()!;
      // The channel lost its subscription since (reconnect): back to its own queue until subscribed again.
      if (ready() && send(frame)) lastSentAt = timers.now();
      else requeue(frame);
    }
  }

  return (...entry) => {
    queue.push(entry);
    drain();
  };
}
