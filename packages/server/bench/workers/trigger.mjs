// A publisher process: triggers bench events through the signed HTTP API (`POST /events`,
// `POST /batch_events`) over persistent connections. Requests are signed with @react-reverb/core/signing
// and sent by the lean client of http-client.mjs: the `pusher` SDK (node-fetch), and even node:http,
// cost as much CPU per request as the server, which on a busy machine measures the client instead.
// Driven over IPC like workers/clients.mjs.
import { encodeClientMessage, InternalEvent, PusherEvent } from '@react-reverb/core/protocol';
import { signHttpRequest } from '@react-reverb/core/signing';
import WebSocket from 'ws';
import { BENCH_EVENT, nowUs } from '../bench-events.mjs';
import { httpPool } from '../http-client.mjs';
import { Histogram } from '../stats.mjs';
import { DeliveryCounter } from './acks.mjs';
import { serveCommands } from './ipc.mjs';
import { closedLoop } from './lanes.mjs';

/**
 * `servers`: several nodes of one cluster, requests spread over them round robin (a load balancer);
 * `server` alone otherwise. `numbered`: each event also carries `n`, its sequence number on its
 * channel (1, 2, 3…), so a receiver can tell which events of the channel it missed or saw twice.
 * @typedef {{ host: string, port: number, app: { id: string, key: string, secret: string } }} ServerRef
 * @typedef {{
 *   server: ServerRef, servers?: ServerRef[], channels: string[], durationMs: number, inflight: number,
 *   rate?: number, batchSize?: number, numbered?: boolean
 * }} RunArgs
 * @typedef {(endpoint: 'events' | 'batch_events', body: unknown) => Promise<void>} Publish
 */

/**
 * A signed POST to the app's HTTP API; rejects on a non-200 answer with its status and body.
 * @param {ServerRef} server
 * @param {number} inflight
 * @returns {Publish}
 */
function client(server, inflight) {
  const pool = httpPool(server.host, server.port, inflight);
  return async (endpoint, payload) => {
    const body = JSON.stringify(payload);
    const path = `/apps/${server.app.id}/${endpoint}`;
    const params = signHttpRequest({
      method: 'POST',
      path,
      body,
      key: server.app.key,
      secret: server.app.secret,
    });
    const answer = await withTimeout(pool.request('POST', `${path}?${new URLSearchParams(params)}`, body));
    if (answer.status !== 200) throw new Error(`HTTP ${answer.status} ${answer.body.slice(0, 200)}`);
  };
}

/**
 * One `Publish` per node, used in turn.
 * @param {ServerRef[]} servers
 * @param {number} inflight
 * @returns {Publish}
 */
function roundRobin(servers, inflight) {
  const clients = servers.map((server) => client(server, Math.ceil(inflight / servers.length)));
  let next = 0;
  return (endpoint, payload) => {
    const publish = /** @type {Publish} */ (clients[next++ % clients.length]);
    return publish(endpoint, payload);
  };
}

/**
 * @template T
 * @param {Promise<T>} promise
 * @returns {Promise<T>}
 */
function withTimeout(promise) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, fail) => {
    timer = setTimeout(() => fail(new Error('no answer in 10 s')), 10_000);
  });
  return /** @type {Promise<T>} */ (Promise.race([promise, timeout])).finally(() => clearTimeout(timer));
}

/** Requests per burst of a paced run: 1 unless the args say `burst`. @param {RunArgs} args */
const burstOf = (args) => Number(/** @type {{ burst?: number }} */ (args).burst ?? 1);

/** @param {number} ms */
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/**
 * Shared bookkeeping of one run: what was sent where, what failed, request latency.
 * @param {string[]} channels
 */
function tally(channels) {
  return {
    sent: 0,
    ok: 0,
    okEvents: 0,
    failed: 0,
    /** @type {string[]} */
    errors: [],
    /** Successful events per channel index: the expected deliveries follow from it. */
    perChannel: new Array(channels.length).fill(0),
    /** Events numbered per channel so far (`numbered`), accepted or not. */
    numberedPerChannel: new Array(channels.length).fill(0),
    requestLatency: new Histogram(),
  };
}

