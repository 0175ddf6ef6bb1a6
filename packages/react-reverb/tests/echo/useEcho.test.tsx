import { act, cleanup, render, renderHook, screen } from '@testing-library/react';
import { type ReactNode, useEffect, useState } from 'react';
import {
  configureEcho,
  echo,
  useChannel,
  useEcho,
  useEchoPresence,
  useEchoPublic,
  usePresenceChannel,
  usePublicChannel,
} from 'react-reverb/echo';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { resetEcho } from '../../src/echo/config';

const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );

// Unmount first: a mounted hook re-renders on the reset and would find no client.
afterEach(() => {
  cleanup();
  resetEcho();
});

type Got = Array<[unknown, string]>;

/** A component that binds more through channel() in its own effect, as echo-react's docs show. */
function Orders({ got, viaChannel }: { got: unknown[]; viaChannel: unknown[] }) {
  const { channel } = useEcho('orders.1', 'A', (d) => got.push(d));
  useEffect(() => {
    channel()?.listen('.raw', (d: unknown) => viaChannel.push(d));
  }, [channel, viaChannel]);
  return null;
}

function Held() {
  const { channel } = useEcho('orders.1', 'A', () => {});
  return <p>{channel() === null ? 'idle' : 'held'}</p>;
}

describe('useEcho', () => {
  it('listens to several events (Echo names) on the private channel, one subscription, meta naming each', async () => {
    const client = createMockClient();
    const got: Got = [];
    renderHook(
      () =>
        useEcho('orders.1', ['OrderShipped', '.order.cancelled', 'Orders.Refunded'], (data, meta) =>
          got.push([data, meta.event]),
        ),
      { wrapper: wrap(client) },
    );
    act(() => {
      client.emit('private-orders.1', 'App\\Events\\OrderShipped', { id: 1 });
      client.emit('private-orders.1', 'order.cancelled', { id: 2 });
      client.emit('private-orders.1', 'App\\Events\\Orders\\Refunded', { id: 3 });
      client.emit('private-orders.1', 'OrderShipped', { id: 4 }); // not the formatted name: not heard
    });
    expect(got).toEqual([
      [{ id: 1 }, 'App\\Events\\OrderShipped'],
      [{ id: 2 }, 'order.cancelled'],
      [{ id: 3 }, 'App\\Events\\Orders\\Refunded'],
    ]);
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'private-orders.1' }]);
  });

  it('calls the latest inline callback whatever its dependency array, never rebinding or resubscribing', () => {
    const client = createMockClient();
    const calls: string[] = [];
    const { rerender } = renderHook(
      ({ n }) => useEcho('orders.1', 'OrderShipped', () => calls.push(`render ${n}`), [n]),
      { wrapper: wrap(client), initialProps: { n: 0 } },
    );
    for (let n = 1; n <= 3; n++) rerender({ n });
    act(() => void client.emit('private-orders.1', 'App\\Events\\OrderShipped', {}));
    // echo-react: the callback of render 0 with `[]`; a changed array resubscribes (laravel/echo PR #539).
    expect(calls).toEqual(['render 3']);
    expect(client.bindCount('private-orders.1', 'App\\Events\\OrderShipped')).toBe(1);
    expect(client.subscribeCount('private-orders.1')).toBe(1);
  });

  it('stopListening() keeps the channel, listen() binds again', async () => {
    const client = createMockClient();
    const got: unknown[] = [];
    const { result } = renderHook(() => useEcho('orders.1', ['A', 'B'], (data) => got.push(data)), {
      wrapper: wrap(client),
    });
    act(() => result.current.stopListening());
    act(() => void client.emit('private-orders.1', 'App\\Events\\A', 'while stopped'));
    await act(() => client.flush());
    expect(client.isSubscribed('private-orders.1')).toBe(true);
    expect(client.listenerCount('private-orders.1')).toBe(0);
    act(() => result.current.listen());
    act(() => result.current.listen()); // twice: still one listener per event
    act(() => void client.emit('private-orders.1', 'App\\Events\\B', 'after listen'));
    expect(got).toEqual(['after listen']);
    expect(client.listenerCount('private-orders.1')).toBe(2);
    expect(client.subscribeCount('private-orders.1')).toBe(1);
  });

  it('leaveChannel() unsubscribes when alone; listen() afterwards joins again', async () => {
    const client = createMockClient();
    const got: unknown[] = [];
    const { result, unmount } = renderHook(() => useEcho('orders.1', 'A', (data) => got.push(data)), {
      wrapper: wrap(client),
    });
    expect(result.current.channel()?.name).toBe('private-orders.1');
    act(() => result.current.leaveChannel());
    await act(() => client.flush());
    expect(result.current.channel()).toBeNull();
    expect(client.unsubscribeCount('private-orders.1')).toBe(1);
    act(() => void client.emit('private-orders.1', 'App\\Events\\A', 'gone'));

    // echo-react binds to the channel object it left, and nothing arrives.
    act(() => result.current.listen());
    act(() => void client.emit('private-orders.1', 'App\\Events\\A', 'back'));
    expect(got).toEqual(['back']);
    expect(client.subscribeCount('private-orders.1')).toBe(2);
    unmount();
    await act(() => client.flush());
    expect(client.unsubscribeCount('private-orders.1')).toBe(2);
    expect(client.refCount('private-orders.1')).toBe(0);
  });

  it("leaveChannel() then unmount lets go of this hook's hold once: another component keeps the channel", async () => {
    const client = createMockClient();
    const a: unknown[] = [];
    const b: unknown[] = [];
    const first = renderHook(() => useEcho('orders.1', 'A', (d) => a.push(d)), { wrapper: wrap(client) });
    renderHook(() => useEcho('orders.1', 'A', (d) => b.push(d)), { wrapper: wrap(client) });
    act(() => first.result.current.leaveChannel());
    first.unmount();
    await act(() => client.flush());
    // echo-react counts this hook twice (leaveChannel, then the unmount), and leaves the other's channel.
    act(() => void client.emit('private-orders.1', 'App\\Events\\A', 'still here'));
    expect(b).toEqual(['still here']);
    expect(a).toEqual([]);
    expect(client.unsubscribeCount('private-orders.1')).toBe(0);
    expect(client.refCount('private-orders.1')).toBe(1);
  });

  it("leave() lets go of this hook and echo()'s own variants of the name, never another hook's", async () => {
    const client = createMockClient();
    configureEcho({ broadcaster: 'reverb', client });
    const publicGot: unknown[] = [];
    const privateGot: unknown[] = [];
    const publicHook = renderHook(() => useEchoPublic('news', 'A', (d) => publicGot.push(d)));
    renderHook(() => useEcho('news', 'A', (d) => privateGot.push(d)));
    const imperative = echo().join('news');
    expect(imperative.name).toBe('presence-news');
    act(() => publicHook.result.current.leave());
    await act(() => client.flush());
    expect(client.unsubscribeCount('news')).toBe(1);
    expect(client.unsubscribeCount('presence-news')).toBe(1); // echo()'s own hold
    expect(client.unsubscribeCount('private-news')).toBe(0); // another hook's: echo-react drops it
    act(() => void client.emit('private-news', 'App\\Events\\A', 'private'));
    expect(privateGot).toEqual(['private']);
    expect(publicGot).toEqual([]);
  });

  it('in StrictMode: one subscription, each event once, and channel() ready for effects in the same commit', async () => {
    const client = createMockClient();
    const got: unknown[] = [];
    const viaChannel: unknown[] = [];
    const { unmount } = render(<Orders got={got} viaChannel={viaChannel} />, {
      reactStrictMode: true,
      wrapper: wrap(client),
    });
    await act(() => client.flush());
    act(() => {
      client.emit('private-orders.1', 'App\\Events\\A', 1);
      client.emit('private-orders.1', 'raw', 2);
    });
    expect(got).toEqual([1]);
    expect(viaChannel).toEqual([2]);
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'private-orders.1' }]);
    unmount();
    await act(() => client.flush());
    // What channel() bound goes with the hook's hold: nothing left behind.
    expect(client.listenerCount('private-orders.1')).toBe(0);
    expect(client.unsubscribeCount('private-orders.1')).toBe(1);
  });

  it('moves with the event list without touching the wire, and with the channel name', async () => {
    const client = createMockClient();
    const got: unknown[] = [];
    const { rerender } = renderHook(({ events, id }) => useEcho(`orders.${id}`, events, (d) => got.push(d)), {
      wrapper: wrap(client),
      initialProps: { events: ['A'], id: 1 },
    });
    rerender({ events: ['B'], id: 1 });
    await act(() => client.flush());
    act(() => {
      client.emit('private-orders.1', 'App\\Events\\A', 'a');
      client.emit('private-orders.1', 'App\\Events\\B', 'b');
    });
    expect(client.subscriptions).toEqual([{ type: 'subscribe', channel: 'private-orders.1' }]);
    rerender({ events: ['B'], id: 2 });
    await act(() => client.flush());
    act(() => void client.emit('private-orders.2', 'App\\Events\\B', 'b2'));
    expect(got).toEqual(['b', 'b2']);
    expect(client.subscriptions).toEqual([
      { type: 'subscribe', channel: 'private-orders.1' },
      { type: 'subscribe', channel: 'private-orders.2' },
      { type: 'unsubscribe', channel: 'private-orders.1' },
    ]);
  });

  it('names channels by visibility as echo-react does', () => {
    const client = createMockClient();
    renderHook(
      () => {
        useEchoPublic('a');
        useEchoPresence('b');
        useEcho('c', [], () => {}, [], 'public');
        useChannel('d');
        usePublicChannel('e');
        usePresenceChannel('f');
      },
      { wrapper: wrap(client) },
    );
    expect(client.subscriptions.map((s) => s.channel)).toEqual([
      'a',
      'presence-b',
      'c',
      'private-d',
      'e',
      'presence-f',
    ]);
  });

  it('useChannel holds without listening and returns {leaveChannel, leave, channel}', async () => {
    const client = createMockClient();
    const { result } = renderHook(() => useChannel('orders.1'), { wrapper: wrap(client) });
    expect(Object.keys(result.current).sort()).toEqual(['channel', 'leave', 'leaveChannel']);
    const got: unknown[] = [];
    act(() => void result.current.channel()?.listen('A', (d: unknown) => got.push(d)));
    act(() => void client.emit('private-orders.1', 'App\\Events\\A', 'x'));
    act(() => result.current.leaveChannel());
    await act(() => client.flush());
    expect(got).toEqual(['x']);
    expect(client.unsubscribeCount('private-orders.1')).toBe(1);
  });

  it("throws echo-react's message with neither a provider nor configureEcho", () => {
    expect(() => renderHook(() => useEcho('orders.1', 'A', () => {}))).toThrow(
      /Echo has not been configured\. Please call `configureEcho\(\)`/,
    );
  });

  it('renders on the server without holding anything', async () => {
    const { renderToString } = await import('react-dom/server');
    const client = createMockClient();
    const html = renderToString(
      <MockReverbProvider client={client}>
        <Held />
      </MockReverbProvider>,
    );
    expect(html).toBe('<p>idle</p>');
    expect(client.subscriptions).toEqual([]);
  });
});

