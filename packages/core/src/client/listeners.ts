import type { EventListener, EventMeta } from './types';

/** Reports a listener's exception without breaking delivery to the others or the socket handler. */
export function reportError(error: unknown): void {
  queueMicrotask(() => {
    throw error;
  });
}

/** Listeners per event name, plus "every event" listeners; delivery copes with (un)binding mid-emit. */
export class Listeners {
  #byEvent = new Map<string, Set<EventListener>>();
  #every = new Set<EventListener>();

  add(event: string | null, listener: EventListener): () => void {
    let set = this.#every;
    if (event !== null) {
      set = this.#byEvent.get(event) ?? new Set();
      this.#byEvent.set(event, set);
    }
    // A fresh wrapper so binding the same function twice gives two independent bindings.
    const bound: EventListener = (data, meta) => listener(data, meta);
    set.add(bound);
    return () => {
      set.delete(bound);
      if (event !== null && set.size === 0 && this.#byEvent.get(event) === set) this.#byEvent.delete(event);
    };
  }

  /** Protocol events (`pusher:…`) reach only the listeners bound to them by name. */
  emit(data: unknown, meta: EventMeta): void {
    const named = this.#byEvent.get(meta.event) ?? [];
    const every = meta.event.startsWith('pusher:') ? [] : this.#every;
    for (const listener of [...named, ...every]) {
      try {
        listener(data, meta);
      } catch (error) {
        reportError(error);
      }
    }
  }
}

export function eventMeta(event: string, channel: string, userId: string | undefined): EventMeta {
  return userId === undefined ? { event, channel } : { event, channel, userId };
}
