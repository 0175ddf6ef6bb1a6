import type { RecoveryReason, StreamRecovery } from '@react-reverb/core';
import { useState } from 'react';
import { type BroadcastNotification, useChannel, useNotifications } from 'react-reverb';
import type { DemoNotificationData } from '../../shared/names';

export type DemoNotification = BroadcastNotification<DemoNotificationData>;

/** Why the server could not replay everything (docs/protocol.md §11.1), in a person's words. */
const GAP_REASONS: Partial<Record<RecoveryReason, string>> = {
  epoch_changed: 'the realtime server restarted',
  expired: 'you were away longer than the server keeps them',
  evicted: 'the server ran short of memory for them',
  too_far_behind: 'more arrived than the server keeps',
  unavailable: "the server's history was unavailable",
};

export interface NotificationsPanelProps {
  readonly channel: string;
  /** `$user->notifications` from the backend (newest first): loads what a gap may have lost. */
  readonly refetch: () => Promise<readonly DemoNotification[]>;
}

/**
 * The notifications list with an unread count, fed by `useNotifications(userChannel)`. After a reconnect
 * our server replays what was missed (the list just fills in, with a short note); when it cannot replay
 * everything, the panel says so and offers to load them from the backend.
 */
export function NotificationsPanel({ channel, refetch }: NotificationsPanelProps) {
  const live = useNotifications<DemoNotificationData>(channel);
  // Same channel, same hold (ref-counted in the core): only read its subscription status and recovery.
  const { status, error, recovery } = useChannel(channel);
  const loaded = useRefetch(refetch, recovery);
  const { notifications, unreadIds } = merge(live.notifications, live.unreadCount, loaded);
  const markAllRead = () => {
    live.markAllRead();
    loaded.markRead();
  };
  const clear = () => {
    live.clear();
    loaded.clear();
  };
  return (
    <section
      className="card"
      aria-labelledby="notifications-title"
      data-testid="notifications"
      data-status={status}
    >
      <h2 id="notifications-title">
        Notifications{' '}
        <span className={`badge${unreadIds.size > 0 ? ' badge--unread' : ''}`} data-testid="unread-count">
          {unreadIds.size}
        </span>
        <span className="sr-only"> unread</span>
      </h2>
      <div className="row">
        <button type="button" onClick={markAllRead} disabled={unreadIds.size === 0}>
          Mark all read
        </button>
        <button type="button" onClick={clear} disabled={notifications.length === 0}>
          Clear
        </button>
      </div>
      {status === 'error' ? (
        <p className="error" role="alert">
          Live notifications are off: {error?.message ?? 'the subscription failed'}
        </p>
      ) : status !== 'subscribed' ? (
        <p className="muted">Connecting to your notifications…</p>
      ) : null}
      <RecoveryNote recovery={recovery} loaded={loaded} />
      {notifications.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ol className="notifications">
          {notifications.map((n) => (
            <NotificationItem key={n.id} notification={n} unread={unreadIds.has(n.id)} />
          ))}
        </ol>
      )}
    </section>
  );
}

interface Loaded {
  /** From the backend, after a gap; null until then. */
  readonly items: readonly DemoNotification[] | null;
  /** The gap (the recovery answer) the items were loaded for: its call-to-action is done. */
  readonly forGap: StreamRecovery | null;
  /** Ids the live list lacked when they were loaded: unread until marked. */
  readonly missed: ReadonlySet<string>;
  readonly loading: boolean;
  readonly error: string | null;
  readonly load: () => void;
  readonly markRead: () => void;
  readonly clear: () => void;
}

function useRefetch(
  refetch: () => Promise<readonly DemoNotification[]>,
  recovery: StreamRecovery | null,
): Loaded {
  const [state, setState] = useState<Omit<Loaded, 'load' | 'markRead' | 'clear'>>({
    items: null,
    forGap: null,
    missed: new Set(),
    loading: false,
    error: null,
  });
  const load = () => {
    const gap = recovery;
    setState((s) => ({ ...s, loading: true, error: null }));
    refetch().then(
      (items) =>
        setState((s) => ({
          ...s,
          items,
          forGap: gap,
          missed: new Set(items.map((n) => n.id)),
          loading: false,
        })),
      (error: unknown) => setState((s) => ({ ...s, loading: false, error: (error as Error).message })),
    );
  };
  return {
    ...state,
    load,
    markRead: () => setState((s) => ({ ...s, missed: new Set() })),
    clear: () => setState((s) => ({ ...s, items: null, missed: new Set() })),
  };
}

/**
 * The live list with the loaded one: live notifications the backend did not list yet (newer) first,
 * then the backend's list. Unread: the live unread ones, and loaded ones the live list never had.
 */
function merge(
  live: readonly DemoNotification[],
  liveUnread: number,
  loaded: Loaded,
): { notifications: readonly DemoNotification[]; unreadIds: ReadonlySet<string> } {
  const liveUnreadIds = live.slice(0, liveUnread).map((n) => n.id);
  if (!loaded.items) return { notifications: live, unreadIds: new Set(liveUnreadIds) };
  const loadedIds = new Set(loaded.items.map((n) => n.id));
  const seenLive = new Set(live.map((n) => n.id));
  const unread = new Set(liveUnreadIds);
  for (const id of loaded.missed) if (!seenLive.has(id)) unread.add(id);
  return { notifications: [...live.filter((n) => !loadedIds.has(n.id)), ...loaded.items], unreadIds: unread };
}

/** After a resubscribe: how many missed ones were replayed, or the gap and its call-to-action. */
function RecoveryNote({ recovery, loaded }: { recovery: StreamRecovery | null; loaded: Loaded }) {
  if (recovery === null) return null;
  if (recovery.recovered) {
    if (recovery.replayed === 0) return null;
    const n = recovery.replayed;
    return (
      <p className="muted" data-testid="recovery" data-recovered="true">
        Back online: {n} missed notification{n === 1 ? '' : 's'} delivered.
      </p>
    );
  }
  if (loaded.forGap === recovery) {
    return (
      <p className="muted" data-testid="recovery" data-recovered="refetched">
        Missed notifications loaded.
      </p>
    );
  }
  const why = (recovery.reason && GAP_REASONS[recovery.reason]) ?? 'the server could not replay them';
  return (
    <div
      className="notice"
      role="status"
      data-testid="recovery"
      data-recovered="false"
      data-reason={recovery.reason}
    >
      <p>Some notifications may be missing: {why}.</p>
      <button type="button" onClick={loaded.load} disabled={loaded.loading}>
        {loaded.loading ? 'Loading…' : 'Load missed notifications'}
      </button>
      {loaded.error ? <p className="error">{loaded.error}</p> : null}
    </div>
  );
}

function NotificationItem({ notification, unread }: { notification: DemoNotification; unread: boolean }) {
  return (
    <li className={unread ? 'unread' : undefined} data-testid="notification" data-type={notification.type}>
      <strong>{notification.title}</strong>
      <span>{notification.body}</span>
      <code className="muted">{notification.type}</code>
    </li>
  );
}
