import type { EventListener } from '@react-reverb/core';
import { CLIENT_EVENT_PREFIX } from '@react-reverb/core';
import { type UseEventOptions, useEvent } from './useEvent';

/** Listens for a whisper (client event); `typing` and `client-typing` are the same event. */
export function useListenForWhisper<D = unknown>(
  channelName: string | null | undefined,
  event: string,
  callback: EventListener<D>,
  options: UseEventOptions = {},
): void {
  const wireName = event.startsWith(CLIENT_EVENT_PREFIX) ? event : CLIENT_EVENT_PREFIX + event;
  useEvent(channelName, wireName, callback, options);
}
