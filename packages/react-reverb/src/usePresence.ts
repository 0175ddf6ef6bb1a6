import type {
  ChannelError,
  ChannelStatus,
  PresenceChannel,
  PresenceMember,
  PresenceSnapshot,
  RetainedChannel,
  ReverbClient,
} from '@react-reverb/core';
import type { UserInfo } from '@react-reverb/core/protocol';
import { useEffect, useMemo } from 'react';
import { useHeldChannel } from './internal/useHeldChannel';
import { useLatest } from './internal/useLatest';
import { constantStore, useStore } from './internal/useStore';
import { useChannelSnapshot } from './useChannel';

export interface UsePresenceOptions<Info> {
  readonly enabled?: boolean;
  /** Called for each member who joins after the subscription (the latest callback; bound once). */
  readonly onJoin?: (member: PresenceMember<Info>) => void;
  readonly onLeave?: (member: PresenceMember<Info>) => void;
}

export interface UsePresenceResult<Info> extends PresenceSnapshot<Info> {
  readonly status: ChannelStatus;
  readonly error: ChannelError | null;
  readonly channel: PresenceChannel<Info> | undefined;
}

const emptyPresence = constantStore<PresenceSnapshot<never>>({
  members: [],
  me: null,
  myId: null,
  count: 0,
  stale: false,
});

/**
 * Members of a presence channel: `{members, me, myId, count, status, stale}`. While reconnecting the
 * last list is kept and `stale` is true. `onJoin`/`onLeave` are bound once per channel.
 */
export function usePresence<Info = UserInfo>(
  name: string | null | undefined,
  options: UsePresenceOptions<Info> = {},
): UsePresenceResult<Info> {
  const channel = useHeldChannel<PresenceChannel<Info>>(name, options.enabled ?? true, retainPresence);
  const snapshot = useChannelSnapshot(channel, name);
  const presence = useStore<PresenceSnapshot<Info>>(channel?.presence ?? emptyPresence);
  const onJoin = useLatest(options.onJoin);
  const onLeave = useLatest(options.onLeave);
  useEffect(() => {
    if (!channel) return;
    const offJoin = channel.onJoin((member) => onJoin.current?.(member));
    const offLeave = channel.onLeave((member) => onLeave.current?.(member));
    return () => {
      offJoin();
      offLeave();
    };
  }, [channel, onJoin, onLeave]);
  return useMemo(
    () => ({ ...presence, status: snapshot.status, error: snapshot.error, channel }),
    [presence, snapshot, channel],
  );
}

function retainPresence<Info>(client: ReverbClient, name: string): RetainedChannel<PresenceChannel<Info>> {
  return client.retainPresence<Info>(name);
}
