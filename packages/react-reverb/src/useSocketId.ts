import { useConnectionState } from './useConnectionState';

/** The socket id while connected, else null (send it as `X-Socket-ID` to exclude yourself from a broadcast). */
export function useSocketId(): string | null {
  return useConnectionState().socketId;
}
