/** User sign-in, #server-to-user- channels and watchlists (protocol.md §3.11, §3.12). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkFor, userAuth } from './helpers/auth';
import { dataOf, type RawClient, rawClients, subscribeFrame } from './helpers/raw-client';
import { startTestServer, type TestServer } from './helpers/server';

let t: TestServer;
const open = rawClients();
beforeAll(async () => {
  t = await startTestServer();
});
afterAll(() => t.close());

async function connect(server = t): Promise<RawClient> {
  return open(server.wsUrl());
}

async function signIn(c: RawClient, user: { id: string; watchlist?: string[] }, server = t) {
  const data = userAuth(server, c.socketId, user);
  c.send({ event: 'pusher:signin', data });
  const success = await c.nextEvent('pusher:signin_success');
  return { success, data };
}

describe('sign-in', () => {
  it('answers signin_success with user_data as an object field, byte for byte', async () => {
    const c = await connect();
    const { data } = await signIn(c, { id: '17' });
    expect(c.raw).toContain(
      JSON.stringify({ event: 'pusher:signin_success', data: { user_data: data.user_data } }),
    );
  });

  it('refuses a bad signature with 4009 and stays open', async () => {
    const c = await connect();
    c.send({ event: 'pusher:signin', data: { auth: `${t.app.key}:00`, user_data: '{"id":"17"}' } });
    await c.nextEvent('pusher:error');
    expect(c.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4009,"message":"Invalid signature for pusher:signin"}}',
    );
    c.send('{"event":"pusher:ping","data":{}}');
    await c.nextEvent('pusher:pong');
  });

  it('refuses a non-string id and a second sign-in as someone else', async () => {
    const c = await connect();
    const { hmacSha256Hex } = await import('@react-reverb/core/signing');
    const userData = '{"id":17}';
    c.send({
      event: 'pusher:signin',
      data: {
        auth: `${t.app.key}:${hmacSha256Hex(t.app.secret, `${c.socketId}::user::${userData}`)}`,
        user_data: userData,
      },
    });
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: 'user_data needs a non-empty string id',
    });
    await signIn(c, { id: 'a' });
    c.send({ event: 'pusher:signin', data: userAuth(t, c.socketId, { id: 'b' }) });
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: 'Already signed in as another user on this connection',
    });
  });

  it('is refused when the app disables user authentication', async () => {
    const off = await startTestServer([{ id: '7', key: 'k7', secret: 's7', user_authentication: false }]);
    try {
      const c = await connect(off);
      c.send({ event: 'pusher:signin', data: userAuth(off, c.socketId, { id: '1' }) });
      expect((await c.nextEvent('pusher:error')).data).toEqual({
        code: 4009,
        message: 'User authentication is disabled for this app',
      });
    } finally {
      await off.close();
    }
  });
});

describe('#server-to-user-', () => {
  it('subscribes once signed in, and sendToUser reaches every connection of that user', async () => {
    const [a1, a2, other] = [await connect(), await connect(), await connect()];
    for (const c of [a1, a2]) {
      await signIn(c, { id: 'alice' });
      c.send(subscribeFrame('#server-to-user-alice'));
      await c.nextEvent('pusher_internal:subscription_succeeded', '#server-to-user-alice');
    }
    await signIn(other, { id: 'bob' });
    other.send(subscribeFrame('#server-to-user-alice'));
    expect((await other.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
    await sdkFor(t).sendToUser('alice', 'notify', { hi: 1 });
    for (const c of [a1, a2])
      expect((await c.nextEvent('notify', '#server-to-user-alice')).data).toBe('{"hi":1}');
    expect(other.all('notify')).toEqual([]);
  });

  it('terminateUserConnections closes every connection signed in as the user with 4009', async () => {
    const [a1, a2, bystander] = [await connect(), await connect(), await connect()];
    await signIn(a1, { id: 'carol' });
    await signIn(a2, { id: 'carol' });
    await signIn(bystander, { id: 'dave' });
    await sdkFor(t).terminateUserConnections('carol');
    for (const c of [a1, a2]) {
      const closed = await c.closed();
      expect(closed.code).toBe(4009);
      expect(c.raw).toContain(
        '{"event":"pusher:error","data":{"code":4009,"message":"Connection terminated by the application"}}',
      );
    }
    bystander.send('{"event":"pusher:ping","data":{}}');
    await bystander.nextEvent('pusher:pong');
    expect(bystander.closeCode).toBeUndefined();
  });
});

describe('watchlist (§3.12)', () => {
  it('sends current statuses after sign-in, then online/offline changes', async () => {
    const online = await connect();
    await signIn(online, { id: 'w-18' });
    const watcher = await connect();
    await signIn(watcher, { id: 'w-17', watchlist: ['w-18', 'w-19'] });
    const first = await watcher.nextEvent('pusher_internal:watchlist_events');
    expect(first.channel).toBeUndefined();
    expect(dataOf(first)).toEqual({
      events: [
        { name: 'online', user_ids: ['w-18'] },
        { name: 'offline', user_ids: ['w-19'] },
      ],
    });
    const w19 = await connect();
    await signIn(w19, { id: 'w-19' });
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'online', user_ids: ['w-19'] }],
    });
    // A second connection of an online user changes nothing; the last one leaving makes it offline.
    const w19b = await connect();
    await signIn(w19b, { id: 'w-19' });
    w19.close();
    await w19.closed();
    w19b.ws.terminate();
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'offline', user_ids: ['w-19'] }],
    });
    expect(watcher.all('pusher_internal:watchlist_events')).toHaveLength(3);
  });

  it('over 100 ids: success, the first 100 kept, then pusher:error 4302', async () => {
    const c = await connect();
    const watchlist = Array.from({ length: 105 }, (_, i) => `x-${i}`);
    await signIn(c, { id: 'big', watchlist });
    const error = await c.nextEvent('pusher:error');
    expect(error.data).toMatchObject({ code: 4302 });
    const [frame] = c.all('pusher_internal:watchlist_events');
    if (!frame) throw new Error('no watchlist_events');
    const statuses = dataOf<{ events: { name: string; user_ids: string[] }[] }>(frame);
    expect(statuses.events[0]?.user_ids).toHaveLength(100);
    expect(statuses.events[0]?.user_ids.at(-1)).toBe('x-99');
  });

  it('is off unless the app opts in', async () => {
    const off = await startTestServer([{ id: '10', key: 'k10', secret: 's10' }]);
    try {
      const c = await connect(off);
      await signIn(c, { id: 'a', watchlist: ['b'] }, off);
      c.send('{"event":"pusher:ping","data":{}}');
      await c.nextEvent('pusher:pong');
      expect(c.all('pusher_internal:watchlist_events')).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
