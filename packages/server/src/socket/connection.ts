/**
 * One client connection: its state (subscriptions, sign-in, activity), how frames go out, and how it
 * ends. Everything that happens *because* of a frame lives in `dispatch.ts`.
 */
import {
  type ChannelTraits,
  ERROR_CODES,
  ErrorCode,
  type ErrorCodeValue,
  encodeServerMessage,
  Limits,
  PusherEvent,
  type ServerMessage,
  type UserInfo,
} from '@react-reverb/core/protocol';
import { type RawData, WebSocket } from 'ws';
import type { AppConfig } from '../config/config';
import { frameForLog, type ReverbLogger } from '../shared/logger';
import { AppTraffic, type Traffic } from '../shared/traffic';
import { type FrameSink, overBudget, writeText } from './broadcast';
import { RateWindow } from './limits';
import { messageRateWindow } from './rate-limiter';

/** How long a closing peer gets to answer the close handshake. */
const CLOSE_GRACE_MS = 5_000;

/** A presence member as one node counts it: its `user_info` and how many of its connections joined. */
export interface PresenceMember {
  readonly info: UserInfo | undefined;
  connections: number;
}

/**
 * A channel as a connection's subscriptions point at it (the reverse index that makes a disconnect
 * cost O(its channels)). The channel registry's `Channel` (channels/registry.ts) is the one
 * implementation; its shape is written here so the socket layer needs nothing from the layers above.
 */
export interface SubscribedChannel {
  readonly name: string;
  readonly traits: ChannelTraits;
  readonly subscribers: Set<Connection>;
  /**
   * Connections subscribed but not yet among `subscribers`: their answer is being read from the
   * channel's history, and the registry holds their live frames meanwhile (channels/recovery.ts).
   */
  readonly holding: Map<Connection, unknown>;
  /** Presence only: user id → member, in join order. */
  readonly members: Map<string, PresenceMember> | undefined;
}

export interface Subscription {
  readonly channel: SubscribedChannel;
  /** The presence member id this connection joined as. */
  readonly userId: string | undefined;
}

/** A connection's session as the verdicts of scaling/session-verdict.ts read it, with a defined id. */
export interface ConnectionSessionRecord {
  readonly sessionId: string;
  /** The order its claim answered; undefined while the claim is pending. */
  order: number | undefined;
}

export interface ConnectionContext {
  readonly logger: ReverbLogger;
  readonly debug: boolean;
  readonly maxBufferedBytes: number;
  /** Per-app counters for metrics and the dashboard. */
  readonly traffic?: Traffic;
  /** A text frame from the client, to dispatch. */
  readonly onFrame: (conn: Connection, frame: string) => void;
  /** The socket closed: unregister the connection. */
  readonly onClosed: (conn: Connection, code: number) => void;
}

/** Cuts a close reason to the 123 bytes a close frame allows. */
function closeReason(message: string): string {
  const buffer = Buffer.from(message, 'utf8');
  return buffer.length <= Limits.MAX_CLOSE_REASON_BYTES
    ? message
    : buffer
        .subarray(0, Limits.MAX_CLOSE_REASON_BYTES)
        .toString('utf8')
        .replace(/\uFFFD$/, '');
}

/**
 * The socket class the server hands to `ws` (its `WebSocket` option). It carries its Connection and
 * hands the socket's events straight to it: an `EventEmitter` listener costs every socket an `_events`
 * dictionary (about 300 bytes, held for the connection's whole life), and closures would add their
 * scope. Events of a socket with no connection yet (or other listeners) go through `emit` as usual.
 */
export class ClientSocket extends WebSocket {
  connection?: Connection | undefined;

  override emit(event: string | symbol, first?: unknown, second?: unknown): boolean {
    const conn = this.connection;
    if (conn === undefined) return super.emit(event, first, second);
    switch (event) {
      // Frames and control frames: ours alone, no listener check on the per-frame path.
      case 'message':
        conn.receive(first as RawData, second as boolean);
        return true;
      case 'ping':
      case 'pong':
        conn.touch();
        return true;
      case 'error':
        conn.context.logger.debug({ err: first, socketId: conn.socketId }, 'socket error');
        break;
      case 'close':
        this.connection = undefined;
        conn.context.onClosed(conn, first as number);
        break;
    }
    // Others may listen for the rest (shutdown waits for `close`); `error` without one must not throw.
    return this.listenerCount(event) > 0 ? super.emit(event, first, second) : true;
  }
}

export class Connection implements FrameSink {
  closing = false;
  /** The turn of the event loop of its last frame out (socket/turn-writes.ts). */
  writeTurn = 0;
  lastActivityMs: number;
  /** When the activity probe went out; 0 while none is pending. */
  probeSentAtMs = 0;
  readonly subscriptions = new Map<string, Subscription>();
  /** Set by a successful `pusher:signin`. */
  userId: string | undefined;
  /**
   * Single session (docs/protocol.md §11.2): the `session_id` this connection signs in with, set before
   * its claim is sent; `order` stays undefined until the claim answers (see channels/sessions.ts).
   * Undefined for a connection that never signed in with one.
   */
  session: ConnectionSessionRecord | undefined;
  watchlist: readonly string[] = [];
  readonly clientEventRate: RateWindow;
  /** Reverb's limiter of every message (rate-limiter.ts); undefined when the app does not use it. */
  readonly messageRate: RateWindow | undefined;
  /** This app's counters: the hot path only increments them. */
  readonly traffic: AppTraffic;

