import type { ConnectionError } from '@react-reverb/core';
import { useContext, useEffect } from 'react';
import { missingProviderError, ReverbContext } from '../useReverb';
import { useLatest } from './useLatest';

/**
 * Calls `callback(lastError)` each time the connection enters `replaced` while mounted. The part of
 * `useSessionReplaced` that `<NotificationToast sessionReplaced>` needs, without the fallback.
 */
export function useReplaced(callback: (error: ConnectionError) => void, enabled: boolean): void {
  const client = useContext(ReverbContext);
  if (enabled && client === null) throw missingProviderError();
  const latest = useLatest(callback);
  useEffect(() => {
    if (!enabled || client === null) return;
    const { connection } = client;
    // Entering `replaced` calls; being in it already when this runs (StrictMode's second run, a
    // remounted provider) does not.
    let before = connection.getSnapshot();
    return connection.subscribe(() => {
      const snapshot = connection.getSnapshot();
      if (snapshot.state === 'replaced' && before.state !== 'replaced') {
        latest.current(snapshot.lastError as ConnectionError);
      }
      before = snapshot;
    });
  }, [client, enabled, latest]);
}
