/**
 * The connection state machine (docs/architecture.md §8.2, docs/protocol.md §4 and §9): one socket at a time,
 * the close-code policy, back-off with jitter, the activity/pong timeouts and the browser's
 * online/offline/visibility hints. It knows nothing of channels: frames other than the handshake,
 * ping and pong go to `onMessage`.
 *
 * Our own small loop rather than reconnecting-websocket: RWS reconnects on 4000–4099, hides the real
 * close code behind a synthetic 1000, needs a new instance after `close()` (#165), and at 3.2 KB gzip
 * alone would leave no room in the 6 KB budget for the rest of the client.
 */
import { encodeClientFrame, parseData } from '../protocol/codec';
import {
  PONG_NOT_RECEIVED,
  reconnectPolicyFor,
  SESSION_REPLACED_CODE,
  SSL_ONLY,
} from '../protocol/error-codes';
import { CONNECTION_ESTABLISHED, ERROR, PING, PONG, SESSION_REPLACED } from '../protocol/events';
import { CLIENT_ACTIVITY_TIMEOUT_MS, PONG_TIMEOUT_MS, PROTOCOL_VERSION } from '../protocol/limits';
import type { ConnectionEstablishedMessage, ErrorMessage, ServerMessage } from '../protocol/messages';
import { hostOf } from './options';
import { createStore, type Store } from './store';
import type {
  ConnectionError,
  ConnectionSnapshot,
  ConnectionStatus,
  ReverbClientOptions,
  TimerProvider,
} from './types';

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

// The constants first: esbuild inlines one where it is read only when no code comes before it.

/** Sent as `version` in the socket URL. */
export const CLIENT_VERSION = '0.1.0';

/** The back-off ceiling, ms. */
export const MAX_RETRY_DELAY_MS = 30_000;

/** How long a socket may take from `new WebSocket` to `connection_established`. */
export const CONNECTION_TIMEOUT_MS = 10_000;
/** How long connecting may take before the state says `unavailable` (pusher-js: 10 s). */
export const UNAVAILABLE_TIMEOUT_MS = 10_000;

const OPEN = 1;

/** The socket URL of docs/protocol.md §1; `tls` turns true after a 4000 close. */
function socketUrl(options: ReverbClientOptions, tls: boolean): string {
  const { url, key } = options;
  // Ours, else Echo's for this scheme (checked at creation; falsy is unset), else the scheme's.
  const port = options.port || (tls ? options.wssPort : options.wsPort) || (tls ? 443 : 80);
  const base = url
    ? url.replace(/\/+$/, '').replace(/^ws:/, tls ? 'wss:' : 'ws:')
    : `${tls ? 'wss' : 'ws'}://${hostOf(options)}:${+port}`;
  return `${base}${options.wsPath ?? ''}/app/${encodeURIComponent(key)}?protocol=${PROTOCOL_VERSION}&client=react-reverb&version=${CLIENT_VERSION}`;
}

/** What a fresh start and a successful connection both reset. */
const FRESH = { attempt: 0, nextRetryAt: null, lastError: null } as const;

export const IDLE_CONNECTION: ConnectionSnapshot = { ...FRESH, state: 'initialized', socketId: null };

/** The one pending step: the retry while waiting for one, else the deadline of the current socket. */
type Step = 'retry' | 'handshake' | 'activity' | 'pong';

export interface Connection {
  readonly store: Store<ConnectionSnapshot>;
  /** Starts connecting; a no-op while a connection is up or being attempted. */
  connect(): void;
  /** Closes for good (until the next `connect()`); `replaced` stays `replaced`. */
  disconnect(): void;
  /** Closes for good in the `replaced` state (docs/protocol.md §11.2); a no-op when replaced already. */
  sessionReplaced(message?: string): void;
  /** Sends a frame when connected; returns false (and drops it) otherwise. */
  send(frame: string): boolean;
}

