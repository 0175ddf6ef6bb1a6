/** User sign-in, #server-to-user- channels and watchlists (docs/protocol.md §3.11, §3.12). */
import { describe, expect, it } from 'vitest';
import { sdkFor, signIn, userAuth } from './support/auth';
import { dataOf, rawClients, subscribeFrame } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer();
const connect = rawClients();

describe('sign-in', () => {
  it('answers signin_success with user_data as an object field, byte for byte', async () => {
    const c = await connect(t);
    const { data } = await signIn(t, c, { id: '17' });
    expect(c.raw).toContain(
      JSON.stringify({ event: 'pusher:signin_success', data: { user_data: data.user_data } }),
    );
  });

  it('refuses a bad signature with 4009 and stays open', async () => {
    const c = await connect(t);
    c.send({ event: 'pusher:signin', data: { auth: `${t.app.key}:00`, user_data: '{"id":"17"}' } });
    await c.nextEvent('pusher:error');
    expect(c.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4009,"message":"Invalid signature for pusher:signin"}}',
    );
    await c.ping();
  });

  it('refuses a non-string id and a second sign-in as someone else', async () => {
    const c = await connect(t);
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
    await signIn(t, c, { id: 'a' });
    c.send({ event: 'pusher:signin', data: userAuth(t, c.socketId, { id: 'b' }) });
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: 'Already signed in as another user on this connection',
    });
  });

  it('accepts a session_id (docs/protocol.md §11.2) and refuses an invalid one with 4009, staying open', async () => {
    const c = await connect(t);
    const signed = (sessionId: unknown) =>
      sdkFor(t).authenticateUser(c.socketId, { id: '17', session_id: sessionId });
    for (const bad of ['', 'x'.repeat(129), 42]) {
      c.send({ event: 'pusher:signin', data: signed(bad) });
      expect((await c.nextEvent('pusher:error')).data).toEqual({
        code: 4009,
        message: 'user_data.session_id must be a string of 1 to 128 characters',
      });
    }
    c.send('{"event":"pusher:ping","data":{}}');
    await c.nextEvent('pusher:pong');
    const data = signed('x'.repeat(128));
    c.send({ event: 'pusher:signin', data });
    await c.nextEvent('pusher:signin_success');
    expect(c.raw).toContain(
      JSON.stringify({ event: 'pusher:signin_success', data: { user_data: data.user_data } }),
    );
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
    const [a1, a2, other] = [await connect(t), await connect(t), await connect(t)];
    for (const c of [a1, a2]) {
      await signIn(t, c, { id: 'alice' });
      await c.subscribe('#server-to-user-alice');
    }
    await signIn(t, other, { id: 'bob' });
    other.send(subscribeFrame('#server-to-user-alice'));
    expect((await other.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
    await sdkFor(t).sendToUser('alice', 'notify', { hi: 1 });
    for (const c of [a1, a2])
      expect((await c.nextEvent('notify', '#server-to-user-alice')).data).toBe('{"hi":1}');
    expect(other.all('notify')).toEqual([]);
  });

  it('terminateUserConnections closes every connection signed in as the user with 4009', async () => {
    const [a1, a2, bystander] = [await connect(t), await connect(t), await connect(t)];
    await signIn(t, a1, { id: 'carol' });
    await signIn(t, a2, { id: 'carol' });
    await signIn(t, bystander, { id: 'dave' });
    await sdkFor(t).terminateUserConnections('carol');
    for (const c of [a1, a2]) {
      const closed = await c.closed();
      expect(closed.code).toBe(4009);
      expect(c.raw).toContain(
        '{"event":"pusher:error","data":{"code":4009,"message":"Connection terminated by the application"}}',
      );
    }
    await bystander.ping();
    expect(bystander.closeCode).toBeUndefined();
  });
});

describe('watchlist (§3.12)', () => {
  it('sends current statuses after sign-in, then online/offline changes', async () => {
    const online = await connect(t);
    await signIn(t, online, { id: 'w-18' });
    const watcher = await connect(t);
    await signIn(t, watcher, { id: 'w-17', watchlist: ['w-18', 'w-19'] });
    const first = await watcher.nextEvent('pusher_internal:watchlist_events');
    expect(first.channel).toBeUndefined();
    expect(dataOf(first)).toEqual({
      events: [
        { name: 'online', user_ids: ['w-18'] },
        { name: 'offline', user_ids: ['w-19'] },
      ],
    });
    const w19 = await connect(t);
    await signIn(t, w19, { id: 'w-19' });
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'online', user_ids: ['w-19'] }],
    });
    // A second connection of an online user changes nothing; the last one leaving makes it offline.
    const w19b = await connect(t);
    await signIn(t, w19b, { id: 'w-19' });
    w19.close();
    await w19.closed();
    w19b.ws.terminate();
    expect(dataOf(await watcher.nextEvent('pusher_internal:watchlist_events'))).toEqual({
      events: [{ name: 'offline', user_ids: ['w-19'] }],
    });
    expect(watcher.all('pusher_internal:watchlist_events')).toHaveLength(3);
  });

  it('over 100 ids: success, the first 100 kept, then pusher:error 4302', async () => {
    const c = await connect(t);
    const watchlist = Array.from({ length: 105 }, (_, i) => `x-${i}`);
    await signIn(t, c, { id: 'big', watchlist });
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
      await signIn(off, c, { id: 'a', watchlist: ['b'] });
      await c.ping();
      expect(c.all('pusher_internal:watchlist_events')).toEqual([]);
    } finally {
      await off.close();
    }
  });
});
