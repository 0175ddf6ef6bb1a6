import { act, cleanup, render, renderHook } from '@testing-library/react';
import { type ReactNode, useEffect } from 'react';
import { type EchoPresenceChannel, useEchoPresence } from 'react-reverb/echo';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

afterEach(() => cleanup());

const ADA = { id: '1', info: { name: 'Ada' } };
const BOB = { id: '2', info: { name: 'Bob' } };
const CY = { id: '3', info: { name: 'Cy' } };

/** As echo-react's docs have it: here/joining/leaving on channel(), in an effect. */
function Room({ log }: { log: string[] }) {
  const { channel } = useEchoPresence('room', 'Typing', (e: { who: string }) => log.push(`typing ${e.who}`));
  useEffect(() => {
    channel()
      ?.here((users: Array<{ name: string }>) => log.push(`here ${users.map((u) => u.name).join(',')}`))
      .joining((user: { name: string }) => log.push(`joining ${user.name}`))
      .leaving((user: { name: string }) => log.push(`leaving ${user.name}`));
  }, [channel, log]);
  return null;
}

describe('useEchoPresence', () => {
  it('here/joining/leaving and events on presence-room, in StrictMode each once', async () => {
    const client = createMockClient({ me: ADA, members: { 'presence-room': [BOB] }, autoSubscribe: false });
    const log: string[] = [];
    render(<Room log={log} />, { reactStrictMode: true, wrapper: wrap(client) });
    await act(() => client.flush());
    act(() => client.completeSubscription('presence-room'));
    act(() => client.joinMember('presence-room', CY));
    act(() => client.leaveMember('presence-room', '2'));
    act(() => void client.emit('presence-room', 'App\\Events\\Typing', { who: 'Cy' }));
    expect(log).toEqual(['here Ada,Bob', 'joining Cy', 'leaving Bob', 'typing Cy']);
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'presence-room' }]);
  });

  it('calls here() again with the fresh list after a reconnect', () => {
    const client = createMockClient({ me: ADA, members: { 'presence-room': [BOB] } });
    const log: string[] = [];
    render(<Room log={log} />, { wrapper: wrap(client) });
    act(() => client.setConnectionState('reconnecting'));
    act(() => client.setMembers('presence-room', [CY]));
    act(() => client.setConnectionState('connected'));
    expect(log).toEqual(['here Ada,Bob', 'here Ada,Cy']);
  });

  it('a second component gets here() at once when the channel is already subscribed (echo-react: never)', () => {
    const client = createMockClient({ me: ADA, members: { 'presence-room': [BOB] } });
    const first: string[] = [];
    const second: string[] = [];
    render(<Room log={first} />, { wrapper: wrap(client) });
    render(<Room log={second} />, { wrapper: wrap(client) });
    expect(first).toEqual(['here Ada,Bob']);
    expect(second).toEqual(['here Ada,Bob']);
    expect(client.subscribeCount('presence-room')).toBe(1);
  });

  it('whispers and listens for whispers through channel()', () => {
    const client = createMockClient({ me: ADA });
    const heard: unknown[] = [];
    const { result } = renderHook(() => useEchoPresence('room'), { wrapper: wrap(client) });
    const channel = result.current.channel() as EchoPresenceChannel;
    act(
      () =>
        void channel
          .listenForWhisper('typing', (d: unknown) => heard.push(d))
          .whisper('typing', { on: true }),
    );
    act(() => void client.emit('presence-room', 'client-typing', { from: 'Bob' }, { userId: '2' }));
    expect(client.whispers).toEqual([
      { channel: 'presence-room', event: 'client-typing', data: { on: true } },
    ]);
    expect(heard).toEqual([{ from: 'Bob' }]);
    act(() => void channel.stopListeningForWhisper('typing'));
    act(() => void client.emit('presence-room', 'client-typing', { from: 'Bob' }));
    expect(heard).toHaveLength(1);
  });

  it('subscribed() and error() on channel(), shaped as Echo passes them', async () => {
    const client = createMockClient({ autoSubscribe: false });
    const log: unknown[] = [];
    const { result } = renderHook(() => useEchoPresence('room'), { wrapper: wrap(client) });
    act(() => {
      result.current
        .channel()
        ?.subscribed(() => log.push('subscribed'))
        .error((e: unknown) => log.push(e));
    });
    act(() => client.failSubscription('presence-room', { message: 'Forbidden', status: 403 }));
    expect(log).toEqual([{ type: 'AuthError', error: 'Forbidden', status: 403 }]);
    act(() => client.completeSubscription('presence-room'));
    expect(log).toHaveLength(2);
    expect(log[1]).toBe('subscribed');
  });
});
