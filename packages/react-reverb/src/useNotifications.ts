import type { EventMeta, RecoveryReason, RetainOptions } from '@react-reverb/core';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useLatest } from './internal/useLatest';
import { useNotificationFilter } from './internal/useNotificationFilter';
import { BROADCAST_NOTIFICATION_EVENT, type BroadcastNotification } from './notifications';
import { useChannel } from './useChannel';
import { useEvent } from './useEvent';

export interface UseNotificationsOptions<T extends object> extends RetainOptions {
  /** Only these types, in dot or backslash form (`App\Notifications\InvoicePaid`). Default: all. */
  readonly types?: readonly string[];
  /** Called once per new notification (duplicates by `id` are dropped first). */
  readonly onNotification?: (notification: BroadcastNotification<T>, meta: EventMeta) => void;
  /** How many to keep, newest first. Default 50. */
  readonly limit?: number;
  readonly enabled?: boolean;
  /**
   * Our server replays what was missed while the socket was down; when it cannot (kept too briefly,
   * too many, restarted: the `reason`), this is called so you can refetch (Laravel's notifications table).
   */
  readonly onGap?: (reason: RecoveryReason | undefined) => void;
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
 * On our server the ones missed while the socket was down arrive after the reconnect (`onGap` when
 * some could not be), and `rewind: n` opens with the last `n` kept.
 */
export function useNotifications<T extends object = Record<string, unknown>>(
  channelName: string | null | undefined,
  options: UseNotificationsOptions<T> = {},
): UseNotificationsResult<T> {
  const [state, setState] = useState<State<T>>(NONE);
  const latest = useLatest(options);
  const onNotification = (notification: BroadcastNotification<T>, meta: EventMeta) => {
    const limit = Math.max(1, latest.current.limit ?? 50);
    setState((prev) => {
      const notifications = [notification, ...prev.notifications].slice(0, limit);
      return { notifications, unreadCount: Math.min(prev.unreadCount + 1, notifications.length) };
    });
    latest.current.onNotification?.(notification, meta);
  };
  useEvent(
    channelName,
    BROADCAST_NOTIFICATION_EVENT,
    useNotificationFilter<T>(options.types, onNotification),
    options,
  );
  const { recovery } = useChannel(channelName, options);
  // Once per gap: a new answer is a new object, and on mount (StrictMode's second run) it is still null,
  // the channel being held from the first effect on.
  useEffect(() => {
    if (recovery?.recovered === false) latest.current.onGap?.(recovery.reason);
  }, [recovery, latest]);
  const markAllRead = useCallback(() => setState((prev) => ({ ...prev, unreadCount: 0 })), []);
  const clear = useCallback(() => setState(NONE), []);
  return useMemo(() => ({ ...state, markAllRead, clear }), [state, markAllRead, clear]);
}
