import { useUser } from 'react-reverb';

const TEXT = {
  'signed-out': 'Not signed in on the socket',
  'signing-in': 'Signing in on the socket…',
  'signed-in': 'Signed in on the socket',
  error: 'Socket sign-in failed',
} as const;

/**
 * The connection's user sign-in (`useUser`): while signed in, the server can reach this connection
 * as the user, and `terminate_connections` can close it.
 */
export function RealtimeUserBadge() {
  const user = useUser();
  return (
    <span
      className={`user-badge user-badge--${user.status}`}
      data-testid="socket-user"
      data-status={user.status}
      title={user.error?.message ?? (user.id ? `user ${user.id}` : undefined)}
    >
      {TEXT[user.status]}
    </span>
  );
}
