// A client process: holds many raw WebSocket connections, subscribes them, and measures what
// arrives. Driven over IPC by bench/pool.mjs: each message `{id, cmd, args}` gets `{id, ok, result}`.
// It exits when the parent goes away, so a killed run leaves no clients behind.
import { encodeClientMessage, InternalEvent, PusherEvent } from '@react-reverb/core/protocol';
import { signChannel } from '@react-reverb/core/signing';
import WebSocket from 'ws';
import { BENCH_EVENT, nowUs, WHISPER_EVENT, WHISPER_REPLY_EVENT } from '../bench-events.mjs';
import { Histogram } from '../stats.mjs';
import { serveCommands } from './ipc.mjs';
import { localAddressOf, openAll } from './lanes.mjs';
import { payloadOf } from './payload.mjs';

/**
 * @typedef {{ channels: string[], user?: { id: string, info?: unknown }, role?: 'sender' | 'probe' }} ConnSpec
 * @typedef {{
 *   ws: WebSocket, spec: ConnSpec, socketId: string, ready: boolean, pingTimer?: NodeJS.Timeout,
 *   onPong?: () => void, onReply?: (s: number) => void
 * }} Conn
 */

/** @type {Conn[]} */
const conns = [];
/** @type {{ id: string, key: string, secret: string } | undefined} */
let app;

const PING_FRAME = encodeClientMessage({ event: PusherEvent.Ping, data: {} });
const PONG_FRAME = encodeClientMessage({ event: PusherEvent.Pong, data: {} });

let received = 0;
/** Received bench events that carried a stream position (§11.1: the channel keeps history). */
let positioned = 0;
let latency = new Histogram();
/** @type {Record<string, number>} */
let serverErrors = {};
let closedAfterReady = 0;
let membersAdded = 0;
/** When set, whispers named WHISPER_EVENT are echoed back as WHISPER_REPLY_EVENT. */
let echo = false;

/** @param {string} key */
function countError(key) {
  serverErrors[key] = (serverErrors[key] ?? 0) + 1;
}

/**
 * @param {Conn} conn
 * @param {{ event?: string, channel?: string, data?: unknown }} msg
 */
function onChannelEvent(conn, msg) {
  const payload = payloadOf(msg.data);
  if (msg.event === BENCH_EVENT || msg.event === WHISPER_EVENT) {
    received += 1;
    if ('offset' in msg) positioned += 1;
    if (typeof payload.t === 'number') latency.record(nowUs() - payload.t);
    if (echo && msg.event === WHISPER_EVENT && msg.channel) {
      conn.ws.send(encodeClientMessage({ event: WHISPER_REPLY_EVENT, channel: msg.channel, data: payload }));
    }
  } else if (msg.event === WHISPER_REPLY_EVENT) {
    if (typeof payload.s === 'number') conn.onReply?.(payload.s);
  }
}

/**
 * Opens one connection and subscribes it to its channels.
 * @param {string} url
 * @param {ConnSpec} spec
 * @param {string | undefined} localAddress
 * @param {number} timeoutMs
 * @returns {Promise<string | undefined>} an error text, or undefined once every subscription succeeded
 */
