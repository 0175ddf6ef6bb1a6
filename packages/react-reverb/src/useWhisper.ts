import type { Channel } from '@react-reverb/core';
import { useCallback, useRef } from 'react';
import { retainChannel, useHeldChannel } from './internal/useHeldChannel';
import { useIsomorphicLayoutEffect } from './internal/useLatest';
import { useReverb } from './useReverb';

export interface UseWhisperOptions {
  readonly enabled?: boolean;
}

/**
 * A stable function sending the client event `event` (the `client-` prefix is added when missing) on
 * `channelName`, which it holds while mounted. The core queues whispers until subscribed and throttles
 * them under 10/s; sends made before this hook's effect ran are queued here and sent once it holds the channel.
 * Whispering on a public or encrypted channel throws the core's error.
 */
export function useWhisper<D = unknown>(
  channelName: string | null | undefined,
  event: string,
  options: UseWhisperOptions = {},
): (data: D) => void {
  const client = useReverb();
  const channel = useHeldChannel(channelName, options.enabled ?? true, retainChannel);
  const current = useRef<Channel | undefined>(undefined);
  const pending = useRef<Array<{ event: string; data: D }>>([]);
  useIsomorphicLayoutEffect(() => {
    current.current = channel;
    if (!channel) return;
    const queued = pending.current.splice(0);
    for (const item of queued) channel.whisper(item.event, item.data);
  }, [channel]);
  return useCallback(
    (data: D) => {
      const held = current.current;
      const target =
        held && held.name === channelName ? held : channelName ? client.channel(channelName) : undefined;
      if (target) target.whisper(event, data);
      else pending.current.push({ event, data });
    },
    [client, channelName, event],
  );
}
