import { createReverbClient, type ReverbClient, type ReverbClientOptions } from '@react-reverb/core';
import { type ReactNode, useEffect, useRef, useState } from 'react';
import { ReverbContext } from './useReverb';

export type ReverbProviderProps =
  | { readonly client: ReverbClient; readonly options?: never; readonly children?: ReactNode }
  | { readonly options: ReverbClientOptions; readonly client?: never; readonly children?: ReactNode };

/**
 * Puts a client in context. With `client` the app owns its lifecycle; with `options` the provider
 * creates the client once (later option changes are ignored: change the provider's `key` to rebuild),
 * connects after mount and disconnects after unmount. The disconnect waits a macrotask so StrictMode's
 * unmount → remount keeps the one socket. Nothing runs at render time but the creation, so SSR is safe.
 *
 * `options` takes our names or laravel-echo's options object as it is (the one in resources/js/echo.js:
 * `broadcaster`, `key`, `wsHost`, `wsPort`, `wssPort`, `forceTLS`, …); `ReverbClientOptions` lists them
 * and the one rule where they overlap (ours win). Options that cannot work (no key, no host, a port that
 * is not a number) throw a `ReverbError` naming the option at the first render.
 */
export function ReverbProvider(props: ReverbProviderProps): ReactNode {
  const [owned] = useState(() =>
    props.client ? null : createReverbClient({ ...props.options, autoConnect: false }),
  );
  const pendingDisconnect = useRef<ReturnType<typeof setTimeout> | null>(null);
  const autoConnect = props.options?.autoConnect !== false;
  useEffect(() => {
    if (!owned) return;
    if (pendingDisconnect.current !== null) {
      clearTimeout(pendingDisconnect.current);
      pendingDisconnect.current = null;
    } else if (autoConnect) {
      owned.connect();
    }
    return () => {
      pendingDisconnect.current = setTimeout(() => {
        pendingDisconnect.current = null;
        owned.disconnect();
      }, 0);
    };
  }, [owned, autoConnect]);
  const client = props.client ?? owned;
  if (!client) throw new Error('react-reverb: <ReverbProvider> needs `client` or `options`');
  return <ReverbContext.Provider value={client}>{props.children}</ReverbContext.Provider>;
}
