import type { EventListener } from '@react-reverb/core';
import { type UseEventOptions, useEvent } from './useEvent';
import { useReverb } from './useReverb';

/**
 * `useEvent` with Laravel event names, as Echo's `listen`: `OrderShipped` → `App\Events\OrderShipped`
 * (the client's `namespace` option), `.order.shipped` (a `broadcastAs` name) as is.
 */
export function useListen<D = unknown>(
  channelName: string | null | undefined,
  laravelEvent: string,
  callback: EventListener<D>,
  options: UseEventOptions = {},
): void {
  const client = useReverb();
  useEvent(channelName, client.formatEventName(laravelEvent), callback, options);
}
