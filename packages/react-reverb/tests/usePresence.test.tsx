import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { usePresence } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

type Info = { name: string };
const ME = { id: '1', info: { name: 'Ada' } };
const BOB = { id: '2', info: { name: 'Bob' } };
const CY = { id: '3', info: { name: 'Cy' } };

describe('usePresence', () => {
  it('lists members through join and leave, calling onJoin/onLeave with the latest callbacks', () => {
    const client = createMockClient({ me: ME, members: { 'presence-room': [BOB] } });
    const events: string[] = [];
    const { result, rerender } = renderHook(
      ({ tag }) =>
        usePresence<Info>('presence-room', {
          onJoin: (m) => events.push(`${tag} join ${m.info.name}`),
          onLeave: (m) => events.push(`${tag} leave ${m.info.name}`),
        }),
      { wrapper: wrap(client), initialProps: { tag: 'v1' } },
    );
    expect(result.current).toMatchObject({ status: 'subscribed', myId: '1', me: ME, count: 2, stale: false });
    expect(result.current.members.map((m) => m.id)).toEqual(['1', '2']);

    rerender({ tag: 'v2' });
    act(() => client.joinMember('presence-room', CY));
    expect(result.current.members.map((m) => m.info.name)).toEqual(['Ada', 'Bob', 'Cy']);
    expect(result.current.count).toBe(3);
    act(() => client.leaveMember('presence-room', '2'));
    expect(result.current.members.map((m) => m.id)).toEqual(['1', '3']);
    expect(events).toEqual(['v2 join Cy', 'v2 leave Bob']);
  });

  it('keeps the last list marked stale while reconnecting, then takes the fresh list', () => {
    const client = createMockClient({ me: ME, members: { 'presence-room': [BOB, CY] } });
    const { result } = renderHook(() => usePresence<Info>('presence-room'), { wrapper: wrap(client) });
    act(() => client.setConnectionState('reconnecting', { attempt: 1 }));
    expect(result.current.stale).toBe(true);
    expect(result.current.status).toBe('subscribing');
    expect(result.current.count).toBe(3);
    act(() => {
      client.setConnectionState('connected');
      client.setMembers('presence-room', [CY]); // Bob left while we were away
    });
    expect(result.current.stale).toBe(false);
    expect(result.current.status).toBe('subscribed');
    expect(result.current.members.map((m) => m.id)).toEqual(['1', '3']);
    expect(client.subscribeCount('presence-room')).toBe(2);
  });

  it('is empty and idle while disabled', () => {
    const client = createMockClient();
    const { result } = renderHook(() => usePresence('presence-room', { enabled: false }), {
      wrapper: wrap(client),
    });
    expect(result.current).toMatchObject({ members: [], me: null, myId: null, count: 0, status: 'idle' });
  });

  it('shares one subscription with useEvent-style holders of the same channel', async () => {
    const client = createMockClient({ me: ME });
    const a = renderHook(() => usePresence('presence-room'), { wrapper: wrap(client) });
    const b = renderHook(() => usePresence('presence-room'), { wrapper: wrap(client) });
    a.unmount();
    await act(() => client.flush());
    expect(b.result.current.status).toBe('subscribed');
    expect(client.subscribeCount('presence-room')).toBe(1);
  });
});
