import { randomUUID } from 'node:crypto';
import type { DemoNotificationData, NotificationType } from '../shared/names';

export interface BroadcastNotification extends DemoNotificationData {
  readonly id: string;
  readonly type: NotificationType;
}

/**
 * Laravel's broadcast payload: `array_merge(toArray(), ['id' => uuid, 'type' => class])`, so `id`
 * and `type` overwrite same-named keys of the data.
 */
export function broadcastNotification(
  type: NotificationType,
  data: DemoNotificationData,
): BroadcastNotification {
  return { ...data, id: randomUUID(), type };
}

/** How many notifications the inbox keeps per user. */
export const INBOX_SIZE = 50;

/**
 * Laravel's `notifications` table (the `database` channel next to `broadcast`), in memory: what the
 * front end refetches when the server says it could not replay everything it missed (a gap).
 */
export class NotificationInbox {
  private readonly byUser = new Map<string, BroadcastNotification[]>();

  add(userId: string, notification: BroadcastNotification): void {
    const list = this.byUser.get(userId) ?? [];
    list.unshift(notification);
    list.length = Math.min(list.length, INBOX_SIZE);
    this.byUser.set(userId, list);
  }

  /** Newest first, as `$user->notifications` orders them. */
  recent(userId: string): readonly BroadcastNotification[] {
    return this.byUser.get(userId) ?? [];
  }
}
