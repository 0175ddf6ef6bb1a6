import { PUSHER_EVENT_PREFIX } from '../protocol/events';
import type { EventListener, EventMeta } from './types';

/** Listeners per event name, plus "every event" listeners (key null); delivery copes with (un)binding mid-emit. */
export interface Listeners {
  add(event: string | null, listener: EventListener): () => void;
  /** Protocol events (`pusher:…`) reach only the listeners bound to them by name. */
  emit(data: unknown, meta: EventMeta): void;
}

export function createListeners(): Listeners {
  const byEvent = new Map<string | null, Set<EventListener>>();
  return {
    add(event, listener) {
      const set = byEvent.get(event) ?? new Set();
      byEvent.set(event, set);
      // A fresh wrapper so binding the same function twice gives two independent bindings.
      const bound: EventListener = (data, meta) => listener(data, meta);
      set.add(bound);
      return () => {
        set.delete(bound);
        if (set.size === 0 && byEvent.get(event) === set) byEvent.delete(event);
      };
    },
    emit(data, meta) {
      const every = meta.event.startsWith(PUSHER_EVENT_PREFIX) ? [] : (byEvent.get(null) ?? []);
      for (const listener of [...(byEvent.get(meta.event) ?? []), ...every]) {
        try {
          listener(data, meta);
        } catch (error) {
          // Reported without breaking delivery to the others or the socket handler.
          queueMicrotask(() => {
            throw error;
          });
        }
      }
    },
  };
}

export function eventMeta(event: string, channel: string, userId: string | undefined): EventMeta {
  return userId === undefined ? { event, channel } : { event, channel, userId };
}
