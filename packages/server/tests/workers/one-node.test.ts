/**
 * `reverb start --workers 2`, the real CLI: two worker processes on one port act as one node. Each
 * test puts its clients on both workers (tests/support/workers.ts finds out which worker took a
 * connection from its debug log) and checks a path that crosses them: presence, broadcasts with
 * `socket_id` exclusion, client events, the HTTP API's answers, counts, cache channels,
 * `terminate_connections`, watchlists, connection quotas and webhooks sent once.
 */
import { DEMO_APP_CONFIG, type ServerHandle, waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { joinPresence, joinPrivate, sdkFor, signIn } from '../support/auth';
import { channelInfo, getJson } from '../support/http-api';
import { dataOf, PUSHER_JS_QUERY, RawClient } from '../support/raw-client';
import { expectContiguous, ns, RecoveringClient, triggerRange } from '../support/recovery';
import { expectReplaced, signedInAndOpen, signInSession } from '../support/sessions';
import { WebhookReceiver } from '../support/webhook-receiver';
import { clientsOnDistinctWorkers, startWorkers, type WorkerOfSocket, workerOf } from '../support/workers';

const QUOTA_APP = { id: 'quota', key: 'quota-key', secret: 'quota-secret', max_connections: 3 };
const SESSION_APP = { id: 'sessions', key: 'session-key', secret: 'session-secret', single_session: true };

let server: ServerHandle;
let hooks: WebhookReceiver;
let sdk: Pusher;
const opened: RawClient[] = [];

const url = (key: string = DEMO_APP_CONFIG.key) => `${server.wsUrl}/app/${key}?${PUSHER_JS_QUERY}`;

/** Two clients of the demo app on the two workers. */
async function onBothWorkers(): Promise<[RawClient, RawClient]> {
  const [a, b] = (await clientsOnDistinctWorkers(server, url())).map(({ client }) => client);
  opened.push(a as RawClient, b as RawClient);
  return [a as RawClient, b as RawClient];
}

/** Connects `client` again and again until its connection lands on the worker with `pid`. */
async function connectOn(client: RecoveringClient, pid: number): Promise<void> {
  for (let tries = 0; tries < 20; tries++) {
    const c = await client.connect();
    if ((await workerOf(server, c.socketId)).pid === pid) return;
    c.ws.terminate();
    client.socketIds.pop();
  }
  throw new Error(`no connection landed on worker ${pid}`);
}

beforeAll(async () => {
  hooks = await WebhookReceiver.start();
  server = await startWorkers(2, {
    apps: [
      {
        ...DEMO_APP_CONFIG,
        webhooks: [
          {
            url: hooks.url,
            event_types: ['channel_occupied', 'channel_vacated', 'member_added', 'member_removed'],
          },
        ],
      },
      QUOTA_APP,
      SESSION_APP,
    ],
  });
  sdk = sdkFor({ app: server.app, port: server.port });
});

afterEach(() => {
  for (const c of opened.splice(0)) c.ws.terminate();
});

afterAll(async () => {
  const code = await server?.stop();
  await hooks?.close();
  expect(code).toBe(0);
});

describe('one node to the outside, from two workers', () => {
  it('presence: one member list, one member per user, member_added/removed on the first/last connection', async () => {
    const room = 'presence-room.1';
    const [a, b] = await onBothWorkers();
    await joinPresence(server, a, room, 'ada', { name: 'Ada' });
    const joined = await joinPresence(server, b, room, 'bob');
    expect(dataOf(joined).presence).toEqual({
      ids: ['ada', 'bob'],
      hash: { ada: { name: 'Ada' }, bob: null },
      count: 2,
    });
    expect(dataOf(await a.nextEvent('pusher_internal:member_added', room))).toEqual({ user_id: 'bob' });

    // Ada again, on Bob's worker: the same member, nobody is told.
    const [, again] = await onBothWorkers();
    await joinPresence(server, again, room, 'ada', { name: 'Ada' });
    a.close();
    await b.ping();
    again.close();
    expect(dataOf(await b.nextEvent('pusher_internal:member_removed', room))).toEqual({ user_id: 'ada' });
    expect(b.all('pusher_internal:member_added', room)).toEqual([]);
    expect(b.all('pusher_internal:member_removed', room)).toHaveLength(1);
    expect(await getJson(sdk, `/channels/${room}/users`)).toEqual({ users: [{ id: 'bob' }] });
  });

  it('an HTTP trigger reaches every worker exactly once and in order; socket_id excludes across workers', async () => {
    const [a, b] = await onBothWorkers();
    await a.subscribe('orders');
    await b.subscribe('orders');
    for (let n = 0; n < 20; n++) await sdk.trigger('orders', 'placed', { n });
    await sdk.trigger('orders', 'not-for-a', {}, { socket_id: a.socketId });
    await sdk.trigger('orders', 'not-for-b', {}, { socket_id: b.socketId });
    await a.nextEvent('not-for-b');
    await b.nextEvent('not-for-a');
    for (const c of [a, b]) {
      expect(c.all('placed', 'orders').map((f) => dataOf(f).n)).toEqual(
        Array.from({ length: 20 }, (_, n) => n),
      );
    }
    expect(a.all('not-for-a')).toEqual([]);
    expect(b.all('not-for-b')).toEqual([]);
  });

  it('client events cross workers, never back to their sender', async () => {
    const [a, b] = await onBothWorkers();
    await joinPrivate(server, a, 'private-chat.7');
    await joinPrivate(server, b, 'private-chat.7');
    a.send({ event: 'client-typing', channel: 'private-chat.7', data: { who: 'a' } });
    expect(dataOf(await b.nextEvent('client-typing', 'private-chat.7'))).toEqual({ who: 'a' });
    await a.ping();
    expect(a.all('client-typing')).toEqual([]);
  });

  it('the HTTP API answers for the machine: channels, counts, users, connections', async () => {
    const [a, b] = await onBothWorkers();
    await a.subscribe('news');
    await b.subscribe('news');
    await joinPresence(server, a, 'presence-lobby', 'u1');
    await joinPresence(server, b, 'presence-lobby', 'u2');
    expect(await channelInfo(sdk, 'news', 'subscription_count')).toEqual({
      occupied: true,
      subscription_count: 2,
    });
    expect(await channelInfo(sdk, 'presence-lobby', 'user_count')).toEqual({ occupied: true, user_count: 2 });
    const channels = await getJson<{ channels: Record<string, unknown> }>(sdk, '/channels', {
      filter_by_prefix: 'presence-',
      info: 'user_count',
    });
    expect(channels.channels['presence-lobby']).toEqual({ user_count: 2 });
    expect(await getJson(sdk, '/channels/presence-lobby/users')).toEqual({
      users: [{ id: 'u1' }, { id: 'u2' }],
    });
    expect(await getJson(sdk, '/connections')).toEqual({ connections: 2 });
  });

  it('subscription counts are the machine’s', async () => {
    const [a, b] = await onBothWorkers();
    await a.subscribe('counted');
    await b.subscribe('counted');
    const counts = (c: RawClient) =>
      c.all('pusher_internal:subscription_count', 'counted').map((f) => dataOf(f).subscription_count);
    await waitFor(() => counts(a).includes(2) && counts(b).includes(2), 5_000, 'a count of 2 on both');
  });

  it('a cache channel replays the last event on every worker', async () => {
    await sdk.trigger('cache-prices', 'price', { eur: 7 });
    const [a, b] = await onBothWorkers();
    for (const c of [a, b]) {
      await c.subscribe('cache-prices');
      expect(dataOf(await c.nextEvent('price', 'cache-prices'))).toEqual({ eur: 7 });
    }
  });

  it('terminate_connections closes the user’s connections on every worker', async () => {
    const [a, b] = await onBothWorkers();
    await signIn(server, a, { id: 'u-term' });
    await signIn(server, b, { id: 'u-term' });
    await sdk.terminateUserConnections('u-term');
    expect((await a.closed()).code).toBe(4009);
    expect((await b.closed()).code).toBe(4009);
  });

  it('watchlists hear a user who signs in on another worker', async () => {
    const [watcher, watched] = await onBothWorkers();
    await signIn(server, watcher, { id: 'w-1', watchlist: ['w-2'] });
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'offline', user_ids: ['w-2'] }],
    });
    await signIn(server, watched, { id: 'w-2' });
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'online', user_ids: ['w-2'] }],
    });
    watched.close();
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'offline', user_ids: ['w-2'] }],
    });
  });

  it('an app connection quota counts the connections of every worker', async () => {
    const clients = await clientsOnDistinctWorkers(server, url(QUOTA_APP.key));
    opened.push(...clients.map((c) => c.client));
    const third = await RawClient.open(url(QUOTA_APP.key));
    opened.push(third);
    expect(third.frames[0]?.event).toBe('pusher:connection_established');
    const fourth = await RawClient.open(url(QUOTA_APP.key));
    opened.push(fourth);
    expect(fourth.frames[0]).toMatchObject({ event: 'pusher:error' });
    expect(dataOf(fourth.frames[0] as never)).toMatchObject({ code: 4004 });
  });

  it('recovery: positions are the machine’s, and a client cut on one worker recovers on the other', async () => {
    const channel = 'private-recovered';
    const [onFirst, onSecond] = await clientsOnDistinctWorkers(server, url());
    const firstPid = (onFirst as { worker: WorkerOfSocket }).worker.pid;
    const secondPid = (onSecond as { worker: WorkerOfSocket }).worker.pid;
    for (const { client } of [onFirst, onSecond] as { client: RawClient }[]) client.close();
    const watcher = new RecoveringClient(server, url());
    await connectOn(watcher, secondPid);
    await watcher.subscribe(channel);
    const recovering = new RecoveringClient(server, url());
    await connectOn(recovering, firstPid);
    await recovering.subscribe(channel);
    await triggerRange(sdk, channel, 0, 10);
    const before = await recovering.received(channel, 10);
    // Both workers send the same positions: one stream for the machine.
    const seen = (await watcher.received(channel, 10)).map((e) => [e.epoch, e.offset]);
    expect(before.map((e) => [e.epoch, e.offset])).toEqual(seen);

    recovering.client.destroy();
    await triggerRange(sdk, channel, 10, 20);
    await connectOn(recovering, secondPid);
    const answer = await recovering.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 10 });
    const after = await recovering.received(channel, 10);
    expect(ns(after)).toEqual(Array.from({ length: 10 }, (_, i) => 10 + i));
    expectContiguous(after, before[0]?.epoch as string, (before.at(-1)?.offset as number) + 1);
    for (const c of [watcher, recovering]) c.client.ws.terminate();
  });

  it('single session: a sign-in on one worker replaces the session signed in on the other', async () => {
    const [a, b] = (await clientsOnDistinctWorkers(server, url(SESSION_APP.key))).map(({ client }) => client);
    opened.push(a as RawClient, b as RawClient);
    const target = { app: SESSION_APP, port: server.port };
    await signInSession(target, a as RawClient, 'u-session', 'laptop');
    await signInSession(target, b as RawClient, 'u-session', 'phone');
    await expectReplaced(a as RawClient);
    expect(signedInAndOpen(b as RawClient)).toBe(true);
  });

  it('webhooks go out once for the machine: occupied, member_added, member_removed, vacated', async () => {
    const before = hooks.events().length;
    const [a, b] = await onBothWorkers();
    await joinPresence(server, a, 'presence-hooked', 'h-1');
    await joinPresence(server, b, 'presence-hooked', 'h-1');
    a.close();
    b.close();
    const names = () =>
      hooks
        .events()
        .slice(before)
        .filter((e) => e.channel === 'presence-hooked')
        .map((e) => e.name)
        .sort();
    // member_removed and channel_vacated wait 3 s for a reconnect first.
    await waitFor(() => names().length >= 4, 10_000, 'four webhooks');
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(names()).toEqual(['channel_occupied', 'channel_vacated', 'member_added', 'member_removed']);
  });
});
