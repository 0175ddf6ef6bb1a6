import { useMemo } from 'react';
import { useStore } from './internal/useStore';
import { defaultToastStore, type Toast, type ToastInput, type ToastStore } from './toast-store';

export interface UseToastResult {
  readonly toasts: ReadonlyArray<Toast>;
  readonly show: (input: ToastInput | string) => string;
  readonly dismiss: (id?: string) => void;
}

/** Imperative toasts from a component: `const { show } = useToast(); show('Saved')`. */
export function useToast(store: ToastStore = defaultToastStore): UseToastResult {
  const toasts = useStore(store);
  return useMemo(
    () => ({ toasts, show: (input) => store.show(input), dismiss: (id) => store.dismiss(id) }),
    [toasts, store],
  );
}
