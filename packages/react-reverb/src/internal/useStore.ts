import type { ExternalStore } from '@react-reverb/core';
import { useMemo, useSyncExternalStore } from 'react';

/**
 * Reads a core external store with React's own `useSyncExternalStore`: React 18 and 19 (our peer
 * range) both have it, and `use-sync-external-store/shim` would only add ~1 KB gzip of React 16/17
 * fallback. The store's methods are wrapped so they may be class methods (unbound `this`);
 * `getServerSnapshot` is always passed so SSR and hydration read the idle value.
 */
export function useStore<T>(store: ExternalStore<T>): T {
  const [subscribe, getSnapshot, getServerSnapshot] = useMemo(
    () =>
      [
        (listener: () => void) => store.subscribe(listener),
        () => store.getSnapshot(),
        () => store.getServerSnapshot(),
      ] as const,
    [store],
  );
  return useSyncExternalStore(subscribe, getSnapshot, getServerSnapshot);
}

/** A store that never changes: what hooks read while they hold nothing (disabled, or before the effect). */
export function constantStore<T>(value: T): ExternalStore<T> {
  return {
    subscribe: () => () => {},
    getSnapshot: () => value,
    getServerSnapshot: () => value,
  };
}
