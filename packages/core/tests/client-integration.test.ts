/**
 * The client core against our real server (`reverb start` on a free port), an app server that signs
 * with the official `pusher` SDK as Laravel would, and `pusher-js` for interop.
 */
import { createServer, type Server } from 'node:http';
import { type ServerHandle, startFaultProxy, startServer, waitFor } from '@react-reverb/test-helpers';
import Pusher from 'pusher';
import PusherJs from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createReverbClient, type ReverbClient, type ReverbClientOptions } from '../src/index';
import { readForm } from './support/form';

const MASTER_KEY = Buffer.alloc(32, 7).toString('base64');

let server: ServerHandle;
let appServer: Server;
let appUrl = '';
let sdk: Pusher;
/** socket_id of every auth request the app server got, by endpoint. */
const authRequests: Array<{ path: string; socketId: string; channel?: string }> = [];
const clients: ReverbClient[] = [];

/** The Laravel side: /broadcasting/auth and /broadcasting/user-auth signed by the pusher SDK. */
function startAppServer(): Promise<void> {
  appServer = createServer(async (request, response) => {
    const form = await readForm(request);
    const socketId = form.get('socket_id') ?? '';
    const userId = form.get('user_id') ?? '17';
    const path = request.url ?? '';
    let body: unknown;
    if (path === '/broadcasting/auth') {
      const channel = form.get('channel_name') ?? '';
      authRequests.push({ path, socketId, channel });
      if (channel.startsWith('private-forbidden')) {
        response.writeHead(403).end('Forbidden');
        return;
      }
      body = channel.startsWith('presence-')
        ? sdk.authorizeChannel(socketId, channel, { user_id: userId, user_info: { name: `user ${userId}` } })
        : sdk.authorizeChannel(socketId, channel);
    } else if (path === '/broadcasting/user-auth') {
      authRequests.push({ path, socketId });
      const watchlist = (form.get('watchlist') ?? '').split(',').filter(Boolean);
      body = sdk.authenticateUser(socketId, { id: userId, user_info: { name: `user ${userId}` }, watchlist });
    } else {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
  });
  return new Promise((resolve) => {
    appServer.listen(0, '127.0.0.1', () => {
      const address = appServer.address();
      appUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
      resolve();
    });
  });
}

function makeSdk(handle: ServerHandle): Pusher {
  return new Pusher({
    appId: handle.app.id,
    key: handle.app.key,
    secret: handle.app.secret,
    host: '127.0.0.1',
    port: String(handle.port),
    useTLS: false,
    encryptionMasterKeyBase64: MASTER_KEY,
  });
}

function client(
  options: Partial<ReverbClientOptions> & { userId?: string; watchlist?: string } = {},
): ReverbClient {
  const { userId = '17', watchlist = '', ...rest } = options;
  const created = createReverbClient({
    key: server.app.key,
    host: '127.0.0.1',
    port: server.port,
    WebSocket,
    autoConnect: false,
    authEndpoint: `${appUrl}/broadcasting/auth`,
    userAuthEndpoint: `${appUrl}/broadcasting/user-auth`,
    auth: { params: { user_id: userId, watchlist } },
    ...rest,
  });
  clients.push(created);
  created.connect();
  return created;
}

const state = (c: ReverbClient) => c.connection.getSnapshot().state;
const connected = (c: ReverbClient, what = 'connected') =>
  waitFor(() => state(c) === 'connected', 10_000, what);
const subscribed = (c: ReverbClient, name: string) =>
  waitFor(() => c.channel(name)?.getSnapshot().status === 'subscribed', 10_000, `${name} subscribed`);

beforeAll(async () => {
  server = await startServer();
  sdk = makeSdk(server);
  await startAppServer();
});

afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

afterAll(async () => {
  await server?.stop();
  await new Promise((resolve) => appServer?.close(resolve));
});

describe('events', () => {
  it('receives events triggered by the pusher SDK on public and private channels', async () => {
    const c = client();
    const pub = c.retain('orders').channel;
    const priv = c.retain('private-orders.17').channel;
    const got: unknown[] = [];
    pub.bind(c.formatEventName('OrderShipped'), (data, meta) => got.push([meta.channel, meta.event, data]));
    priv.bind('status', (data, meta) => got.push([meta.channel, meta.event, data]));
    await subscribed(c, 'orders');
    await subscribed(c, 'private-orders.17');
    await sdk.trigger('orders', 'App\\Events\\OrderShipped', { id: 17 });
    await sdk.trigger('private-orders.17', 'status', 'shipped');
    await waitFor(() => got.length === 2, 5_000, 'two events');
    expect(got).toEqual([
      ['orders', 'App\\Events\\OrderShipped', { id: 17 }],
      ['private-orders.17', 'status', 'shipped'],
    ]);
  });

  it('shows an auth refusal on the channel status', async () => {
    const c = client();
    const { channel } = c.retain('private-forbidden');
    await waitFor(() => channel.getSnapshot().status === 'error', 5_000, 'auth error');
    expect(channel.getSnapshot().error).toMatchObject({ type: 'AuthError', status: 403 });
  });

  it('decrypts encrypted events the pusher SDK triggers with a master key', async () => {
    const c = client({ encryption: () => import('../src/encrypted/index') });
    const { channel } = c.retain('private-encrypted-vault');
    const got: unknown[] = [];
    channel.bind('opened', (data) => got.push(data));
    await subscribed(c, 'private-encrypted-vault');
    await sdk.trigger('private-encrypted-vault', 'opened', { gold: 3 });
    await waitFor(() => got.length === 1, 5_000, 'decrypted event');
    expect(got).toEqual([{ gold: 3 }]);
  });
});

describe('presence and whispers', () => {
  it('two clients see each other join and leave', async () => {
    const ada = client({ userId: '17' });
    const bob = client({ userId: '18' });
    const adaRoom = ada.retainPresence<{ name: string }>('presence-room.1');
    await subscribed(ada, 'presence-room.1');
    const joined: string[] = [];
    const left: string[] = [];
    adaRoom.channel.onJoin((m) => joined.push(m.id));
    adaRoom.channel.onLeave((m) => left.push(m.id));
    const bobRoom = bob.retainPresence<{ name: string }>('presence-room.1');
    await subscribed(bob, 'presence-room.1');
    await waitFor(() => adaRoom.channel.presence.getSnapshot().count === 2, 5_000, 'ada sees bob');
    expect(joined).toEqual(['18']);
    expect(bobRoom.channel.presence.getSnapshot()).toMatchObject({
      count: 2,
      myId: '18',
      me: { id: '18', info: { name: 'user 18' } },
    });
    expect(bobRoom.channel.presence.getSnapshot().members.map((m) => m.id)).toEqual(['17', '18']);
    bobRoom.release();
    await waitFor(() => adaRoom.channel.presence.getSnapshot().count === 1, 5_000, 'bob left');
    expect(left).toEqual(['18']);
  });

  it('whispers reach the other client with the sender id, not the sender', async () => {
    const ada = client({ userId: '17' });
    const bob = client({ userId: '18' });
    const bobRoom = bob.retainPresence('presence-chat').channel;
    const bobGot: unknown[] = [];
    const adaGot: unknown[] = [];
    bobRoom.bind('client-typing', (data, meta) => bobGot.push([data, meta.userId]));
    await subscribed(bob, 'presence-chat');
    const adaRoom = ada.retainPresence('presence-chat').channel;
    adaRoom.bind('client-typing', (data) => adaGot.push(data));
    // Sent before Ada's subscription exists: queued until it does.
    adaRoom.whisper('typing', { typing: true });
    expect(adaRoom.getSnapshot().status).toBe('subscribing');
    await waitFor(() => bobGot.length === 1, 10_000, 'whisper');
    expect(bobGot).toEqual([[{ typing: true }, '17']]);
    expect(adaGot).toEqual([]);
  });
});

describe('user sign-in', () => {
  it('signs in, receives #server-to-user events and watchlist changes', async () => {
    const ada = client({ userId: '17', watchlist: '18' });
    ada.user.signin();
    await waitFor(() => ada.user.getSnapshot().status === 'signed-in', 5_000, 'signed in');
    expect(ada.user.getSnapshot()).toMatchObject({ id: '17', info: { name: 'user 17' } });
    const notes: unknown[] = [];
    ada.user.bind('note', (data) => notes.push(data));
    await waitFor(
      async () => {
        await sdk.sendToUser('17', 'note', { n: notes.length });
        return notes.length > 0;
      },
      5_000,
      'user event',
    );
    expect(notes[0]).toEqual({ n: 0 });

    const bob = client({ userId: '18' });
    bob.user.signin();
    await waitFor(() => ada.user.getSnapshot().watchlist['18'] === true, 5_000, 'bob online');
    bob.disconnect();
    await waitFor(() => ada.user.getSnapshot().watchlist['18'] === false, 5_000, 'bob offline');
  });
});

describe('connection policy against the real server', () => {
  it('an unknown app key (4001) stops for good', async () => {
    const c = client({ key: 'no-such-key' });
    await waitFor(() => state(c) === 'failed', 5_000, 'failed');
    expect(c.connection.getSnapshot()).toMatchObject({ nextRetryAt: null, lastError: { code: 4001 } });
  });

  it('over capacity (4100) backs off, then gets in when a slot frees', async () => {
    const small = await startServer({ config: { max_connections: 1 } });
    try {
      const options = { port: small.port, key: small.app.key };
      const first = client(options);
      await connected(first);
      const second = client(options);
      await waitFor(() => second.connection.getSnapshot().lastError?.code === 4100, 5_000, '4100');
      const snapshot = second.connection.getSnapshot();
      expect(snapshot.state).toMatch(/reconnecting|unavailable/);
      expect(snapshot.attempt).toBeGreaterThanOrEqual(1);
      expect(snapshot.nextRetryAt).not.toBeNull();
      expect((snapshot.nextRetryAt ?? 0) - Date.now()).toBeGreaterThan(200);
      first.disconnect();
      await connected(second, 'second gets the slot');
    } finally {
      await small.stop();
    }
  });

  it('comes back after the server restarts: new socket id, auth re-fetched, channels and presence back', async () => {
    const ada = client({ userId: '17' });
    const bob = client({ userId: '18' });
    const adaRoom = ada.retainPresence('presence-lobby').channel;
    bob.retainPresence('presence-lobby');
    const orders = ada.retain('private-orders.9').channel;
    const got: unknown[] = [];
    orders.bind('status', (data) => got.push(data));
    ada.user.signin();
    await subscribed(ada, 'private-orders.9');
    await waitFor(() => adaRoom.presence.getSnapshot().count === 2, 5_000, 'two members');
    await waitFor(() => ada.user.getSnapshot().status === 'signed-in', 5_000, 'signed in');
    const oldSocketId = ada.connection.getSnapshot().socketId;

    await server.kill();
    await waitFor(() => state(ada) !== 'connected', 5_000, 'noticed the drop');
    expect(adaRoom.presence.getSnapshot()).toMatchObject({ count: 2, stale: true });
    expect(orders.getSnapshot().status).toBe('subscribing');
    server = await server.restart();

    await connected(ada, 'ada back');
    const newSocketId = ada.connection.getSnapshot().socketId;
    expect(newSocketId).not.toBe(oldSocketId);
    await subscribed(ada, 'private-orders.9');
    await waitFor(
      () => adaRoom.presence.getSnapshot().count === 2 && !adaRoom.presence.getSnapshot().stale,
      10_000,
      'presence back',
    );
    await waitFor(() => ada.user.getSnapshot().status === 'signed-in', 5_000, 'signed in again');
    expect(authRequests).toContainEqual({
      path: '/broadcasting/auth',
      socketId: newSocketId,
      channel: 'private-orders.9',
    });
    expect(authRequests).toContainEqual({
      path: '/broadcasting/auth',
      socketId: newSocketId,
      channel: 'presence-lobby',
    });
    expect(authRequests).toContainEqual({ path: '/broadcasting/user-auth', socketId: newSocketId });
    await sdk.trigger('private-orders.9', 'status', 'after restart');
    await waitFor(() => got.length === 1, 5_000, 'event after restart');
    expect(got).toEqual(['after restart']);
  });

  it('notices a silently dead socket through the activity and pong timeouts', async () => {
    const proxy = await startFaultProxy({ target: server.port });
    try {
      const c = client({ port: proxy.port, activityTimeout: 300, pongTimeout: 300 });
      await connected(c);
      const firstId = c.connection.getSnapshot().socketId;
      // The reconnect through the proxy is quick: record every snapshot rather than poll for one.
      const seen: Array<ReturnType<typeof c.connection.getSnapshot>> = [];
      c.connection.subscribe(() => seen.push(c.connection.getSnapshot()));
      // A dead path: the socket stays open and nothing arrives, not even the pong.
      proxy.freeze();
      await waitFor(() => seen.some((s) => s.lastError?.code === 4201), 5_000, 'pong timeout');
      expect(seen.find((s) => s.lastError?.code === 4201)?.state).toBe('reconnecting');
      await connected(c, 'reconnected through the proxy');
      expect(c.connection.getSnapshot().socketId).not.toBe(firstId);
      expect(proxy.counts.accepted).toBe(2);
    } finally {
      await proxy.close();
    }
  });
});

describe('interop with pusher-js', () => {
  it('both clients see the same events on one channel, and whispers cross between them', async () => {
    const ours = client({ userId: '17' });
    const theirs = new PusherJs(server.app.key, {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: server.port,
      forceTLS: false,
      enabledTransports: ['ws'],
      channelAuthorization: {
        endpoint: `${appUrl}/broadcasting/auth`,
        transport: 'ajax',
        params: { user_id: '18' },
      },
    });
    try {
      const ourChannel = ours.retain('private-interop').channel;
      const theirChannel = theirs.subscribe('private-interop');
      const oursGot: unknown[] = [];
      const theirsGot: unknown[] = [];
      ourChannel.bind('tick', (data) => oursGot.push(data));
      ourChannel.bind('client-hello', (data) => oursGot.push(data));
      theirChannel.bind('tick', (data: unknown) => theirsGot.push(data));
      theirChannel.bind('client-typing', (data: unknown) => theirsGot.push(data));
      await subscribed(ours, 'private-interop');
      await waitFor(() => theirChannel.subscribed, 10_000, 'pusher-js subscribed');
      await sdk.trigger('private-interop', 'tick', { n: 1 });
      await sdk.trigger('private-interop', 'tick', { n: 2 });
      await waitFor(() => oursGot.length === 2 && theirsGot.length === 2, 5_000, 'both got the events');
      expect(oursGot).toEqual([{ n: 1 }, { n: 2 }]);
      expect(theirsGot).toEqual(oursGot);

      ourChannel.whisper('typing', { typing: true });
      theirChannel.trigger('client-hello', { from: 'pusher-js' });
      await waitFor(() => oursGot.length === 3 && theirsGot.length === 3, 5_000, 'whispers crossed');
      expect(oursGot[2]).toEqual({ from: 'pusher-js' });
      expect(theirsGot[2]).toEqual({ typing: true });
    } finally {
      theirs.disconnect();
    }
  });
});
