import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { act, fireEvent, render, renderHook, screen, within } from '@testing-library/react';
import { BROADCAST_NOTIFICATION_EVENT } from 'react-reverb';
import { createMockClient, MockReverbProvider } from 'react-reverb/testing';
import { createToastStore, NotificationToast, type ToastInput, toast, useToast } from 'react-reverb/toast';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const CHANNEL = 'private-App.Models.User.1';

function setHidden(hidden: boolean) {
  Object.defineProperty(document, 'hidden', { configurable: true, get: () => hidden });
  document.dispatchEvent(new Event('visibilitychange'));
}

describe('<NotificationToast> accessibility', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => {
    vi.useRealTimers();
    setHidden(false);
  });

  const region = () => screen.getByRole('region', { name: 'Notifications (alt+t)' });

  it('mounts its polite live region before the first toast, then adds status and alert toasts', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} />);
    const list = within(region()).getByRole('list');
    expect(list.getAttribute('aria-live')).toBe('polite');
    expect(within(list).queryAllByRole('status')).toHaveLength(0);
    act(() => {
      store.show({ title: 'Saved', message: 'Your order is saved' });
      store.show({ title: 'Payment failed', kind: 'error' });
    });
    expect(within(list).getByRole('status').textContent).toContain('Your order is saved');
    expect(within(list).getByRole('alert').textContent).toContain('Payment failed');
    expect(screen.getAllByRole('alert')).toHaveLength(1); // `alert` only for errors
  });

  it('never takes focus when a toast arrives', () => {
    const store = createToastStore();
    render(
      <>
        <input aria-label="search" />
        <NotificationToast store={store} />
      </>,
    );
    const input = screen.getByLabelText('search');
    input.focus();
    act(() => void store.show('New message'));
    expect(document.activeElement).toBe(input);
  });

  it('dismisses after its duration, but not while hovered', () => {
    const store = createToastStore({ duration: 4000 });
    render(<NotificationToast store={store} />);
    act(() => void store.show('Hello'));
    act(() => vi.advanceTimersByTime(1000));
    fireEvent.mouseEnter(region());
    act(() => vi.advanceTimersByTime(10_000));
    expect(screen.queryByRole('status')).not.toBeNull();
    fireEvent.mouseLeave(region());
    act(() => vi.advanceTimersByTime(2900));
    expect(screen.queryByRole('status')).not.toBeNull(); // 3000 ms were left
    act(() => vi.advanceTimersByTime(200));
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('pauses while focus is inside and while the tab is hidden', () => {
    const store = createToastStore({ duration: 4000 });
    render(
      <>
        <button type="button">outside</button>
        <NotificationToast store={store} />
      </>,
    );
    act(() => void store.show('Hello'));
    act(() => screen.getByRole('status').focus());
    act(() => vi.advanceTimersByTime(10_000));
    expect(screen.queryByRole('status')).not.toBeNull();
    act(() => screen.getByText('outside').focus());
    act(() => setHidden(true));
    act(() => vi.advanceTimersByTime(10_000));
    expect(screen.queryByRole('status')).not.toBeNull();
    act(() => setHidden(false));
    act(() => vi.advanceTimersByTime(4000));
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('dismisses the focused toast on Escape and keeps focus in the region', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} />);
    act(() => {
      store.show({ title: 'First' });
      store.show({ title: 'Second' });
    });
    const first = screen.getByText('First').closest('li')!;
    act(() => first.focus());
    fireEvent.keyDown(first, { key: 'Escape' });
    expect(screen.queryByText('First')).toBeNull();
    expect(screen.getByText('Second')).not.toBeNull();
    expect(document.activeElement).toBe(region());
    fireEvent.keyDown(region(), { key: 'Escape' }); // nothing focused inside: the newest goes
    expect(screen.queryByText('Second')).toBeNull();
  });

  it('labels each close button with the toast title', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} closeLabel="Close" />);
    act(() => void store.show({ title: 'Invoice paid', message: '#7' }));
    fireEvent.click(screen.getByRole('button', { name: 'Close: Invoice paid' }));
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('focuses the newest toast region on the hotkey', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} />);
    fireEvent.keyDown(document, { key: 't', code: 'KeyT', altKey: true });
    expect(document.activeElement).toBe(region());
    act(() => void store.show({ title: 'Hi' }));
    fireEvent.keyDown(document, { key: '†', code: 'KeyT', altKey: true }); // macOS Alt+T
    expect(document.activeElement).toBe(screen.getByRole('status'));
    fireEvent.keyDown(document, { key: 't', code: 'KeyT' }); // plain t: ignored
  });

  it('shows at most `limit` toasts, the newest', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} limit={2} />);
    act(() => {
      for (const n of [1, 2, 3, 4]) store.show(`toast ${n}`);
    });
    expect(screen.getAllByRole('status').map((el) => el.textContent)).toEqual([
      expect.stringContaining('toast 3'),
      expect.stringContaining('toast 4'),
    ]);
    act(() => store.dismiss());
    expect(screen.queryAllByRole('status')).toHaveLength(0);
  });

  it('replaces a toast shown again with the same id', () => {
    const store = createToastStore();
    render(<NotificationToast store={store} />);
    act(() => {
      store.show({ id: 'session', message: 'Signed in elsewhere' });
      store.show({ id: 'session', message: 'Signed in elsewhere (2)' });
    });
    expect(screen.getAllByRole('status')).toHaveLength(1);
    expect(screen.getByRole('status').textContent).toContain('(2)');
  });
});

