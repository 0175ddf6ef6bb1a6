// A client process of the recovery scenario: raw WebSocket connections, each subscribed to its own
// private channel, that reconnect after a cut and subscribe again. With `mode: 'recover'` (our server)
// they do what our client does (docs/protocol.md §11.1, "Our client's rules"): remember the last
// position per channel, send it as `recover` with the previous socket ids, drop any event at or below
// it, and report a gap when the answer says `recovered: false`. With `mode: 'plain'` (soketi, which
// has no history) they resubscribe as pusher-js does. Either way they count what the app would see:
// each event of the channel once (`n`, numbered per channel by the publisher), none missing.
// Driven over IPC by bench/pool.mjs like workers/clients.mjs; exits when the parent goes away.
import { InternalEvent, PusherEvent, readStreamPosition } from '@react-reverb/core/protocol';
import { signChannel } from '@react-reverb/core/signing';
import WebSocket from 'ws';
import { BENCH_EVENT, nowUs } from '../bench-events.mjs';
import { Histogram } from '../stats.mjs';
import { serveCommands } from './ipc.mjs';
import { openAll } from './lanes.mjs';
import { payloadOf } from './payload.mjs';

/**
 * @typedef {{ epoch: string, offset: number }} Position
 * @typedef {'recover' | 'plain'} Mode
 */

/** How many previous socket ids `recover` names, at most (§11.1). */
const MAX_SOCKET_IDS = 5;
/** Our client's back-off (packages/core/src/client/connection.ts): at once, then 2 s, 4 s … × 1–1.5. */
const RETRY_CAP_MS = 30_000;

const PONG_FRAME = JSON.stringify({ event: PusherEvent.Pong, data: {} });

/** @type {{ id: string, key: string, secret: string } | undefined} */
let app;
/** @type {Connection[]} */
const conns = [];
let stopping = false;

function freshCounters() {
  return {
    /** Events handed to the app (after the position filter), duplicates included. */
    delivered: 0,
    /** Handed to the app although the app had that `n` already. */
    duplicates: 0,
    /** Dropped by the client because they were at or below its position (sent twice by the server). */
    droppedAtOrBelowPosition: 0,
    /** Sum of `recovery.replayed` in the answers, and replayed events that arrived. */
    replayedAnnounced: 0,
    replayed: 0,
    /** Subscribes after a reconnect, and how many of them asked `recover` and got `recovered: true`. */
    resubscribes: 0,
    recoverAsked: 0,
    recovered: 0,
    /** @type {Record<string, number>} `recovered: false` by reason; `epoch_changed_live`, `offset_hole` */
    gaps: {},
    /** Connections lost after they were open (cuts seen), reconnect attempts that failed, reconnects. */
    cutsSeen: 0,
    failedAttempts: 0,
    reconnects: 0,
    /** @type {Record<string, number>} `pusher:error` / `pusher:subscription_error` by code */
    serverErrors: {},
    /** Live events: send → receive. */
    latency: new Histogram(),
    /** Reconnected socket open → its replay done (the `subscription_succeeded` when nothing was replayed). */
    recoveryMs: new Histogram(),
    /** Connection lost → replay done on the next socket (outage, back-off, reconnect and replay). */
    downMs: new Histogram(),
  };
}
let counters = freshCounters();

/** @param {Record<string, number>} tally @param {string} key */
function bump(tally, key) {
  tally[key] = (tally[key] ?? 0) + 1;
}

class Connection {
  /** @param {string} url @param {string} channel @param {Mode} mode */
  constructor(url, channel, mode) {
    this.url = url;
    this.channel = channel;
    this.mode = mode;
    /** @type {WebSocket | undefined} */
    this.ws = undefined;
    this.socketId = '';
    /** @type {string[]} */
    this.previousSocketIds = [];
    /** The last position seen on the channel (mode `recover`). @type {Position | undefined} */
    this.position = undefined;
    /** Set between `subscription_succeeded` and the last replayed event. */
    /** @type {{ expected: number, received: number, top: Position } | undefined} */
    this.replay = undefined;
    /** Whether the current subscribe sent `recover`. */
    this.asked = false;
    /** The answer reported a gap: the next event may jump past the position without being a hole. */
    this.gapReported = false;
    this.subscribed = false;
    this.everSubscribed = false;
    this.attempt = 0;
    /** When the current socket opened, and when the connection was lost (0 = not down). */
    this.openedAt = 0;
    this.lostAt = 0;
    /** How many times each `n` reached the app; index = n. */
    this.seen = new Uint8Array(64);
    /** @type {((error: string | undefined) => void) | undefined} */
    this.onFirstSubscribe = undefined;
  }

