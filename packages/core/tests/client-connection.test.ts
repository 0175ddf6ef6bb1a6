import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReverbClient, type ReverbClientOptions } from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

/** Options a test overrides; `undefined` removes a default. */
type Overrides = { [K in keyof ReverbClientOptions]?: ReverbClientOptions[K] | undefined };

function makeClient(options: Overrides = {}) {
  return createReverbClient({
    key: 'demo-key-0001',
    host: 'localhost',
    port: 8080,
    WebSocket: FakeWebSocket,
    autoConnect: false,
    ...options,
  } as ReverbClientOptions);
}

function connected(options: Overrides = {}, socketId = '1.1', activityTimeout = 120) {
  const client = makeClient(options);
  client.connect();
  FakeWebSocket.last.establish(socketId, activityTimeout);
  return client;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe('connecting', () => {
  it('starts idle, and stays idle on the server snapshot', () => {
    const client = makeClient();
    const idle = client.connection.getSnapshot();
    expect(idle).toEqual({
      state: 'initialized',
      socketId: null,
      attempt: 0,
      nextRetryAt: null,
      lastError: null,
    });
    client.connect();
    FakeWebSocket.last.establish();
    expect(client.connection.getServerSnapshot()).toBe(idle);
  });

  it('does not connect by itself in Node (no document), and connects when autoConnect is true', () => {
    createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket });
    expect(FakeWebSocket.instances).toHaveLength(0);
    createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket, autoConnect: true });
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('connects by itself where there is a document (browsers) and in workers', () => {
    vi.stubGlobal('document', new EventTarget());
    createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket });
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.unstubAllGlobals();
    vi.stubGlobal('WorkerGlobalScope', class {});
    createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket });
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('opens the protocol 7 URL from host, port and wsPath, or from url', () => {
    makeClient({ wsPath: '/ws' }).connect();
    expect(FakeWebSocket.last.url).toMatch(/^ws:\/\/localhost:8080\/ws\/app\/demo-key-0001\?protocol=7&/);
    makeClient({ url: 'wss://example.test:443/', host: undefined }).connect();
    expect(FakeWebSocket.last.url).toMatch(/^wss:\/\/example\.test:443\/app\/demo-key-0001\?protocol=7&/);
    makeClient({ forceTLS: true, port: undefined }).connect();
    expect(FakeWebSocket.last.url).toMatch(/^wss:\/\/localhost:443\//);
  });

  it('refuses options without a key or a host', () => {
    expect(() => createReverbClient({ key: '', host: 'h' })).toThrow(/key/);
    expect(() => createReverbClient({ key: 'k' })).toThrow(
      expect.objectContaining({ code: 'REVERB_ERR_OPTIONS' }),
    );
  });

  it('goes connecting → connected on connection_established, with a stable snapshot', () => {
    const client = makeClient();
    const seen: string[] = [];
    client.connection.subscribe(() => seen.push(client.connection.getSnapshot().state));
    client.connect();
    expect(client.connection.getSnapshot().state).toBe('connecting');
    FakeWebSocket.last.establish('123.456');
    const snapshot = client.connection.getSnapshot();
    expect(snapshot).toMatchObject({ state: 'connected', socketId: '123.456', attempt: 0, lastError: null });
    expect(client.connection.getSnapshot()).toBe(snapshot);
    expect(seen).toEqual(['connecting', 'connected']);
  });

  it('ignores connect() while already connecting or connected', () => {
    const client = makeClient();
    client.connect();
    client.connect();
    FakeWebSocket.last.establish();
    client.connect();
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it('fails when no WebSocket implementation exists', () => {
    vi.stubGlobal('WebSocket', undefined);
    const client = createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    client.connect();
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'failed',
      lastError: { code: null, message: expect.stringMatching(/WebSocket/) },
    });
  });

  it('says unavailable after 10 s without a handshake, retries, and connects later', () => {
    const client = makeClient();
    client.connect();
    vi.advanceTimersByTime(9_999);
    expect(client.connection.getSnapshot().state).toBe('connecting');
    vi.advanceTimersByTime(1);
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'unavailable', attempt: 1 });
    expect(FakeWebSocket.last.closedWith).toBe(1000);
    vi.advanceTimersByTime(1_500);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.establish('2.2');
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'connected',
      socketId: '2.2',
      attempt: 0,
    });
  });

  it('retries when the WebSocket constructor throws', () => {
    let throws = true;
    class Flaky extends FakeWebSocket {
      constructor(url: string) {
        if (throws) throw new Error('boom');
        super(url);
      }
    }
    const client = makeClient({ WebSocket: Flaky });
    client.connect();
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'reconnecting', attempt: 1 });
    throws = false;
    vi.advanceTimersByTime(1_500);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe('close codes (docs/protocol.md §4)', () => {
  it.each([4001, 4003, 4009, 4050, 4099, 4300, 4399])('%i stops for good: failed, no reconnect', (code) => {
    const client = connected();
    FakeWebSocket.last.serverClose(code, 'refused');
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'failed',
      socketId: null,
      nextRetryAt: null,
      lastError: { code, message: 'refused' },
    });
    vi.advanceTimersByTime(10 * 60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
  });

  it.each([4100, 4150, 4199])('%i backs off exponentially with jitter', (code) => {
    const client = connected();
    const start = Date.now();
    FakeWebSocket.last.serverClose(code);
    const first = client.connection.getSnapshot();
    expect(first).toMatchObject({ state: 'reconnecting', attempt: 1, lastError: { code } });
    const delay1 = (first.nextRetryAt ?? 0) - start;
    expect(delay1).toBeGreaterThanOrEqual(1_000);
    expect(delay1).toBeLessThanOrEqual(1_500);
    vi.advanceTimersByTime(delay1 - 1);
    expect(FakeWebSocket.instances).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);

    const second = Date.now();
    FakeWebSocket.last.serverClose(code);
    const delay2 = (client.connection.getSnapshot().nextRetryAt ?? 0) - second;
    expect(client.connection.getSnapshot().attempt).toBe(2);
    expect(delay2).toBeGreaterThanOrEqual(2_000);
    expect(delay2).toBeLessThanOrEqual(3_000);
    vi.advanceTimersByTime(delay2);
    FakeWebSocket.last.serverClose(code);
    expect(client.connection.getSnapshot().attempt).toBe(3);
    expect((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now()).toBeGreaterThanOrEqual(4_000);
  });

  it('caps the back-off at 30 s (plus jitter)', () => {
    const client = connected();
    for (let i = 0; i < 12; i++) {
      FakeWebSocket.last.serverClose(4100);
      // Exactly to the retry, which opens the next socket (no handshake timeout in between).
      vi.advanceTimersByTime((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now());
    }
    expect(FakeWebSocket.instances).toHaveLength(13);
    FakeWebSocket.last.serverClose(4100);
    const delay = (client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now();
    expect(delay).toBeGreaterThanOrEqual(30_000);
    expect(delay).toBeLessThanOrEqual(45_000);
  });

  it.each([4200, 4201, 4202, 4299])('%i reconnects at once', (code) => {
    const client = connected();
    FakeWebSocket.last.serverClose(code);
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'reconnecting',
      attempt: 1,
      nextRetryAt: Date.now(),
      lastError: { code },
    });
    vi.advanceTimersByTime(0);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.establish('9.9');
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connected', socketId: '9.9' });
  });

  it.each([1000, 1001, 1006, 1011, 3000])('%i (below 4000) retries after a back-off', (code) => {
    const client = connected();
    FakeWebSocket.last.serverClose(code);
    const delay = (client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now();
    expect(client.connection.getSnapshot().state).toBe('reconnecting');
    expect(delay).toBeGreaterThanOrEqual(1_000);
    vi.advanceTimersByTime(1_500);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('4000 switches to TLS and reconnects now', () => {
    connected();
    FakeWebSocket.last.serverClose(4000);
    vi.advanceTimersByTime(0);
    expect(FakeWebSocket.last.url).toMatch(/^wss:\/\/localhost:8080\//);
  });

  it('acts on a pusher:error frame during the handshake, before any close', () => {
    const client = makeClient();
    client.connect();
    FakeWebSocket.last.readyState = 1;
    FakeWebSocket.last.receive({
      event: 'pusher:error',
      data: { code: 4001, message: 'Application does not exist' },
    });
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'failed',
      lastError: { code: 4001, message: 'Application does not exist' },
    });
    expect(FakeWebSocket.last.closedWith).toBe(1000);
  });

  it('only records a pusher:error after the handshake (4301 keeps the connection)', () => {
    const client = connected();
    FakeWebSocket.last.receive({ event: 'pusher:error', data: { code: 4301, message: 'rate limit' } });
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'connected',
      lastError: { code: 4301, message: 'rate limit' },
    });
  });

  it('keeps counting attempts while the server stays down, and resets on success', () => {
    const client = connected();
    const untilRetry = () =>
      vi.advanceTimersByTime((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now());
    FakeWebSocket.last.serverClose(1006);
    for (let i = 0; i < 3; i++) {
      untilRetry();
      FakeWebSocket.last.serverClose(1006);
    }
    expect(client.connection.getSnapshot().attempt).toBe(4);
    expect(FakeWebSocket.instances).toHaveLength(4);
    untilRetry();
    FakeWebSocket.last.establish('5.5');
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'connected',
      attempt: 0,
      nextRetryAt: null,
    });
  });
});

