/**
 * Laravel broadcast notifications (`via()` includes `broadcast`): Laravel names, not Pusher wire names.
 * The payload is `toBroadcast()`/`toArray()` merged with `id` (uuid) and `type` (class or `broadcastType()`).
 */
export const BROADCAST_NOTIFICATION_EVENT = 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated';

export type BroadcastNotification<T extends object = Record<string, unknown>> = T & {
  readonly id: string;
  readonly type: string;
};

/**
 * The private channel Laravel broadcasts a notifiable's notifications on:
 * `notificationChannel(1)` → `private-App.Models.User.1`.
 */
export function notificationChannel(id: string | number, model = 'App.Models.User'): string {
  return `private-${model.replace(/\\/g, '.')}.${id}`;
}

/** `App\Notifications\InvoicePaid` and `App.Notifications.InvoicePaid` are the same type. */
export function normalizeNotificationType(type: string): string {
  return type.replace(/\\/g, '.');
}

export function matchesNotificationType(type: string, wanted: readonly string[] | undefined): boolean {
  if (!wanted || wanted.length === 0) return true;
  const normalized = normalizeNotificationType(type);
  return wanted.some((w) => normalizeNotificationType(w) === normalized);
}

/** A payload is a notification when it is an object with string `id` and `type`. */
export function isBroadcastNotification(data: unknown): data is BroadcastNotification {
  if (typeof data !== 'object' || data === null) return false;
  const { id, type } = data as { id?: unknown; type?: unknown };
  return typeof id === 'string' && typeof type === 'string';
}
