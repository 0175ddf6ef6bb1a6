import { type RefObject, useEffect, useLayoutEffect, useRef } from 'react';

/** `useLayoutEffect` in the browser, `useEffect` on the server (where layout effects warn). */
export const useIsomorphicLayoutEffect = typeof document === 'undefined' ? useEffect : useLayoutEffect;

/**
 * The latest value in a ref, updated after commit. Listeners bound once read `ref.current`, so an
 * inline callback re-created on every render is called without rebinding or resubscribing.
 */
export function useLatest<T>(value: T): RefObject<T> {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
