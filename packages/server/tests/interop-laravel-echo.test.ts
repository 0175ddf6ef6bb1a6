// laravel-echo 2.5 (with pusher-js) against our server, configured as a Laravel app does it:
// `broadcaster: 'reverb'` (and once `'pusher'`), `/broadcasting/auth` on a Laravel-like backend,
// events named after PHP classes, notifications, whispers, presence and `toOthers()`.
import { waitFor } from '@react-reverb/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from './support/app-backend';
import { echoError, echoPool, echoSubscribed, firstCall } from './support/echo-clients';
import { EVENT_TIMEOUT_MS, nextEvent, nextMatching, record, withTimeout } from './support/events';
import { channelInfo } from './support/http-api';
import { unique } from './support/ids';
import { multiAppServer } from './support/multi-app';
import { drain } from './support/pusher-js-clients';
import { startTarget, type Target } from './support/target';

let target: Target;
let backend: AppBackend;
const echoes = echoPool(
  () => target,
  () => backend,
);

beforeAll(async () => {
  target = await startTarget();
  backend = await startAppBackend(target);
});
afterEach(() => echoes.closeAll());
afterAll(async () => {
  await backend?.close();
  await target?.stop();
});

describe('Echo with broadcaster "reverb"', () => {
  it("listen('.OrderShipped') receives an event broadcast under its bare name", async () => {
    const name = unique('orders.');
    const echo = await echoes.connect();
    const channel = await echoSubscribed(echo.channel(name), name);
    const got = firstCall((cb) => channel.listen('.OrderShipped', cb), '.OrderShipped');
    await backend.pusher.trigger(name, 'OrderShipped', { order: { id: 17 } });
    expect(await got).toEqual({ order: { id: 17 } });
  });

  it("listen('OrderShipped') resolves the App\\Events namespace like Laravel's class names", async () => {
    const name = unique('orders.');
    const echo = await echoes.connect('1');
    const channel = await echoSubscribed(echo.private(name), name);
    const bare = record(echo.connector.pusher.channel(`private-${name}`), 'OrderShipped');
    const got = firstCall((cb) => channel.listen('OrderShipped', cb), 'App\\Events\\OrderShipped');
    // Laravel's broadcaster names the event after the class: App\Events\OrderShipped.
    await backend.pusher.trigger(`private-${name}`, 'App\\Events\\OrderShipped', { order: { id: 18 } });
    expect(await got).toEqual({ order: { id: 18 } });
    expect(bare).toEqual([]);
  });

  it('notification() receives a Laravel database/broadcast notification on the user channel', async () => {
    const echo = await echoes.connect('1');
    const channel = await echoSubscribed(echo.private('App.Models.User.1'), 'App.Models.User.1');
    const got = firstCall((cb) => channel.notification(cb), 'notification');
    // The body PHP's json_encode produces for BroadcastNotificationCreated (note the escaped slashes).
    const phpJson =
      '{"invoice_url":"https:\\/\\/example.com\\/invoices\\/7","amount":"$42.00",' +
      '"id":"9d7c2f1e-0a4b-4c1d-9f5e-1b2c3d4e5f60","type":"App\\\\Notifications\\\\InvoicePaid"}';
    await backend.pusher.trigger(
      'private-App.Models.User.1',
      'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated',
      phpJson,
    );
    expect(await got).toEqual({
      invoice_url: 'https://example.com/invoices/7',
      amount: '$42.00',
      id: '9d7c2f1e-0a4b-4c1d-9f5e-1b2c3d4e5f60',
      type: 'App\\Notifications\\InvoicePaid',
    });
  });

  it("error() fires when the backend denies another user's notification channel", async () => {
    // User 3's channel: no other test subscribes it, so "unoccupied" cannot race a previous test's leave.
    const echo = await echoes.connect('2');
    const error = await echoError(echo.private('App.Models.User.3'), 'user 2 on user 3 channel');
    expect(error).toMatchObject({ type: 'AuthError', status: 403 });
    expect((await channelInfo(backend.pusher, 'private-App.Models.User.3')).occupied).toBe(false);
  });

  it('error() fires when the server rejects a signature made with the wrong secret', async () => {
    const name = unique('forged.');
    const echo = await echoes.connect('1');
    const subscribedCalls: unknown[] = [];
    const channel = echo.private(name).subscribed(() => subscribedCalls.push(true));
    const error = await echoError(channel, 'forged signature');
    expect(backend.requests.find((r) => r.channelName === `private-${name}`)?.status).toBe(200);
    expect(error).toMatchObject({ type: 'AuthError' });
    expect(subscribedCalls).toEqual([]);
  });

  it('whisper() reaches listenForWhisper() on the other client and is not echoed', async () => {
    const name = unique('chat.');
    const [a, b] = await Promise.all([echoes.connect('1'), echoes.connect('2')]);
    const [chA, chB] = await Promise.all([
      echoSubscribed(a.private(name), 'A'),
      echoSubscribed(b.private(name), 'B'),
    ]);
    const echoed: unknown[] = [];
    chA.listenForWhisper('typing', (e: unknown) => echoed.push(e));
    const got = firstCall((cb) => chB.listenForWhisper('typing', cb), 'whisper at B');
    chA.whisper('typing', { name: 'Taylor' });
    expect(await got).toEqual({ name: 'Taylor' });
    await drain(backend, a.connector.pusher, `private-${name}`);
    expect(echoed).toEqual([]);
  });

  it("whisper() from a connection the backend did not let join is refused (Reverb's members rule) and unheard", async () => {
    const [owner, other] = await Promise.all([echoes.connect('1'), echoes.connect('2')]);
    const own = await echoSubscribed(owner.private('App.Models.User.1'), 'the owner');
    const heard: unknown[] = [];
    own.listenForWhisper('typing', (e: unknown) => heard.push(e));
    const denied = other.private('App.Models.User.1');
    await echoError(denied, "user 2 on user 1's channel");
    const refused = nextMatching<{ type?: string; data?: { code?: number } }>(
      other.connector.pusher.connection,
      'error',
      (e) => e.type === 'PusherError',
      'the refusal of the whisper',
    );
    denied.whisper('typing', { from: '2' });
    expect((await refused).data?.code).toBe(4009);
    await drain(backend, owner.connector.pusher, 'private-App.Models.User.1');
    expect(heard).toEqual([]);
  });

  it('join() reports here(), joining() and leaving()', async () => {
    const name = unique('room.');
    const a = await echoes.connect('1');
    const room = a.join(name);
    const here = firstCall<unknown[]>((cb) => room.here(cb), 'here()');
    expect(await here).toEqual([{ name: 'Taylor' }]);

    const joining = firstCall((cb) => room.joining(cb), 'joining()');
    const b = await echoes.connect('2');
    const hereAtB = firstCall<unknown[]>((cb) => b.join(name).here(cb), 'here() at B');
    expect(await joining).toEqual({ name: 'Abigail' });
    expect(((await hereAtB) as Array<{ name: string }>).map((m) => m.name).sort()).toEqual([
      'Abigail',
      'Taylor',
    ]);

    const leaving = firstCall((cb) => room.leaving(cb), 'leaving()');
    b.leave(name);
    expect(await leaving).toEqual({ name: 'Abigail' });
  });

  it('here() and joining() show a member whose data Laravel encoded with escapes', async () => {
    const name = unique('room.');
    const a = await echoes.connect('1');
    const room = a.join(name);
    await firstCall((cb) => room.here(cb), 'here()');
    const joining = firstCall((cb) => room.joining(cb), 'joining()');
    const b = await echoes.connect('4');
    const here = firstCall<unknown[]>((cb) => b.join(name).here(cb), 'here() at José');
    const jose = { name: 'José Müller 🚀', avatar: 'https://example.com/avatars/4.png' };
    expect(await joining).toEqual(jose);
    expect(await here).toContainEqual(jose);
  });

  it('toOthers(): an event triggered with the socket id of the sender skips that socket only', async () => {
    const name = unique('orders.');
    const [sender, other] = await Promise.all([echoes.connect('1'), echoes.connect('2')]);
    const [chSender, chOther] = await Promise.all([
      echoSubscribed(sender.private(name), 'sender'),
      echoSubscribed(other.private(name), 'other'),
    ]);
    const atSender: unknown[] = [];
    chSender.listen('.OrderUpdated', (e: unknown) => atSender.push(e));
    const atOther = firstCall((cb) => chOther.listen('.OrderUpdated', cb), 'event at the other client');
    // Laravel forwards the X-Socket-ID header of the request as `socket_id` (broadcast(...)->toOthers()).
    const socketId = sender.socketId() ?? '';
    expect(socketId).toMatch(/^\d+\.\d+$/);
    await backend.pusher.trigger(`private-${name}`, 'OrderUpdated', { id: 5 }, { socket_id: socketId });
    expect(await atOther).toEqual({ id: 5 });
    await drain(backend, sender.connector.pusher, `private-${name}`);
    expect(atSender).toEqual([]);
  });

  it('encryptedPrivate() decrypts an event the SDK encrypted', async () => {
    const name = unique('vault.');
    const echo = await echoes.connect('1');
    const channel = await echoSubscribed(echo.encryptedPrivate(name), name);
    const got = firstCall((cb) => channel.listen('.SecretRotated', cb), 'decrypted event');
    await backend.pusher.trigger(`private-encrypted-${name}`, 'SecretRotated', { version: 3 });
    expect(await got).toEqual({ version: 3 });
  });

  it('leave() unsubscribes on the server', async () => {
    const name = unique('orders.');
    const echo = await echoes.connect();
    await echoSubscribed(echo.channel(name), name);
    expect((await channelInfo(backend.pusher, name)).occupied).toBe(true);
    echo.leave(name);
    // The channel is gone from the server once it reports it unoccupied.
    await expect
      .poll(async () => (await channelInfo(backend.pusher, name)).occupied, { timeout: EVENT_TIMEOUT_MS })
      .toBe(false);
  });
});