describe('more transitions', () => {
  it('connecting → reconnecting when the socket closes during the handshake', () => {
    const client = makeClient();
    client.connect();
    FakeWebSocket.last.serverClose(1006);
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'reconnecting',
      attempt: 1,
      socketId: null,
    });
  });

  it('reconnecting → unavailable after 10 s without a connection, → connected when one comes', () => {
    const client = connected();
    FakeWebSocket.last.serverClose(1006);
    const states = new Set<string>();
    client.connection.subscribe(() => states.add(client.connection.getSnapshot().state));
    for (let i = 0; i < 3; i++) {
      vi.advanceTimersByTime((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now());
      FakeWebSocket.last.serverClose(1006);
    }
    vi.advanceTimersByTime(10_000);
    expect(client.connection.getSnapshot().state).toBe('unavailable');
    FakeWebSocket.last.serverClose(1006);
    expect(client.connection.getSnapshot().state).toBe('unavailable');
    vi.advanceTimersByTime((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now());
    FakeWebSocket.last.establish('4.4');
    expect(client.connection.getSnapshot().state).toBe('connected');
    expect([...states]).toEqual(['reconnecting', 'unavailable', 'connected']);
  });

  it('failed → connecting again on connect()', () => {
    const client = connected();
    FakeWebSocket.last.serverClose(4009);
    expect(client.connection.getSnapshot().state).toBe('failed');
    client.connect();
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'connecting',
      attempt: 0,
      lastError: null,
    });
    FakeWebSocket.last.establish('6.6');
    expect(client.connection.getSnapshot().state).toBe('connected');
  });

  it('initialized → disconnected on disconnect()', () => {
    const client = makeClient();
    client.disconnect();
    expect(client.connection.getSnapshot().state).toBe('disconnected');
  });

  it('the jitter spreads the delay between 1× and 1.5× of the step', () => {
    const random = vi.spyOn(Math, 'random');
    const client = connected();
    random.mockReturnValue(0);
    FakeWebSocket.last.serverClose(4100);
    expect((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now()).toBe(1_000);
    client.disconnect();
    client.connect();
    FakeWebSocket.last.establish();
    random.mockReturnValue(0.999);
    FakeWebSocket.last.serverClose(4100);
    expect((client.connection.getSnapshot().nextRetryAt ?? 0) - Date.now()).toBe(1_500);
    random.mockRestore();
  });
});

