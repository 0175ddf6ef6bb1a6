import type { EventMeta } from '@react-reverb/core';
import { useRef } from 'react';
import {
  type BroadcastNotification,
  isBroadcastNotification,
  matchesNotificationType,
} from '../notifications';
import { useLatest } from './useLatest';

/**
 * A listener for the notification event (`BROADCAST_NOTIFICATION_EVENT`) that calls `onNotification` (the latest one) once per
 * notification `id` whose `type` matches `types`: a notification replayed after a reconnect (or by
 * `rewind`) that was seen already is not new. Shared by `useNotifications`, `<NotificationToast>` and
 * `useEchoNotification`.
 */
export function useNotificationFilter<T extends object>(
  types: readonly string[] | undefined,
  onNotification: (notification: BroadcastNotification<T>, meta: EventMeta) => void,
): (data: unknown, meta: EventMeta) => void {
  const seen = useRef(new Set<string>());
  const latest = useLatest({ types, onNotification });
  return (data, meta) => {
    if (!isBroadcastNotification(data) || !matchesNotificationType(data.type, latest.current.types)) return;
    if (seen.current.has(data.id)) return;
    seen.current.add(data.id);
    latest.current.onNotification(data as BroadcastNotification<T>, meta);
  };
}
