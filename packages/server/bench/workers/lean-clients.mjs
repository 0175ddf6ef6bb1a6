// A subscriber process that reads cheaply, for throughput runs where the subscribers, not the server,
// would otherwise be what is measured: on 2 cores, `clients.mjs` (a `ws` WebSocket per connection,
// every frame parsed twice as JSON) spends more CPU per delivery than the server. Here each connection
// is a bare TCP socket after a hand-made WebSocket handshake; frames are walked by their headers, a
// bench event is recognised by its first bytes and its send time read by position, and only other
// frames (connection_established, subscription_succeeded, pusher:ping, errors) are parsed as JSON.
// Public channels only. Speaks the same IPC commands as clients.mjs for what the fan-out scenarios
// use (`open`, `reset`, `stats`, `close`), plus `reportTo` / `stopReporting` (acks.mjs).
import { randomBytes } from 'node:crypto';
import { createConnection } from 'node:net';
import { encodeClientMessage, InternalEvent, PusherEvent } from '@react-reverb/core/protocol';
import { BENCH_EVENT, nowUs } from '../bench-events.mjs';
import { Histogram } from '../stats.mjs';
import { DeliveryReporter } from './acks.mjs';
import { serveCommands } from './ipc.mjs';
import { localAddressOf, openAll } from './lanes.mjs';

const BENCH_PREFIX = Buffer.from(`{"event":"${BENCH_EVENT}"`);
/** The send time inside the event's data string, which the frame carries JSON-escaped. */
const TIME_MARK = Buffer.from('\\"t\\":');
const OP_TEXT = 0x1;
const OP_CLOSE = 0x8;
const OP_PING = 0x9;
const OP_PONG = 0xa;

/**
 * A masked client frame (RFC 6455 §5.3: clients must mask; an all-zero key leaves the payload as is).
 * @param {number} opcode @param {Buffer} payload
 */
function clientFrame(opcode, payload) {
  const length = payload.length;
  const header =
    length < 126
      ? Buffer.from([0x80 | opcode, 0x80 | length, 0, 0, 0, 0])
      : Buffer.from([0x80 | opcode, 0x80 | 126, length >> 8, length & 0xff, 0, 0, 0, 0]);
  return Buffer.concat([header, payload]);
}

/**
 * The publisher's send time (µs) in a bench event's frame, read from its digits; 0 if absent.
 * @param {Buffer} buf @param {number} start @param {number} end
 */
function sendTime(buf, start, end) {
  const mark = buf.indexOf(TIME_MARK, start);
  if (mark < 0 || mark >= end) return 0;
  let value = 0;
  for (let i = mark + TIME_MARK.length; i < end; i++) {
    const digit = /** @type {number} */ (buf[i]) - 48;
    if (digit < 0 || digit > 9) break;
    value = value * 10 + digit;
  }
  return value;
}

const PONG_FRAME = clientFrame(
  OP_TEXT,
  Buffer.from(encodeClientMessage({ event: PusherEvent.Pong, data: {} })),
);

let received = 0;
let latency = new Histogram();
/** @type {Record<string, number>} */
let serverErrors = {};
let closedAfterReady = 0;
/** @type {DeliveryReporter | undefined} */
let reporter;
/** @type {LeanConnection[]} */
const conns = [];

