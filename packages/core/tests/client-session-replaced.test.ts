/**
 * The terminal `replaced` state of docs/protocol.md §11.2, against a fake socket: entered on the
 * channel-less `reverb:session_replaced`, on the close 4010 and through `client.sessionReplaced()`
 * (servers without the feature); never a reconnect loop; `connect()` starts over.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReverbClient, type ReverbClient } from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

function connected(): ReverbClient {
  const client = createReverbClient({
    key: 'demo-key-0001',
    host: 'localhost',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    authorize: async ({ socketId }) => ({ auth: `demo-key-0001:${socketId}` }),
  });
  client.connect();
  FakeWebSocket.last.establish('1.1');
  return client;
}

/** A minute of retries would open sockets; a terminal state opens none. */
function expectNoReconnect(): void {
  const sockets = FakeWebSocket.instances.length;
  vi.advanceTimersByTime(120_000);
  expect(FakeWebSocket.instances).toHaveLength(sockets);
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('the replaced state', () => {
  it('is entered on the channel-less reverb:session_replaced, closes the socket and never reconnects', () => {
    const client = connected();
    const socket = FakeWebSocket.last;
    socket.receive({ event: 'reverb:session_replaced', data: '{}' });
    expect(client.connection.getSnapshot()).toEqual({
      state: 'replaced',
      socketId: null,
      attempt: 0,
      nextRetryAt: null,
      lastError: { code: 4010, message: 'Session replaced' },
    });
    expect(socket.closedWith).toBe(1000);
    // The close 4010 that follows finds the socket already dropped.
    socket.serverClose(4010, 'Session replaced by a newer sign-in');
    expect(client.connection.getSnapshot().lastError).toEqual({ code: 4010, message: 'Session replaced' });
    expectNoReconnect();
  });

  it('ignores the event name when it comes with a channel: an app event there, not ours', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher_internal:subscription_succeeded',
      channel: 'orders',
      data: '{}',
    });
    const got = vi.fn();
    channel.bind('reverb:session_replaced', got);
    FakeWebSocket.last.receive({ event: 'reverb:session_replaced', channel: 'orders', data: '{"x":1}' });
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect(got).toHaveBeenCalledWith({ x: 1 }, { event: 'reverb:session_replaced', channel: 'orders' });
  });

  it('is entered on the close 4010, with its reason, and never reconnects', () => {
    const client = connected();
    FakeWebSocket.last.serverClose(4010, 'Session replaced by a newer sign-in');
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'replaced',
      lastError: { code: 4010, message: 'Session replaced by a newer sign-in' },
    });
    expectNoReconnect();
  });

  it('is entered on a pusher:error 4010 during the handshake (a sign-in refused before it connects)', () => {
    const client = createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket, autoConnect: false });
    client.connect();
    FakeWebSocket.last.readyState = 1;
    FakeWebSocket.last.receive({ event: 'pusher:error', data: { code: 4010, message: 'Session replaced' } });
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'replaced', lastError: { code: 4010 } });
    expectNoReconnect();
  });

  it('is entered through client.sessionReplaced() (the app learned it itself), once', () => {
    const client = connected();
    const socket = FakeWebSocket.last;
    const listener = vi.fn();
    client.connection.subscribe(listener);
    client.sessionReplaced('You were signed in on another device');
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'replaced',
      lastError: { code: 4010, message: 'You were signed in on another device' },
    });
    expect(socket.closedWith).toBe(1000);
    const snapshot = client.connection.getSnapshot();
    client.sessionReplaced();
    expect(client.connection.getSnapshot()).toBe(snapshot);
    expect(listener).toHaveBeenCalledTimes(1);
    expectNoReconnect();
  });

  it('works while reconnecting too, and stops the retries', () => {
    const client = connected();
    FakeWebSocket.last.serverClose(1006);
    expect(client.connection.getSnapshot().state).toBe('reconnecting');
    client.sessionReplaced();
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'replaced', nextRetryAt: null });
    expectNoReconnect();
  });

  it('stays replaced through disconnect() (a provider unmounting), and connect() starts over', async () => {
    const client = connected();
    const { channel } = client.retain('orders');
    await flush();
    FakeWebSocket.last.receive({
      event: 'pusher_internal:subscription_succeeded',
      channel: 'orders',
      data: '{}',
    });
    FakeWebSocket.last.receive({ event: 'reverb:session_replaced', data: '{}' });
    expect(channel.getSnapshot().status).toBe('subscribing');
    client.disconnect();
    expect(client.connection.getSnapshot().state).toBe('replaced');
    client.connect();
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connecting', lastError: null });
    FakeWebSocket.last.establish('1.2');
    await flush();
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(1);
  });
});