describe('Echo user sign-in (not in Laravel Reverb; supported here)', () => {
  it('connector.signin() authenticates through /broadcasting/user-auth and receives sendToUser events', async () => {
    const echo = await echoes.connect('2');
    echo.connector.signin();
    const pusher = echo.connector.pusher;
    await withTimeout(pusher.user.signinDonePromise, 'sign-in through Echo');
    expect(backend.requests).toContainEqual(
      expect.objectContaining({ path: '/broadcasting/user-auth', userId: '2', socketId: echo.socketId() }),
    );
    await waitFor(
      () => pusher.user.serverToUserChannel?.subscribed === true,
      EVENT_TIMEOUT_MS,
      '#server-to-user-2',
    );
    const got = firstCall((cb) => pusher.user.bind('App\\Events\\Ping', cb), 'user event');
    await backend.pusher.sendToUser('2', 'App\\Events\\Ping', { n: 1 });
    expect(await got).toEqual({ n: 1 });
  });
});

describe('Echo with broadcaster "pusher" and a custom host', () => {
  it('connects through the Pusher connector and receives namespaced events', async () => {
    const name = unique('orders.');
    const echo = await echoes.connect('1', 'pusher');
    const channel = await echoSubscribed(echo.private(name), name);
    const got = firstCall((cb) => channel.listen('OrderShipped', cb), 'App\\Events\\OrderShipped');
    await backend.pusher.trigger(`private-${name}`, 'App\\Events\\OrderShipped', { id: 9 });
    expect(await got).toEqual({ id: 9 });
  });
});