/**
 * One request: a single `POST /events`, or `batch_events` with `batchSize` events.
 * @param {Publish} publish
 * @param {RunArgs} args
 * @param {ReturnType<typeof tally>} t
 * @param {() => number} nextChannel
 */
async function sendOne(publish, args, t, nextChannel) {
  const size = args.batchSize ?? 0;
  const picks = Array.from({ length: Math.max(1, size) }, nextChannel);
  const started = performance.now();
  t.sent += 1;
  const s = t.sent;
  /** @param {number} i */
  const event = (i) => ({
    name: BENCH_EVENT,
    channel: args.channels[i],
    data: JSON.stringify(args.numbered ? { t: nowUs(), s, n: ++t.numberedPerChannel[i] } : { t: nowUs(), s }),
  });
  try {
    if (size > 0) await publish('batch_events', { batch: picks.map(event) });
    else await publish('events', event(picks[0] ?? 0));
    t.requestLatency.record((performance.now() - started) * 1000);
    t.ok += 1;
    t.okEvents += picks.length;
    for (const i of picks) t.perChannel[i] += 1;
  } catch (error) {
    t.failed += 1;
    if (t.errors.length < 5) t.errors.push(error instanceof Error ? error.message : String(error));
  }
}

/**
 * One event of a closed loop: bench event `s` (sent at `sentAt`) on `channel`, channel index 0 of `t`.
 * Counts it in `t`; false when the request failed (its error is kept, the lane goes on).
 * @param {Publish} publish
 * @param {ReturnType<typeof tally>} t
 * @param {string} channel
 * @param {number} sentAt
 * @param {number} s
 */
async function publishOnFirstChannel(publish, t, channel, sentAt, s) {
  t.sent += 1;
  try {
    await publish('events', { name: BENCH_EVENT, channel, data: JSON.stringify({ t: sentAt, s }) });
    t.ok += 1;
    t.okEvents += 1;
    t.perChannel[0] += 1;
    return true;
  } catch (error) {
    t.failed += 1;
    if (t.errors.length < 5) t.errors.push(String(error));
    return false;
  }
}

/** @param {ReturnType<typeof tally>} t @param {number} elapsedMs */
function result(t, elapsedMs) {
  return {
    sent: t.sent,
    ok: t.ok,
    okEvents: t.okEvents,
    failed: t.failed,
    errors: t.errors,
    perChannel: t.perChannel,
    requestLatency: t.requestLatency.toJSON(),
    elapsedMs,
  };
}

