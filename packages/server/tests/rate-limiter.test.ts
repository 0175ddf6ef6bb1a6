/**
 * Laravel Reverb's message rate limiter (REVERB_APP_RATE_LIMIT_*, docs/protocol.md §3.16), with literal
 * frames: what it counts, what it sends, the window, and the close with `terminate_on_limit`.
 */
import { DEMO_APP_CONFIG } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { privateAuth, sdkFor } from './support/auth';
import { type RawClient, rawClients, subscribeFrame } from './support/raw-client';
import { sharedTestServer } from './support/server';

const LIMITED = { id: '1', key: 'limited', secret: 's1', client_events: true };
const APPS = [
  { ...LIMITED, rate_limiting: { enabled: true, max_attempts: 3, decay_seconds: 60 } },
  {
    id: '2',
    key: 'terminating',
    secret: 's2',
    rate_limiting: { enabled: true, max_attempts: 3, decay_seconds: 60, terminate_on_limit: true },
  },
  {
    id: '3',
    key: 'windowed',
    secret: 's3',
    rate_limiting: { enabled: true, max_attempts: 2, decay_seconds: 1 },
  },
  DEMO_APP_CONFIG,
];
const RATE_LIMITED = '{"event":"pusher:error","data":{"code":4301,"message":"Rate limit exceeded"}}';
const PING = '{"event":"pusher:ping","data":{}}';

const t = sharedTestServer(APPS);
const open = rawClients();

/** A connected client whose `connection_established` is already taken. */
async function connect(key: string): Promise<RawClient> {
  const c = await open(t.wsUrl(key));
  await c.nextEvent('pusher:connection_established');
  return c;
}

/** Takes the next frame, which must be exactly `raw` (the server writes compact JSON). */
async function expectNext(c: RawClient, raw: string): Promise<void> {
  expect(JSON.stringify(await c.next(() => true, raw))).toBe(raw);
}

describe('what it counts and what it sends', () => {
  it('counts pings, frames it cannot read and subscriptions; the message over the limit is dropped with 4301', async () => {
    const c = await connect('limited');
    c.send(PING);
    await expectNext(c, '{"event":"pusher:pong","data":"{}"}');
    c.send('not json');
    await c.nextEvent('pusher:error');
    c.send(subscribeFrame('news'));
    await c.nextEvent('pusher_internal:subscription_succeeded', 'news');
    c.send(PING);
    await expectNext(c, RATE_LIMITED);
    // A subscription over the limit is not made either, and the connection stays open.
    c.send(subscribeFrame('sports'));
    await expectNext(c, RATE_LIMITED);
    const info = await sdkFor(t).get({ path: '/channels/sports' });
    expect(await info.json()).toEqual({ occupied: false });
    expect(c.all('pusher:pong')).toHaveLength(1);
    expect(c.closeCode).toBeUndefined();
  });

  it('does not count ping control frames', async () => {
    const c = await connect('limited');
    for (let i = 0; i < 5; i++) c.ws.ping();
    for (let i = 0; i < 3; i++) {
      c.send(PING);
      await expectNext(c, '{"event":"pusher:pong","data":"{}"}');
    }
    c.send(PING);
    await expectNext(c, RATE_LIMITED);
  });

  it('a client event over the limit reaches nobody; the ones before it are delivered', async () => {
    const [a, b] = [await connect('limited'), await connect('limited')];
    for (const x of [a, b]) {
      x.send(subscribeFrame('private-chat', privateAuth(t, x.socketId, 'private-chat')));
      await x.nextEvent('pusher_internal:subscription_succeeded');
    }
    for (let i = 1; i <= 3; i++) a.send({ event: 'client-n', channel: 'private-chat', data: { i } });
    await a.next((f) => f.event === 'pusher:error', '4301');
    expect(a.raw.at(-1)).toBe(RATE_LIMITED);
    // Everything a sent before its refusal has been forwarded by now; the HTTP event comes after it.
    await sdkFor(t).trigger('private-chat', 'marker', {});
    await b.nextEvent('marker');
    expect(b.all('client-n').map((f) => f.data)).toEqual(['{"i":1}', '{"i":2}']);
  });

  it('each connection has its own count', async () => {
    const [a, b] = [await connect('limited'), await connect('limited')];
    for (let i = 0; i < 4; i++) a.send(PING);
    await a.next((f) => f.event === 'pusher:error', '4301');
    for (let i = 0; i < 3; i++) {
      b.send(PING);
      await b.nextEvent('pusher:pong');
    }
    expect(b.all('pusher:error')).toEqual([]);
  });

  it('an app without it answers every message', async () => {
    const c = await connect(DEMO_APP_CONFIG.key);
    for (let i = 0; i < 100; i++) c.send(PING);
    await c.next(() => c.all('pusher:pong').length === 100, '100 pongs');
    expect(c.all('pusher:error')).toEqual([]);
  });
});

describe('the window', () => {
  it('starts with the first message and lasts decay_seconds; then messages pass again', async () => {
    const c = await connect('windowed');
    c.send(PING);
    c.send(PING);
    c.send(PING);
    await expectNext(c, '{"event":"pusher:pong","data":"{}"}');
    await expectNext(c, '{"event":"pusher:pong","data":"{}"}');
    await expectNext(c, RATE_LIMITED);
    // decay_seconds is 1: once it is over, a new window starts.
    await new Promise((resolve) => setTimeout(resolve, 1_100));
    c.send(PING);
    await expectNext(c, '{"event":"pusher:pong","data":"{}"}');
  });
});

describe('terminate_on_limit', () => {
  it('sends 4301, then pusher:error 4100 and closes with 4100 "Rate limit exceeded" (back off, then reconnect)', async () => {
    const c = await connect('terminating');
    for (let i = 0; i < 5; i++) c.send(PING);
    const closed = await c.closed();
    expect(closed).toEqual({ code: 4100, reason: 'Rate limit exceeded' });
    expect(c.raw.slice(-2)).toEqual([
      RATE_LIMITED,
      '{"event":"pusher:error","data":{"code":4100,"message":"Rate limit exceeded"}}',
    ]);
    // The fifth ping, sent before the close arrived, was not answered either.
    expect(c.all('pusher:pong')).toHaveLength(3);
    expect(t.server.stats().apps['2']?.connections).toBe(0);
  });
});
