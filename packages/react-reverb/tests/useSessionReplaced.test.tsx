/**
 * Single session in React (docs/protocol.md §11.2): `useSessionReplaced` once per replacement (StrictMode,
 * provider remounts), the fallback on the app's own broadcast, `useConnectionState` and the toast prop.
 */
import { act, render, renderHook, screen } from '@testing-library/react';
import { type ReactNode, StrictMode } from 'react';
import { useConnectionState, useSessionReplaced } from 'react-reverb';
import { createMockClient, type MockReverbClient, MockReverbProvider } from 'react-reverb/testing';
import { createToastStore, NotificationToast } from 'react-reverb/toast';
import { describe, expect, it, vi } from 'vitest';

const USER_CHANNEL = 'private-App.Models.User.1';
const wrap =
  (client: MockReverbClient) =>
  ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={client}>{children}</MockReverbProvider>
  );
const strict = (client: MockReverbClient) => ({ wrapper: wrap(client), reactStrictMode: true });

function Guard({ onReplaced }: { onReplaced: (message: string) => void }) {
  useSessionReplaced((error) => onReplaced(error.message));
  return null;
}

describe('useSessionReplaced', () => {
  it('calls back once per replacement under StrictMode, with lastError; useConnectionState shows replaced', () => {
    const client = createMockClient();
    const callback = vi.fn();
    const { result } = renderHook(() => {
      useSessionReplaced(callback);
      return useConnectionState();
    }, strict(client));
    expect(callback).not.toHaveBeenCalled();
    act(() => client.sessionReplaced());
    expect(callback).toHaveBeenCalledTimes(1);
    expect(callback).toHaveBeenCalledWith({ code: 4010, message: 'Session replaced' });
    expect(result.current).toMatchObject({ state: 'replaced', lastError: { code: 4010 } });
    // Neither a second signal of the same replacement nor a disconnect (a provider unmounting) calls again.
    act(() => client.sessionReplaced());
    act(() => client.disconnect());
    expect(result.current.state).toBe('replaced');
    expect(callback).toHaveBeenCalledTimes(1);
    // A new sign-in, replaced again: a second call.
    act(() => client.connect());
    act(() => client.setConnectionState('replaced', { lastError: { code: 4010, message: 'again' } }));
    expect(callback.mock.calls).toEqual([
      [{ code: 4010, message: 'Session replaced' }],
      [{ code: 4010, message: 'again' }],
    ]);
  });

  it('does not call again when the provider remounts after a replacement, and follows a new client', () => {
    const first = createMockClient();
    const onReplaced = vi.fn();
    const app = (client: MockReverbClient, key: string) => (
      <StrictMode>
        <MockReverbProvider key={key} client={client}>
          <Guard onReplaced={onReplaced} />
        </MockReverbProvider>
      </StrictMode>
    );
    const { rerender } = render(app(first, 'a'));
    act(() => first.sessionReplaced('first'));
    expect(onReplaced.mock.calls).toEqual([['first']]);
    // The same client under a remounted provider: the replacement was reported already.
    rerender(app(first, 'b'));
    expect(onReplaced).toHaveBeenCalledTimes(1);
    // The app signs in again with a new client: its replacement is reported, the old one's is not again.
    const second = createMockClient();
    rerender(app(second, 'c'));
    act(() => first.setConnectionState('connected'));
    act(() => first.sessionReplaced('first, again'));
    act(() => second.sessionReplaced('second'));
    expect(onReplaced.mock.calls).toEqual([['first'], ['second']]);
  });

  it('is the same code on servers without single session: the app broadcast puts the client in replaced', async () => {
    const client = createMockClient();
    const callback = vi.fn();
    renderHook(
      () => useSessionReplaced(callback, { channel: USER_CHANNEL, event: '.session.replaced' }),
      strict(client),
    );
    await client.flush();
    expect(client.subscribeCount(USER_CHANNEL)).toBe(1);
    act(() => void client.emit(USER_CHANNEL, 'session.replaced', { reason: 'signed-in-elsewhere' }));
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'replaced',
      lastError: { code: 4010, message: 'Session replaced' },
    });
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('fallback: a kick-out missed during a cut counts when replayed, an old one a rewind brings does not', async () => {
    const client = createMockClient({ autoSubscribe: false });
    const callback = vi.fn();
    renderHook(
      () => useSessionReplaced(callback, { channel: USER_CHANNEL, event: '.session.replaced' }),
      strict(client),
    );
    await client.flush();
    // The first subscribe (say with the rewind of a notifications panel on the same channel) replays an old one.
    act(() => client.completeSubscription(USER_CHANNEL));
    act(
      () => void client.recover(USER_CHANNEL, { recovered: true, replayed: 1 }, [['session.replaced', {}]]),
    );
    expect(client.connection.getSnapshot().state).toBe('connected');
    // A cut, then the recovery brings the kick-out sent meanwhile.
    act(() => client.setConnectionState('reconnecting', { attempt: 1 }));
    act(() => client.setConnectionState('connected'));
    act(() => client.completeSubscription(USER_CHANNEL));
    act(
      () => void client.recover(USER_CHANNEL, { recovered: true, replayed: 1 }, [['session.replaced', {}]]),
    );
    expect(client.connection.getSnapshot().state).toBe('replaced');
    expect(callback).toHaveBeenCalledTimes(1);
  });

  it('needs a provider unless disabled', () => {
    expect(() => renderHook(() => useSessionReplaced(() => {}))).toThrow(/ReverbProvider/);
    expect(() => renderHook(() => useSessionReplaced(() => {}, { enabled: false }))).not.toThrow();
  });
});

describe('<NotificationToast sessionReplaced>', () => {
  it('shows "You were signed in on another device" once when the session is replaced', () => {
    const client = createMockClient();
    const store = createToastStore();
    render(
      <StrictMode>
        <MockReverbProvider client={client}>
          <NotificationToast sessionReplaced store={store} hotkey={false} />
        </MockReverbProvider>
      </StrictMode>,
    );
    expect(screen.queryByRole('status')).toBeNull();
    act(() => client.sessionReplaced());
    expect(screen.getByRole('status').textContent).toContain('You were signed in on another device');
    expect(store.getSnapshot()).toHaveLength(1);
    expect(store.getSnapshot()[0]).toMatchObject({ id: 'session-replaced', kind: 'warning' });
  });

  it('shows the text given as the prop, and nothing without the prop', () => {
    const client = createMockClient();
    const store = createToastStore();
    const { rerender } = render(
      <MockReverbProvider client={client}>
        <NotificationToast store={store} hotkey={false} />
      </MockReverbProvider>,
    );
    act(() => client.sessionReplaced());
    expect(store.getSnapshot()).toHaveLength(0);
    rerender(
      <MockReverbProvider client={client}>
        <NotificationToast
          sessionReplaced="Signed out: you signed in elsewhere"
          store={store}
          hotkey={false}
        />
      </MockReverbProvider>,
    );
    act(() => client.connect());
    act(() => client.sessionReplaced());
    expect(screen.getByRole('status').textContent).toContain('Signed out: you signed in elsewhere');
  });
});
