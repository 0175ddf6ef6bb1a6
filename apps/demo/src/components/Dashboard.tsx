import { useEffect, useState } from 'react';
import { useConnectionState, useUser } from 'react-reverb';
import { NotificationToast, type ToastInput, type ToastKind, type ToastStore } from 'react-reverb/toast';
import { NotificationType, userChannel } from '../../shared/names';
import type { User } from '../api';
import { ConnectionIndicator } from './ConnectionIndicator';
import { MessageComposer } from './MessageComposer';
import { NotificationsPanel } from './NotificationsPanel';
import { OnlineUsers } from './OnlineUsers';
import { RealtimeUserBadge } from './RealtimeUserBadge';
import { SessionGuard } from './SessionGuard';

export interface DashboardActions {
  readonly sendMessage: (to: string, text: string) => Promise<void>;
  readonly shipOrder: () => Promise<void>;
  readonly logout: () => Promise<void>;
  readonly logoutOthers: () => Promise<void>;
  /** The session ended elsewhere (kick-out event). */
  readonly signedOut: () => void;
  /** Our connection was terminated by the server: check whether the session still lives. */
  readonly terminated: () => void;
}

const KIND_BY_TYPE: Record<string, ToastKind> = {
  [NotificationType.orderShipped]: 'success',
  [NotificationType.messageReceived]: 'info',
  [NotificationType.reminder]: 'warning',
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

/** The signed-in app: one realtime client, signed in as `me` (so the server can terminate it). */
export function Dashboard({ me, users, lobbyChannel, actions, toastStore }: DashboardProps) {
  const privateChannel = userChannel(me.id);
  const { signin, status: userStatus } = useUser();
  useEffect(() => signin(), [signin]);
  useTerminationCheck(actions.terminated);
  const [busy, setBusy] = useState<string | null>(null);
  const run = (name: string, action: () => Promise<void>) => async () => {
    setBusy(name);
    try {
      await action();
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
      </header>
      <SessionGuard
        channel={privateChannel}
        onSignedOut={actions.signedOut}
        {...(toastStore ? { toastStore } : {})}
      />
      <div className="grid">
        <OnlineUsers channel={lobbyChannel} />
        <MessageComposer me={me} users={users} channel={lobbyChannel} onSend={actions.sendMessage} />
        <NotificationsPanel channel={privateChannel} />
      </div>
      <NotificationToast
        source={privateChannel}
        format={notificationToast}
        {...(toastStore ? { store: toastStore } : {})}
      />
    </main>
  );
}

/** The server closes terminated connections with 4009; then ask the backend if we are still signed in. */
function useTerminationCheck(onTerminated: () => void): void {
  const { state, lastError } = useConnectionState();
  const terminated = (state === 'disconnected' || state === 'failed') && lastError?.code === 4009;
  useEffect(() => {
    if (terminated) onTerminated();
  }, [terminated, onTerminated]);
}