class LeanConnection {
  /**
   * @param {URL} url
   * @param {string[]} channels
   * @param {string | undefined} localAddress
   * @param {number} timeoutMs
   * @param {(error: string | undefined) => void} settle
   */
  constructor(url, channels, localAddress, timeoutMs, settle) {
    this.channels = channels;
    this.pending = channels.length;
    this.ready = false;
    this.upgraded = false;
    /** Bench events since the last reset. */
    this.got = 0;
    /** Bytes of an unfinished frame (or handshake) from the previous read. */
    this.carry = Buffer.alloc(0);
    this.settle = settle;
    this.timer = setTimeout(() => this.done('timeout'), timeoutMs);
    this.socket = createConnection({
      host: url.hostname,
      port: Number(url.port),
      ...(localAddress ? { localAddress } : {}),
    });
    this.socket.setNoDelay(true);
    this.socket.on('connect', () => {
      const key = randomBytes(16).toString('base64');
      this.socket.write(
        `GET ${url.pathname}${url.search} HTTP/1.1\r\nHost: ${url.host}\r\nUpgrade: websocket\r\n` +
          `Connection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
    });
    this.socket.on('data', (chunk) => this.read(chunk));
    this.socket.on('error', (error) => this.done(`error: ${error.message}`));
    this.socket.on('close', () => {
      if (this.ready) closedAfterReady += 1;
      this.done('closed');
    });
  }

  /** @param {string | undefined} error */
  done(error) {
    const settle = this.settle;
    if (!settle) return;
    this.settle = undefined;
    clearTimeout(this.timer);
    if (error === undefined) {
      this.ready = true;
      conns.push(this);
    } else {
      this.socket.destroy();
    }
    settle(error);
  }

  /** @param {Buffer} chunk */
  read(chunk) {
    let buf = this.carry.length > 0 ? Buffer.concat([this.carry, chunk]) : chunk;
    if (!this.upgraded) {
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        this.carry = buf;
        return;
      }
      if (!buf.subarray(0, 12).toString('latin1').includes(' 101')) {
        this.done(`handshake: ${buf.subarray(0, Math.min(end, 120)).toString('latin1')}`);
        return;
      }
      this.upgraded = true;
      buf = buf.subarray(end + 4);
    }
    let at = 0;
    /** One clock reading per read: its frames arrived together. */
    let now = 0;
    while (buf.length - at >= 2) {
      const opcode = /** @type {number} */ (buf[at]) & 0x0f;
      let length = /** @type {number} */ (buf[at + 1]) & 0x7f;
      let start = at + 2;
      if (length === 126) {
        if (buf.length - at < 4) break;
        length = buf.readUInt16BE(at + 2);
        start = at + 4;
      } else if (length === 127) {
        if (buf.length - at < 10) break;
        length = Number(buf.readBigUInt64BE(at + 2));
        start = at + 10;
      }
      const end = start + length;
      if (end > buf.length) break;
      if (opcode === OP_TEXT) {
        if (buf.compare(BENCH_PREFIX, 0, BENCH_PREFIX.length, start, start + BENCH_PREFIX.length) === 0) {
          received += 1;
          this.got += 1;
          reporter?.got(this.got);
          const sent = sendTime(buf, start, end);
          if (sent > 0) {
            if (now === 0) now = nowUs();
            latency.record(now - sent);
          }
        } else {
          this.message(buf.toString('utf8', start, end));
        }
      } else if (opcode === OP_PING) {
        this.socket.write(clientFrame(OP_PONG, Buffer.from(buf.subarray(start, end))));
      } else if (opcode === OP_CLOSE) {
        this.socket.end();
      }
      at = end;
    }
    this.carry = at < buf.length ? Buffer.from(buf.subarray(at)) : Buffer.alloc(0);
  }

  /** Any frame but a bench event. @param {string} text */
  message(text) {
    /** @type {{ event?: string, data?: unknown }} */
    let msg;
    try {
      msg = JSON.parse(text);
    } catch {
      serverErrors['invalid-json'] = (serverErrors['invalid-json'] ?? 0) + 1;
      return;
    }
    switch (msg.event) {
      case PusherEvent.ConnectionEstablished:
        if (this.pending === 0) this.done(undefined);
        for (const channel of this.channels) {
          this.send(encodeClientMessage({ event: PusherEvent.Subscribe, data: { channel } }));
        }
        return;
      case InternalEvent.SubscriptionSucceeded:
        this.pending -= 1;
        if (this.pending === 0) this.done(undefined);
        return;
      case PusherEvent.Ping:
        this.socket.write(PONG_FRAME);
        return;
      case PusherEvent.Error:
      case PusherEvent.SubscriptionError: {
        const key = `${msg.event}:${JSON.stringify(msg.data).slice(0, 40)}`;
        serverErrors[key] = (serverErrors[key] ?? 0) + 1;
        if (!this.ready) this.done(`${msg.event} ${JSON.stringify(msg.data)}`);
        return;
      }
    }
  }

  /** @param {string} text */
  send(text) {
    this.socket.write(clientFrame(OP_TEXT, Buffer.from(text)));
  }
}

const handlers = {
  /**
   * @param {{ url: string, specs: { channels: string[] }[], concurrency: number, timeoutMs: number,
   *   localAddresses?: string[] }} args
   */
  async open(args) {
    const url = new URL(args.url);
    if (
      args.specs.some((spec) =>
        spec.channels.some((c) => c.startsWith('private-') || c.startsWith('presence-')),
      )
    ) {
      throw new Error('lean clients subscribe to public channels only');
    }
    return openAll(
      args.specs,
      args.concurrency,
      (spec, index) =>
        new Promise((settle) => {
          new LeanConnection(
            url,
            spec.channels,
            localAddressOf(args.localAddresses, index),
            args.timeoutMs,
            settle,
          );
        }),
    );
  },

  reset() {
    received = 0;
    latency = new Histogram();
    serverErrors = {};
    closedAfterReady = 0;
    for (const conn of conns) conn.got = 0;
    return {};
  },

  stats() {
    return {
      connections: conns.length,
      received,
      positioned: 0,
      latency: latency.toJSON(),
      serverErrors,
      closedAfterReady,
      membersAdded: 0,
    };
  },

  /**
   * Reports to the publisher's port (acks.mjs) each count of events that every connection of this
   * process on `channel` has reached; none when this process holds none of them.
   * @param {{ port: number, channel: string }} args
   */
  reportTo(args) {
    reporter?.close();
    const connections = conns.filter((c) => c.channels.includes(args.channel)).length;
    reporter = connections > 0 ? new DeliveryReporter(args.port, connections) : undefined;
    return { connections };
  },

  stopReporting() {
    reporter?.close();
    reporter = undefined;
    return {};
  },

  close() {
    for (const conn of conns) {
      conn.ready = false; // an intended close is not counted as closedAfterReady
      conn.socket.destroy();
    }
    conns.length = 0;
    return {};
  },
};

serveCommands(handlers);