const handlers = {
  /**
   * Steady rate (`rate` requests/s, at most `inflight` outstanding) when `rate` is set, else closed
   * loop: `inflight` lanes back to back. Channels are used round robin. With `burst` (a number in
   * the args), `rate` counts bursts: each is `burst` requests sent at once.
   * @param {RunArgs} args
   */
  async run(args) {
    const publish =
      args.servers && args.servers.length > 1
        ? roundRobin(args.servers, args.inflight)
        : client(args.servers?.[0] ?? args.server, args.inflight);
    const t = tally(args.channels);
    let cursor = 0;
    const nextChannel = () => cursor++ % args.channels.length;
    const started = performance.now();
    const end = started + args.durationMs;
    if (args.rate) {
      const rate = args.rate;
      let issued = 0;
      let inflight = 0;
      /** @type {Set<Promise<void>>} */
      const pending = new Set();
      while (performance.now() < end) {
        const due = Math.floor(((performance.now() - started) / 1000) * rate) * burstOf(args);
        while (issued < due && inflight < args.inflight) {
          issued += 1;
          inflight += 1;
          const p = sendOne(publish, args, t, nextChannel).finally(() => {
            inflight -= 1;
            pending.delete(p);
          });
          pending.add(p);
        }
        await sleep(2);
      }
      await Promise.all(pending);
    } else {
      const lane = async () => {
        while (performance.now() < end) await sendOne(publish, args, t, nextChannel);
      };
      await Promise.all(Array.from({ length: args.inflight }, lane));
    }
    return result(t, performance.now() - started);
  },

  /**
   * Delivery-clocked closed loop for throughput: one tracker connection per node subscribes to
   * `channels[0]`; at most `window` events are outstanding until every tracker has received them.
   * @param {RunArgs & { trackerUrls: string[], window: number }} args
   */
  async runTracked(args) {
    const publish = client(args.server, args.inflight);
    const channel = /** @type {string} */ (args.channels[0]);
    /** @type {Map<number, { seen: number, done: () => void }>} */
    const outstanding = new Map();
    const wanted = args.trackerUrls.length;
    const trackers = await Promise.all(
      args.trackerUrls.map((url) => openTracker(url, channel, outstanding, wanted)),
    );
    const t = tally(args.channels);
    const delivered = new Histogram();
    const elapsedMs = await closedLoop(args.window, args.durationMs, async (s, sentAt) => {
      const arrived = new Promise((ok) => {
        const timer = setTimeout(() => ok(false), 10_000);
        outstanding.set(s, {
          seen: 0,
          done: () => {
            clearTimeout(timer);
            ok(true);
          },
        });
      });
      if ((await publishOnFirstChannel(publish, t, channel, sentAt, s)) && (await arrived)) {
        delivered.record(nowUs() - sentAt);
      }
      outstanding.delete(s);
    });
    for (const ws of trackers) ws.terminate();
    return { ...result(t, elapsedMs), trackedLatency: delivered.toJSON(), trackers: trackers.length };
  },

  /** The port subscriber processes report their deliveries to (`reportTo` of lean-clients.mjs). */
  async ackPort() {
    acks ??= new DeliveryCounter();
    return { port: await acks.listen() };
  },

  /**
   * Closed loop on `channels[0]` clocked by the subscribers: `window` lanes, each publishing an event
   * and waiting until the `reporters` subscriber processes have as many events on all their
   * connections (acks.mjs), so at most `window` events are outstanding. `ackedLatency`: from the
   * request to the event counted everywhere.
   * @param {RunArgs & { window: number, reporters: number }} args
   */
  async runAcked(args) {
    const counter = acks ?? new DeliveryCounter();
    counter.reporters = args.reporters;
    const publish = client(args.server, args.inflight);
    const channel = /** @type {string} */ (args.channels[0]);
    const t = tally(args.channels);
    const acked = new Histogram();
    let stalled = 0;
    const elapsedMs = await closedLoop(args.window, args.durationMs, async (s, sentAt) => {
      if (!(await publishOnFirstChannel(publish, t, channel, sentAt, s))) return;
      // Delivered everywhere once every process counts as many events as were accepted by now.
      if (await counter.until(t.ok - 1, 10_000)) acked.record(nowUs() - sentAt);
      else stalled += 1;
    });
    return { ...result(t, elapsedMs), ackedLatency: acked.toJSON(), stalled };
  },
};

/** @type {DeliveryCounter | undefined} */
let acks;

/**
 * @param {string} url
 * @param {string} channel
 * @param {Map<number, { seen: number, done: () => void }>} outstanding
 * @param {number} wanted how many trackers must see an event before it counts as delivered
 * @returns {Promise<WebSocket>}
 */
function openTracker(url, channel, outstanding, wanted) {
  return new Promise((ok, fail) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    const timer = setTimeout(() => fail(new Error(`tracker on ${url} not subscribed in 10 s`)), 10_000);
    ws.on('error', fail);
    ws.on('message', (raw) => {
      const msg = JSON.parse(raw.toString());
      if (msg.event === PusherEvent.ConnectionEstablished) {
        ws.send(encodeClientMessage({ event: PusherEvent.Subscribe, data: { channel } }));
      } else if (msg.event === PusherEvent.Ping) {
        ws.send(encodeClientMessage({ event: PusherEvent.Pong, data: {} }));
      } else if (msg.event === BENCH_EVENT) {
        const s = JSON.parse(msg.data).s;
        const entry = outstanding.get(s);
        if (entry && ++entry.seen === wanted) entry.done();
      } else if (msg.event === InternalEvent.SubscriptionSucceeded) {
        clearTimeout(timer);
        ok(ws);
      }
    });
  });
}

serveCommands(handlers);
