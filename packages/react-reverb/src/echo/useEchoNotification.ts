import type { DependencyList } from 'react';
import { useNotificationFilter } from '../internal/useNotificationFilter';
import { BROADCAST_NOTIFICATION_EVENT } from '../notifications';
import type { BroadcastDriver, BroadcastNotification, EchoCallback, UseEchoResult } from './types';
import { useHolder } from './useEcho';

/**
 * Laravel broadcast notifications on a private channel (`App.Models.User.1`), filtered by type in dot
 * or backslash form (`App.Notifications.InvoicePaid` and `App\Notifications\InvoicePaid` are one type).
 * Unlike echo-react, a notification redelivered with the same `id` is passed on once: Laravel gives
 * every notification its own uuid, so a second one is a redelivery, not news.
 */
export const useEchoNotification = <TPayload, TDriver extends BroadcastDriver = BroadcastDriver>(
  channelName: string,
  callback: EchoCallback<BroadcastNotification<TPayload>> = () => {},
  event: string | string[] = [],
  _dependencies: DependencyList = [],
): UseEchoResult<TDriver, 'private'> =>
  useHolder<TDriver, 'private'>(
    channelName,
    'private',
    `.${BROADCAST_NOTIFICATION_EVENT}`,
    useNotificationFilter<BroadcastNotification<TPayload>>(
      typeof event === 'string' ? [event] : event,
      callback,
    ),
  );
