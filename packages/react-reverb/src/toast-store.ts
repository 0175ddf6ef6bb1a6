import { createStore, type ExternalStore } from '@react-reverb/core';
import type { ReactNode } from 'react';

export type ToastKind = 'info' | 'success' | 'warning' | 'error';

export interface ToastInput {
  /** Same id replaces the toast in place (e.g. one "signed in elsewhere" toast, not five). */
  readonly id?: string;
  readonly title?: ReactNode;
  readonly message?: ReactNode;
  /** `error` toasts are announced assertively (`role="alert"`); all others politely. Default `info`. */
  readonly kind?: ToastKind;
  /** Milliseconds on screen while not paused; `Infinity` stays until dismissed. */
  readonly duration?: number;
  /** Whatever produced the toast (a notification payload, an event). */
  readonly data?: unknown;
}

export interface Toast {
  readonly id: string;
  readonly title: ReactNode;
  readonly message: ReactNode;
  readonly kind: ToastKind;
  readonly duration: number;
  readonly data: unknown;
}

/** Why the dismiss timers are stopped; they run again when no reason is left. */
export type PauseReason = 'hover' | 'focus' | 'hidden' | (string & {});

export interface ToastStore extends ExternalStore<ReadonlyArray<Toast>> {
  show(input: ToastInput | string): string;
  /** Dismiss one toast, or all without an id. */
  dismiss(id?: string): void;
  pause(reason: PauseReason): void;
  resume(reason: PauseReason): void;
}

export interface ToastStoreOptions {
  /** Default 5000 ms; errors default to 10 000 ms. */
  readonly duration?: number;
  readonly errorDuration?: number;
}

/** A toast's dismiss timer: what is left of its duration, counted from `startedAt` while it runs. */
interface Timer {
  remaining: number;
  startedAt: number;
  handle?: ReturnType<typeof setTimeout> | undefined;
}

const EMPTY: ReadonlyArray<Toast> = [];

/** A small external store of toasts with pausable dismiss timers; no DOM, safe on the server. */
export function createToastStore(options: ToastStoreOptions = {}): ToastStore {
  // `set` and `update` stay out of the returned object: only `show` and `dismiss` change the list.
  const { set: publish, update, ...list } = createStore(EMPTY);
  let counter = 0;
  const timers = new Map<string, Timer>();
  const pauses = new Set<PauseReason>();

  const start = (id: string, timer: Timer) => {
    if (pauses.size === 0 && timer.remaining < Number.POSITIVE_INFINITY) {
      timer.startedAt = Date.now();
      timer.handle = setTimeout(() => store.dismiss(id), timer.remaining);
    }
  };
  const stop = (timer: Timer | undefined) => {
    if (timer?.handle === undefined) return;
    clearTimeout(timer.handle);
    timer.handle = undefined;
    timer.remaining -= Date.now() - timer.startedAt;
  };

  const store: ToastStore = {
    ...list,
    show(input) {
      const {
        id = `toast-${++counter}`,
        kind = 'info',
        title,
        message,
        data,
        duration,
      } = typeof input === 'string' ? ({ message: input } as ToastInput) : input;
      const toast: Toast = {
        id,
        title,
        message,
        kind,
        duration:
          duration ?? (kind === 'error' ? (options.errorDuration ?? 10_000) : (options.duration ?? 5_000)),
        data,
      };
      const toasts = list.getSnapshot();
      const replaced = timers.has(id);
      stop(timers.get(id));
      const timer: Timer = { remaining: toast.duration, startedAt: 0 };
      timers.set(id, timer);
      start(id, timer);
      publish(replaced ? toasts.map((t) => (t.id === id ? toast : t)) : [...toasts, toast]);
      return id;
    },
    dismiss(id) {
      const toasts = list.getSnapshot();
      const keep = toasts.filter((t) => id !== undefined && t.id !== id);
      if (keep.length === toasts.length) return;
      for (const t of toasts) {
        if (keep.includes(t)) continue;
        stop(timers.get(t.id));
        timers.delete(t.id);
      }
      publish(keep.length === 0 ? EMPTY : keep);
    },
    pause(reason) {
      if (pauses.size === 0) for (const timer of timers.values()) stop(timer);
      pauses.add(reason);
    },
    resume(reason) {
      if (pauses.delete(reason) && pauses.size === 0) for (const [id, timer] of timers) start(id, timer);
    },
  };
  return store;
}

/** The store `toast()` and `<NotificationToast>` use unless given another. */
export const defaultToastStore: ToastStore = /* @__PURE__ */ createToastStore();

/** Show a toast from anywhere (`toast({ title: 'Signed out', message: 'You signed in on another device' })`). */
export function toast(input: ToastInput | string): string {
  return defaultToastStore.show(input);
}
