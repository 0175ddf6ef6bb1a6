import { PUSHER_EVENT_PREFIX } from '../protocol/events';
import type { EventListener, EventMeta } from './types';

/** Listeners per event name, plus "every event" listeners (key null); delivery copes with (un)binding mid-emit. */
export interface Listeners {
  add(event: string | null, listener: EventListener): () => void;
  /** Protocol events (`pusher:…`) reach only the listeners bound to them by name. */
  emit(data: unknown, meta: EventMeta): void;
}

export function createListeners(): Listeners {
  /** One entry per binding, in binding order; a fresh entry, so the same function bound twice is two bindings. */
  const bindings = new Set<readonly [event: string | null, listener: EventListener]>();
  return {
    add(event, listener) {
      const binding = [event, listener] as const;
      bindings.add(binding);
      return () => {
        bindings.delete(binding);
      };
    },
    emit(data, meta) {
      // The bindings as they were when the event came: (un)binding mid-emit counts from the next one.
      const bound = [...bindings];
      const deliver = (key: string | null) => {
        for (const [event, listener] of bound) {
          if (event !== key) continue;
          try {
            listener(data, meta);
          } catch (error) {
            // Reported without breaking delivery to the others or the socket handler.
            queueMicrotask(() => {
              throw error;
            });
          }
        }
      };
      deliver(meta.event);
      if (!meta.event.startsWith(PUSHER_EVENT_PREFIX)) deliver(null);
    },
  };
}
