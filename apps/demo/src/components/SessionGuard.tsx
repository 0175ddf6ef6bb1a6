import { useEvent } from 'react-reverb';
import { defaultToastStore, type ToastStore } from 'react-reverb/toast';
import { SESSION_REPLACED_EVENT, type SessionReplacedPayload } from '../../shared/names';

export const SIGNED_IN_ELSEWHERE = 'You were signed in on another device';

/** Toast shown when this device's session is ended from elsewhere; same id, so never stacked. */
export function showSessionEndedToast(
  payload: Partial<SessionReplacedPayload> = {},
  store: ToastStore = defaultToastStore,
): void {
  store.show({
    id: 'session-replaced',
    kind: 'warning',
    title: 'Signed out',
    message:
      payload.reason === 'signed-out-by-user'
        ? 'Your session was ended from another device'
        : SIGNED_IN_ELSEWHERE,
    duration: 10_000,
  });
}

/**
 * Listens for `session.replaced` on the user's private channel: the backend sends it (to others
 * than the new device) when the same user signs in elsewhere, then closes this connection.
 */
export function SessionGuard({
  channel,
  onSignedOut,
  toastStore,
}: {
  channel: string;
  onSignedOut: () => void;
  /** Default: the app-wide store, so the toast outlives this page (it shows on the login page). */
  toastStore?: ToastStore;
}) {
  useEvent<SessionReplacedPayload>(channel, SESSION_REPLACED_EVENT, (payload) => {
    showSessionEndedToast(payload, toastStore);
    onSignedOut();
  });
  return null;
}
