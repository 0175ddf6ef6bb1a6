// pusher-js 8.6 (the Node build) against our server, the way an app uses it: every channel type,
// auth through a Laravel-like backend that signs with the official `pusher` SDK, sign-in, watchlist,
// cache channels and subscription counts.
import type { Channel, PresenceChannel } from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, phpJsonEncode, startAppBackend } from './support/app-backend';
import { nextEvent, nextMatching, record, withTimeout } from './support/events';
import { channelInfo, untilSubscriptionCount } from './support/http-api';
import { unique } from './support/ids';
import { multiAppServer } from './support/multi-app';
import { drain, nextWatchlistEvent, pusherJsPool, signedIn, subscribed } from './support/pusher-js-clients';
import { startTarget, type Target } from './support/target';

let target: Target;
let backend: AppBackend;
const clients = pusherJsPool(
  () => target,
  () => backend,
);

beforeAll(async () => {
  target = await startTarget();
  backend = await startAppBackend(target);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await backend?.close();
  await target?.stop();
});

interface SubscriptionError {
  type?: string;
  status?: number;
  error?: string;
}

describe('connection', () => {
  it('gets a socket id in the format the SDKs check', async () => {
    const client = await clients.connect();
    expect(client.connection.socket_id).toMatch(/^\d+\.\d+$/);
  });

  it('refuses an unknown app key with 4001, and pusher-js stops (disconnected, not retrying)', async () => {
    const client = clients.create(undefined, 'no-such-key');
    const stopped = nextMatching<{ current: string }>(
      client.connection,
      'state_change',
      (s) => s.current === 'disconnected',
      'pusher-js giving up',
    );
    // pusher-js wraps the handshake refusal: {type:'WebSocketError', error:{type:'PusherError', data}}.
    const error = await nextEvent<{ error?: { data?: { code?: number } } }>(
      client.connection,
      'error',
      'refusal of an unknown key',
    );
    expect(error.error?.data?.code).toBe(4001);
    await stopped;
  });
});

