import { type BroadcastNotification, useChannel, useNotifications } from 'react-reverb';
import type { DemoNotificationData } from '../../shared/names';

type DemoNotification = BroadcastNotification<DemoNotificationData>;

/** The notifications list with an unread count, fed by `useNotifications(userChannel)`. */
export function NotificationsPanel({ channel }: { channel: string }) {
  const { notifications, unreadCount, markAllRead, clear } = useNotifications<DemoNotificationData>(channel);
  // Same channel, same hold (ref-counted in the core): only read its subscription status.
  const { status, error } = useChannel(channel);
  return (
    <section
      className="card"
      aria-labelledby="notifications-title"
      data-testid="notifications"
      data-status={status}
    >
      <h2 id="notifications-title">
        Notifications{' '}
        <span className={`badge${unreadCount > 0 ? ' badge--unread' : ''}`} data-testid="unread-count">
          {unreadCount}
        </span>
        <span className="sr-only"> unread</span>
      </h2>
      <div className="row">
        <button type="button" onClick={markAllRead} disabled={unreadCount === 0}>
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
      {notifications.length === 0 ? (
        <p className="muted">Nothing yet.</p>
      ) : (
        <ol className="notifications">
          {notifications.map((n, index) => (
            <NotificationItem key={n.id} notification={n} unread={index < unreadCount} />
          ))}
        </ol>
      )}
    </section>
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