  /** Resolves when first subscribed (undefined) or failed (the error). @param {number} timeoutMs */
  start(timeoutMs) {
    return /** @type {Promise<string | undefined>} */ (
      new Promise((settle) => {
        const timer = setTimeout(() => finish('timeout'), timeoutMs);
        /** @param {string | undefined} error */
        const finish = (error) => {
          if (!this.onFirstSubscribe) return;
          this.onFirstSubscribe = undefined;
          clearTimeout(timer);
          settle(error);
        };
        this.onFirstSubscribe = finish;
        this.open();
      })
    );
  }

  open() {
    const ws = new WebSocket(this.url, { perMessageDeflate: false, handshakeTimeout: 10_000 });
    this.ws = ws;
    let opened = false;
    ws.on('open', () => {
      opened = true;
      this.openedAt = performance.now();
    });
    ws.on('error', () => {}); // 'close' follows and reconnects
    ws.on('message', (raw) => this.onFrame(raw.toString()));
    ws.on('close', () => {
      if (stopping) return;
      if (!this.everSubscribed) {
        this.onFirstSubscribe?.('closed before the first subscription');
        return;
      }
      this.subscribed = false;
      this.replay = undefined;
      if (opened) {
        counters.cutsSeen += 1;
        if (!this.lostAt) this.lostAt = performance.now();
        if (this.socketId)
          this.previousSocketIds = [...this.previousSocketIds, this.socketId].slice(-MAX_SOCKET_IDS);
        this.socketId = '';
      } else {
        counters.failedAttempts += 1;
      }
      this.attempt += 1;
      const delay =
        this.attempt === 1
          ? 0
          : Math.round(Math.min(RETRY_CAP_MS, 1000 * 2 ** (this.attempt - 1)) * (1 + Math.random() / 2));
      setTimeout(() => {
        if (!stopping) this.open();
      }, delay);
    });
  }

  /** @param {string} raw */
  onFrame(raw) {
    /** @type {Record<string, unknown>} */
    let msg;
    try {
      msg = JSON.parse(raw);
    } catch {
      bump(counters.serverErrors, 'invalid-json');
      return;
    }
    switch (msg.event) {
      case PusherEvent.ConnectionEstablished:
        this.socketId = String(payloadOf(msg.data).socket_id ?? '');
        this.attempt = 0;
        this.ws?.send(this.subscribeFrame());
        return;
      case InternalEvent.SubscriptionSucceeded:
        this.onSubscribed(payloadOf(msg.data));
        return;
      case PusherEvent.Ping:
        this.ws?.send(PONG_FRAME);
        return;
      case PusherEvent.Error:
      case PusherEvent.SubscriptionError: {
        const data = /** @type {{ code?: unknown, status?: unknown }} */ (payloadOf(msg.data));
        bump(counters.serverErrors, `${msg.event}:${String(data.code ?? data.status ?? '')}`);
        if (msg.event === PusherEvent.SubscriptionError) this.onFirstSubscribe?.(`${msg.event} ${raw}`);
        return;
      }
      case BENCH_EVENT:
        this.onEvent(msg);
        return;
      default:
    }
  }

  subscribeFrame() {
    if (!app) throw new Error('no app secret: call open with app');
    const auth = signChannel({
      key: app.key,
      secret: app.secret,
      socketId: this.socketId,
      channel: this.channel,
    });
    /** @type {Record<string, unknown>} */
    const data = { channel: this.channel, auth };
    this.asked = this.mode === 'recover' && this.position !== undefined;
    if (this.asked && this.position) {
      data.recover = {
        epoch: this.position.epoch,
        offset: this.position.offset,
        socket_ids: this.previousSocketIds,
      };
    }
    return JSON.stringify({ event: PusherEvent.Subscribe, data });
  }

  /** @param {Record<string, unknown>} data */
  onSubscribed(data) {
    const reconnect = this.everSubscribed;
    this.everSubscribed = true;
    if (reconnect) counters.resubscribes += 1;
    const stream = this.mode === 'recover' ? readStreamPosition(data.stream) : undefined;
    const recovery =
      /** @type {{ recovered?: unknown, replayed?: unknown, reason?: unknown } | undefined} */ (
        data.recovery
      );
    const replayed = typeof recovery?.replayed === 'number' ? recovery.replayed : 0;
    if (this.asked) {
      counters.recoverAsked += 1;
      counters.replayedAnnounced += replayed;
      if (recovery?.recovered === true) counters.recovered += 1;
      else bump(counters.gaps, typeof recovery?.reason === 'string' ? recovery.reason : 'no_answer');
      this.gapReported = recovery?.recovered !== true;
    }
    if (stream) {
      // A fresh subscribe stands at the stream's top; a recover whose epoch is gone takes the new
      // epoch's events from its start (what is replayed is what is kept).
      if (!this.asked) this.position = stream;
      else if (this.position?.epoch !== stream.epoch) this.position = { epoch: stream.epoch, offset: 0 };
      this.replay = { expected: replayed, received: 0, top: stream };
    }
    if (!this.replay || this.replay.expected === 0) this.replayDone(reconnect);
    this.onFirstSubscribe?.(undefined);
  }

