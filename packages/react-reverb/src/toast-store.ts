import type { ExternalStore } from '@react-reverb/core';
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

interface Timer {
  remaining: number;
  startedAt: number;
  handle: ReturnType<typeof setTimeout> | null;
}

const EMPTY: ReadonlyArray<Toast> = [];

/** A small external store of toasts with pausable dismiss timers; no DOM, safe on the server. */
export function createToastStore(options: ToastStoreOptions = {}): ToastStore {
  let toasts: ReadonlyArray<Toast> = EMPTY;
  let counter = 0;
  const listeners = new Set<() => void>();
  const timers = new Map<string, Timer>();
  const pauses = new Set<PauseReason>();

  const emit = () => {
    for (const listener of [...listeners]) listener();
  };
  const start = (id: string, timer: Timer) => {
    if (pauses.size > 0 || !Number.isFinite(timer.remaining)) return;
    timer.startedAt = Date.now();
    timer.handle = setTimeout(() => store.dismiss(id), timer.remaining);
  };
  const stop = (timer: Timer) => {
    if (timer.handle === null) return;
    clearTimeout(timer.handle);
    timer.handle = null;
    timer.remaining -= Date.now() - timer.startedAt;
  };

  const store: ToastStore = {
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    getSnapshot: () => toasts,
    getServerSnapshot: () => EMPTY,
    show(input) {
      const i: ToastInput = typeof input === 'string' ? { message: input } : input;
      const kind = i.kind ?? 'info';
      const id = i.id ?? `toast-${++counter}`;
      const duration =
        i.duration ?? (kind === 'error' ? (options.errorDuration ?? 10_000) : (options.duration ?? 5_000));
      const toast: Toast = { id, title: i.title, message: i.message, kind, duration, data: i.data };
      const old = timers.get(id);
      if (old) stop(old);
      const timer: Timer = { remaining: duration, startedAt: 0, handle: null };
      timers.set(id, timer);
      start(id, timer);
      toasts = old ? toasts.map((t) => (t.id === id ? toast : t)) : [...toasts, toast];
      emit();
      return id;
    },
    dismiss(id) {
      const gone = id === undefined ? toasts : toasts.filter((t) => t.id === id);
      if (gone.length === 0) return;
      for (const t of gone) {
        const timer = timers.get(t.id);
        if (timer?.handle) clearTimeout(timer.handle);
        timers.delete(t.id);
      }
      toasts = id === undefined ? EMPTY : toasts.filter((t) => t.id !== id);
      emit();
    },
    pause(reason) {
      if (pauses.size === 0) for (const timer of timers.values()) stop(timer);
      pauses.add(reason);
    },
    resume(reason) {
      if (!pauses.delete(reason) || pauses.size > 0) return;
      for (const [id, timer] of timers) start(id, timer);
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
