import type { EventMeta } from '@react-reverb/core';
import { useCallback, useMemo, useState } from 'react';
import { useLatest } from './internal/useLatest';
import { useNotificationListener } from './internal/useNotificationListener';
import type { BroadcastNotification } from './notifications';

export interface UseNotificationsOptions<T extends object> {
  /** Only these types, in dot or backslash form (`App\Notifications\InvoicePaid`). Default: all. */
  readonly types?: readonly string[];
  /** Called once per new notification (duplicates by `id` are dropped first). */
  readonly onNotification?: (notification: BroadcastNotification<T>, meta: EventMeta) => void;
  /** How many to keep, newest first. Default 50. */
  readonly limit?: number;
  readonly enabled?: boolean;
}

export interface UseNotificationsResult<T extends object> {
  /** Newest first. */
  readonly notifications: ReadonlyArray<BroadcastNotification<T>>;
  readonly unreadCount: number;
  readonly markAllRead: () => void;
  readonly clear: () => void;
}

interface State<T extends object> {
  readonly notifications: ReadonlyArray<BroadcastNotification<T>>;
  readonly unreadCount: number;
}

const NONE: State<never> = { notifications: [], unreadCount: 0 };

/**
 * Laravel broadcast notifications on `channelName` (see `notificationChannel(id)`), deduplicated by
 * `id` (a redelivery is not a new notification) and filtered by `types` in dot or backslash form.
 */
export function useNotifications<T extends object = Record<string, unknown>>(
  channelName: string | null | undefined,
  options: UseNotificationsOptions<T> = {},
): UseNotificationsResult<T> {
  const [state, setState] = useState<State<T>>(NONE);
  const latest = useLatest(options);
  useNotificationListener<T>(channelName, options.types, options.enabled ?? true, (notification, meta) => {
    const limit = Math.max(1, latest.current.limit ?? 50);
    setState((prev) => {
      const notifications = [notification, ...prev.notifications].slice(0, limit);
      return { notifications, unreadCount: Math.min(prev.unreadCount + 1, notifications.length) };
    });
    latest.current.onNotification?.(notification, meta);
  });
  const markAllRead = useCallback(() => setState((prev) => ({ ...prev, unreadCount: 0 })), []);
  const clear = useCallback(() => setState(NONE), []);
  return useMemo(() => ({ ...state, markAllRead, clear }), [state, markAllRead, clear]);
}
