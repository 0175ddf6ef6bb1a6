import { act, render, renderHook, screen } from '@testing-library/react';
import { type ReactNode, useState } from 'react';
import { useChannel } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

function wrap(client: MockReverbClient) {
  return ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );
}

function Status({ name }: { name: string }) {
  const { status } = useChannel(name);
  return <p data-testid={name}>{status}</p>;
}

function Two() {
  const [both, setBoth] = useState(true);
  return (
    <>
      <Status name="orders" />
      {both && <Status name="orders" />}
      <button type="button" onClick={() => setBoth(false)}>
        drop
      </button>
    </>
  );
}

describe('useChannel', () => {
  it('subscribes once on the wire under StrictMode double mount', async () => {
    const client = createMockClient();
    const { result } = renderHook(() => useChannel('orders'), {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    await client.flush();
    expect(result.current.status).toBe('subscribed');
    expect(result.current.channel?.name).toBe('orders');
    expect(client.subscribeCount('orders')).toBe(1);
    expect(client.unsubscribeCount('orders')).toBe(0);
    expect(client.refCount('orders')).toBe(1);
  });

  it('keeps the channel for the other component when one of two unmounts', async () => {
    const client = createMockClient();
    render(
      <MockReverbProvider client={client}>
        <Two />
      </MockReverbProvider>,
    );
    expect(client.refCount('orders')).toBe(2);
    act(() => screen.getByText('drop').click());
    await act(() => client.flush());
    expect(client.refCount('orders')).toBe(1);
    expect(client.isSubscribed('orders')).toBe(true);
    expect(client.subscribeCount('orders')).toBe(1);
    expect(client.unsubscribeCount('orders')).toBe(0);
    expect(screen.getByTestId('orders').textContent).toBe('subscribed');
  });

  it('unsubscribes on the wire after the last holder unmounts', async () => {
    const client = createMockClient();
    const { unmount } = renderHook(() => useChannel('orders'), { wrapper: wrap(client) });
    unmount();
    expect(client.unsubscribeCount('orders')).toBe(0); // deferred, not yet
    await client.flush();
    expect(client.unsubscribeCount('orders')).toBe(1);
    expect(client.refCount('orders')).toBe(0);
  });

  it('holds nothing while disabled or nameless, and subscribes when enabled', async () => {
    const client = createMockClient();
    const { result, rerender } = renderHook(
      ({ enabled, name }: { enabled: boolean; name: string | null }) => useChannel(name, { enabled }),
      { wrapper: wrap(client), initialProps: { enabled: false, name: 'orders' as string | null } },
    );
    expect(result.current).toMatchObject({ status: 'idle', error: null, channel: undefined });
    rerender({ enabled: true, name: null });
    expect(result.current.status).toBe('idle');
    expect(client.subscriptions).toEqual([]);
    rerender({ enabled: true, name: 'orders' });
    expect(result.current.status).toBe('subscribed');
    expect(client.subscribeCount('orders')).toBe(1);
  });

  it('moves to the new channel when the name changes', async () => {
    const client = createMockClient();
    const { result, rerender } = renderHook(({ name }) => useChannel(name), {
      wrapper: wrap(client),
      initialProps: { name: 'orders.1' },
    });
    rerender({ name: 'orders.2' });
    await act(() => client.flush());
    expect(result.current.channel?.name).toBe('orders.2');
    expect(client.subscriptions).toEqual([
      { type: 'subscribe', channel: 'orders.1' },
      { type: 'subscribe', channel: 'orders.2' },
      { type: 'unsubscribe', channel: 'orders.1' },
    ]);
  });

  it('reports subscribing, then the auth error', () => {
    const client = createMockClient({ autoSubscribe: false });
    const { result } = renderHook(() => useChannel('private-orders'), { wrapper: wrap(client) });
    expect(result.current.status).toBe('subscribing');
    act(() => client.failSubscription('private-orders', { status: 403, message: 'Forbidden' }));
    expect(result.current.status).toBe('error');
    expect(result.current.error).toEqual({ type: 'AuthError', message: 'Forbidden', status: 403 });
  });

  it('goes back to subscribing while reconnecting and resubscribes once connected', () => {
    const client = createMockClient();
    const { result } = renderHook(() => useChannel('orders'), { wrapper: wrap(client) });
    act(() => client.setConnectionState('reconnecting', { attempt: 1 }));
    expect(result.current.status).toBe('subscribing');
    act(() => client.setConnectionState('connected'));
    expect(result.current.status).toBe('subscribed');
    expect(client.subscribeCount('orders')).toBe(2);
  });
});
