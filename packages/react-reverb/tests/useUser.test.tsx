import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { useUser, useUserEvent } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

describe('useUser', () => {
  it('reports sign-in status and signs in on request', () => {
    const client = createMockClient();
    const { result } = renderHook(() => useUser(), { wrapper: wrap(client) });
    expect(result.current).toMatchObject({ status: 'signed-out', id: null });
    act(() => result.current.signin());
    expect(client.calls.signin).toBe(1);
    expect(result.current.status).toBe('signing-in');
    act(() =>
      client.setUser({ status: 'signed-in', id: '42', info: { name: 'Ada' }, watchlist: { '7': true } }),
    );
    expect(result.current).toMatchObject({ status: 'signed-in', id: '42', watchlist: { '7': true } });
  });

  it('delivers user events to the latest callback', () => {
    const client = createMockClient();
    client.setUser({ status: 'signed-in', id: '42' });
    const got: unknown[] = [];
    const { rerender } = renderHook(({ tag }) => useUserEvent('session-ended', (d) => got.push([tag, d])), {
      wrapper: wrap(client),
      initialProps: { tag: 'a' },
    });
    rerender({ tag: 'b' });
    act(() => void client.emitToUser('session-ended', { reason: 'signed in elsewhere' }));
    expect(got).toEqual([['b', { reason: 'signed in elsewhere' }]]);
  });
});
