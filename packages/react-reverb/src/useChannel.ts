import type {
  Channel,
  ChannelError,
  ChannelSnapshot,
  ChannelStatus,
  RetainOptions,
  StreamRecovery,
} from '@react-reverb/core';
import { useMemo } from 'react';
import { retainChannel, useHeldChannel } from './internal/useHeldChannel';
import { constantStore, useStore } from './internal/useStore';

export interface UseChannelOptions extends RetainOptions {
  /** False (or a null name) holds nothing: status stays `idle`. Default true. */
  readonly enabled?: boolean;
}

export interface UseChannelResult<C extends Channel = Channel> {
  readonly status: ChannelStatus;
  readonly error: ChannelError | null;
  readonly subscriptionCount: number | null;
  /**
   * What the server said of the last recovery (or `rewind`) on our server, else null: a gap is
   * `recovered: false` with its `reason` (events were lost while the socket was down: refetch).
   */
  readonly recovery: StreamRecovery | null;
  /** The held channel, undefined until mounted (and while disabled). */
  readonly channel: C | undefined;
}

/** Idle snapshot store for a name, so the result is stable while nothing is held. */
export function useIdleChannelStore(name: string | null | undefined) {
  return useMemo(
    () =>
      constantStore<ChannelSnapshot>({
        name: name ?? '',
        status: 'idle',
        error: null,
        subscriptionCount: null,
        recovery: null,
      }),
    [name],
  );
}

/** Reads a channel's subscription state (or the idle one when there is no channel). */
export function useChannelSnapshot(channel: Channel | undefined, name: string | null | undefined) {
  const idle = useIdleChannelStore(name);
  return useStore(channel ?? idle);
}

/** Holds `name` while mounted (ref-counted in the core) and reports its subscription and recovery state. */
export function useChannel(
  name: string | null | undefined,
  options: UseChannelOptions = {},
): UseChannelResult {
  const channel = useHeldChannel(name, options.enabled ?? true, retainChannel, options);
  const snapshot = useChannelSnapshot(channel, name);
  return useMemo(
    () => ({
      status: snapshot.status,
      error: snapshot.error,
      subscriptionCount: snapshot.subscriptionCount,
      recovery: snapshot.recovery,
      channel,
    }),
    [snapshot, channel],
  );
}
