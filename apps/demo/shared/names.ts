/**
 * Names both halves of the demo agree on (the backend broadcasts them, the front end listens).
 * Laravel's conventions: notifications on `private-App.Models.User.{id}` as
 * `Illuminate\Notifications\Events\BroadcastNotificationCreated`.
 */
export const NOTIFICATION_EVENT = 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated';

/** `App\Models\User` with `\` → `.` plus the key, as Laravel's `receivesBroadcastNotificationsOn()`. */
export function userChannel(userId: string): string {
  return `private-App.Models.User.${userId}`;
}

/** The presence channel everyone signed in joins: who is online, and typing whispers. */
export const LOBBY_CHANNEL = 'presence-lobby';

/**
 * `broadcastAs()` of the app's own kick-out event on the user's private channel: what the backend sends
 * with `DEMO_KICK=broadcast`, for servers without single session (Laravel Reverb, soketi, Pusher).
 * The front end listens for it with `useSessionReplaced(…, { channel, event: '.session.replaced' })`.
 */
export const SESSION_REPLACED_EVENT = 'session.replaced';

/** Whisper (client event) sent while typing a message; the wire name is `client-typing`. */
export const TYPING_WHISPER = 'typing';

/** The notification classes the backend sends (their `type`). */
export const NotificationType = {
  messageReceived: 'App\\Notifications\\MessageReceived',
  orderShipped: 'App\\Notifications\\OrderShipped',
  reminder: 'App\\Notifications\\StandupReminder',
  nudged: 'App\\Notifications\\Nudged',
} as const;
export type NotificationType = (typeof NotificationType)[keyof typeof NotificationType];

/** Every notification carries these besides Laravel's `id` and `type`. */
export interface DemoNotificationData {
  readonly title: string;
  readonly body: string;
  readonly [key: string]: unknown;
}

export interface SessionReplacedPayload {
  readonly reason: 'signed-in-elsewhere' | 'signed-out-by-user';
  readonly at: string;
}
