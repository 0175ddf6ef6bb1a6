import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { useConnectionState, useSocketId } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

describe('useConnectionState / useSocketId', () => {
  it('follows the connection through a reconnect with attempt, retry time and error', () => {
    const client = createMockClient({ socketId: '111.222' });
    const { result } = renderHook(() => ({ state: useConnectionState(), socketId: useSocketId() }), {
      wrapper: wrap(client),
    });
    expect(result.current.state).toMatchObject({ state: 'connected', socketId: '111.222', attempt: 0 });
    expect(result.current.socketId).toBe('111.222');
    const lastError = { code: 4201, message: 'Pong reply not received' };
    act(() =>
      client.setConnectionState('reconnecting', { attempt: 2, nextRetryAt: 1_700_000_000_000, lastError }),
    );
    expect(result.current.state).toEqual({
      state: 'reconnecting',
      socketId: null,
      attempt: 2,
      nextRetryAt: 1_700_000_000_000,
      lastError,
    });
    expect(result.current.socketId).toBeNull();
    act(() => client.setConnectionState('connected', { socketId: '333.444' }));
    expect(result.current.state).toMatchObject({ state: 'connected', attempt: 0, lastError: null });
    expect(result.current.socketId).toBe('333.444');
  });

  it('throws a message naming the fix without a provider', () => {
    expect(() => renderHook(() => useConnectionState())).toThrow(
      /<ReverbProvider client=.*MockReverbProvider/s,
    );
  });
});
