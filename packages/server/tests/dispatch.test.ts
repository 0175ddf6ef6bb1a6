/**
 * Every client frame of docs/protocol.md §3 and every error the server answers with, as literal frames:
 * ping/pong, subscribe (all channel kinds), subscription failures (§3.6), unsubscribe, malformed input.
 */
import { describe, expect, it } from 'vitest';
import { joinPresence, joinPrivate, presenceAuth, privateAuth, sdkFor } from './support/auth';
import { dataOf, RawClient, subscribeFrame } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer();

async function connect(): Promise<RawClient> {
  return RawClient.open(t.wsUrl());
}

describe('ping and pong (§3.3)', () => {
  it('answers pusher:ping with a pong whose data is "{}"', async () => {
    const c = await connect();
    c.send('{"event":"pusher:ping","data":{}}');
    await c.nextEvent('pusher:pong');
    expect(c.raw.at(-1)).toBe('{"event":"pusher:pong","data":"{}"}');
    c.close();
  });

  it('answers a ping control frame with a pong control frame', async () => {
    const c = await connect();
    const pong = new Promise<string>((resolve) => c.ws.once('pong', (data) => resolve(data.toString())));
    c.ws.ping('hello');
    expect(await pong).toBe('hello');
    c.close();
  });
});

describe('subscribe (§3.4, §3.5)', () => {
  it('public channel: subscription_succeeded with data "{}"', async () => {
    const c = await connect();
    c.send('{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}');
    await c.nextEvent('pusher_internal:subscription_succeeded', 'orders');
    expect(c.raw).toContain(
      '{"event":"pusher_internal:subscription_succeeded","channel":"orders","data":"{}"}',
    );
    c.close();
  });

  it('accepts data as a JSON string too', async () => {
    const c = await connect();
    c.send({ event: 'pusher:subscribe', data: JSON.stringify({ channel: 'orders-2' }) });
    await c.nextEvent('pusher_internal:subscription_succeeded', 'orders-2');
    c.close();
  });

  it.each([
    'private-orders.17',
    'private-cache-orders',
    'private-encrypted-vault',
    'private-encrypted-cache-vault',
  ])('private kind %s with a valid signature', async (channel) => {
    const c = await connect();
    await joinPrivate(t, c, channel);
    c.close();
  });

  it('presence: ids, hash (null for no user_info) and count', async () => {
    const a = await connect();
    const b = await connect();
    await joinPresence(t, a, 'presence-room.1', '17', { name: 'Ada' });
    const pb = presenceAuth(t, b.socketId, 'presence-room.1', '18');
    b.send(subscribeFrame('presence-room.1', pb.auth, pb.channel_data));
    const ok = await b.nextEvent('pusher_internal:subscription_succeeded');
    expect(dataOf(ok)).toEqual({
      presence: { ids: ['17', '18'], hash: { '17': { name: 'Ada' }, '18': null }, count: 2 },
      // Presence channels keep history by default (§11.1): the answer says where the stream stands.
      stream: { epoch: expect.any(String), offset: 0 },
    });
    const added = await a.nextEvent('pusher_internal:member_added');
    expect(a.raw).toContain(
      '{"event":"pusher_internal:member_added","channel":"presence-room.1","data":"{\\"user_id\\":\\"18\\"}"}',
    );
    expect(added.channel).toBe('presence-room.1');
    a.close();
    b.close();
  });

  it('presence: numeric user_id is stringified', async () => {
    const c = await connect();
    const channelData = '{"user_id":10,"user_info":{"name":"Mr. Pusher"}}';
    const auth = `${t.app.key}:${(await import('@react-reverb/core/signing')).hmacSha256Hex(t.app.secret, `${c.socketId}:presence-num:${channelData}`)}`;
    c.send(subscribeFrame('presence-num', auth, channelData));
    const ok = await c.nextEvent('pusher_internal:subscription_succeeded');
    expect(dataOf(ok)).toEqual({
      presence: { ids: ['10'], hash: { '10': { name: 'Mr. Pusher' } }, count: 1 },
      // Presence channels keep history by default (§11.1): the answer says where the stream stands.
      stream: { epoch: expect.any(String), offset: 0 },
    });
    c.close();
  });
});

