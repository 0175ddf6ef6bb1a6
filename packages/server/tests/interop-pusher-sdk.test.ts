// The official `pusher` Node SDK (5.3) against every HTTP endpoint of our server, with pusher-js
// clients on the other end, plus one request built the way pusher-http-php (Laravel) sends it.
import { createHash, createHmac } from 'node:crypto';
import { waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from './support/app-backend';
import { sdkFor } from './support/auth';
import { EVENT_TIMEOUT_MS, nextEvent, quietPeriod, record } from './support/events';
import { channelInfo, getJson, postJson, statusOf } from './support/http-api';
import { unique } from './support/ids';
import { drain, pusherJsPool, signedIn, subscribed } from './support/pusher-js-clients';
import { rawClients } from './support/raw-client';
import { startTarget, type Target, wsUrlOf } from './support/target';

let target: Target;
let backend: AppBackend;
const clients = pusherJsPool(
  () => target,
  () => backend,
);
const openRaw = rawClients();

beforeAll(async () => {
  target = await startTarget();
  backend = await startAppBackend(target);
});
afterEach(() => clients.closeAll());
afterAll(async () => {
  await backend?.close();
  await target?.stop();
});

const json = async <T = Record<string, unknown>>(response: Promise<{ json(): Promise<unknown> }>) =>
  (await (await response).json()) as T;

describe('POST /events (trigger)', () => {
  it('delivers one trigger to several channels of different types', async () => {
    const names = [unique('orders-'), unique('private-orders.'), unique('presence-room.')];
    const client = await clients.connect('1');
    const channels = await Promise.all(names.map((name) => subscribed(client, name)));
    const got = channels.map((channel) => nextEvent(channel, 'order-shipped', channel.name));
    const response = await backend.pusher.trigger(names, 'order-shipped', { id: 1 });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    expect(await Promise.all(got)).toEqual([{ id: 1 }, { id: 1 }, { id: 1 }]);
  });

  it('accepts 100 channels and rejects 101 with 400', async () => {
    const prefix = unique('fan-');
    const hundred = Array.from({ length: 100 }, (_, i) => `${prefix}-${i}`);
    const client = await clients.connect();
    const last = await subscribed(client, hundred[99]!);
    const got = nextEvent(last, 'tick', 'the 100th channel');
    expect((await backend.pusher.trigger(hundred, 'tick', { n: 100 })).status).toBe(200);
    expect(await got).toEqual({ n: 100 });

    // The SDK refuses 101 channels itself, so send the bodies the way a less careful client would;
    // the 100-channel control shows the 400 is about the count.
    const body = (channels: string[]) => ({ name: 'tick', data: '{}', channels });
    expect(await statusOf(postJson(backend.pusher, '/events', body(hundred)))).toBe(200);
    expect(await statusOf(postJson(backend.pusher, '/events', body([...hundred, `${prefix}-100`])))).toBe(
      400,
    );
  });

  it('returns subscription_count and user_count when asked with info', async () => {
    const publicName = unique('orders-');
    const presenceName = unique('presence-room.');
    const [a, b] = await Promise.all([clients.connect('1'), clients.connect('2')]);
    await Promise.all([subscribed(a, publicName), subscribed(b, publicName)]);
    await Promise.all([subscribed(a, presenceName), subscribed(b, presenceName)]);

    const counted = await json(backend.pusher.trigger(publicName, 'e', {}, { info: 'subscription_count' }));
    expect(counted).toEqual({ channels: { [publicName]: { subscription_count: 2 } } });
    const users = await json(backend.pusher.trigger(presenceName, 'e', {}, { info: 'user_count' }));
    expect(users).toEqual({ channels: { [presenceName]: { user_count: 2 } } });
  });

  it('excludes the connection named by socket_id', async () => {
    const name = unique('orders-');
    const [sender, other] = await Promise.all([clients.connect(), clients.connect()]);
    const [chSender, chOther] = await Promise.all([subscribed(sender, name), subscribed(other, name)]);
    const atSender = record(chSender, 'updated');
    const atOther = nextEvent(chOther, 'updated', 'other client');
    await backend.pusher.trigger(name, 'updated', { v: 1 }, { socket_id: sender.connection.socket_id });
    expect(await atOther).toEqual({ v: 1 });
    await drain(backend, sender, name);
    expect(atSender).toEqual([]);
  });

  it('answers 401 to a request signed with the wrong secret, and delivers nothing', async () => {
    const name = unique('orders-');
    const client = await clients.connect();
    const channel = await subscribed(client, name);
    const received = record(channel, 'forged');
    const impostor = sdkFor(target, { secret: 'not-the-secret' });
    expect(await statusOf(impostor.trigger(name, 'forged', {}))).toBe(401);
    await drain(backend, client, name);
    expect(received).toEqual([]);
  });

  it('answers 404 for an app id that does not exist', async () => {
    const stranger = sdkFor({ ...target, app: { ...target.app, id: '999999' } });
    expect(await statusOf(stranger.trigger('orders', 'e', {}))).toBe(404);
  });
});

describe('POST /batch_events (triggerBatch)', () => {
  it('delivers every event of the batch and answers per-event info', async () => {
    const names = [unique('a-'), unique('b-'), unique('private-c.')];
    const client = await clients.connect('1');
    const channels = await Promise.all(names.map((name) => subscribed(client, name)));
    const got = channels.map((channel, i) => nextEvent(channel, `event-${i}`, channel.name));
    const response = await backend.pusher.triggerBatch([
      { channel: names[0]!, name: 'event-0', data: { i: 0 }, info: 'subscription_count' },
      { channel: names[1]!, name: 'event-1', data: { i: 1 } },
      { channel: names[2]!, name: 'event-2', data: '{"i":2}' },
    ]);
    expect(response.status).toBe(200);
    expect(await Promise.all(got)).toEqual([{ i: 0 }, { i: 1 }, { i: 2 }]);
    const body = (await response.json()) as { batch?: unknown[] };
    expect(body.batch?.[0]).toEqual({ subscription_count: 1 });
    expect(body.batch).toHaveLength(3);
  });

  it('accepts 10 events and rejects 11 with 400', async () => {
    const batch = (count: number) =>
      Array.from({ length: count }, (_, i) => ({ channel: 'orders', name: `e${i}`, data: '{}' }));
    expect(await statusOf(postJson(backend.pusher, '/batch_events', { batch: batch(10) }))).toBe(200);
    expect(await statusOf(postJson(backend.pusher, '/batch_events', { batch: batch(11) }))).toBe(400);
  });
});

describe('GET /channels', () => {
  it('lists occupied channels by prefix, with user_count for presence', async () => {
    const prefix = unique('presence-sdk');
    const [a, b, bAgain] = await Promise.all([
      clients.connect('1'),
      clients.connect('2'),
      clients.connect('2'),
    ]);
    await Promise.all([
      subscribed(a, `${prefix}-x`),
      subscribed(b, `${prefix}-x`),
      subscribed(bAgain, `${prefix}-x`),
    ]);
    await subscribed(a, `${prefix}-y`);
    await subscribed(a, unique('orders-'));

    const listed = await getJson(backend.pusher, '/channels', {
      filter_by_prefix: `${prefix}-`,
      info: 'user_count',
    });
    expect(listed).toEqual({
      channels: { [`${prefix}-x`]: { user_count: 2 }, [`${prefix}-y`]: { user_count: 1 } },
    });
  });

  it('lists a public channel with an empty attribute object and an empty map as {}', async () => {
    const name = unique('listed-');
    const client = await clients.connect();
    await subscribed(client, name);
    expect(await getJson(backend.pusher, '/channels', { filter_by_prefix: name })).toEqual({
      channels: { [name]: {} },
    });
    expect(await getJson(backend.pusher, '/channels', { filter_by_prefix: unique('nobody-') })).toEqual({
      channels: {},
    });
  });

  it('rejects info=user_count without a presence- prefix filter (400)', async () => {
    expect(await statusOf(backend.pusher.get({ path: '/channels', params: { info: 'user_count' } }))).toBe(
      400,
    );
  });
});

describe('GET /channels/{name}', () => {
  it('reports occupation and subscription_count of a public channel', async () => {
    const name = unique('orders-');
    expect(await channelInfo(backend.pusher, name)).toMatchObject({ occupied: false });
    const [a, b] = await Promise.all([clients.connect(), clients.connect()]);
    await Promise.all([subscribed(a, name), subscribed(b, name)]);
    expect(await channelInfo(backend.pusher, name, 'subscription_count')).toMatchObject({
      occupied: true,
      subscription_count: 2,
    });
  });

  it('reports user_count of a presence channel (one user on two connections counts once)', async () => {
    const name = unique('presence-room.');
    const [a, b, bAgain] = await Promise.all([
      clients.connect('1'),
      clients.connect('2'),
      clients.connect('2'),
    ]);
    await Promise.all([subscribed(a, name), subscribed(b, name), subscribed(bAgain, name)]);
    expect(await channelInfo(backend.pusher, name, 'user_count')).toMatchObject({
      occupied: true,
      user_count: 2,
    });
  });

  it('rejects user_count for a channel that is not a presence channel (400)', async () => {
    expect(await statusOf(channelInfo(backend.pusher, unique('orders-'), 'user_count'))).toBe(400);
  });
});

describe('GET /channels/{name}/users', () => {
  it('lists the distinct users of a presence channel', async () => {
    const name = unique('presence-room.');
    const [a, b, bAgain] = await Promise.all([
      clients.connect('1'),
      clients.connect('2'),
      clients.connect('2'),
    ]);
    await Promise.all([subscribed(a, name), subscribed(b, name), subscribed(bAgain, name)]);
    const { users } = await getJson<{ users: Array<{ id: string }> }>(
      backend.pusher,
      `/channels/${name}/users`,
    );
    expect(users.map((u) => u.id).sort()).toEqual(['1', '2']);
    expect(users.every((u) => Object.keys(u).join() === 'id')).toBe(true);
  });

  it('rejects a channel that is not a presence channel (400)', async () => {
    expect(await statusOf(backend.pusher.get({ path: `/channels/${unique('orders-')}/users` }))).toBe(400);
  });
});

describe("GET /connections (Laravel Reverb's own endpoint) through the SDK's get()", () => {
  const connections = async () => (await backend.pusher.get({ path: '/connections' })).text();

  it('answers {"connections": N} with the open connections, subscribed or not', async () => {
    const [a] = await Promise.all([clients.connect(), clients.connect('1')]);
    // The clients of earlier tests may still be closing: wait for ours alone.
    await waitFor(
      async () => (await connections()) === '{"connections":2}',
      EVENT_TIMEOUT_MS,
      '2 connections',
    );
    a.disconnect();
    await waitFor(
      async () => (await connections()) === '{"connections":1}',
      EVENT_TIMEOUT_MS,
      '1 connection',
    );
  });

  it('is signed like the rest of the API: the wrong secret gets 401', async () => {
    const wrong = sdkFor({ ...target, app: { ...target.app, secret: `${target.app.secret}-not` } });
    expect(await statusOf(wrong.get({ path: '/connections' }))).toBe(401);
  });
});

describe('users: sendToUser and terminateUserConnections', () => {
  it('sendToUser and a raw trigger on #server-to-user-{id} both reach the signed-in user', async () => {
    const client = await clients.connect('2');
    await signedIn(client);
    const first = nextEvent(client.user, 'welcome', 'sendToUser');
    expect((await backend.pusher.sendToUser('2', 'welcome', { step: 1 })).status).toBe(200);
    expect(await first).toEqual({ step: 1 });
    // pusher-http-php lets apps trigger on the internal channel directly (the node SDK refuses '#').
    const second = nextEvent(client.user, 'welcome', 'trigger on #server-to-user-2');
    const body = { name: 'welcome', data: '{"step":2}', channels: ['#server-to-user-2'] };
    expect((await postJson(backend.pusher, '/events', body)).status).toBe(200);
    expect(await second).toEqual({ step: 2 });
  });

  it('terminateUserConnections disconnects every connection of that user, which stay disconnected', async () => {
    const [tab1, tab2, bystander] = await Promise.all([
      clients.connect('1'),
      clients.connect('1'),
      clients.connect('2'),
    ]);
    await Promise.all([signedIn(tab1), signedIn(tab2), signedIn(bystander)]);
    const states = (client: Pusher) => record<{ current: string }>(client.connection, 'state_change');
    const [states1, states2, statesBystander] = [states(tab1), states(tab2), states(bystander)];
    const down1 = nextEvent(tab1.connection, 'disconnected', 'tab 1 terminated');
    const down2 = nextEvent(tab2.connection, 'disconnected', 'tab 2 terminated');

    const response = await backend.pusher.terminateUserConnections('1');
    expect(response.status).toBe(200);
    await Promise.all([down1, down2]);
    // pusher-js retries other close codes after about 1 s; 1.5 s without a new attempt shows the close
    // code told it not to come back (4009).
    await quietPeriod(1_500);
    expect(states1.map((s) => s.current)).toEqual(['disconnected']);
    expect(states2.map((s) => s.current)).toEqual(['disconnected']);
    expect(statesBystander).toEqual([]);
    const stillThere = nextEvent(bystander.user, 'ping-user', 'user 2 still connected');
    await backend.pusher.sendToUser('2', 'ping-user', {});
    await stillThere;
  });
});

// pusher-http-php (Laravel's broadcaster) talks to the API through Guzzle: query values percent-encoded
// per RFC 3986 (`%20`, `%2C`), the singular `channel` key for one channel, and json_encode's `\/`.
// Signed here by hand, following docs/protocol.md §7.2, so nothing of the node SDK is involved.
describe('a request shaped like pusher-http-php', () => {
  const signed = (method: 'GET' | 'POST', path: string, query: Record<string, string>, body = '') => {
    const params: Record<string, string> = {
      ...query,
      auth_key: target.app.key,
      auth_timestamp: String(Math.floor(Date.now() / 1000)),
      auth_version: '1.0',
      ...(body ? { body_md5: createHash('md5').update(body).digest('hex') } : {}),
    };
    const canonical = Object.keys(params)
      .sort()
      .map((k) => `${k.toLowerCase()}=${params[k]}`)
      .join('&');
    const signature = createHmac('sha256', target.app.secret)
      .update(`${method}\n${path}\n${canonical}`)
      .digest('hex');
    const encoded = Object.entries({ ...params, auth_signature: signature })
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    return fetch(`${target.httpUrl}${path}?${encoded}`, {
      method,
      headers: { 'Content-Type': 'application/json', 'X-Pusher-Library': 'pusher-http-php 7.2.7' },
      ...(body ? { body } : {}),
    });
  };

  it('accepts a trigger with singular channel and escaped slashes, and relays data byte for byte', async () => {
    const name = unique('orders.');
    const socket = await openRaw(wsUrlOf(target));
    await socket.subscribe(name);
    // json_encode(['url' => 'https://example.com/orders/1', 'total' => '€12']) with PHP's defaults.
    const data = '{"url":"https:\\/\\/example.com\\/orders\\/1","total":"\\u20ac12"}';
    const body = `{"name":"App\\\\Events\\\\OrderShipped","data":${JSON.stringify(data).replaceAll('/', '\\/')},"channel":"${name}"}`;
    expect(body).toContain('https:\\\\\\/\\\\\\/example.com');
    const response = await signed('POST', `/apps/${target.app.id}/events`, {}, body);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    const frame = await socket.next(
      (f) => f.event === 'App\\Events\\OrderShipped' && f.channel === name,
      'the PHP-triggered event',
      EVENT_TIMEOUT_MS,
    );
    expect(frame.data).toBe(data);
  });

  it('accepts a GET whose query values are %20 / %2C encoded', async () => {
    const name = unique('presence-php.');
    const client = await clients.connect('3');
    await subscribed(client, name);
    const response = await signed('GET', `/apps/${target.app.id}/channels`, {
      filter_by_prefix: name,
      info: 'user_count',
      // An app-supplied parameter: PHP signs it raw and Guzzle sends it as "Laravel%20app".
      note: 'Laravel app, v11',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ channels: { [name]: { user_count: 1 } } });
  });

  it('answers 401 when the signature does not cover what was sent', async () => {
    const response = await signed('GET', `/apps/${target.app.id}/channels`, {});
    expect(response.status).toBe(200);
    const tampered = new URL(response.url);
    tampered.searchParams.set('filter_by_prefix', 'private-');
    expect((await fetch(tampered)).status).toBe(401);
  });
});
