/**
 * The client's recovery and replaced state against our real server (`reverb start` on a free port, one
 * app with single session on), through `startFaultProxy`: real cuts (TCP resets, reconnects refused for a
 * while), events triggered with the official `pusher` SDK during the outage, and an app backend that
 * signs with the SDK as Laravel would.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DEMO_APP_CONFIG,
  type FaultProxy,
  type ServerHandle,
  startFaultProxy,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createReverbClient, type EventMeta, type ReverbClient } from '../src/index';
import { readForm } from './support/form';

let server: ServerHandle;
let proxy: FaultProxy;
let sdk: Pusher;
let backend: Server;
let backendUrl = '';
const clients: ReverbClient[] = [];
let counter = 0;
const unique = (prefix: string) => `${prefix}${Date.now().toString(36)}${++counter}`;

/** `/broadcasting/auth` and `/broadcasting/user-auth`; the user and its session come as params. */
function startBackend(): Promise<void> {
  backend = createServer(async (request, response) => {
    const form = await readForm(request);
    const socketId = form.get('socket_id') ?? '';
    const id = form.get('user_id') ?? '17';
    const session = form.get('session_id');
    const body =
      request.url === '/broadcasting/user-auth'
        ? sdk.authenticateUser(socketId, { id, ...(session ? { session_id: session } : {}) })
        : sdk.authorizeChannel(socketId, form.get('channel_name') ?? '');
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  return new Promise((resolve) =>
    backend.listen(0, '127.0.0.1', () => {
      backendUrl = `http://127.0.0.1:${(backend.address() as AddressInfo).port}`;
      resolve();
    }),
  );
}

/** A client through the proxy (cuttable) or straight at the server. */
function client(params: Record<string, string> = {}, through: 'proxy' | 'direct' = 'proxy'): ReverbClient {
  const created = createReverbClient({
    key: server.app.key,
    host: '127.0.0.1',
    port: through === 'proxy' ? proxy.port : server.port,
    WebSocket,
    autoConnect: true,
    authEndpoint: `${backendUrl}/broadcasting/auth`,
    userAuthEndpoint: `${backendUrl}/broadcasting/user-auth`,
    auth: { params },
  });
  clients.push(created);
  return created;
}

const state = (c: ReverbClient) => c.connection.getSnapshot().state;
const connected = (c: ReverbClient) => waitFor(() => state(c) === 'connected', 10_000, 'connected');
const subscribed = (c: ReverbClient, name: string) =>
  waitFor(() => c.channel(name)?.getSnapshot().status === 'subscribed', 10_000, `${name} subscribed`);
const range = (from: number, to: number) => Array.from({ length: to - from }, (_, i) => from + i);

/** Cuts every connection through the proxy and refuses new ones while `during` runs, then lets them in. */
async function outage(during: () => Promise<void>): Promise<void> {
  proxy.cut();
  proxy.refuse();
  try {
    await during();
  } finally {
    proxy.accept();
  }
}

beforeAll(async () => {
  server = await startServer({ apps: [{ ...DEMO_APP_CONFIG, single_session: true }] });
  sdk = new Pusher({
    appId: server.app.id,
    key: server.app.key,
    secret: server.app.secret,
    host: '127.0.0.1',
    port: String(server.port),
    useTLS: false,
  });
  proxy = await startFaultProxy({ target: server.port });
  await startBackend();
}, 30_000);

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  await proxy?.close();
  await server?.stop();
  await new Promise((resolve) => backend?.close(resolve));
});

