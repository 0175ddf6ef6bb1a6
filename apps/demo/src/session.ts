import type { ConnectionError } from '@react-reverb/core';
import { ErrorCode } from '@react-reverb/core/protocol';
import { useEffect } from 'react';
import { useConnectionState, useReverb, useSessionReplaced, useUser } from 'react-reverb';
import { SESSION_REPLACED_EVENT } from '../shared/names';

export const SIGNED_IN_ELSEWHERE = 'You were signed in on another device';

/** Terminated by the server's HTTP API (`terminate_connections`, docs/protocol.md §4). */
const TERMINATED = ErrorCode.Unauthorized;

export interface SessionEndOptions {
  /** The user's private channel: where the app's own `session.replaced` comes on other servers. */
  readonly channel: string;
  /** GET /api/me: true while the session lives, false on 401, null when the backend can't be asked. */
  readonly sessionAlive: () => Promise<boolean | null>;
  /**
   * Called once when this device's session was replaced: go to the login page. `error.message` is the
   * client's "Session replaced" for the event (the server's or, on other servers, the app's broadcast),
   * `SIGNED_IN_ELSEWHERE` when this hook's own check (or a 401) found the session gone.
   */
  readonly onEnded: (error: ConnectionError) => void;
}

/**
 * Every way this device learns that its session ended, funnelled into the client's terminal `replaced`
 * state, so one callback (and `<NotificationToast sessionReplaced>`) handles them all:
 * - our server's single session: `reverb:session_replaced` and the close 4010 (the client itself);
 * - servers without it: the app's own `session.replaced` broadcast (`useSessionReplaced`'s fallback);
 * - a device that was offline while the user signed in elsewhere: back online, its socket sign-in is
 *   refused (the backend ended its session, so `/broadcasting/user-auth` answers 403) and `/api/me`
 *   confirms with a 401;
 * - `terminate_connections` (4009): the same question; a session that lives connects again.
 * API calls that answer 401 call `client.sessionReplaced()` themselves (Dashboard).
 */
export function useSessionEnd({ channel, sessionAlive, onEnded }: SessionEndOptions): void {
  const client = useReverb();
  useSessionReplaced(onEnded, { channel, event: `.${SESSION_REPLACED_EVENT}` });
  const { status } = useUser();
  const { state, lastError } = useConnectionState();
  const terminated = (state === 'disconnected' || state === 'failed') && lastError?.code === TERMINATED;
  const refused = status === 'error';
  useEffect(() => {
    if (!terminated && !refused) return;
    let current = true;
    void sessionAlive().then((alive) => {
      if (!current) return;
      if (alive === false) client.sessionReplaced(SIGNED_IN_ELSEWHERE);
      else if (alive && terminated) client.connect();
    });
    return () => {
      current = false;
    };
  }, [client, terminated, refused, sessionAlive]);
}
