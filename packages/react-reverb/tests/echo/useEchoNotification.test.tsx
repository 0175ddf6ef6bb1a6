import { act, cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import { BROADCAST_NOTIFICATION_EVENT } from 'react-reverb';
import { type BroadcastNotification, useEchoNotification } from 'react-reverb/echo';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

afterEach(() => cleanup());

const CHANNEL = 'private-App.Models.User.1';
const notify = (client: MockReverbClient, id: string, type: string, extra: object = {}) =>
  act(() => void client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, { ...extra, id, type }));

describe('useEchoNotification', () => {
  it('filters several types given in dot and backslash forms, on private-App.Models.User.{id}', () => {
    const client = createMockClient();
    const got: string[] = [];
    renderHook(
      () =>
        useEchoNotification<{ amount: number }>(
          'App.Models.User.1',
          (n) => {
            expectTypeOf(n.amount).toEqualTypeOf<number>();
            got.push(`${n.type} ${n.id}`);
          },
          ['App.Notifications.InvoicePaid', 'App\\Notifications\\OrderShipped'],
        ),
      { wrapper: wrap(client) },
    );
    notify(client, 'n1', 'App\\Notifications\\InvoicePaid', { amount: 1 });
    notify(client, 'n2', 'App.Notifications.OrderShipped');
    notify(client, 'n3', 'App\\Notifications\\Other');
    expect(got).toEqual(['App\\Notifications\\InvoicePaid n1', 'App.Notifications.OrderShipped n2']);
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: CHANNEL }]);
  });

  it('takes one type as a string; with none, every notification', () => {
    const client = createMockClient();
    const one: string[] = [];
    const all: string[] = [];
    renderHook(
      () => {
        useEchoNotification('App.Models.User.1', (n) => one.push(n.id), 'App.Notifications.InvoicePaid');
        useEchoNotification('App.Models.User.1', (n) => all.push(n.id));
      },
      { wrapper: wrap(client) },
    );
    notify(client, 'n1', 'App\\Notifications\\InvoicePaid');
    notify(client, 'n2', 'App\\Notifications\\Other');
    act(() => void client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, { no: 'id' })); // not a notification
    expect(one).toEqual(['n1']);
    expect(all).toEqual(['n1', 'n2']);
  });

  it('passes a redelivered notification (same id) on once (echo-react: twice)', () => {
    const client = createMockClient();
    const got: string[] = [];
    renderHook(() => useEchoNotification('App.Models.User.1', (n) => got.push(n.id)), {
      wrapper: wrap(client),
    });
    notify(client, 'n1', 'App\\Notifications\\InvoicePaid');
    notify(client, 'n1', 'App\\Notifications\\InvoicePaid');
    expect(got).toEqual(['n1']);
  });

  it('stopListening() and listen() concern the notifications; leaveChannel() leaves', async () => {
    const client = createMockClient();
    const got: string[] = [];
    const { result } = renderHook(() => useEchoNotification('App.Models.User.1', (n) => got.push(n.id)), {
      wrapper: wrap(client),
    });
    act(() => result.current.stopListening());
    notify(client, 'n1', 'X');
    act(() => result.current.listen());
    notify(client, 'n2', 'X');
    act(() => result.current.leaveChannel());
    await act(() => client.flush());
    expect(got).toEqual(['n2']);
    expect(client.unsubscribeCount(CHANNEL)).toBe(1);
  });

  it('types the payload as echo-react does', () => {
    type Paid = BroadcastNotification<{ amount: number }>;
    expectTypeOf<Paid>().toEqualTypeOf<{ amount: number } & { id: string; type: string }>();
  });
});
