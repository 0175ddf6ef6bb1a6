/**
 * The registry: presence keyed by user, cache channels (all four kinds), subscription counts, and
 * no leaks after clients go away (clean close, unsubscribe, abrupt socket destruction).
 */
import { waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { joinPresence, joinPrivate, privateAuth, sdkFor, signIn } from './support/auth';
import { dataOf, RawClient, rawClients, subscribeFrame } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer();

const connect = rawClients();

function appStats() {
  const stats = t.server.stats().apps[t.app.id];
  if (!stats) throw new Error('no stats');
  return stats;
}

async function expectEmpty() {
  await waitFor(
    () => {
      const s = appStats();
      return (
        s.connections === 0 &&
        s.channels === 0 &&
        s.subscriptions === 0 &&
        s.presenceMembers === 0 &&
        s.users === 0 &&
        s.watchers === 0
      );
    },
    5000,
    `empty registry, got ${JSON.stringify(appStats())}`,
  );
}

describe('presence is keyed by user (§3.8)', () => {
  it('one user with two connections is one member: member_added on the first, member_removed after the last', async () => {
    const watcher = await connect(t);
    await joinPresence(t, watcher, 'presence-team', 'w');
    const first = await connect(t);
    const second = await connect(t);
    await joinPresence(t, first, 'presence-team', 'u1', { name: 'Ada' });
    const added = await watcher.nextEvent('pusher_internal:member_added');
    expect(dataOf(added)).toEqual({ user_id: 'u1', user_info: { name: 'Ada' } });

    const ok = await joinPresence(t, second, 'presence-team', 'u1', { name: 'Ada' });
    expect(dataOf(ok)).toEqual({
      presence: { ids: ['w', 'u1'], hash: { w: null, u1: { name: 'Ada' } }, count: 2 },
      // Presence channels keep history by default (§11.1): the answer says where the stream stands.
      stream: { epoch: expect.any(String), offset: 0 },
    });
    // The joiner never gets its own member_added.
    expect(first.all('pusher_internal:member_added')).toEqual([]);

    first.close();
    await first.closed();
    // Still a member through the second connection: no member_removed yet.
    await watcher.ping();
    expect(watcher.all('pusher_internal:member_removed')).toEqual([]);
    expect(watcher.all('pusher_internal:member_added')).toHaveLength(1);

    second.send('{"event":"pusher:unsubscribe","data":{"channel":"presence-team"}}');
    const removed = await watcher.nextEvent('pusher_internal:member_removed');
    expect(watcher.raw).toContain(
      '{"event":"pusher_internal:member_removed","channel":"presence-team","data":"{\\"user_id\\":\\"u1\\"}"}',
    );
    expect(removed.channel).toBe('presence-team');
    second.close();
    watcher.close();
    await expectEmpty();
  });

  it('GET users lists each user once', async () => {
    const a = await connect(t);
    const b = await connect(t);
    await joinPresence(t, a, 'presence-dup', '7');
    await joinPresence(t, b, 'presence-dup', '7');
    const result = await sdkFor(t).get({ path: '/channels/presence-dup/users' });
    expect(await result.json()).toEqual({ users: [{ id: '7' }] });
    a.close();
    b.close();
    await expectEmpty();
  });
});

describe('cache channels (§3.13)', () => {
  it.each([
    'cache-prices',
    'private-cache-prices',
    'presence-cache-prices',
    'private-encrypted-cache-prices',
  ])(
    '%s: cache_miss when empty, then the last HTTP event replayed after subscription_succeeded',
    async (channel) => {
      const subscribe = async (c: RawClient) => {
        if (channel.startsWith('presence-')) return joinPresence(t, c, channel, c.socketId);
        c.send(
          subscribeFrame(channel, channel.startsWith('private-') ? privateAuth(t, c.socketId, channel) : ''),
        );
        return c.nextEvent('pusher_internal:subscription_succeeded', channel);
      };
      const first = await connect(t);
      await subscribe(first);
      await first.nextEvent('pusher:cache_miss', channel);
      expect(first.raw).toContain(`{"event":"pusher:cache_miss","channel":"${channel}","data":"{}"}`);

      await sdkFor(t).trigger(channel, 'price', { v: 1 });
      await sdkFor(t).trigger(channel, 'price', { v: 2 });
      await waitFor(() => first.all('price').length === 2, 5000, 'live events');

      const lastData = first.all('price')[1]?.data;
      const late = await connect(t);
      await subscribe(late);
      const replay = await late.nextEvent('price', channel);
      // Byte for byte what was triggered last (the SDK encrypts on encrypted channels).
      expect(replay.data).toBe(lastData);
      if (!channel.includes('encrypted')) expect(replay.data).toBe('{"v":2}');
      expect(late.all('pusher:cache_miss')).toEqual([]);
      const ok = late.frames.findIndex((f) => f.event === 'pusher_internal:subscription_succeeded');
      expect(late.frames.indexOf(replay)).toBeGreaterThan(ok);

      const info = await sdkFor(t).get({ path: `/channels/${channel}`, params: { info: 'cache' } });
      const body = (await info.json()) as { occupied: boolean; cache: { data: string; ttl: number } };
      expect(body.occupied).toBe(true);
      expect(body.cache.data).toBe(lastData);
      expect(body.cache.ttl).toBeGreaterThan(0);
      first.close();
      late.close();
      await expectEmpty();
    },
  );

  it('client events are never cached', async () => {
    const a = await connect(t);
    const b = await connect(t);
    for (const c of [a, b]) {
      await joinPrivate(t, c, 'private-cache-chat');
    }
    a.send({ event: 'client-typing', channel: 'private-cache-chat', data: { on: true } });
    await b.nextEvent('client-typing');
    const late = await connect(t);
    late.send(subscribeFrame('private-cache-chat', privateAuth(t, late.socketId, 'private-cache-chat')));
    await late.nextEvent('pusher:cache_miss', 'private-cache-chat');
    for (const c of [a, b, late]) c.close();
    await expectEmpty();
  });

  it('expires after cache_ttl', async () => {
    const short = await startTestServer([{ id: '5', key: 'k5', secret: 's5', cache_ttl: 1 }]);
    try {
      await sdkFor(short).trigger('cache-short', 'e', 'x');
      const c = await RawClient.open(short.wsUrl());
      c.send(subscribeFrame('cache-short'));
      expect((await c.nextEvent('e', 'cache-short')).data).toBe('x');
      await new Promise((r) => setTimeout(r, 1100)); // the TTL itself is what is tested
      const d = await RawClient.open(short.wsUrl());
      d.send(subscribeFrame('cache-short'));
      await d.nextEvent('pusher:cache_miss', 'cache-short');
      c.close();
      d.close();
    } finally {
      await short.close();
    }
  });
});

describe('subscription_count (§3.14)', () => {
  it('is sent on each subscribe and unsubscribe, never on presence', async () => {
    const a = await connect(t);
    const b = await connect(t);
    a.send(subscribeFrame('counted'));
    await a.nextEvent('pusher_internal:subscription_count', 'counted');
    expect(a.raw.at(-1)).toBe(
      '{"event":"pusher_internal:subscription_count","channel":"counted","data":"{\\"subscription_count\\":1}"}',
    );
    b.send(subscribeFrame('counted'));
    expect(dataOf(await a.nextEvent('pusher_internal:subscription_count'))).toEqual({
      subscription_count: 2,
    });
    expect(dataOf(await b.nextEvent('pusher_internal:subscription_count'))).toEqual({
      subscription_count: 2,
    });
    b.send('{"event":"pusher:unsubscribe","data":{"channel":"counted"}}');
    expect(dataOf(await a.nextEvent('pusher_internal:subscription_count'))).toEqual({
      subscription_count: 1,
    });
    await joinPresence(t, a, 'presence-nocount', '1');
    await a.ping();
    expect(a.all('pusher_internal:subscription_count', 'presence-nocount')).toEqual([]);
    a.close();
    b.close();
    await expectEmpty();
  });

  it('is off unless the app opts in', async () => {
    const plain = await startTestServer([{ id: '6', key: 'k6', secret: 's6' }]);
    try {
      const c = await RawClient.open(plain.wsUrl());
      await c.subscribe('counted');
      await c.ping();
      expect(c.all('pusher_internal:subscription_count')).toEqual([]);
      c.close();
    } finally {
      await plain.close();
    }
  });
});

describe('no leaks', () => {
  it('the registry is empty after clients close, unsubscribe or are destroyed abruptly', async () => {
    const clients: RawClient[] = [];
    await expectEmpty();
    for (let i = 0; i < 12; i++) {
      const c = await connect(t);
      clients.push(c);
      c.send(subscribeFrame('public-leak'));
      c.send(subscribeFrame('private-leak', privateAuth(t, c.socketId, 'private-leak')));
      await joinPresence(t, c, 'presence-leak', `user-${i % 4}`);
      await signIn(t, c, { id: `user-${i % 4}`, watchlist: ['user-1', 'user-99'] });
      await c.subscribe(`#server-to-user-user-${i % 4}`);
    }
    const mid = appStats();
    expect(mid.connections).toBe(12);
    expect(mid.presenceMembers).toBe(4);
    expect(mid.users).toBe(4);
    clients.forEach((c, i) => {
      if (i % 3 === 0) c.destroy();
      else if (i % 3 === 1) c.close();
      else {
        c.send('{"event":"pusher:unsubscribe","data":{"channel":"presence-leak"}}');
        c.ws.terminate();
      }
    });
    await expectEmpty();
    const channels = await sdkFor(t).get({ path: '/channels' });
    expect(await channels.json()).toEqual({ channels: {} });
  });
});

describe('subscription_count throttling', () => {
  it('above 100 subscribers, counts go out at most every 5 s, and the last count is not lost', async () => {
    const clients: RawClient[] = [];
    for (let i = 0; i < 102; i++) {
      const c = await connect(t);
      c.send(subscribeFrame('crowd'));
      await c.nextEvent(
        i < 100 ? 'pusher_internal:subscription_count' : 'pusher_internal:subscription_succeeded',
        'crowd',
      );
      clients.push(c);
    }
    const watcher = clients[0] as RawClient;
    const counts = () =>
      watcher
        .all('pusher_internal:subscription_count')
        .map((f) => dataOf<{ subscription_count: number }>(f).subscription_count);
    // Up to 100 subscribers every change is sent; beyond, at most one count per 5 s.
    expect(counts().slice(0, 100)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    const sentBefore = counts().length;
    for (const c of clients.slice(95)) c.close();
    // The 5 s window itself is the behaviour under test.
    await waitFor(() => counts().at(-1) === 95, 12_000, 'the final count after the throttle window');
    expect(counts().length - sentBefore).toBeLessThanOrEqual(7);
  }, 30_000);
});