function openOne(url, spec, localAddress, timeoutMs) {
  return new Promise((settle) => {
    /** @type {import('ws').ClientOptions} */
    const options = { perMessageDeflate: false, handshakeTimeout: timeoutMs };
    if (localAddress) options.localAddress = localAddress;
    const ws = new WebSocket(url, options);
    /** @type {Conn} */
    const conn = { ws, spec, socketId: '', ready: false };
    let pending = spec.channels.length;
    let settled = false;
    /** @param {string | undefined} error */
    const done = (error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error === undefined) {
        conn.ready = true;
        conns.push(conn);
      } else {
        ws.terminate();
      }
      settle(error);
    };
    const timer = setTimeout(() => done('timeout'), timeoutMs);
    ws.on('error', (error) => done(`error: ${error.message}`));
    ws.on('close', (code) => {
      if (conn.ready) closedAfterReady += 1;
      clearInterval(conn.pingTimer);
      done(`closed ${code}`);
    });
    ws.on('message', (raw) => {
      /** @type {{ event?: string, channel?: string, data?: unknown }} */
      let msg;
      try {
        msg = JSON.parse(raw.toString());
      } catch {
        countError('invalid-json');
        return;
      }
      switch (msg.event) {
        case PusherEvent.ConnectionEstablished: {
          conn.socketId = String(payloadOf(msg.data).socket_id ?? '');
          if (pending === 0) done(undefined);
          for (const channel of spec.channels) ws.send(subscribeFrame(conn, channel));
          return;
        }
        case InternalEvent.SubscriptionSucceeded:
          pending -= 1;
          if (pending === 0) done(undefined);
          return;
        case PusherEvent.Pong:
          conn.onPong?.();
          return;
        case PusherEvent.Ping:
          ws.send(PONG_FRAME);
          return;
        case PusherEvent.Error:
        case PusherEvent.SubscriptionError: {
          const data = /** @type {{ code?: unknown, status?: unknown }} */ (payloadOf(msg.data));
          countError(`${msg.event}:${String(data.code ?? data.status ?? '')}`);
          if (!conn.ready) done(`${msg.event} ${JSON.stringify(msg.data)}`);
          return;
        }
        case InternalEvent.MemberAdded:
          membersAdded += 1;
          return;
        default:
          onChannelEvent(conn, msg);
      }
    });
  });
}

/** @param {Conn} conn @param {string} channel */
function subscribeFrame(conn, channel) {
  if (!channel.startsWith('private-') && !channel.startsWith('presence-')) {
    return encodeClientMessage({ event: PusherEvent.Subscribe, data: { channel } });
  }
  if (!app) throw new Error('no app secret: call open with app');
  const channelData = channel.startsWith('presence-')
    ? JSON.stringify({ user_id: conn.spec.user?.id ?? conn.socketId, user_info: conn.spec.user?.info ?? {} })
    : undefined;
  const auth = signChannel({
    key: app.key,
    secret: app.secret,
    socketId: conn.socketId,
    channel,
    channelData,
  });
  return encodeClientMessage({
    event: PusherEvent.Subscribe,
    data: channelData === undefined ? { channel, auth } : { channel, auth, channel_data: channelData },
  });
}