  /** @param {boolean} reconnect */
  replayDone(reconnect) {
    const top = this.replay?.top;
    // Events excluded for this client (its own toOthers()) are skipped, not missed: stand at the top.
    if (top && this.position?.epoch === top.epoch && top.offset > this.position.offset) this.position = top;
    this.replay = undefined;
    this.subscribed = true;
    if (reconnect && this.lostAt) {
      const now = performance.now();
      counters.reconnects += 1;
      counters.recoveryMs.record((now - this.openedAt) * 1000);
      counters.downMs.record((now - this.lostAt) * 1000);
      this.lostAt = 0;
    }
  }

  /** @param {Record<string, unknown>} msg */
  onEvent(msg) {
    const position = this.mode === 'recover' ? readStreamPosition(msg) : undefined;
    let replayedEvent = false;
    if (position) {
      const last = this.position;
      if (last && position.epoch === last.epoch && position.offset <= last.offset) {
        counters.droppedAtOrBelowPosition += 1;
        return;
      }
      if (
        this.replay &&
        position.epoch === this.replay.top.epoch &&
        position.offset <= this.replay.top.offset
      ) {
        replayedEvent = true;
      } else if (this.replay) {
        this.replayDone(true); // fewer replayed events than announced: the rest is live
      }
      if (last && position.epoch !== last.epoch && !this.gapReported)
        bump(counters.gaps, 'epoch_changed_live');
      else if (last && position.offset > last.offset + 1 && !this.gapReported)
        bump(counters.gaps, 'offset_hole');
      this.gapReported = false;
      this.position = position;
    }
    this.deliver(payloadOf(msg.data), replayedEvent);
    if (replayedEvent && this.replay) {
      this.replay.received += 1;
      counters.replayed += 1;
      if (this.replay.received >= this.replay.expected) this.replayDone(true);
    }
  }

  /** What the app gets. @param {Record<string, unknown>} payload @param {boolean} replayed */
  deliver(payload, replayed) {
    counters.delivered += 1;
    const n = payload.n;
    if (typeof n === 'number' && Number.isInteger(n) && n > 0) {
      if (n >= this.seen.length) {
        const grown = new Uint8Array(Math.max(n + 1, this.seen.length * 2));
        grown.set(this.seen);
        this.seen = grown;
      }
      if (this.seen[n] ?? 0) counters.duplicates += 1;
      this.seen[n] = Math.min(255, (this.seen[n] ?? 0) + 1);
    } else {
      bump(counters.serverErrors, 'event-without-n');
    }
    if (!replayed && typeof payload.t === 'number') counters.latency.record(nowUs() - payload.t);
  }

  /** Distinct `n` from 1 to `count` the app has seen. @param {number} count */
  distinctUpTo(count) {
    let distinct = 0;
    for (let n = 1; n <= count && n < this.seen.length; n++) if (this.seen[n]) distinct += 1;
    return distinct;
  }
}

const handlers = {
  /**
   * Opens one connection per channel (all at `url`, this process's proxy) and waits until each is
   * subscribed once or failed. From then on they reconnect by themselves until `close`.
   * @param {{ url: string, app: { id: string, key: string, secret: string }, channels: string[],
   *   mode: Mode, concurrency: number, timeoutMs: number }} args
   */
  async open(args) {
    app = args.app;
    stopping = false;
    return openAll(args.channels, args.concurrency, async (channel) => {
      const conn = new Connection(args.url, channel, args.mode);
      const error = await conn.start(args.timeoutMs);
      if (error === undefined) conns.push(conn);
      else conn.ws?.terminate();
      return error;
    });
  },

  reset() {
    counters = freshCounters();
    return {};
  },

  /** Counters so far, and how many connections are subscribed with their replay done. */
  stats() {
    return {
      connections: conns.length,
      subscribed: conns.filter((c) => c.subscribed).length,
      ...counters,
      latency: counters.latency.toJSON(),
      recoveryMs: counters.recoveryMs.toJSON(),
      downMs: counters.downMs.toJSON(),
    };
  },

  /**
   * What the app is missing: for each connection, the events of its channel the publisher had
   * accepted (`expected[channel]`, numbered 1…count) that never reached the app.
   * @param {{ expected: Record<string, number> }} args
   */
  check(args) {
    let expected = 0;
    let distinct = 0;
    for (const conn of conns) {
      const count = args.expected[conn.channel] ?? 0;
      expected += count;
      distinct += conn.distinctUpTo(count);
    }
    return { expected, distinct, lost: expected - distinct };
  },

  close() {
    stopping = true;
    for (const conn of conns) conn.ws?.terminate();
    conns.length = 0;
    return {};
  },
};

serveCommands(handlers);
