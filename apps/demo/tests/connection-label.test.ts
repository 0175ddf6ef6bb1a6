import type { ConnectionSnapshot } from '@react-reverb/core';
import { describe, expect, it } from 'vitest';
import { describeConnection } from '../src/components/ConnectionIndicator';

const base: ConnectionSnapshot = {
  state: 'connected',
  socketId: '1.2',
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
};
const NOW = 1_700_000_000_000;

describe('describeConnection (the indicator text)', () => {
  it.each([
    [{ state: 'connected' }, 'connected', 'Connected'],
    [{ state: 'initialized' }, 'connecting', 'Connecting…'],
    [{ state: 'connecting' }, 'connecting', 'Connecting…'],
    [{ state: 'connecting', attempt: 2, nextRetryAt: null }, 'reconnecting', 'Reconnecting…'],
    [{ state: 'reconnecting', attempt: 1, nextRetryAt: NOW + 4_200 }, 'reconnecting', 'Reconnecting in 5 s'],
    [{ state: 'unavailable', attempt: 3, nextRetryAt: NOW + 1_000 }, 'reconnecting', 'Reconnecting in 1 s'],
    [{ state: 'reconnecting', attempt: 1, nextRetryAt: NOW - 10 }, 'reconnecting', 'Reconnecting…'],
    [{ state: 'disconnected' }, 'offline', 'Offline'],
    [{ state: 'failed' }, 'offline', 'Offline'],
    [{ state: 'replaced' }, 'replaced', 'Signed in elsewhere'],
  ] as const)('%o → %s', (patch, label, text) => {
    expect(describeConnection({ ...base, ...patch }, NOW)).toEqual({ label, text });
  });
});
