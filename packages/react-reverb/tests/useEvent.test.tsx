import { act, render, renderHook, screen } from '@testing-library/react';
import { type ReactNode, useState } from 'react';
import { useEvent, useListen } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { describe, expect, it } from 'vitest';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

function Feed({ seen }: { seen: string[] }) {
  const [count, setCount] = useState(0);
  // A new inline callback on every render, closing over `count`.
  useEvent<{ n: number }>('orders', 'OrderShipped', (data) => {
    seen.push(`render ${count}: ${data.n}`);
    setCount((c) => c + 1);
  });
  return <p data-testid="count">{count}</p>;
}

describe('useEvent', () => {
  it('delivers every event to the latest inline callback without rebinding or resubscribing', async () => {
    const client = createMockClient();
    const seen: string[] = [];
    render(<Feed seen={seen} />, { reactStrictMode: true, wrapper: wrap(client) });
    await act(() => client.flush());
    for (let n = 1; n <= 5; n++) act(() => void client.emit('orders', 'OrderShipped', { n }));
    expect(screen.getByTestId('count').textContent).toBe('5');
    expect(seen).toEqual(['render 0: 1', 'render 1: 2', 'render 2: 3', 'render 3: 4', 'render 4: 5']);
    expect(client.subscribeCount('orders')).toBe(1);
    expect(client.listenerCount('orders', 'OrderShipped')).toBe(1);
  });

  it('binds once across re-renders with a new inline callback each time', () => {
    const client = createMockClient();
    const calls: number[] = [];
    const { rerender } = renderHook(({ n }) => useEvent('orders', 'tick', () => calls.push(n)), {
      wrapper: ({ children }: { children: ReactNode }) => (
        <MockReverbProvider client={client}>{children}</MockReverbProvider>
      ),
      initialProps: { n: 0 },
    });
    for (let n = 1; n <= 5; n++) rerender({ n });
    act(() => void client.emit('orders', 'tick'));
    expect(calls).toEqual([5]);
    expect(client.bindCount('orders', 'tick')).toBe(1);
  });

  it('passes the event meta and unbinds on unmount', async () => {
    const client = createMockClient();
    const calls: unknown[] = [];
    const { unmount } = renderHook(
      () => useEvent('orders', 'created', (data, meta) => calls.push([data, meta])),
      {
        reactStrictMode: true,
        wrapper: wrap(client),
      },
    );
    act(() => void client.emit('orders', 'created', { id: 7 }));
    expect(calls).toEqual([[{ id: 7 }, { event: 'created', channel: 'orders' }]]);
    unmount();
    await client.flush();
    expect(client.listenerCount('orders')).toBe(0);
    expect(client.emit('orders', 'created', { id: 8 })).toBe(0);
    expect(calls).toHaveLength(1);
  });

  it('rebinds when the event name changes, on the same subscription', () => {
    const client = createMockClient();
    const calls: string[] = [];
    const { rerender } = renderHook(({ event }) => useEvent('orders', event, () => calls.push(event)), {
      reactStrictMode: true,
      wrapper: wrap(client),
      initialProps: { event: 'a' },
    });
    rerender({ event: 'b' });
    act(() => {
      client.emit('orders', 'a');
      client.emit('orders', 'b');
    });
    expect(calls).toEqual(['b']);
    expect(client.listenerCount('orders')).toBe(1);
    expect(client.subscribeCount('orders')).toBe(1);
  });

  it('binds nothing while disabled', () => {
    const client = createMockClient();
    renderHook(() => useEvent('orders', 'a', () => {}, { enabled: false }), {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    expect(client.subscriptions).toEqual([]);
  });
});

describe('useListen', () => {
  it('formats Laravel event names like Echo', () => {
    const client = createMockClient();
    const calls: string[] = [];
    renderHook(
      () => {
        useListen('orders', 'OrderShipped', () => calls.push('class'));
        useListen('orders', '.order.shipped', () => calls.push('broadcastAs'));
      },
      { reactStrictMode: true, wrapper: wrap(client) },
    );
    act(() => {
      client.emit('orders', 'App\\Events\\OrderShipped');
      client.emit('orders', 'order.shipped');
    });
    expect(calls).toEqual(['class', 'broadcastAs']);
  });
});