/** Closures rather than a class: private state and helpers then minify to one-letter names. */
export function createConnection(
  options: ReverbClientOptions,
  timers: TimerProvider,
  onConnected: (socketId: string) => void,
  /** The connected socket is gone (closed, timed out or `disconnect()`ed). */
  onDisconnected: () => void,
  onMessage: (message: ServerMessage) => void,
): Connection {
  const store = createStore<ConnectionSnapshot>(IDLE_CONNECTION);
  const { update, getSnapshot } = store;
  const { url, pongTimeout = PONG_TIMEOUT_MS, activityTimeout = CLIENT_ACTIVITY_TIMEOUT_MS } = options;
  let step: Step | undefined;
  let stepTimer: unknown;
  /** The `unavailable` clock: runs while connecting or reconnecting. */
  let unavailableTimer: unknown;
  let socket: WebSocketLike | null = null;
  /** Starts true with `forceTLS`, port 443 or a `wss:` url; true for good after a 4000 close (wss only). */
  let tls =
    options.forceTLS ?? (url ? url.startsWith('wss:') : +options.port! === 443 || !!options.broadcaster);
  /** Our cap, shortened by the server's `activity_timeout`. */
  let activityMs = activityTimeout;
  let removeHints: (() => void) | null = null;
  const state = (): ConnectionStatus => getSnapshot().state;
  const connected = () => state() === 'connected';

  function connect(): void {
    // The hints are listened to exactly from `connect()` until `halt()`: while connecting or connected.
    if (removeHints) return;
    removeHints = listenForHints(check);
    update({ ...FRESH, state: 'connecting' });
    watchUnavailable();
    open();
  }

  function send(frame: string): boolean {
    if (!connected() || socket?.readyState !== OPEN) return false;
    socket.send(frame);
    return true;
  }

  /**
   * A hint that the network changed (online, tab visible again, offline): retry now if waiting, or
   * prove the connected socket is alive with a ping.
   */
  function check(): void {
    if (step === 'retry') {
      cancelStep();
      open();
    } else if (connected()) ping();
  }

  function open(): void {
    const Socket = (options.WebSocket ?? globalThis.WebSocket) as WebSocketConstructor | undefined;
    update({ nextRetryAt: null });
    if (!Socket) {
      halt('failed', { code: null, message: 'No WebSocket: pass options.WebSocket' });
      return;
    }
    let opened: WebSocketLike;
    try {
      opened = new Socket(socketUrl(options, tls));
    } catch (error) {
      lost(null, `Cannot open the socket: ${(error as Error).message}`);
      return;
    }
    socket = opened;
    opened.onmessage = (event) => {
      try {
        receive(event.data as string);
      } catch {
        // A frame whose fields are not what the protocol says (a non-conforming server) is dropped here,
        // so bad input never throws out of the socket's handler. Listener errors never get this far:
        // listeners.ts reports them on their own.
      }
    };
    opened.onclose = (event) => lost(event.code, event.reason || `Closed with code ${event.code}`);
    // A no-op (an error is always followed by a close, which carries the code we act on), kept after the
    // socket is dropped, not nulled: `ws` in Node answers close() on a still-connecting socket with an
    // error event ("closed before the connection was established"), which an EventEmitter throws when
    // nobody listens.
    opened.onerror = () => {};
    schedule('handshake', CONNECTION_TIMEOUT_MS, () => lost(null, 'No connection_established in time'));
  }

  function receive(frame: string): void {
    // Any frame proves the socket alive: the pong wait (if any) ends and the activity clock restarts.
    if (connected()) armActivity();
    // Read as it came, with `data` by the receivers' rule (docs/protocol.md §2): the handlers treat every
    // field as unknown, and a frame whose fields are not what the protocol says (a non-conforming server)
    // throws in one of them and is dropped by the socket handler, as one that is not JSON is here.
    const message = JSON.parse(frame) as ServerMessage & { data: unknown };
    message.data = parseData(message.data);
    switch (message.event) {
      case CONNECTION_ESTABLISHED:
        established((message as ConnectionEstablishedMessage).data);
        return;
      case PING:
        send(encodeClientFrame({ event: PONG }));
        return;
      case PONG:
        return;
      case SESSION_REPLACED:
        // Ours is channel-less (docs/protocol.md §11.2); with a channel it is some app's event on another server.
        if (!(message as { channel?: string }).channel) {
          replaced();
          return;
        }
        break;
      case ERROR: {
        const { code, message: text } = (message as ErrorMessage).data;
        // During the handshake the frame announces the close that follows: act on it now (as pusher-js does).
        if (!connected() && typeof code === 'number' && code >= 4000) {
          lost(code, text);
          return;
        }
        update({ lastError: { code, message: text } });
      }
    }
    if (connected()) onMessage(message);
  }

  function established(data: ConnectionEstablishedMessage['data']): void {
    // Nothing was checked on the way in: without a socket id there is no connection.
    if (connected() || typeof data.socket_id !== 'string') return;
    stopUnavailable();
    const serverMs = data.activity_timeout * 1000;
    activityMs = serverMs > 0 ? Math.min(activityTimeout, serverMs) : activityTimeout;
    update({ ...FRESH, state: 'connected', socketId: data.socket_id });
    armActivity();
    onConnected(data.socket_id);
  }

  /** Without a connection for this long, the state says `unavailable` (attempts go on). */
  function watchUnavailable(): void {
    unavailableTimer = timers.setTimeout(() => update({ state: 'unavailable' }), UNAVAILABLE_TIMEOUT_MS);
  }

  /** After `activityMs` without a frame, ping; the pong timer then waits for any frame. */
  function armActivity(): void {
    schedule('activity', activityMs, ping);
  }

  function ping(): void {
    if (step === 'pong') return;
    send(encodeClientFrame({ event: PING }));
    schedule('pong', pongTimeout, () => lost(PONG_NOT_RECEIVED, `No pong within ${pongTimeout} ms`));
  }

  /** Drops the socket and applies the close-code policy. `code` null: no code (timeout, open failure). */
  function lost(code: number | null, message: string): void {
    const lastError: ConnectionError = { code, message };
    // No code (a timeout, a socket that would not open) reads as 0: retried shortly, as codes below 1000 are.
    const policy = reconnectPolicyFor(code ?? 0);
    if (policy === 'stop') {
      halt(code === SESSION_REPLACED_CODE ? 'replaced' : 'failed', lastError);
      return;
    }
    const wasConnected = dropSocket();
    if (code === SSL_ONLY) tls = true;
    const attempt = getSnapshot().attempt + 1;
    // Back-off with jitter: 1 s, 2 s, 4 s … capped at 30 s, each stretched by up to half again at random so
    // clients dropped together don't return together; never below 1 s, which is what 4100–4199 ask for.
    const delay =
      policy === 'now' && attempt === 1
        ? 0
        : Math.round(Math.min(MAX_RETRY_DELAY_MS, 1000 * 2 ** (attempt - 1)) * (1 + Math.random() / 2));
    update({
      state: state() === 'unavailable' ? 'unavailable' : 'reconnecting',
      socketId: null,
      attempt,
      nextRetryAt: timers.now() + delay,
      lastError,
    });
    schedule('retry', delay, open);
    // While connecting the `unavailable` clock runs already (or has run out); it stopped when we connected.
    if (wasConnected) {
      watchUnavailable();
      onDisconnected();
    }
  }

  /** The terminal state of docs/protocol.md §11.2 (a newer sign-in replaced this session), as the close 4010. */
  function replaced(message = 'Session replaced'): void {
    lost(SESSION_REPLACED_CODE, message);
  }

  /** Stops every timer and socket and settles in a terminal state; `replaced` is left only by `connect()`. */
  function halt(next: 'disconnected' | 'failed' | 'replaced', lastError: ConnectionError | null): void {
    if (state() === 'replaced') return;
    const connected = dropSocket();
    stopUnavailable();
    removeHints?.();
    removeHints = null;
    update({ state: next, socketId: null, nextRetryAt: null, lastError });
    if (connected) onDisconnected();
  }

  /** Detaches and closes the current socket; true when it was connected. */
  function dropSocket(): boolean {
    const wasConnected = connected();
    const dropped = socket;
    socket = null;
    cancelStep();
    if (dropped) {
      dropped.onmessage = dropped.onclose = null;
      try {
        dropped.close(1000);
      } catch {
        // Already closing: nothing to do.
      }
    }
    return wasConnected;
  }

  function schedule(next: Step, ms: number, run: () => void): void {
    cancelStep();
    step = next;
    stepTimer = timers.setTimeout(() => {
      step = undefined;
      run();
    }, ms);
  }

  // Clearing a timer that already ran (or none) does nothing.
  function cancelStep(): void {
    timers.clearTimeout(stepTimer);
    step = undefined;
  }

  function stopUnavailable(): void {
    timers.clearTimeout(unavailableTimer);
  }

  return {
    store,
    connect,
    disconnect: () => halt('disconnected', getSnapshot().lastError),
    sessionReplaced: replaced,
    send,
  };
}

/**
 * `online`, `offline` and `visibilitychange` where the platform has them (browsers, workers for the
 * first two); nothing in Node. Looked up when connecting, never at module scope.
 */
function listenForHints(check: () => void): () => void {
  const doc = (globalThis as { document?: Document }).document;
  const visible = () => {
    if (doc?.visibilityState === 'visible') check();
  };
  const listen = (method: 'addEventListener' | 'removeEventListener') => {
    const on = (target: unknown, type: string, listener: () => void) =>
      (target as Partial<Record<typeof method, (type: string, listener: () => void) => void>> | undefined)?.[
        method
      ]?.(type, listener);
    on(globalThis, 'online', check);
    on(globalThis, 'offline', check);
    on(doc, 'visibilitychange', visible);
  };
  listen('addEventListener');
  return () => listen('removeEventListener');
}
