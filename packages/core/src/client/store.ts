import type { ExternalStore } from './types';

/** An external store plus the one way to change it (kept out of the public types). */
export interface Store<T> extends ExternalStore<T> {
  /** Replaces the snapshot with a patched copy; listeners hear of it only when a field changed. */
  update(patch: Partial<T>): void;
}

/**
 * One external store: a cached immutable snapshot and the listeners to tell when it changes.
 * Closures, not a class: `store.subscribe` can be handed to `useSyncExternalStore` unbound.
 */
export function createStore<T extends object>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => value,
    /** SSR and hydration see the idle value the store was created with. */
    getServerSnapshot: () => initial,
    update(patch) {
      for (const key in patch) {
        if (!Object.is(value[key], patch[key])) {
          value = { ...value, ...patch };
          for (const listener of [...listeners]) listener();
          return;
        }
      }
    },
  };
}