  constructor(
    readonly ws: ClientSocket,
    readonly socketId: string,
    readonly app: AppConfig,
    readonly context: ConnectionContext,
  ) {
    this.lastActivityMs = Date.now();
    this.clientEventRate = new RateWindow(app.limits.maxClientEventsPerSecond);
    this.messageRate = messageRateWindow(app.rateLimiting);
    this.traffic = context.traffic?.forApp(app.id) ?? new AppTraffic();
    ws.connection = this;
  }

  /** A message from the client: any message proves it alive; text frames go to dispatch. */
  receive(data: RawData, isBinary: boolean): void {
    this.touch();
    this.countIn(Array.isArray(data) ? data.reduce((n, b) => n + b.length, 0) : data.byteLength);
    if (this.closing) return;
    try {
      if (isBinary) {
        this.sendError(ErrorCode.ReconnectImmediately, 'Binary frames are not supported');
        return;
      }
      const frame = Array.isArray(data) ? Buffer.concat(data).toString('utf8') : data.toString('utf8');
      if (this.context.debug) this.logFrame('in', frame);
      this.context.onFrame(this, frame);
    } catch (error) {
      this.context.logger.error({ err: error, socketId: this.socketId }, 'frame handling failed');
    }
  }

  get maxBufferedBytes(): number {
    return this.context.maxBufferedBytes;
  }

  /** Any frame (or control frame) from the client: it is alive. */
  touch(nowMs = Date.now()): void {
    this.lastActivityMs = nowMs;
    this.probeSentAtMs = 0;
  }

  /** Open and not closing: frames may still be written to it. */
  get open(): boolean {
    return !this.closing && this.ws.readyState === this.ws.OPEN;
  }

  send(frame: string): void {
    if (!this.open) return;
    // Replies count too: a client that floods requests and never reads its answers is cut like a
    // slow broadcast reader, instead of buffering answers without bound.
    if (this.overBuffered()) return;
    if (this.context.debug) this.logFrame('out', frame);
    this.traffic.messagesOut++;
    this.traffic.bytesOut += Buffer.byteLength(frame);
    writeText(this, frame);
  }

  /** Counts one received message of `bytes` bytes. */
  countIn(bytes: number): void {
    this.traffic.messagesIn++;
    this.traffic.bytesIn += bytes;
  }

  sendMessage(message: ServerMessage): void {
    this.send(encodeServerMessage(message));
  }

  sendError(code: number, message: string): void {
    this.sendMessage({ event: PusherEvent.Error, data: { code, message } });
  }

  /** §1: a `pusher:error` frame with the code, then the close with the same code and message. */
  close(code: ErrorCodeValue | number, message: string): void {
    if (this.closing) return;
    this.sendError(code, message);
    this.closing = true;
    this.ws.close(code, closeReason(message));
    this.terminateLater();
  }

  /**
   * A peer that never answers the close handshake (dead network, stalled reader) would hold its
   * subscriptions for ws's 30 s close timeout; cut it sooner so the registry frees them.
   */
  private terminateLater(): void {
    setTimeout(() => this.ws.terminate(), CLOSE_GRACE_MS).unref();
  }

  /**
   * The heartbeat (§9), run from the shared tick: after `ping_interval` seconds with nothing received,
   * probe with `pusher:ping` and a ping control frame; if nothing arrives within `ping_interval`
   * seconds more, 4201. (`activity_timeout` is only what clients are told: they ping after it.)
   */
  checkActivity(nowMs: number): void {
    if (this.closing) return;
    if (this.probeSentAtMs === 0) {
      if (nowMs - this.lastActivityMs < this.app.pingInterval * 1000) return;
      this.probeSentAtMs = nowMs;
      this.sendMessage({ event: PusherEvent.Ping, data: {} });
      try {
        this.ws.ping();
      } catch {
        // the socket is already going away; its close event cleans up
      }
    } else if (nowMs - this.probeSentAtMs >= this.app.pingInterval * 1000) {
      this.close(ErrorCode.PongNotReceived, ERROR_CODES[ErrorCode.PongNotReceived].message);
    }
  }

  /** True, and the connection is closing with 4100, when the socket holds too many unsent bytes. */
  overBuffered(): boolean {
    if (!overBudget(this.ws, this.context.maxBufferedBytes)) return false;
    this.overCapacity();
    return true;
  }

  /** Called by broadcasts when this socket holds too many unsent bytes. */
  overCapacity(): void {
    if (this.closing) return;
    this.context.logger.warn(
      { socketId: this.socketId, bufferedAmount: this.ws.bufferedAmount },
      'closing slow connection (4100)',
    );
    this.closing = true;
    this.ws.close(4100, 'Over capacity');
    this.terminateLater();
  }

  logFrame(direction: 'in' | 'out', frame: string): void {
    this.context.logger.debug({
      socketId: this.socketId,
      appId: this.app.id,
      direction,
      frame: frameForLog(frame),
    });
  }
}
