/**
 * The connection state machine (react-client.md §5.8, protocol.md §4 and §9): one socket at a time,
 * the close-code policy, back-off with jitter, the activity/pong timeouts and the browser's
 * online/offline/visibility hints. It knows nothing of channels: frames other than the handshake,
 * ping and pong go to `onMessage`.
 *
 * Our own small loop rather than reconnecting-websocket: RWS reconnects on 4000–4099, hides the real
 * close code behind a synthetic 1000, needs a new instance after `close()` (#165), and at 3.2 KB gzip
 * alone would leave no room in the 6 KB budget for the rest of the client.
 */
import { readServerMessage } from '../protocol/codec';
import { PONG_NOT_RECEIVED, reconnectPolicyFor, SSL_ONLY } from '../protocol/error-codes';
import { CONNECTION_ESTABLISHED, ERROR, PING, PONG } from '../protocol/events';
import { CLIENT_ACTIVITY_TIMEOUT_MS, PONG_TIMEOUT_MS } from '../protocol/limits';
import type { ConnectionEstablishedMessage, ErrorMessage, ServerMessage } from '../protocol/messages';
import { reconnectDelay } from './reconnect-delay';
import { Store } from './store';
import type { ConnectionError, ConnectionSnapshot, ConnectionStatus, TimerProvider } from './types';

/** The part of the browser WebSocket API we use; `ws` in Node provides the same. */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onclose: ((event: { code: number; reason: string }) => void) | null;
  onerror: ((event: unknown) => void) | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

export interface ConnectionConfig {
  /** The socket URL; `tls` turns true after a 4000 close. */
  readonly url: (tls: boolean) => string;
  /** Start with TLS (`forceTLS`, port 443, a `wss:` url). */
  readonly tls: boolean;
  readonly WebSocket: WebSocketConstructor | undefined;
  readonly timers: TimerProvider;
  /** Our cap on the activity timeout, ms; the server's `activity_timeout` may shorten it. */
  readonly activityTimeout: number;
  readonly pongTimeout: number;
}

export interface ConnectionHandlers {
  onConnected(socketId: string): void;
  /** The connected socket is gone (closed, timed out or `disconnect()`ed). */
  onDisconnected(): void;
  onMessage(message: ServerMessage): void;
}

/** How long a socket may take from `new WebSocket` to `connection_established`. */
export const CONNECTION_TIMEOUT_MS = 10_000;
/** How long connecting may take before the state says `unavailable` (pusher-js: 10 s). */
export const UNAVAILABLE_TIMEOUT_MS = 10_000;

const OPEN = 1;
/** An error is always followed by a close, which carries the code we act on. */
const ignore = () => {};

export const IDLE_CONNECTION: ConnectionSnapshot = {
  state: 'initialized',
  socketId: null,
  attempt: 0,
  nextRetryAt: null,
  lastError: null,
};

type TimerName = 'retry' | 'handshake' | 'activity' | 'pong' | 'unavailable';

export class Connection {
  readonly store = new Store<ConnectionSnapshot>(IDLE_CONNECTION);
  #socket: WebSocketLike | null = null;
  /** Becomes true for good after a 4000 close (the app only takes wss). */
  #tls: boolean;
  #activityMs: number;
  readonly #handles = new Map<TimerName, unknown>();
  #removeHints: (() => void) | null = null;

  readonly #config: ConnectionConfig;
  readonly #handlers: ConnectionHandlers;

  constructor(config: ConnectionConfig, handlers: ConnectionHandlers) {
    this.#config = config;
    this.#handlers = handlers;
    this.#activityMs = config.activityTimeout;
    this.#tls = config.tls;
  }