const handlers = {
  /**
   * @param {{ url: string, app: { id: string, key: string, secret: string }, specs: ConnSpec[],
   *   concurrency: number, timeoutMs: number, localAddresses?: string[] }} args
   */
  async open(args) {
    app = args.app;
    return openAll(args.specs, args.concurrency, (spec, index) =>
      openOne(args.url, spec, localAddressOf(args.localAddresses, index), args.timeoutMs),
    );
  },

  reset() {
    received = 0;
    positioned = 0;
    latency = new Histogram();
    serverErrors = {};
    closedAfterReady = 0;
    membersAdded = 0;
    return {};
  },

  stats() {
    return {
      connections: conns.length,
      received,
      positioned,
      latency: latency.toJSON(),
      serverErrors,
      closedAfterReady,
      membersAdded,
    };
  },

  /**
   * Every connection but the probe sends `pusher:ping` every `intervalMs`, phases spread.
   * @param {{ intervalMs: number }} args
   */
  startPings(args) {
    conns.forEach((conn) => {
      if (conn.spec.role === 'probe') return;
      const phase = Math.random() * args.intervalMs;
      setTimeout(() => {
        if (conn.ws.readyState !== WebSocket.OPEN) return;
        conn.pingTimer = setInterval(() => conn.ws.send(PING_FRAME), args.intervalMs);
      }, phase).unref();
    });
    return {};
  },

  stopPings() {
    for (const conn of conns) clearInterval(conn.pingTimer);
    return {};
  },

  /**
   * Ping→pong round trips on the probe connection, one at a time, every `intervalMs` for `durationMs`.
   * @param {{ durationMs: number, intervalMs: number }} args
   */
  async probe(args) {
    const conn = conns.find((c) => c.spec.role === 'probe');
    if (!conn) throw new Error('no connection to probe');
    const rtt = new Histogram();
    let lost = 0;
    const end = performance.now() + args.durationMs;
    while (performance.now() < end) {
      const sent = nowUs();
      const answered = await new Promise((ok) => {
        const timer = setTimeout(() => ok(false), 5000);
        conn.onPong = () => {
          clearTimeout(timer);
          ok(true);
        };
        conn.ws.send(PING_FRAME);
      });
      if (answered) rtt.record(nowUs() - sent);
      else lost += 1;
      await new Promise((ok) => setTimeout(ok, args.intervalMs));
    }
    conn.onPong = undefined;
    return { rtt: rtt.toJSON(), lost };
  },

  /** @param {{ on: boolean }} args */
  echo(args) {
    echo = args.on;
    return {};
  },

  /**
   * Whisper round trips from every sender connection (on its first channel) at once, each sender
   * one at a time: send WHISPER_EVENT, wait for the echoing peer's WHISPER_REPLY_EVENT. Sends are at
   * least `minIntervalMs` apart per connection, under the protocol's 10 client events/s.
   * @param {{ count: number, maxMs: number, minIntervalMs: number }} args
   */
  async roundTrips(args) {
    const senders = conns.filter((c) => c.spec.role === 'sender');
    if (senders.length === 0) throw new Error('no sender connection for round trips');
    const rtt = new Histogram();
    let lost = 0;
    const end = performance.now() + args.maxMs;
    /** @param {Conn} conn */
    const run = async (conn) => {
      const channel = /** @type {string} */ (conn.spec.channels[0]);
      for (let s = 0; s < args.count && performance.now() < end; s++) {
        const t = nowUs();
        const answered = await new Promise((ok) => {
          const timer = setTimeout(() => ok(false), 2000);
          conn.onReply = (seq) => {
            if (seq !== s) return;
            clearTimeout(timer);
            ok(true);
          };
          conn.ws.send(encodeClientMessage({ event: WHISPER_EVENT, channel, data: { t, s } }));
        });
        if (answered) rtt.record(nowUs() - t);
        else lost += 1;
        const wait = args.minIntervalMs - (nowUs() - t) / 1000;
        if (wait > 0) await new Promise((ok) => setTimeout(ok, wait));
      }
      conn.onReply = undefined;
    };
    await Promise.all(senders.map(run));
    return { rtt: rtt.toJSON(), lost };
  },

  /**
   * Every sender connection sends `perSecond` whispers on its first channel for `durationMs`,
   * evenly spaced, phases spread. Returns how many went out.
   * @param {{ perSecond: number, durationMs: number }} args
   */
  async whisper(args) {
    const senders = conns.filter((c) => c.spec.role === 'sender');
    const interval = 1000 / args.perSecond;
    let sent = 0;
    let s = 0;
    /** @type {NodeJS.Timeout[]} */
    const timers = [];
    for (const conn of senders) {
      const channel = conn.spec.channels[0];
      if (!channel) continue;
      const start = setTimeout(() => {
        const send = () => {
          if (conn.ws.readyState !== WebSocket.OPEN) return;
          conn.ws.send(encodeClientMessage({ event: WHISPER_EVENT, channel, data: { t: nowUs(), s: s++ } }));
          sent += 1;
        };
        send();
        timers.push(setInterval(send, interval));
      }, Math.random() * interval);
      timers.push(start);
    }
    await new Promise((ok) => setTimeout(ok, args.durationMs));
    for (const timer of timers) {
      clearTimeout(timer);
      clearInterval(timer);
    }
    return { sent };
  },

  close() {
    for (const conn of conns) {
      clearInterval(conn.pingTimer);
      conn.ready = false; // an intended close is not counted as closedAfterReady
      // A reset, not a FIN: a closed socket bound to a local address (connections-50k's loopback aliases) sits
      // in TIME_WAIT for 60 s holding its port, and Linux gives no such port to a plain connect() meanwhile:
      // the next scenario's 10,000 connections failed with EADDRNOTAVAIL. A reset leaves no TIME_WAIT.
      const socket = conn.ws._socket;
      if (typeof socket?.resetAndDestroy === 'function') socket.resetAndDestroy();
      else conn.ws.terminate();
    }
    conns.length = 0;
    return {};
  },
};

// The parent stops a worker by going away (workers/ipc.mjs exits then): the connections still open are reset
// first, not left to the kernel's FIN at exit (see `close`). Registered before serveCommands' exit.
process.on('disconnect', () => handlers.close());
serveCommands(handlers);