describe('public channels', () => {
  it('delivers an SDK trigger to every subscriber with the data intact', async () => {
    const name = unique('orders-');
    const [a, b] = await Promise.all([clients.connect(), clients.connect()]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const payload = { id: 17, status: 'shipped', note: 'ünïcødé ✓ "quoted" / slash' };
    const gotA = nextEvent(chA, 'order-shipped', 'client A');
    const gotB = nextEvent(chB, 'order-shipped', 'client B');
    await backend.pusher.trigger(name, 'order-shipped', payload);
    expect(await gotA).toEqual(payload);
    expect(await gotB).toEqual(payload);
  });

  it('stops delivering after unsubscribe', async () => {
    const name = unique('news-');
    const a = await clients.connect();
    await subscribed(a, name);
    a.unsubscribe(name);
    await untilSubscriptionCount(backend.pusher, name, 0);
    // On the client itself: pusher-js drops the Channel object on unsubscribe, but still emits
    // every event frame that reaches the socket on its global emitter.
    const received = record(a, 'headline');
    await backend.pusher.trigger(name, 'headline', { title: 'late' });
    // Re-subscribe and drain: the server writes in order, so a stray "headline" would be here by now.
    await subscribed(a, name);
    await drain(backend, a, name);
    expect(received).toEqual([]);
  });
});

describe('private channels', () => {
  it('subscribes with the backend signature for this socket and receives events', async () => {
    const name = unique('private-orders.');
    const a = await clients.connect('1');
    const channel = await subscribed(a, name);
    const auth = backend.requests.find((r) => r.channelName === name);
    expect(auth).toMatchObject({ status: 200, userId: '1', socketId: a.connection.socket_id });
    const got = nextEvent(channel, 'App\\Events\\OrderShipped', 'private event');
    await backend.pusher.trigger(name, 'App\\Events\\OrderShipped', { id: 1 });
    expect(await got).toEqual({ id: 1 });
  });

  it('reports a backend refusal (403) as pusher:subscription_error and never occupies the channel', async () => {
    const name = unique('private-forbidden.');
    const a = await clients.connect('1');
    const channel = a.subscribe(name);
    const error = await nextEvent<SubscriptionError>(
      channel,
      'pusher:subscription_error',
      '403 from backend',
    );
    expect(error).toMatchObject({ type: 'AuthError', status: 403 });
    expect(channel.subscribed).toBe(false);
    expect((await channelInfo(backend.pusher, name)).occupied).toBe(false);
  });

  it('refuses a subscription signed with the wrong secret (server-side check)', async () => {
    const name = unique('private-forged.');
    const a = await clients.connect('1');
    const connectionErrors = record<{ type?: string; data?: { code?: number | null } }>(
      a.connection,
      'error',
    );
    const channel = a.subscribe(name);
    const succeeded = record(channel, 'pusher:subscription_succeeded');
    const error = await nextEvent<SubscriptionError>(channel, 'pusher:subscription_error', 'server refusal');
    // The backend answered 200: this error can only come from the WebSocket server.
    expect(backend.requests.find((r) => r.channelName === name)?.status).toBe(200);
    expect(error.type).toBe('AuthError');
    // docs/protocol.md §3.6: first a pusher:error 4009 (hosted parity), then the channel's subscription_error.
    expect(connectionErrors).toContainEqual({
      type: 'PusherError',
      data: expect.objectContaining({ code: 4009 }),
    });
    expect(succeeded).toEqual([]);
    expect(channel.subscribed).toBe(false);
    expect((await channelInfo(backend.pusher, name)).occupied).toBe(false);
  });

  it('refuses a guest (no signed-in user) with 403', async () => {
    const a = await clients.connect();
    const channel = a.subscribe(unique('private-orders.'));
    const error = await nextEvent<SubscriptionError>(channel, 'pusher:subscription_error', 'guest refused');
    expect(error).toMatchObject({ type: 'AuthError', status: 403 });
  });
});

describe('presence channels', () => {
  const membersOf = (channel: Channel) => {
    const ids: string[] = [];
    (channel as PresenceChannel).members.each((m: { id: string }) => {
      ids.push(m.id);
    });
    return ids.sort();
  };

  it('lists members, and announces member_added / member_removed to the others', async () => {
    const name = unique('presence-room.');
    const a = await clients.connect('1');
    const chA = (await subscribed(a, name)) as PresenceChannel;
    expect(chA.members.count).toBe(1);
    expect(chA.members.me).toMatchObject({ id: '1', info: { name: 'Taylor' } });

    const added = nextEvent(chA, 'pusher:member_added', 'Abigail joins');
    const b = await clients.connect('2');
    const chB = (await subscribed(b, name)) as PresenceChannel;
    expect(await added).toEqual({ id: '2', info: { name: 'Abigail' } });
    expect(chB.members.count).toBe(2);
    expect(membersOf(chB)).toEqual(['1', '2']);
    expect(chB.members.get('1')).toEqual({ id: '1', info: { name: 'Taylor' } });

    const removed = nextEvent(chA, 'pusher:member_removed', 'Abigail leaves');
    b.disconnect();
    expect(await removed).toEqual({ id: '2', info: { name: 'Abigail' } });
    expect(chA.members.count).toBe(1);
  });

  it('counts one user on two connections as one member', async () => {
    const name = unique('presence-room.');
    const barrier = unique('barrier-');
    const a = await clients.connect('1');
    const chA = await subscribed(a, name);
    const added = record<{ id: string }>(chA, 'pusher:member_added');
    const removed = record<{ id: string }>(chA, 'pusher:member_removed');

    const [tab1, tab2] = await Promise.all([clients.connect('2'), clients.connect('2')]);
    await subscribed(tab1, name);
    const chTab2 = (await subscribed(tab2, name)) as PresenceChannel;
    await Promise.all([subscribed(tab1, barrier), subscribed(tab2, barrier)]);
    expect(chTab2.members.count).toBe(2);
    await drain(backend, a, name);
    expect(added.map((m) => m.id)).toEqual(['2']);

    // The first tab closes: user 2 is still present through the second one.
    tab1.disconnect();
    await untilSubscriptionCount(backend.pusher, barrier, 1);
    await drain(backend, a, name);
    expect(removed).toEqual([]);
    expect(membersOf(chA)).toEqual(['1', '2']);

    const gone = nextEvent(chA, 'pusher:member_removed', 'last tab of user 2 closes');
    tab2.disconnect();
    expect(await gone).toMatchObject({ id: '2' });
    expect(membersOf(chA)).toEqual(['1']);
  });
});

describe('data encoded by PHP (Laravel signs with pusher-http-php)', () => {
  const jose = { name: 'José Müller 🚀', avatar: 'https://example.com/avatars/4.png' };

  it('the fixture really is PHP-encoded', () => {
    expect(phpJsonEncode(jose)).toBe(
      '{"name":"Jos\\u00e9 M\\u00fcller \\ud83d\\ude80","avatar":"https:\\/\\/example.com\\/avatars\\/4.png"}',
    );
  });

  it('presence channel_data is verified as sent and reaches members decoded', async () => {
    const name = unique('presence-room.');
    const a = await clients.connect('1');
    const chA = await subscribed(a, name);
    const added = nextEvent(chA, 'pusher:member_added', 'José joins');
    const b = await clients.connect('4');
    const chB = (await subscribed(b, name)) as PresenceChannel;
    expect(chB.members.me).toEqual({ id: '4', info: jose });
    expect(await added).toEqual({ id: '4', info: jose });
  });

  it('sign-in user_data is verified as sent', async () => {
    const client = await clients.connect('4');
    await signedIn(client);
    expect(client.user.user_data).toMatchObject({ id: '4', user_info: jose });
    const got = nextEvent(client.user, 'welcome', 'sendToUser to José');
    await backend.pusher.sendToUser('4', 'welcome', { hi: jose.name });
    expect(await got).toEqual({ hi: jose.name });
  });
});

describe('encrypted channels', () => {
  it('pusher-js decrypts what the pusher SDK encrypted with the master key', async () => {
    const name = unique('private-encrypted-vault.');
    const a = await clients.connect('1');
    const channel = await subscribed(a, name);
    const auth = backend.requests.find((r) => r.channelName === name);
    expect(auth?.status).toBe(200);
    const payload = { pin: '1234', note: 'only for you' };
    const got = nextEvent(channel, 'secret-updated', 'decrypted event');
    await backend.pusher.trigger(name, 'secret-updated', payload);
    expect(await got).toEqual(payload);
  });
});

describe('cache channels', () => {
  it('replays the last triggered event to a new subscriber', async () => {
    const name = unique('cache-prices.');
    await backend.pusher.trigger(name, 'price', { value: 1 });
    await backend.pusher.trigger(name, 'price', { value: 2 });
    const a = await clients.connect();
    const channel = a.subscribe(name);
    const replayed = await nextEvent(channel, 'price', 'cached event replay');
    expect(replayed).toEqual({ value: 2 });
  });

  it('sends pusher:cache_miss when nothing is cached yet', async () => {
    const name = unique('cache-empty.');
    const a = await clients.connect();
    const channel = a.subscribe(name);
    const prices = record(channel, 'price');
    await nextEvent(channel, 'pusher:cache_miss', 'cache miss');
    expect(prices).toEqual([]);
  });
});

describe('client events', () => {
  it('reach the other subscribers of a private channel and are not echoed to the sender', async () => {
    const name = unique('private-chat.');
    const [a, b] = await Promise.all([clients.connect('1'), clients.connect('2')]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const echoed = record(chA, 'client-typing');
    const got = nextEvent(chB, 'client-typing', 'whisper at B');
    expect(chA.trigger('client-typing', { typing: true })).toBe(true);
    expect(await got).toEqual({ typing: true });
    await drain(backend, a, name);
    expect(echoed).toEqual([]);
  });

  it("carry the sender's user_id on presence channels", async () => {
    const name = unique('presence-chat.');
    const [a, b] = await Promise.all([clients.connect('1'), clients.connect('2')]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const got = new Promise<{ data: unknown; userId: unknown }>((resolve) => {
      chB.bind('client-typing', (data: unknown, metadata: { user_id?: unknown }) =>
        resolve({ data, userId: metadata?.user_id }),
      );
    });
    chA.trigger('client-typing', { typing: true });
    expect(await withTimeout(got, 'client event with user_id')).toEqual({
      data: { typing: true },
      userId: '1',
    });
  });

  it('are refused on public channels', async () => {
    const name = unique('lobby.');
    const [a, b] = await Promise.all([clients.connect(), clients.connect()]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const received = record(chB, 'client-typing');
    const error = nextEvent<{ type?: string; data?: { code?: number | null } }>(
      a.connection,
      'error',
      'pusher:error for a client event on a public channel',
    );
    chA.trigger('client-typing', { typing: true });
    expect((await error).type).toBe('PusherError');
    await drain(backend, b, name);
    expect(received).toEqual([]);
  });
});

describe('user sign-in', () => {
  it('signs in through the backend and receives sendToUser events, only for that user', async () => {
    const [a, b] = await Promise.all([clients.connect('1'), clients.connect('2')]);
    await Promise.all([signedIn(a), signedIn(b)]);
    expect(backend.requests.filter((r) => r.path === '/broadcasting/user-auth' && r.status === 200)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ userId: '1', socketId: a.connection.socket_id }),
        expect.objectContaining({ userId: '2', socketId: b.connection.socket_id }),
      ]),
    );
    const strayAtB = record(b.user, 'invoice-paid');
    const got = nextEvent(a.user, 'invoice-paid', 'sendToUser at user 1');
    await backend.pusher.sendToUser('1', 'invoice-paid', { amount: 42 });
    expect(await got).toEqual({ amount: 42 });

    const marker = nextEvent(b.user, 'marker', 'sendToUser at user 2');
    await backend.pusher.sendToUser('2', 'marker', {});
    await marker;
    expect(strayAtB).toEqual([]);
  });

  it('reaches every connection of the user', async () => {
    const [tab1, tab2] = await Promise.all([clients.connect('3'), clients.connect('3')]);
    await Promise.all([signedIn(tab1), signedIn(tab2)]);
    const got1 = nextEvent(tab1.user, 'hello', 'tab 1');
    const got2 = nextEvent(tab2.user, 'hello', 'tab 2');
    await backend.pusher.sendToUser('3', 'hello', { n: 1 });
    expect(await Promise.all([got1, got2])).toEqual([{ n: 1 }, { n: 1 }]);
  });
});