describe('disconnect', () => {
  it('closes, cancels retries and can connect again', () => {
    const client = connected();
    FakeWebSocket.last.serverClose(1006);
    client.disconnect();
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'disconnected', nextRetryAt: null });
    vi.advanceTimersByTime(60_000);
    expect(FakeWebSocket.instances).toHaveLength(1);
    client.connect();
    expect(client.connection.getSnapshot().state).toBe('connecting');
    FakeWebSocket.last.establish('3.3');
    expect(client.connection.getSnapshot().state).toBe('connected');
  });

  it('closes the open socket with 1000', () => {
    const client = connected();
    const socket = FakeWebSocket.last;
    client.disconnect();
    expect(socket.closedWith).toBe(1000);
    expect(client.connection.getSnapshot().socketId).toBeNull();
  });
});

describe('activity and pong timeouts (docs/protocol.md §9)', () => {
  it('pings after the server activity_timeout, and reconnects at once without a reply', () => {
    const client = connected({}, '1.1', 30);
    const socket = FakeWebSocket.last;
    vi.advanceTimersByTime(29_999);
    expect(socket.framesOf('pusher:ping')).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(socket.framesOf('pusher:ping')).toHaveLength(1);
    vi.advanceTimersByTime(29_999);
    expect(client.connection.getSnapshot().state).toBe('connected');
    vi.advanceTimersByTime(1);
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'reconnecting',
      lastError: { code: 4201 },
    });
    expect(socket.closedWith).toBe(1000);
    // Fake timers give a zero delay set inside a timer callback 1 ms.
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
  });

  it('any frame counts as activity and as the pong', () => {
    const client = connected({}, '1.1', 30);
    const socket = FakeWebSocket.last;
    vi.advanceTimersByTime(20_000);
    socket.receive({ event: 'some-event', channel: 'x', data: '{}' });
    vi.advanceTimersByTime(20_000);
    expect(socket.framesOf('pusher:ping')).toHaveLength(0);
    vi.advanceTimersByTime(10_000);
    expect(socket.framesOf('pusher:ping')).toHaveLength(1);
    vi.advanceTimersByTime(5_000);
    socket.receive({ event: 'pusher:pong', data: '{}' });
    vi.advanceTimersByTime(29_000);
    expect(client.connection.getSnapshot().state).toBe('connected');
  });

  it('caps the server value with the activityTimeout and pongTimeout options', () => {
    const client = connected({ activityTimeout: 5_000, pongTimeout: 2_000 }, '1.1', 120);
    vi.advanceTimersByTime(5_000);
    expect(FakeWebSocket.last.framesOf('pusher:ping')).toHaveLength(1);
    vi.advanceTimersByTime(2_000);
    expect(client.connection.getSnapshot().state).toBe('reconnecting');
  });

  it('answers a server ping with a pong', () => {
    connected();
    FakeWebSocket.last.receive({ event: 'pusher:ping', data: '{}' });
    expect(FakeWebSocket.last.frames()).toEqual([{ event: 'pusher:pong', data: {} }]);
  });
});