function Counter() {
  const [n, setN] = useState(0);
  useEcho('orders.1', 'A', () => setN((x) => x + 1));
  return <p data-testid="n">{n}</p>;
}

describe('useEcho with configureEcho (no provider)', () => {
  it('uses the configured client and moves to a new one when configureEcho is called again', async () => {
    const first = createMockClient();
    const second = createMockClient();
    configureEcho({ broadcaster: 'reverb', client: first });
    render(<Counter />);
    act(() => void first.emit('private-orders.1', 'App\\Events\\A'));
    act(() => configureEcho({ broadcaster: 'reverb', client: second }));
    await act(() => first.flush());
    act(() => void second.emit('private-orders.1', 'App\\Events\\A'));
    expect(screen.getByTestId('n').textContent).toBe('2');
    expect(first.unsubscribeCount('private-orders.1')).toBe(1);
    expect(second.subscribeCount('private-orders.1')).toBe(1);
  });

  it('prefers the nearest <ReverbProvider> over the configured client', () => {
    const configured = createMockClient();
    const provided = createMockClient();
    configureEcho({ broadcaster: 'reverb', client: configured });
    render(<Counter />, { wrapper: wrap(provided) });
    expect(provided.subscribeCount('private-orders.1')).toBe(1);
    expect(configured.subscriptions).toEqual([]);
  });
});