describe('watchlist', () => {
  it('reports a watched user going online and offline', async () => {
    const a = await clients.connect('1'); // watches 2 and 3
    const online = nextWatchlistEvent(a, 'online', '2', 'user 2 online');
    await signedIn(a);
    const b = await clients.connect('2');
    await signedIn(b);
    expect(await online).toMatchObject({ name: 'online' });

    const offline = nextWatchlistEvent(a, 'offline', '2', 'user 2 offline');
    b.disconnect();
    expect(await offline).toMatchObject({ name: 'offline' });
  });

  it('tells a user who signs in which watched users are already online', async () => {
    const b = await clients.connect('2');
    await signedIn(b);
    const a = await clients.connect('1'); // watches 2 and 3
    const online = nextWatchlistEvent(a, 'online', '2', 'user 2 already online');
    await signedIn(a);
    expect(await online).toMatchObject({ name: 'online' });
  });
});

describe('subscription_count', () => {
  interface Count {
    subscription_count: number;
  }
  const is = (count: number) => (d: Count) => d.subscription_count === count;

  it('tells subscribers how many connections are subscribed', async () => {
    const name = unique('counted-');
    const [a, b] = await Promise.all([clients.connect(), clients.connect()]);
    const chA = a.subscribe(name);
    await nextMatching<Count>(chA, 'pusher:subscription_count', is(1), 'count 1 at A');

    const twoAtA = nextMatching<Count>(chA, 'pusher:subscription_count', is(2), 'count 2 at A');
    const chB = b.subscribe(name);
    await nextMatching<Count>(chB, 'pusher:subscription_count', is(2), 'count 2 at B');
    await twoAtA;
    expect(chA.subscriptionCount).toBe(2);

    const backToOne = nextMatching<Count>(chA, 'pusher:subscription_count', is(1), 'count 1 after B left');
    b.unsubscribe(name);
    await backToOne;
  });
});

