import { useStore } from '../internal/useStore';
import { useEchoClient } from './config';
import { toEchoStatus } from './status';
import type { ConnectionStatus } from './types';

/** echo-react's `useConnectionStatus`, read from the client's connection store (no effect, no lag). */
export function useConnectionStatus(): ConnectionStatus {
  return toEchoStatus(useStore(useEchoClient().connection).state);
}

/** The socket id while connected, else undefined (echo-react's type); send it as `X-Socket-ID`. */
export function useSocketId(): string | undefined {
  return useStore(useEchoClient().connection).socketId ?? undefined;
}
