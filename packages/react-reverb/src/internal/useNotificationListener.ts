import type { EventMeta, RetainOptions } from '@react-reverb/core';
import { useRef } from 'react';
import {
  BROADCAST_NOTIFICATION_EVENT,
  type BroadcastNotification,
  isBroadcastNotification,
  matchesNotificationType,
} from '../notifications';
import { useEvent } from '../useEvent';
import { useLatest } from './useLatest';

/**
 * A listener for the notification event that calls `onNotification` (the latest one) once per
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

/** `useNotificationFilter`'s listener bound to the notification event on `channelName`. */
export function useNotificationListener<T extends object>(
  channelName: string | null | undefined,
  types: readonly string[] | undefined,
  enabled: boolean,
  onNotification: (notification: BroadcastNotification<T>, meta: EventMeta) => void,
  options?: RetainOptions,
): void {
  useEvent(channelName, BROADCAST_NOTIFICATION_EVENT, useNotificationFilter(types, onNotification), {
    ...options,
    enabled,
  });
}