describe('recovery through a real cut', () => {
  it('every event once and in order: live, missed during the outage (replayed), live again', async () => {
    const name = unique('private-chat.');
    const c = client();
    await connected(c);
    const { channel } = c.retain(name);
    const got: Array<[number, boolean]> = [];
    channel.bind('App\\Events\\Msg', (data, meta: EventMeta) =>
      got.push([(data as { n: number }).n, !!meta.replayed]),
    );
    await subscribed(c, name);
    for (const n of range(0, 3)) await sdk.trigger(name, 'App\\Events\\Msg', { n });
    await waitFor(() => got.length === 3, 10_000, 'three live events');
    const oldSocket = c.connection.getSnapshot().socketId ?? '';

    await outage(async () => {
      await waitFor(() => state(c) !== 'connected', 10_000, 'the cut noticed');
      for (const n of range(3, 40)) await sdk.trigger(name, 'App\\Events\\Msg', { n });
      // Caused by this client on its previous socket (toOthers()): not replayed to it.
      await sdk.trigger(name, 'App\\Events\\Msg', { n: -1 }, { socket_id: oldSocket });
    });
    await connected(c);
    await waitFor(() => got.length === 40, 15_000, 'the replay');
    expect(channel.getSnapshot().recovery).toEqual({ recovered: true, replayed: 37 });
    for (const n of range(40, 43)) await sdk.trigger(name, 'App\\Events\\Msg', { n });
    await waitFor(() => got.length === 43, 10_000, 'live again');

    expect(got.map(([n]) => n)).toEqual(range(0, 43));
    expect(got.filter(([, replayed]) => replayed).map(([n]) => n)).toEqual(range(3, 40));
  });

  it('the user channel (#server-to-user-) recovers what sendToUser sent during the outage', async () => {
    const user = unique('u');
    const c = client({ user_id: user });
    await connected(c);
    c.user.signin();
    const got: Array<[number, boolean]> = [];
    c.user.bind('notice', (data, meta) => got.push([(data as { n: number }).n, !!meta.replayed]));
    await waitFor(() => c.user.getSnapshot().status === 'signed-in', 10_000, 'signed in');
    // signin_success comes before the client subscribes to its user channel: what is sent to the user in between
    // has no subscriber and is not a live event for it yet.
    const userChannel = `/channels/${encodeURIComponent(`#server-to-user-${user}`)}`;
    await waitFor(
      async () => ((await (await sdk.get({ path: userChannel })).json()) as { occupied: boolean }).occupied,
      10_000,
      'the user channel subscribed',
    );
    await sdk.sendToUser(user, 'notice', { n: 0 });
    await waitFor(() => got.length === 1, 10_000, 'a live notice');
    await outage(async () => {
      await waitFor(() => state(c) !== 'connected', 10_000, 'the cut noticed');
      for (const n of [1, 2, 3]) await sdk.sendToUser(user, 'notice', { n });
    });
    await waitFor(() => got.length === 4, 15_000, 'the replay');
    expect(got).toEqual([
      [0, false],
      [1, true],
      [2, true],
      [3, true],
    ]);
    expect(c.user.getSnapshot().recovery).toEqual({ recovered: true, replayed: 3 });
  });

  it('rewind: a first subscribe opens with the last N kept events', async () => {
    const name = unique('private-notifications.');
    for (const n of range(0, 6)) await sdk.trigger(name, 'App\\Events\\Msg', { n });
    const c = client({}, 'direct');
    const { channel } = c.retain(name, { rewind: 3 });
    const got: Array<[number, boolean]> = [];
    channel.bind('App\\Events\\Msg', (data, meta) => got.push([(data as { n: number }).n, !!meta.replayed]));
    await waitFor(() => got.length === 3, 10_000, 'the rewind');
    expect(got).toEqual([
      [3, true],
      [4, true],
      [5, true],
    ]);
    expect(channel.getSnapshot().recovery).toEqual({ recovered: true, replayed: 3 });
  });

  it('a channel without history (public) recovers nothing and reports nothing', async () => {
    const name = unique('orders.');
    const c = client();
    const { channel } = c.retain(name);
    await subscribed(c, name);
    await outage(async () => {
      await waitFor(() => state(c) !== 'connected', 10_000, 'the cut noticed');
    });
    await connected(c);
    await subscribed(c, name);
    expect(channel.getSnapshot().recovery).toBeNull();
  });
});

describe('single session on the real server', () => {
  it('a sign-in with another session puts the older device in replaced, for good; tabs of one session stay', async () => {
    const user = unique('s');
    const first = client({ user_id: user, session_id: 'laptop' }, 'direct');
    first.user.signin();
    await waitFor(() => first.user.getSnapshot().status === 'signed-in', 10_000, 'laptop signed in');
    const tab = client({ user_id: user, session_id: 'laptop' }, 'direct');
    tab.user.signin();
    await waitFor(() => tab.user.getSnapshot().status === 'signed-in', 10_000, 'second tab signed in');
    expect(state(first)).toBe('connected');

    const phone = client({ user_id: user, session_id: 'phone' }, 'direct');
    phone.user.signin();
    await waitFor(() => state(first) === 'replaced' && state(tab) === 'replaced', 10_000, 'laptop replaced');
    expect(first.connection.getSnapshot()).toMatchObject({ socketId: null, lastError: { code: 4010 } });
    // Terminal: no reconnect loop.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(state(first)).toBe('replaced');
    expect(first.connection.getSnapshot().attempt).toBe(0);
    expect(state(phone)).toBe('connected');
    expect(phone.user.getSnapshot().status).toBe('signed-in');
  });

  it('a device offline during the other sign-in is replaced when it comes back', async () => {
    const user = unique('o');
    const laptop = client({ user_id: user, session_id: 'laptop' });
    laptop.user.signin();
    await waitFor(() => laptop.user.getSnapshot().status === 'signed-in', 10_000, 'laptop signed in');
    await outage(async () => {
      await waitFor(() => state(laptop) !== 'connected', 10_000, 'the cut noticed');
      const phone = client({ user_id: user, session_id: 'phone' }, 'direct');
      phone.user.signin();
      await waitFor(() => phone.user.getSnapshot().status === 'signed-in', 10_000, 'phone signed in');
    });
    await waitFor(() => state(laptop) === 'replaced', 15_000, 'laptop replaced on its return');
    expect(laptop.connection.getSnapshot().lastError).toMatchObject({ code: 4010 });
  });
});
