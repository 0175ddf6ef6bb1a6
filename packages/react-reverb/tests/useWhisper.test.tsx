import { ClientEventError } from '@react-reverb/core';
import { act, renderHook } from '@testing-library/react';
import { type ReactNode, useEffect } from 'react';
import { useListenForWhisper, useWhisper } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

describe('useWhisper', () => {
  it('returns a stable sender that adds the client- prefix', () => {
    const client = createMockClient();
    const { result, rerender } = renderHook(() => useWhisper<{ typing: boolean }>('private-chat', 'typing'), {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    const first = result.current;
    rerender();
    expect(result.current).toBe(first);
    act(() => result.current({ typing: true }));
    expect(client.whispers).toEqual([
      { channel: 'private-chat', event: 'client-typing', data: { typing: true } },
    ]);
  });

  it('queues whispers until the channel is subscribed', () => {
    const client = createMockClient({ autoSubscribe: false });
    const { result } = renderHook(() => useWhisper('presence-room', 'client-wave'), {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    act(() => result.current('hi'));
    expect(client.whispers).toEqual([]);
    act(() => client.completeSubscription('presence-room'));
    expect(client.whispers).toEqual([{ channel: 'presence-room', event: 'client-wave', data: 'hi' }]);
  });

  it('sends whispers made in a mount effect', () => {
    const client = createMockClient();
    renderHook(
      () => {
        const send = useWhisper('private-chat', 'hello');
        useEffect(() => send(1), [send]);
      },
      { reactStrictMode: true, wrapper: wrap(client) },
    );
    expect(client.whispers.map((w) => w.data)).toContain(1);
    expect(client.subscribeCount('private-chat')).toBe(1);
  });

  it('throws the client error on a public channel', () => {
    const client = createMockClient();
    const { result } = renderHook(() => useWhisper('orders', 'typing'), {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    expect(() => result.current(1)).toThrow(ClientEventError);
  });
});

describe('useListenForWhisper', () => {
  it('hears whispers by short or prefixed name, with the sender id on presence channels', () => {
    const client = createMockClient();
    const heard: unknown[] = [];
    renderHook(
      () => {
        useListenForWhisper('presence-room', 'typing', (data, meta) => heard.push([data, meta.userId]));
        useListenForWhisper('presence-room', 'client-stop', (data) => heard.push([data]));
      },
      { reactStrictMode: true, wrapper: wrap(client) },
    );
    act(() => {
      client.emit('presence-room', 'client-typing', { on: true }, { userId: '2' });
      client.emit('presence-room', 'client-stop', 'x');
    });
    expect(heard).toEqual([[{ on: true }, '2'], ['x']]);
  });
});