/**
 * Laravel Reverb's settings as Echo meets them, on a server of their own (skipped against an external
 * REVERB_TEST_TARGET_URL): `accept_client_events_from: all`, and the rate limiter with terminate.
 */
describe.skipIf(Boolean(process.env.REVERB_TEST_TARGET_URL))(
  "Reverb's client-event and rate-limit settings",
  () => {
    const APPS = {
      open: { id: '3001', key: 'open-key', secret: 'open-secret', accept_client_events_from: 'all' },
      limited: {
        id: '3002',
        key: 'limited-key',
        secret: 'limited-secret',
        rate_limiting: { enabled: true, max_attempts: 3, decay_seconds: 60, terminate_on_limit: true },
      },
    } as const;
    const { backends, pools } = multiAppServer(APPS, echoPool);

    it('accept_client_events_from all: a whisper from a connection that is not a member is heard', async () => {
      const [owner, other] = await Promise.all([pools.open.connect('1'), pools.open.connect('2')]);
      const own = await echoSubscribed(owner.private('App.Models.User.1'), 'the owner');
      const got = firstCall((cb) => own.listenForWhisper('typing', cb), 'the whisper of a non-member');
      const denied = other.private('App.Models.User.1');
      await echoError(denied, "user 2 on user 1's channel");
      const errors = record(other.connector.pusher.connection, 'error');
      denied.whisper('typing', { from: '2' });
      expect(await got).toEqual({ from: '2' });
      expect(errors).toEqual([]);
    });

    it('rate limit with terminate: Echo gets the error event, reconnects after the 4100 close and keeps listening', async () => {
      const name = unique('orders.');
      const echo = await pools.limited.connect('1');
      const channel = await echoSubscribed(echo.private(name), name);
      const pusher = echo.connector.pusher;
      const firstSocketId = echo.socketId();
      const error = nextMatching<{ type?: string; data?: { code?: number } }>(
        pusher.connection,
        'error',
        (e) => e.type === 'PusherError',
        'the rate limit error',
      );
      const reconnected = nextEvent(pusher.connection, 'connected', 'Echo reconnecting');
      for (const n of [1, 2, 3]) channel.whisper('typing', { n });
      expect((await error).data?.code).toBe(4301);
      await reconnected;
      expect(echo.socketId()).not.toBe(firstSocketId);
      const got = firstCall((cb) => channel.listen('OrderShipped', cb), 'an event after reconnecting');
      await waitFor(
        async () => (await channelInfo(backends.limited.pusher, `private-${name}`)).occupied,
        EVENT_TIMEOUT_MS,
        'the channel subscribed again',
      );
      await backends.limited.pusher.trigger(`private-${name}`, 'App\\Events\\OrderShipped', { id: 1 });
      expect(await got).toEqual({ id: 1 });
    });
  },
);
