import type { ConnectionStatus } from './types';

/**
 * Our connection states in echo-react's five. laravel-echo maps pusher-js's `unavailable` to `failed`
 * while pusher-js goes on retrying, and never reports `reconnecting`; here both `reconnecting` and
 * `unavailable` (still retrying) are `reconnecting`, and `failed` means what echo-react's README says: no
 * more retries. `initialized` and `disconnected` are `disconnected`, as is `replaced` (the server closed
 * this session for a newer one, docs/protocol.md §11.2: nothing reconnects).
 */
const STATUS: Readonly<Record<string, ConnectionStatus>> = {
  connecting: 'connecting',
  connected: 'connected',
  reconnecting: 'reconnecting',
  unavailable: 'reconnecting',
  failed: 'failed',
};

export const toEchoStatus = (state: string): ConnectionStatus => STATUS[state] ?? 'disconnected';
