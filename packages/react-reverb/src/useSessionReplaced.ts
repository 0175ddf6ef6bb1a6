import type { ConnectionError } from '@react-reverb/core';
import { useContext, useEffect } from 'react';
import { retainChannel, useHeldChannel } from './internal/useHeldChannel';
import { useReplaced } from './internal/useReplaced';
import { ReverbContext } from './useReverb';

export interface UseSessionReplacedOptions {
  /**
   * Servers without single session (Laravel Reverb, soketi, Pusher): the channel your app broadcasts its
   * own kick-out event on, e.g. `private-App.Models.User.1`. Its arrival puts the client in the
   * `replaced` state, as our server's event does, so the callback is the same on every server.
   */
  readonly channel?: string | null;
  /** That event's Laravel name, as `useListen` takes it: `.session.replaced` for a `broadcastAs()` name. */
  readonly event?: string;
  /** False listens to nothing (and needs no provider). Default true. */
  readonly enabled?: boolean;
}

/**
 * Calls `callback(lastError)` once each time the connection enters `replaced`: a newer sign-in of the
 * same user replaced this session (docs/protocol.md §11.2), while mounted. The client does not
 * reconnect from it; `client.connect()` starts over once the user signed in again.
 */
export function useSessionReplaced(
  callback: (error: ConnectionError) => void,
  options: UseSessionReplacedOptions = {},
): void {
  const enabled = options.enabled ?? true;
  useReplaced(callback, enabled);
  const client = useContext(ReverbContext);

  // The fallback: the app's own broadcast.
  const channel = useHeldChannel(options.channel, enabled, retainChannel);
  const event = options.event && client ? client.formatEventName(options.event) : '';
  useEffect(() => {
    if (!channel || !client || !event) return;
    // A replayed kick-out counts after a resubscribe (it came while the socket was down), not after the
    // first subscribe: a `rewind` there brings old ones, from before this sign-in.
    let subscribed = channel.getSnapshot().status === 'subscribed';
    let resubscribed = false;
    const unwatch = channel.subscribe(() => {
      const now = channel.getSnapshot().status === 'subscribed';
      if (subscribed && !now) resubscribed = true;
      subscribed = now;
    });
    const unbind = channel.bind(event, (_, meta) => {
      if (!meta.replayed || resubscribed) client.sessionReplaced();
    });
    return () => {
      unwatch();
      unbind();
    };
  }, [client, channel, event]);
}
