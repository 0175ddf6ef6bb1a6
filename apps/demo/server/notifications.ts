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
