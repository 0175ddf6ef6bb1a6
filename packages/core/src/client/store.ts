import type { ExternalStore } from './types';

/**
 * One external store: a cached immutable snapshot and the listeners to tell when it changes.
 * Methods are arrow fields so `store.subscribe` can be handed to `useSyncExternalStore` unbound.
 */
export class Store<T extends object> implements ExternalStore<T> {
  #listeners = new Set<() => void>();
  #value: T;

  readonly #initial: T;

  constructor(initial: T) {
    this.#initial = initial;
    this.#value = initial;
  }

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => {
      this.#listeners.delete(listener);
    };
  };

  getSnapshot = (): T => this.#value;

  /** SSR and hydration see the idle value the store was created with. */
  getServerSnapshot = (): T => this.#initial;

  /** Replaces the snapshot with a patched copy; listeners hear of it only when a field changed. */
  update(patch: Partial<T>): void {
    const current = this.#value as Record<string, unknown>;
    if (Object.keys(patch).every((key) => Object.is(current[key], (patch as Record<string, unknown>)[key])))
      return;
    this.#value = { ...this.#value, ...patch };
    for (const listener of [...this.#listeners]) listener();
  }
}
