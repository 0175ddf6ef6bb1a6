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
 * Calls `onNotification` once per notification `id` whose `type` matches `types`: a notification
 * replayed after a reconnect (or by `rewind`) that was seen already is not new.
 */
export function useNotificationListener<T extends object>(
  channelName: string | null | undefined,
  types: readonly string[] | undefined,
  enabled: boolean,
  onNotification: (notification: BroadcastNotification<T>, meta: EventMeta) => void,
  options?: RetainOptions,
): void {
  const seen = useRef(new Set<string>());
  const latest = useLatest({ types, onNotification });
  useEvent(
    channelName,
    BROADCAST_NOTIFICATION_EVENT,
    (data, meta) => {
      if (!isBroadcastNotification(data) || !matchesNotificationType(data.type, latest.current.types)) return;
      if (seen.current.has(data.id)) return;
      seen.current.add(data.id);
      latest.current.onNotification(data as BroadcastNotification<T>, meta);
    },
    { ...options, enabled },
  );
}