describe('subscription failures (§3.6): pusher:error 4009, then pusher:subscription_error', () => {
  it('bad signature on a private channel', async () => {
    const c = await connect();
    c.send(subscribeFrame('private-orders.17', `${t.app.key}:deadbeef`));
    const error = await c.nextEvent('pusher:error');
    expect(error.data).toEqual({
      code: 4009,
      message: `Invalid signature: Expected HMAC SHA256 hex digest of ${c.socketId}:private-orders.17, but got deadbeef`,
    });
    const sub = await c.nextEvent('pusher:subscription_error', 'private-orders.17');
    expect(sub.data).toEqual({
      type: 'AuthError',
      error: `Invalid signature: Expected HMAC SHA256 hex digest of ${c.socketId}:private-orders.17, but got deadbeef`,
      status: 401,
    });
    c.close();
  });

  it('missing auth and wrong key', async () => {
    const c = await connect();
    c.send('{"event":"pusher:subscribe","data":{"channel":"private-x"}}');
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: "Invalid key in subscription auth data: ''",
    });
    await c.nextEvent('pusher:subscription_error', 'private-x');
    c.send(subscribeFrame('private-y', 'other-key:abc'));
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: "Invalid key in subscription auth data: 'other-key'",
    });
    c.close();
  });

  it('a signature made for another socket is refused', async () => {
    const c = await connect();
    c.send(subscribeFrame('private-orders.17', privateAuth(t, '1234.5678', 'private-orders.17')));
    expect((await c.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
    await c.nextEvent('pusher:subscription_error', 'private-orders.17');
    c.close();
  });

  it('presence channel_data that differs from what was signed is refused', async () => {
    const c = await connect();
    const p = presenceAuth(t, c.socketId, 'presence-room.1', '17');
    c.send(subscribeFrame('presence-room.1', p.auth, '{"user_id":"1"}'));
    expect((await c.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
    await c.nextEvent('pusher:subscription_error', 'presence-room.1');
    c.close();
  });

  it('presence channel_data without user_id', async () => {
    const c = await connect();
    const channelData = '{"user_info":{}}';
    const { hmacSha256Hex } = await import('@react-reverb/core/signing');
    const auth = `${t.app.key}:${hmacSha256Hex(t.app.secret, `${c.socketId}:presence-a:${channelData}`)}`;
    c.send(subscribeFrame('presence-a', auth, channelData));
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: 'channel_data for presence-a needs a user_id',
    });
    expect((await c.nextEvent('pusher:subscription_error', 'presence-a')).data).toMatchObject({
      status: 400,
    });
    c.close();
  });

  it('bad channel names', async () => {
    const c = await connect();
    for (const channel of ['has space', 'x'.repeat(201), 'emoji-😀', '#server-to-user-']) {
      c.send(subscribeFrame(channel));
      const error = await c.nextEvent('pusher:error');
      expect(error.data).toMatchObject({ code: 4009 });
      expect((error.data as { message: string }).message).toContain('Invalid channel name');
      await c.nextEvent('pusher:subscription_error');
    }
    expect(c.all('pusher_internal:subscription_succeeded')).toEqual([]);
    c.close();
  });

  it('#server-to-user- without sign-in', async () => {
    const c = await connect();
    c.send(subscribeFrame('#server-to-user-17'));
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message: 'Subscription to #server-to-user-17 refused: not signed in as that user',
    });
    expect((await c.nextEvent('pusher:subscription_error', '#server-to-user-17')).data).toMatchObject({
      status: 403,
    });
    c.close();
  });

  it('duplicate subscription: "Existing subscription to channel"', async () => {
    const c = await connect();
    await c.subscribe('orders');
    c.send(subscribeFrame('orders'));
    await c.nextEvent('pusher:error');
    expect(c.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4009,"message":"Existing subscription to channel orders"}}',
    );
    c.close();
  });
});

