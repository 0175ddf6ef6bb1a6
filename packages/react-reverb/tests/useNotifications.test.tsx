import { act, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { BROADCAST_NOTIFICATION_EVENT, notificationChannel, useNotifications } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

const CHANNEL = 'private-App.Models.User.1';
const invoice = (id: string) => ({ invoice_id: 7, id, type: 'App\\Notifications\\InvoicePaid' });

describe('useNotifications', () => {
  it('builds the Laravel channel name', () => {
    expect(notificationChannel(1)).toBe(CHANNEL);
    expect(notificationChannel('9', 'App\\Models\\Team')).toBe('private-App.Models.Team.9');
    expect(BROADCAST_NOTIFICATION_EVENT).toBe(
      'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated',
    );
  });

  it('collects notifications newest first, drops duplicates by id, counts unread', () => {
    const client = createMockClient();
    const delivered: string[] = [];
    const { result } = renderHook(
      () => useNotifications(CHANNEL, { onNotification: (n) => delivered.push(n.id) }),
      { wrapper: wrap(client) },
    );
    act(() => {
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice('a'));
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice('b'));
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice('a'));
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, 'not a notification');
    });
    expect(result.current.notifications.map((n) => n.id)).toEqual(['b', 'a']);
    expect(result.current.notifications[0]).toMatchObject({
      invoice_id: 7,
      type: 'App\\Notifications\\InvoicePaid',
    });
    expect(result.current.unreadCount).toBe(2);
    expect(delivered).toEqual(['a', 'b']);
    act(() => result.current.markAllRead());
    expect(result.current.unreadCount).toBe(0);
    expect(result.current.notifications).toHaveLength(2);
    act(() => result.current.clear());
    expect(result.current.notifications).toEqual([]);
  });

  it('matches types in dot and backslash form', () => {
    const client = createMockClient();
    const { result } = renderHook(
      () => ({
        dot: useNotifications(CHANNEL, { types: ['App.Notifications.InvoicePaid'] }),
        slash: useNotifications(CHANNEL, { types: ['App\\Notifications\\InvoicePaid'] }),
        other: useNotifications(CHANNEL, { types: ['App\\Notifications\\Welcome'] }),
      }),
      { wrapper: wrap(client) },
    );
    act(() => {
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice('a'));
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, { id: 'b', type: 'App.Notifications.InvoicePaid' });
    });
    expect(result.current.dot.notifications.map((n) => n.id)).toEqual(['b', 'a']);
    expect(result.current.slash.notifications.map((n) => n.id)).toEqual(['b', 'a']);
    expect(result.current.other.notifications).toEqual([]);
    expect(client.subscribeCount(CHANNEL)).toBe(1);
  });

  it('keeps at most `limit`', () => {
    const client = createMockClient();
    const { result } = renderHook(() => useNotifications(CHANNEL, { limit: 2 }), { wrapper: wrap(client) });
    act(() => {
      for (const id of ['a', 'b', 'c']) client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice(id));
    });
    expect(result.current.notifications.map((n) => n.id)).toEqual(['c', 'b']);
    expect(result.current.unreadCount).toBe(2);
  });
});
