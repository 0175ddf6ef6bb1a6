import type { EventListener, RetainOptions } from '@react-reverb/core';
import { useEffect } from 'react';
import { retainChannel, useHeldChannel } from './internal/useHeldChannel';
import { useLatest } from './internal/useLatest';

export interface UseEventOptions extends RetainOptions {
  /** False holds nothing and binds nothing. Default true. */
  readonly enabled?: boolean;
}

/**
 * Calls `callback(data, meta)` for every `event` on `channelName` (the wire name). No deps array:
 * the latest callback is called, and the listener is bound once per (channel, event), so an inline
 * callback neither rebinds nor resubscribes. A null name disables the hook. On our server, events
 * missed while the socket was down (or asked for with `rewind`) come first, in order, with
 * `meta.replayed`.
 */
export function useEvent<D = unknown>(
  channelName: string | null | undefined,
  event: string,
  callback: EventListener<D>,
  options: UseEventOptions = {},
): void {
  const channel = useHeldChannel(channelName, options.enabled ?? true, retainChannel, options);
  const latest = useLatest(callback);
  useEffect(() => {
    if (!channel) return;
    return channel.bind<D>(event, (data, meta) => latest.current(data, meta));
  }, [channel, event, latest]);
}
