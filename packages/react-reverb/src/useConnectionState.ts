import type { ConnectionSnapshot } from '@react-reverb/core';
import { useStore } from './internal/useStore';
import { useReverb } from './useReverb';

/** `{state, socketId, attempt, nextRetryAt, lastError}`; on the server, the idle snapshot. */
export function useConnectionState(): ConnectionSnapshot {
  return useStore(useReverb().connection);
}