describe('online, offline and visibility hints', () => {
  function installHints() {
    const scope = new EventTarget();
    const doc = Object.assign(new EventTarget(), { visibilityState: 'visible' });
    vi.stubGlobal('addEventListener', scope.addEventListener.bind(scope));
    vi.stubGlobal('removeEventListener', scope.removeEventListener.bind(scope));
    vi.stubGlobal('document', doc);
    return { scope, doc };
  }

  it('online retries at once while waiting to reconnect', () => {
    const { scope } = installHints();
    const client = connected();
    FakeWebSocket.last.serverClose(1006);
    expect(client.connection.getSnapshot().nextRetryAt).not.toBeNull();
    scope.dispatchEvent(new Event('online'));
    expect(FakeWebSocket.instances).toHaveLength(2);
    expect(client.connection.getSnapshot().nextRetryAt).toBeNull();
  });

  it('offline and a visible tab check a connected socket with a ping', () => {
    const { scope, doc } = installHints();
    const client = connected({ pongTimeout: 3_000 });
    scope.dispatchEvent(new Event('offline'));
    expect(FakeWebSocket.last.framesOf('pusher:ping')).toHaveLength(1);
    vi.advanceTimersByTime(3_000);
    expect(client.connection.getSnapshot()).toMatchObject({
      state: 'reconnecting',
      lastError: { code: 4201 },
    });
    // Fake timers give a zero delay set inside a timer callback 1 ms.
    vi.advanceTimersByTime(1);
    expect(FakeWebSocket.instances).toHaveLength(2);
    FakeWebSocket.last.establish('2.2');
    doc.dispatchEvent(new Event('visibilitychange'));
    expect(FakeWebSocket.last.framesOf('pusher:ping')).toHaveLength(1);
  });

  it('stops listening after disconnect()', () => {
    const { scope } = installHints();
    const client = connected();
    client.disconnect();
    scope.dispatchEvent(new Event('online'));
    expect(FakeWebSocket.instances).toHaveLength(1);
  });
});

describe('stores', () => {
  it('unsubscribe stops notifications', async () => {
    const client = makeClient();
    const listener = vi.fn();
    const unsubscribe = client.connection.subscribe(listener);
    client.connect();
    expect(listener).toHaveBeenCalledTimes(1);
    unsubscribe();
    FakeWebSocket.last.establish();
    await flush();
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