describe('<NotificationToast> sources and adapters', () => {
  it('shows Laravel notifications from a channel once per id', () => {
    const client = createMockClient();
    const store = createToastStore();
    render(
      <MockReverbProvider client={client}>
        <NotificationToast store={store} source={CHANNEL} types={['App.Notifications.InvoicePaid']} />
      </MockReverbProvider>,
    );
    const invoice = { id: 'n1', type: 'App\\Notifications\\InvoicePaid', message: 'Invoice #7 paid' };
    act(() => {
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice);
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, invoice);
      client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, { id: 'n2', type: 'App\\Notifications\\Other' });
    });
    const shown = screen.getAllByRole('status');
    expect(shown).toHaveLength(1);
    expect(shown[0]?.textContent).toContain('Invoice Paid');
    expect(shown[0]?.textContent).toContain('Invoice #7 paid');
  });

  it('shows any event with a custom format and render prop', () => {
    const client = createMockClient();
    const store = createToastStore();
    render(
      <MockReverbProvider client={client}>
        <NotificationToast
          store={store}
          source={{ channel: 'orders', event: 'OrderShipped' }}
          format={(data) => ({ title: `Order ${(data as { id: number }).id} shipped` })}
          render={(t, { dismiss }) => (
            <button type="button" onClick={dismiss}>
              {t.title}
            </button>
          )}
        />
      </MockReverbProvider>,
    );
    act(() => void client.emit('orders', 'OrderShipped', { id: 5 }));
    fireEvent.click(screen.getByRole('button', { name: 'Order 5 shipped' }));
    expect(screen.queryByRole('status')).toBeNull();
  });

  it('hands toasts to an adapter (sonner, react-hot-toast) and renders nothing', () => {
    const client = createMockClient();
    const adapted: ToastInput[] = [];
    const { container } = render(
      <MockReverbProvider client={client}>
        <NotificationToast source={CHANNEL} onNotification={(t) => adapted.push(t)} />
      </MockReverbProvider>,
    );
    act(
      () => void client.emit(CHANNEL, BROADCAST_NOTIFICATION_EVENT, { id: 'x', type: 'A\\B', title: 'Hi' }),
    );
    expect(container.innerHTML).toBe('');
    expect(adapted).toEqual([expect.objectContaining({ id: 'notification-x', title: 'Hi', kind: 'info' })]);
  });

  it('shows imperative toasts from toast() and useToast()', () => {
    render(<NotificationToast />);
    const { result } = renderHook(() => useToast());
    act(
      () => void toast({ title: 'Signed out', message: 'You signed in on another device', kind: 'warning' }),
    );
    expect(screen.getByRole('status').textContent).toContain('another device');
    expect(result.current.toasts).toHaveLength(1);
    act(() => result.current.dismiss());
    expect(screen.queryByRole('status')).toBeNull();
  });
});

describe('react-reverb/styles.css', () => {
  it('animates only for people who did not ask for reduced motion', () => {
    const css = readFileSync(join(process.cwd(), 'src/styles.css'), 'utf8');
    const motion = '@media (prefers-reduced-motion: no-preference) {';
    const start = css.indexOf(motion);
    expect(start).toBeGreaterThan(-1);
    const block = css.slice(start, css.indexOf('\n}\n', start));
    const outside = css.replace(block, '');
    expect(block).toMatch(/animation:/);
    expect(outside).not.toMatch(/(^|[\s;{])(animation|transition):/);
  });
});
