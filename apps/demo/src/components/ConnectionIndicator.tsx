import type { ConnectionSnapshot } from '@react-reverb/core';
import { useEffect, useState } from 'react';
import { useConnectionState } from 'react-reverb';

export type ConnectionLabel = 'connected' | 'connecting' | 'reconnecting' | 'offline' | 'replaced';

/** What a person needs to know, from the client's full connection snapshot. */
export function describeConnection(
  snapshot: ConnectionSnapshot,
  now: number,
): { label: ConnectionLabel; text: string } {
  switch (snapshot.state) {
    case 'connected':
      return { label: 'connected', text: 'Connected' };
    case 'initialized':
    case 'connecting':
      return snapshot.attempt > 0
        ? { label: 'reconnecting', text: retryText(snapshot, now) }
        : { label: 'connecting', text: 'Connecting…' };
    case 'reconnecting':
    case 'unavailable':
      return { label: 'reconnecting', text: retryText(snapshot, now) };
    case 'disconnected':
    case 'failed':
      return { label: 'offline', text: 'Offline' };
    case 'replaced':
      // Terminal: a newer sign-in of this user elsewhere (docs/protocol.md §11.2); no reconnect follows.
      return { label: 'replaced', text: 'Signed in elsewhere' };
  }
}

function retryText(snapshot: ConnectionSnapshot, now: number): string {
  if (snapshot.nextRetryAt === null) return 'Reconnecting…';
  const seconds = Math.max(0, Math.ceil((snapshot.nextRetryAt - now) / 1000));
  return seconds > 0 ? `Reconnecting in ${seconds} s` : 'Reconnecting…';
}

/** Re-renders every second while a retry countdown is on screen. */
function useNow(ticking: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) return;
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(timer);
  }, [ticking]);
  return now;
}

/** Connected / reconnecting in N s / offline, fed by `useConnectionState()`. */
export function ConnectionIndicator() {
  const snapshot = useConnectionState();
  const now = useNow(snapshot.nextRetryAt !== null);
  const { label, text } = describeConnection(snapshot, now);
  return (
    <output
      className={`connection connection--${label}`}
      data-testid="connection"
      data-state={label}
      aria-live="polite"
    >
      <span className="connection__dot" aria-hidden="true" />
      {text}
      {snapshot.lastError && label !== 'connected' ? (
        <span className="connection__error" title={snapshot.lastError.message}>
          {snapshot.lastError.code !== null ? ` (${snapshot.lastError.code})` : ''}
        </span>
      ) : null}
    </output>
  );
}
