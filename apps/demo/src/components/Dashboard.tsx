import type { ConnectionError } from '@react-reverb/core';
import { useEffect, useMemo, useState } from 'react';
import { useReverb, useUser } from 'react-reverb';
import { NotificationToast, type ToastInput, type ToastKind, type ToastStore } from 'react-reverb/toast';
import { NotificationType, userChannel } from '../../shared/names';
import { UnauthenticatedError, type User } from '../api';
import { SIGNED_IN_ELSEWHERE, useSessionEnd } from '../session';
import { ConnectionIndicator } from './ConnectionIndicator';
import { MessageComposer } from './MessageComposer';
import { type DemoNotification, NotificationsPanel } from './NotificationsPanel';
import { OnlineUsers } from './OnlineUsers';
import { RealtimeUserBadge } from './RealtimeUserBadge';

export interface DashboardActions {
  readonly sendMessage: (to: string, text: string) => Promise<void>;
  readonly nudge: (to: string) => Promise<void>;
  readonly shipOrder: () => Promise<void>;
  readonly logout: () => Promise<void>;
  readonly logoutOthers: () => Promise<void>;
  /** `$user->notifications`, newest first: the refetch after a gap. */
  readonly notifications: () => Promise<readonly DemoNotification[]>;
  /** GET /api/me: true while the session lives, false on 401, null when the backend can't be asked. */
  readonly sessionAlive: () => Promise<boolean | null>;
  /** This device's session was replaced (signed in elsewhere): back to the login page. */
  readonly sessionEnded: (error: ConnectionError) => void;
}

const KIND_BY_TYPE: Record<string, ToastKind> = {
  [NotificationType.orderShipped]: 'success',
  [NotificationType.messageReceived]: 'info',
  [NotificationType.reminder]: 'warning',
  [NotificationType.nudged]: 'info',
};

/** Notification payload → toast: the backend's `title`/`body`, a kind per notification type. */
export function notificationToast(data: unknown): ToastInput | null {
  if (typeof data !== 'object' || data === null) return null;
  const d = data as { id?: unknown; type?: unknown; title?: unknown; body?: unknown };
  if (typeof d.id !== 'string' || typeof d.title !== 'string') return null;
  return {
    id: `notification-${d.id}`,
    title: d.title,
    ...(typeof d.body === 'string' ? { message: d.body } : {}),
    kind: KIND_BY_TYPE[String(d.type)] ?? 'info',
    data,
  };
}

export interface DashboardProps {
  readonly me: User;
  readonly users: readonly User[];
  readonly lobbyChannel: string;
  readonly actions: DashboardActions;
  /** Default: the app-wide toast store. */
  readonly toastStore?: ToastStore;
}

/**
 * The signed-in app: one realtime client, signed in as `me` with this session's `session_id`, so the
 * server replaces it when the same user signs in on another device.
 */
export function Dashboard({ me, users, lobbyChannel, actions: raw, toastStore }: DashboardProps) {
  const privateChannel = userChannel(me.id);
  const client = useReverb();
  const { signin, status: userStatus } = useUser();
  useEffect(() => signin(), [signin]);
  useSessionEnd({ channel: privateChannel, sessionAlive: raw.sessionAlive, onEnded: raw.sessionEnded });
  const actions = useMemo(
    () => guarded(raw, () => client.sessionReplaced(SIGNED_IN_ELSEWHERE)),
    [raw, client],
  );
  const [busy, setBusy] = useState<string | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const run = (name: string, action: () => Promise<void>) => async () => {
    setBusy(name);
    setFailure(null);
    try {
      await action();
    } catch (error) {
      // A 401 has ended the session already (this page is going); anything else is worth a line.
      if (!(error instanceof UnauthenticatedError)) setFailure((error as Error).message);
    } finally {
      setBusy(null);
    }
  };

  return (
    <main className="dashboard" data-testid="dashboard" data-user-id={me.id} data-user-status={userStatus}>
      <header className="topbar">
        <h1>Reverb demo</h1>
        <ConnectionIndicator />
        <RealtimeUserBadge />
        <span className="me" data-testid="me">
          {me.name}
        </span>
        <button
          type="button"
          onClick={run('ship', actions.shipOrder)}
          disabled={busy !== null}
          data-testid="ship-order"
        >
          Ship my order
        </button>
        <button type="button" onClick={run('others', actions.logoutOthers)} disabled={busy !== null}>
          Sign out other sessions
        </button>
        <button type="button" onClick={run('logout', actions.logout)} disabled={busy !== null}>
          Log out
        </button>
        {failure ? (
          <span className="error" role="alert">
            {failure}
          </span>
        ) : null}
      </header>
      <div className="grid">
        <OnlineUsers channel={lobbyChannel} />
        <MessageComposer
          me={me}
          users={users}
          channel={lobbyChannel}
          onSend={actions.sendMessage}
          onNudge={actions.nudge}
        />
        <NotificationsPanel channel={privateChannel} refetch={actions.notifications} />
      </div>
      {/* The store outlives this page by default: the "signed in on another device" toast stays on the login page. */}
      <NotificationToast
        source={privateChannel}
        format={notificationToast}
        sessionReplaced={SIGNED_IN_ELSEWHERE}
        {...(toastStore ? { store: toastStore } : {})}
      />
    </main>
  );
}

/** The actions, with a 401 (the session ended: another device signed in) ending this one too. */
function guarded(actions: DashboardActions, ended: () => void): DashboardActions {
  const guard =
    <A extends unknown[], R>(call: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await call(...args);
      } catch (error) {
        if (error instanceof UnauthenticatedError) ended();
        throw error;
      }
    };
  return {
    ...actions,
    sendMessage: guard(actions.sendMessage),
    nudge: guard(actions.nudge),
    shipOrder: guard(actions.shipOrder),
    logoutOthers: guard(actions.logoutOthers),
    notifications: guard(actions.notifications),
  };
}