describe('server restart (a deploy)', () => {
  it('pusher-js reconnects, is authorized again and receives events on its channels', async (ctx) => {
    if (!target.restart) return ctx.skip();
    const name = unique('private-orders.');
    const client = await clients.connect('1');
    await subscribed(client, name);
    const firstSocketId = client.connection.socket_id;
    // The server closes with 4200 (reconnect now); pusher-js's first attempt usually finds the port
    // still closed, and its next one comes after `unavailableTimeout` (10 s) plus backoff.
    const reconnected = nextEvent(client.connection, 'connected', 'reconnection after restart', 40_000);
    await target.restart();
    await reconnected;
    const socketId = client.connection.socket_id;
    expect(socketId).not.toBe(firstSocketId);
    await untilSubscriptionCount(backend.pusher, name, 1);
    expect(backend.requests).toContainEqual(
      expect.objectContaining({ channelName: name, socketId, status: 200 }),
    );
    const got = nextEvent(client.channel(name), 'after-restart', 'event after the restart');
    await backend.pusher.trigger(name, 'after-restart', { ok: true });
    expect(await got).toEqual({ ok: true });
  }, 60_000);
});

/**
 * Laravel Reverb's rate limiter of every message (`rate_limiting`, REVERB_APP_RATE_LIMIT_*): a server of
 * its own with two limited apps, so it is skipped against an external REVERB_TEST_TARGET_URL.
 */
