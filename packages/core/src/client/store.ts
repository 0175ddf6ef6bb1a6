import type { ExternalStore } from './types';

/**
 * An external store plus the ways to change it. The client keeps `set` and `update` out of its public
 * types; the testing kit and the toast store of `react-reverb` build their stores with it too.
 */
export interface Store<T> extends ExternalStore<T> {
  /** Replaces the snapshot; listeners hear of it unless `next` is the current snapshot itself. */
  set(next: T): void;
  /** Replaces the snapshot with a patched copy; listeners hear of it only when a field changed. */
  update(patch: Partial<T>): void;
}

/**
 * One external store (`useSyncExternalStore`'s contract): a cached immutable snapshot and the listeners
 * to tell when it changes. `getServerSnapshot` returns `initial`: SSR and hydration see the idle value.
 * Closures, not a class: `store.subscribe` can be handed to `useSyncExternalStore` unbound.
 */
export function createStore<T extends object>(initial: T): Store<T> {
  let value = initial;
  const listeners = new Set<() => void>();
  const set = (next: T) => {
    if (Object.is(next, value)) return;
    value = next;
    for (const listener of [...listeners]) listener();
  };
  return {
    subscribe(listener) {
      listeners.add(listener);
      return () => {
        listeners.delete(listener);
      };
    },
    getSnapshot: () => value,
    getServerSnapshot: () => initial,
    set,
    update(patch) {
      for (const key in patch) {
        if (!Object.is(value[key], patch[key])) return set({ ...value, ...patch });
      }
    },
  };
}
