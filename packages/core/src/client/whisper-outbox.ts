import { MAX_CLIENT_EVENTS_PER_SECOND } from '../protocol/limits';
import type { TimerProvider } from './types';

/** A channel as the outbox sees it: can it take a whisper now, and where does one go back if not. */
export interface WhisperSource {
  isSubscribed(): boolean;
  requeue(frame: string): void;
}

/**
 * The server allows 10 client events per second per connection (protocol.md §3.10, 4301 beyond);
 * spacing sends this far apart keeps any one-second window at 9 or fewer.
 */
export const WHISPER_SPACING_MS = Math.ceil(1000 / (MAX_CLIENT_EVENTS_PER_SECOND - 1));

/** The connection-wide whisper queue: sends in order, spaced out, only on subscribed channels. */
export class WhisperOutbox {
  #queue: Array<readonly [WhisperSource, string]> = [];
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: unknown = null;

  readonly #timers: TimerProvider;
  readonly #send: (frame: string) => boolean;

  constructor(timers: TimerProvider, send: (frame: string) => boolean) {
    this.#timers = timers;
    this.#send = send;
  }

  push(source: WhisperSource, frame: string): void {
    this.#queue.push([source, frame]);
    this.#drain();
  }

  #drain(): void {
    if (this.#timer !== null) return;
    for (let next = this.#queue[0]; next !== undefined; next = this.#queue[0]) {
      const wait = this.#lastSentAt + WHISPER_SPACING_MS - this.#timers.now();
      if (wait > 0) {
        this.#timer = this.#timers.setTimeout(() => {
          this.#timer = null;
          this.#drain();
        }, wait);
        return;
      }
      this.#queue.shift();
      const [source, frame] = next;
      // The channel lost its subscription since (reconnect): back to its own queue until subscribed again.
      if (source.isSubscribed() && this.#send(frame)) this.#lastSentAt = this.#timers.now();
      else source.requeue(frame);
    }
  }
}