describe.skipIf(Boolean(process.env.REVERB_TEST_TARGET_URL))("Laravel Reverb's rate limiter", () => {
  const LIMITS = { enabled: true, max_attempts: 3, decay_seconds: 60 };
  const APPS = {
    limited: { id: '2001', key: 'limited-key', secret: 'limited-secret', rate_limiting: LIMITS },
    terminating: {
      id: '2002',
      key: 'terminating-key',
      secret: 'terminating-secret',
      rate_limiting: { ...LIMITS, terminate_on_limit: true },
    },
  } as const;
  const { backends, pools } = multiAppServer(APPS, pusherJsPool);
  interface PusherError {
    type?: string;
    data?: { code?: number; message?: string };
  }

  it('without terminate: the message over the limit gets an error event (4301) and goes nowhere; the connection stays', async () => {
    const name = unique('private-limited.');
    const [a, b] = await Promise.all([pools.limited.connect('1'), pools.limited.connect('2')]);
    const [chA, chB] = await Promise.all([subscribed(a, name), subscribed(b, name)]);
    const socketId = a.connection.socket_id;
    const received = record(chB, 'client-typing');
    const error = nextMatching<PusherError>(a.connection, 'error', (e) => e.type === 'PusherError', '4301');
    // The subscription was a's first message; two whispers fit, the third is one too many.
    for (const n of [1, 2, 3]) chA.trigger('client-typing', { n });
    expect((await error).data).toEqual({ code: 4301, message: 'Rate limit exceeded' });
    await drain(backends.limited, b, name);
    expect(received).toEqual([{ n: 1 }, { n: 2 }]);
    expect(a.connection.state).toBe('connected');
    expect(a.connection.socket_id).toBe(socketId);
    // Events from the app still reach it: the limit is on what it sends.
    await drain(backends.limited, a, name);
  });

  it('with terminate: the error event, then close 4100; pusher-js backs off, reconnects and subscribes again', async () => {
    const name = unique('private-terminated.');
    const a = await pools.terminating.connect('1');
    const channel = await subscribed(a, name);
    const firstSocketId = a.connection.socket_id;
    const errors = record<PusherError & { error?: PusherError }>(a.connection, 'error');
    const states = record<{ current: string }>(a.connection, 'state_change');
    const resubscribed = nextEvent(
      channel,
      'pusher:subscription_succeeded',
      'subscription after reconnecting',
    );
    for (const n of [1, 2, 3]) channel.trigger('client-typing', { n });
    await resubscribed;
    expect(a.connection.state).toBe('connected');
    expect(a.connection.socket_id).not.toBe(firstSocketId);
    // The server's frame first, then the close code as pusher-js reports it (backoff: 41xx).
    expect(errors[0]).toEqual({ type: 'PusherError', data: { code: 4301, message: 'Rate limit exceeded' } });
    const codes = errors.map((e) => e.data?.code ?? e.error?.data?.code);
    expect(codes).toContain(4100);
    expect(states.map((s) => s.current)).toEqual(['connecting', 'connected']);
    const got = nextEvent(channel, 'after-reconnect', 'an event on the new connection');
    await backends.terminating.pusher.trigger(name, 'after-reconnect', { ok: true });
    expect(await got).toEqual({ ok: true });
  });
});
