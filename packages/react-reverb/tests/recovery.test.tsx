/**
 * Recovery in the hooks (docs/protocol.md §11.1), driven by the testing kit's mock: `useChannel`
 * reports it, `useEvent` gets replayed events in order with `meta.replayed`, `useNotifications`
 * deduplicates a replayed notification and calls `onGap`, and `rewind` reaches the client.
 */
import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import {
  BROADCAST_NOTIFICATION_EVENT,
  type EventMeta,
  useChannel,
  useEvent,
  useListen,
  useNotifications,
} from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it, vi } from 'vitest';

const CHANNEL = 'private-App.Models.User.1';
const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );
const strict = (client: MockReverbClient) => ({ wrapper: wrap(client), reactStrictMode: true });

/** A cut: the channel waits, then is subscribed again on the new socket. */
function reconnect(client: MockReverbClient): void {
  act(() => client.setConnectionState('reconnecting', { attempt: 1 }));
  act(() => client.setConnectionState('connected'));
}

const notification = (id: string) => ({ id, type: 'App\\Notifications\\MessageReceived', title: id });

describe('useChannel', () => {
  it('reports the recovery state: null, then recovered, then a gap with its reason', async () => {
    const client = createMockClient();
    const { result } = renderHook(() => useChannel(CHANNEL), strict(client));
    await client.flush();
    expect(result.current).toMatchObject({ status: 'subscribed', recovery: null });
    reconnect(client);
    act(() => void client.recover(CHANNEL, { recovered: true, replayed: 0 }));
    expect(result.current.recovery).toEqual({ recovered: true, replayed: 0 });
    reconnect(client);
    const gap = { recovered: false, replayed: 100, reason: 'too_far_behind' } as const;
    act(() => void client.recover(CHANNEL, gap));
    expect(result.current).toMatchObject({ status: 'subscribed', recovery: gap });
  });

  it('passes rewind to the first hold; the first holder decides', async () => {
    const client = createMockClient();
    const retain = vi.spyOn(client, 'retain');
    renderHook(() => {
      useChannel(CHANNEL, { rewind: 20 });
      useChannel(CHANNEL, { rewind: 5 });
    }, strict(client));
    await client.flush();
    expect(retain).toHaveBeenCalledWith(CHANNEL, expect.objectContaining({ rewind: 20 }));
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: CHANNEL, rewind: 20 }]);
  });
});

describe('useEvent / useListen', () => {
  it('get the replayed events first, in order, with meta.replayed, then live ones (StrictMode)', async () => {
    const client = createMockClient();
    const got: Array<[unknown, EventMeta]> = [];
    renderHook(() => useEvent(CHANNEL, 'Msg', (data, meta) => got.push([data, meta])), strict(client));
    await client.flush();
    reconnect(client);
    act(() => {
      client.recover(CHANNEL, { recovered: true, replayed: 2 }, [
        ['Msg', 1],
        ['Msg', 2],
      ]);
      client.emit(CHANNEL, 'Msg', 3);
    });
    expect(got).toEqual([
      [1, { event: 'Msg', channel: CHANNEL, replayed: true }],
      [2, { event: 'Msg', channel: CHANNEL, replayed: true }],
      [3, { event: 'Msg', channel: CHANNEL }],
    ]);
  });

  it('take rewind as an option', async () => {
    const client = createMockClient();
    renderHook(() => useListen(CHANNEL, '.session.replaced', () => {}, { rewind: 3 }), strict(client));
    await client.flush();
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: CHANNEL, rewind: 3 }]);
  });
});

describe('useNotifications', () => {
  it('adds the missed ones after a reconnect, drops a replayed one already seen, and calls onGap once per gap', async () => {
    const client = createMockClient();
    const onGap = vi.fn();
    const onNotification = vi.fn();
    const { result } = renderHook(
      () => useNotifications(CHANNEL, { onGap, onNotification, rewind: 10 }),
      strict(client),
    );
    await client.flush();
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: CHANNEL, rewind: 10 }]);
    act(() => void client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, notification('a')));
    reconnect(client);
    act(
      () =>
        void client.recover(CHANNEL, { recovered: true, replayed: 2 }, [
          [BROADCAST_NOTIFICATION_EVENT, notification('a')],
          [BROADCAST_NOTIFICATION_EVENT, notification('b')],
        ]),
    );
    expect(result.current.notifications.map((n) => n.id)).toEqual(['b', 'a']);
    expect(result.current.unreadCount).toBe(2);
    expect(onNotification.mock.calls.map(([n, meta]) => [n.id, meta.replayed])).toEqual([
      ['a', undefined],
      ['b', true],
    ]);
    expect(onGap).not.toHaveBeenCalled();

    reconnect(client);
    act(() => void client.recover(CHANNEL, { recovered: false, replayed: 0, reason: 'expired' }));
    expect(onGap).toHaveBeenCalledTimes(1);
    expect(onGap).toHaveBeenCalledWith('expired');
    reconnect(client);
    act(() => void client.recover(CHANNEL, { recovered: false, replayed: 0, reason: 'epoch_changed' }));
    expect(onGap.mock.calls).toEqual([['expired'], ['epoch_changed']]);
  });

  it('a panel mounted after a gap hears of it once, also under StrictMode', async () => {
    const client = createMockClient();
    renderHook(() => useChannel(CHANNEL), strict(client));
    await client.flush();
    reconnect(client);
    act(() => void client.recover(CHANNEL, { recovered: false, replayed: 0, reason: 'unavailable' }));
    const onGap = vi.fn();
    renderHook(() => useNotifications(CHANNEL, { onGap }), strict(client));
    await client.flush();
    expect(onGap.mock.calls).toEqual([['unavailable']]);
  });
});