describe('limits on subscriptions', () => {
  it('channels per connection and presence members', async () => {
    const small = await startTestServer([
      {
        id: '9',
        key: 'k9',
        secret: 's9',
        limits: { max_channels_per_connection: 2, max_presence_members: 1 },
      },
    ]);
    try {
      const c = await RawClient.open(small.wsUrl());
      c.send(subscribeFrame('a'));
      c.send(subscribeFrame('b'));
      c.send(subscribeFrame('c'));
      expect((await c.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
      expect((await c.nextEvent('pusher:subscription_error', 'c')).data).toMatchObject({ status: 403 });
      expect(c.all('pusher_internal:subscription_succeeded').map((f) => f.channel)).toEqual(['a', 'b']);

      const a = await RawClient.open(small.wsUrl());
      const b = await RawClient.open(small.wsUrl());
      await joinPresence(small, a, 'presence-full', '1');
      const pb = presenceAuth(small, b.socketId, 'presence-full', '2');
      b.send(subscribeFrame('presence-full', pb.auth, pb.channel_data));
      expect((await b.nextEvent('pusher:error')).data).toEqual({
        code: 4009,
        message: 'Presence channel presence-full is full: at most 1 members',
      });
      // The same user on another connection is still one member: allowed.
      const b2 = await RawClient.open(small.wsUrl());
      await joinPresence(small, b2, 'presence-full', '1');
      for (const x of [c, a, b, b2]) x.close();
    } finally {
      await small.close();
    }
  });
});

describe('unsubscribe (§3.7)', () => {
  it('stops delivery, sends no reply, and ignores unknown channels', async () => {
    const c = await connect();
    await c.subscribe('news');
    c.send('{"event":"pusher:unsubscribe","data":{"channel":"news"}}');
    c.send('{"event":"pusher:unsubscribe","data":{"channel":"never-subscribed"}}');
    await c.ping();
    expect(t.server.stats().apps[t.app.id]?.channels).toBe(0);
    expect(c.all('pusher:error')).toEqual([]);
    c.close();
  });
});

describe('bad input gets pusher:error and the socket stays open', () => {
  it.each([
    ['not JSON', 'hello', 4200],
    ['a JSON array', '[1,2]', 4200],
    ['no event', '{"data":{}}', 4200],
    ['unknown event', '{"event":"pusher:whatever","data":{}}', 4200],
    ['subscribe without channel', '{"event":"pusher:subscribe","data":{}}', 4200],
    ['subscribe with data a number', '{"event":"pusher:subscribe","data":5}', 4200],
    ['signin without auth', '{"event":"pusher:signin","data":{"user_data":"{}"}}', 4200],
    ['client event without channel', '{"event":"client-x","data":{}}', 4200],
  ])('%s', async (_name, frame, code) => {
    const c = await connect();
    c.send(frame);
    const error = await c.nextEvent('pusher:error');
    expect(error.data).toMatchObject({ code });
    await c.ping();
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it('binary frames and frames over max_message_size', async () => {
    const c = await connect();
    c.ws.send(Buffer.from([1, 2, 3]));
    expect((await c.nextEvent('pusher:error')).data).toEqual({
      code: 4200,
      message: 'Binary frames are not supported',
    });
    c.send(`{"event":"pusher:ping","data":{"pad":"${'x'.repeat(10_100)}"}}`);
    const tooBig = await c.nextEvent('pusher:error');
    expect((tooBig.data as { message: string }).message).toMatch(/^Message too large/);
    await c.ping();
    c.close();
  });

  it('other clients keep receiving while one sends garbage', async () => {
    const good = await connect();
    await good.subscribe('stable');
    const bad = await connect();
    for (const junk of ['{', 'null', '{"event":5}', '\u0000', '{"event":"pusher:subscribe","data":"{bad"}'])
      bad.send(junk);
    await bad.next((f) => f.event === 'pusher:error');
    const sdk = sdkFor(t);
    await sdk.trigger('stable', 'tick', { n: 1 });
    const got = await good.nextEvent('tick', 'stable');
    expect(got.data).toBe('{"n":1}');
    good.close();
    bad.close();
  });
});