  get #state(): ConnectionStatus {
    return this.store.getSnapshot().state;
  }

  /** Starts connecting; a no-op while a connection is up or being attempted. */
  connect(): void {
    const state = this.#state;
    if (state !== 'initialized' && state !== 'disconnected' && state !== 'failed') return;
    this.store.update({ state: 'connecting', attempt: 0, nextRetryAt: null, lastError: null });
    this.#removeHints ??= listenForHints(this);
    this.#watchUnavailable();
    this.#open();
  }

  /** Closes for good (until the next `connect()`). */
  disconnect(): void {
    this.#halt('disconnected', this.store.getSnapshot().lastError);
  }

  /** Sends a frame when connected; returns false (and drops it) otherwise. */
  send(frame: string): boolean {
    const socket = this.#socket;
    if (this.#state !== 'connected' || socket === null || socket.readyState !== OPEN) return false;
    socket.send(frame);
    return true;
  }

  /**
   * A hint that the network changed (online, tab visible again, offline): retry now if waiting, or
   * prove the connected socket is alive with a ping.
   */
  check(): void {
    if (this.#handles.has('retry')) {
      this.#clearTimer('retry');
      this.#open();
    } else if (this.#state === 'connected') this.#ping();
  }

  #open(): void {
    const { WebSocket: Socket, url } = this.#config;
    this.store.update({ nextRetryAt: null });
    if (Socket === undefined) {
      this.#halt('failed', {
        code: null,
        message: 'No WebSocket implementation: pass options.WebSocket (e.g. the ws package in Node)',
      });
      return;
    }
    let socket: WebSocketLike;
    try {
      socket = new Socket(url(this.#tls));
    } catch (error) {
      this.#lost(null, `Cannot open the socket: ${(error as Error).message}`);
      return;
    }
    this.#socket = socket;
    socket.onmessage = (event) => this.#receive(String(event.data));
    socket.onclose = (event) => this.#lost(event.code, event.reason || `Closed with code ${event.code}`);
    socket.onerror = ignore;
    this.#startTimer('handshake', CONNECTION_TIMEOUT_MS, () =>
      this.#lost(null, `No connection_established within ${CONNECTION_TIMEOUT_MS} ms`),
    );
  }

  #receive(frame: string): void {
    this.#clearTimer('pong');
    if (this.#state === 'connected') this.#armActivity();
    const message = readServerMessage(frame);
    if (message === undefined) return;
    switch (message.event) {
      case CONNECTION_ESTABLISHED:
        this.#established((message as ConnectionEstablishedMessage).data);
        return;
      case PING:
        this.send(JSON.stringify({ event: PONG, data: {} }));
        return;
      case PONG:
        return;
      case ERROR: {
        const { code, message: text } = (message as ErrorMessage).data;
        // During the handshake the frame announces the close that follows: act on it now (as pusher-js does).
        if (this.#state !== 'connected' && typeof code === 'number' && code >= 4000) {
          this.#lost(code, text);
          return;
        }
        this.store.update({ lastError: { code, message: text } });
      }
    }
    if (this.#state === 'connected') this.#handlers.onMessage(message);
  }

  #established(data: ConnectionEstablishedMessage['data']): void {
    if (this.#state === 'connected') return;
    this.#clearTimer('handshake');
    this.#clearTimer('unavailable');
    const serverMs = data.activity_timeout * 1000;
    this.#activityMs =
      serverMs > 0 ? Math.min(this.#config.activityTimeout, serverMs) : this.#config.activityTimeout;
    this.store.update({
      state: 'connected',
      socketId: data.socket_id,
      attempt: 0,
      nextRetryAt: null,
      lastError: null,
    });
    this.#armActivity();
    this.#handlers.onConnected(data.socket_id);
  }

  /** Without a connection for this long, the state says `unavailable` (attempts go on). */
  #watchUnavailable(): void {
    this.#startTimer('unavailable', UNAVAILABLE_TIMEOUT_MS, () =>
      this.store.update({ state: 'unavailable' }),
    );
  }

  /** After `activityMs` without a frame, ping; the pong timer then waits for any frame. */
  #armActivity(): void {
    this.#startTimer('activity', this.#activityMs, () => this.#ping());
  }

  #ping(): void {
    if (this.#handles.has('pong')) return;
    this.send(JSON.stringify({ event: PING, data: {} }));
    this.#startTimer('pong', this.#config.pongTimeout, () =>
      this.#lost(PONG_NOT_RECEIVED, `No reply to a ping within ${this.#config.pongTimeout} ms`),
    );
  }

  /** Drops the socket and applies the close-code policy. `code` null: no code (timeout, open failure). */
  #lost(code: number | null, message: string): void {
    const wasConnected = this.#dropSocket();
    const lastError: ConnectionError = { code, message };
    const policy = code === null ? 'retry' : reconnectPolicyFor(code);
    if (policy === 'stop') {
      this.#halt('failed', lastError, wasConnected);
      return;
    }
    if (code === SSL_ONLY) this.#tls = true;
    const attempt = this.store.getSnapshot().attempt + 1;
    const delay = policy === 'now' && attempt === 1 ? 0 : reconnectDelay(attempt);
    const state = this.#state;
    this.store.update({
      state: state === 'unavailable' ? 'unavailable' : 'reconnecting',
      socketId: null,
      attempt,
      nextRetryAt: this.#config.timers.now() + delay,
      lastError,
    });
    if (!this.#handles.has('unavailable') && state !== 'unavailable') this.#watchUnavailable();
    this.#startTimer('retry', delay, () => this.#open());
    if (wasConnected) this.#handlers.onDisconnected();
  }

  /** Stops every timer and socket and settles in a terminal state. */
  #halt(state: 'disconnected' | 'failed', lastError: ConnectionError | null, wasConnected = false): void {
    const connected = this.#dropSocket() || wasConnected;
    for (const name of [...this.#handles.keys()]) this.#clearTimer(name);
    this.#removeHints?.();
    this.#removeHints = null;
    this.store.update({ state, socketId: null, nextRetryAt: null, lastError });
    if (connected) this.#handlers.onDisconnected();
  }

  /** Detaches and closes the current socket; true when it was connected. */
  #dropSocket(): boolean {
    const wasConnected = this.#state === 'connected';
    const socket = this.#socket;
    this.#socket = null;
    for (const name of ['handshake', 'activity', 'pong'] as const) this.#clearTimer(name);
    if (socket !== null) {
      socket.onmessage = socket.onclose = null;
      // Not null: `ws` in Node answers close() on a still-connecting socket with an error event ("closed
      // before the connection was established"), which an EventEmitter throws when nobody listens.
      socket.onerror = ignore;
      try {
        socket.close(1000);
      } catch {
        // Already closing: nothing to do.
      }
    }
    return wasConnected;
  }

  #startTimer(name: TimerName, ms: number, run: () => void): void {
    this.#clearTimer(name);
    this.#handles.set(
      name,
      this.#config.timers.setTimeout(() => {
        this.#handles.delete(name);
        run();
      }, ms),
    );
  }

  #clearTimer(name: TimerName): void {
    if (!this.#handles.has(name)) return;
    this.#config.timers.clearTimeout(this.#handles.get(name));
    this.#handles.delete(name);
  }
}

export const DEFAULT_PONG_TIMEOUT_MS = PONG_TIMEOUT_MS;
export const DEFAULT_ACTIVITY_TIMEOUT_MS = CLIENT_ACTIVITY_TIMEOUT_MS;

interface HintTarget {
  addEventListener(type: string, listener: () => void): void;
  removeEventListener(type: string, listener: () => void): void;
}

function hintTarget(value: unknown): HintTarget | undefined {
  return typeof (value as Partial<HintTarget> | undefined)?.addEventListener === 'function'
    ? (value as HintTarget)
    : undefined;
}

/**
 * `online`, `offline` and `visibilitychange` where the platform has them (browsers, workers for the
 * first two); nothing in Node. Looked up when connecting, never at module scope.
 */
function listenForHints(connection: Connection): () => void {
  const scope = hintTarget(globalThis);
  const doc = typeof document === 'undefined' ? undefined : hintTarget(document);
  const check = () => connection.check();
  const visible = () => {
    if (typeof document !== 'undefined' && document.visibilityState === 'visible') check();
  };
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    scope?.[method]('online', check);
    scope?.[method]('offline', check);
    doc?.[method]('visibilitychange', visible);
  };
  listen('addEventListener');
  return () => listen('removeEventListener');
}
