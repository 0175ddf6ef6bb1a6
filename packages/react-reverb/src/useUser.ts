import type { EventListener, UserSnapshot } from '@react-reverb/core';
import { useCallback, useEffect, useMemo } from 'react';
import { useLatest } from './internal/useLatest';
import { useStore } from './internal/useStore';
import { useReverb } from './useReverb';

export interface UseUserResult extends UserSnapshot {
  /** Sign in through the client's `userAuthEndpoint`/`authenticateUser` (redone after reconnects). */
  readonly signin: () => void;
}

/** Sign-in state of this connection: `{status, id, info, error, watchlist, signin}`. */
export function useUser(): UseUserResult {
  const client = useReverb();
  const snapshot = useStore(client.user);
  const signin = useCallback(() => client.user.signin(), [client]);
  return useMemo(() => ({ ...snapshot, signin }), [snapshot, signin]);
}

/** Events the server sends to the signed-in user (`#server-to-user-{id}`); latest callback, bound once. */
export function useUserEvent<D = unknown>(event: string, callback: EventListener<D>): void {
  const client = useReverb();
  const latest = useLatest(callback);
  useEffect(
    () => client.user.bind<D>(event, (data, meta) => latest.current(data, meta)),
    [client, event, latest],
  );
}
