/**
 * What only the Redis session state does, on a real redis-server: its key layout, races between many
 * connections (Redis orders them; exactly one session survives), the node-side verdicts over real
 * pub/sub in both arrival orders, and a Redis restart (the state is gone).
 */
import { randomUUID } from 'node:crypto';
import { type RedisHandle, startRedis, waitFor } from '@react-reverb/test-helpers';
import { Redis, type RedisOptions } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { AdapterMessage } from '../../src/scaling/adapter';
import { decodeMessageEnvelope, keyNames } from '../../src/scaling/cluster-messages';
import {
  CLAIM_SESSION,
  decodeClaimReply,
  decodeEndOthersReply,
  decodePeekReply,
  RedisSessionState,
} from '../../src/scaling/redis-sessions';
import {
  type ConnectionSession,
  claimVerdict,
  currentOf,
  NewestSessions,
  sessionVerdict,
} from '../../src/scaling/session-verdict';
import { type ClaimResult, MAX_REPLACED_SESSIONS } from '../../src/scaling/sessions';

const APP = 'app-1';
const USER = '17';
const LONG = 600_000;

let redis: RedisHandle;
const clients: Redis[] = [];

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => redis?.stop());
afterEach(() => {
  for (const c of clients.splice(0)) c.disconnect();
});

function connect(options: RedisOptions = {}): Redis {
  const client = new Redis(redis.url, options);
  // Connection errors are expected while Redis restarts; commands report their own.
  client.on('error', () => {});
  clients.push(client);
  return client;
}

const freshPrefix = () => `t-${randomUUID().slice(0, 8)}`;

describe('key layout', () => {
  it('a hash {current, order} and a list of `forgetAtMs:session`, newest first, both expiring', async () => {
    const client = connect();
    const prefix = freshPrefix();
    const keys = keyNames(prefix);
    const state = new RedisSessionState(client, prefix);
    await state.claim(APP, USER, 'A', 60_000);
    const b = await state.claim(APP, USER, 'B:with:colons', 60_000);
    const c = await state.claim(APP, USER, 'C', 60_000);

    expect(keys.session(APP, USER)).toBe(`${prefix}:session:["app-1","17"]`);
    expect(await client.hgetall(keys.session(APP, USER))).toEqual({ current: 'C', order: String(c.order) });
    const replaced = await client.lrange(keys.replacedSessions(APP, USER), 0, -1);
    expect(replaced.map((e) => e.slice(e.indexOf(':') + 1))).toEqual(['B:with:colons', 'A']);
    const [redisSeconds] = await client.time();
    for (const entry of replaced) {
      const forgetAt = Number(entry.slice(0, entry.indexOf(':')));
      expect(Math.abs(forgetAt - (Number(redisSeconds) * 1000 + 60_000))).toBeLessThan(5_000);
    }
    for (const key of [keys.session(APP, USER), keys.replacedSessions(APP, USER)]) {
      const ttl = await client.pttl(key);
      expect(ttl).toBeGreaterThan(55_000);
      expect(ttl).toBeLessThanOrEqual(60_000);
    }
    // Orders come from one counter, raised to the Redis clock in microseconds.
    expect(Number(await client.get(keys.sessionOrder))).toBe(c.order);
    expect(c.order).toBeGreaterThan(b.order);
    expect(Math.abs(c.order / 1000 - Number(redisSeconds) * 1000)).toBeLessThan(5_000);
  });

  it(`the list never holds more than ${MAX_REPLACED_SESSIONS}`, async () => {
    const client = connect();
    const prefix = freshPrefix();
    const state = new RedisSessionState(client, prefix);
    for (let i = 0; i < 40; i++) await state.claim(APP, USER, `s${i}`, LONG);
    const replaced = await client.lrange(keyNames(prefix).replacedSessions(APP, USER), 0, -1);
    expect(replaced).toHaveLength(MAX_REPLACED_SESSIONS);
    expect(replaced.map((e) => e.slice(e.indexOf(':') + 1))).toEqual(
      Array.from({ length: MAX_REPLACED_SESSIONS }, (_, i) => `s${38 - i}`),
    );
  });

  it('the keys are gone after rememberMs without a claim', async () => {
    const client = connect();
    const prefix = freshPrefix();
    const keys = keyNames(prefix);
    const state = new RedisSessionState(client, prefix);
    await state.claim(APP, USER, 'A', 300);
    await state.claim(APP, USER, 'B', 300);
    expect(await client.exists(keys.session(APP, USER), keys.replacedSessions(APP, USER))).toBe(2);
    await new Promise((r) => setTimeout(r, 400));
    expect(await client.exists(keys.session(APP, USER), keys.replacedSessions(APP, USER))).toBe(0);
  });
});

describe('races', () => {
  it('50 concurrent claims of 50 sessions from 5 connections: a strict total order, one current', async () => {
    const prefix = freshPrefix();
    const states = Array.from({ length: 5 }, () => new RedisSessionState(connect(), prefix));
    const sessions = Array.from({ length: 50 }, (_, i) => `s${i}`);
    const results = await Promise.all(
      sessions.map((s, i) => (states[i % states.length] as RedisSessionState).claim(APP, USER, s, LONG)),
    );

    // Every session was new when it was claimed, each with its own order…
    expect(results.every((r) => r.outcome === 'new')).toBe(true);
    const byOrder = results
      .map((result, i) => ({ session: sessions[i] as string, result }))
      .sort((x, y) => x.result.order - y.result.order);
    expect(new Set(results.map((r) => r.order)).size).toBe(50);
    // …and each replaced exactly the one ordered just before it: one chain, no fork.
    expect(byOrder[0]?.result.previous).toBeUndefined();
    for (let i = 1; i < byOrder.length; i++) {
      expect(byOrder[i]?.result.previous).toBe(byOrder[i - 1]?.session);
    }

    const winner = byOrder[byOrder.length - 1]?.session as string;
    const check = new RedisSessionState(connect(), prefix);
    expect(await connect().hget(keyNames(prefix).session(APP, USER), 'current')).toBe(winner);
    expect((await check.claim(APP, USER, winner, LONG)).outcome).toBe('current');
    // The 32 sessions replaced last are refused (refusals change nothing); the older ones are forgotten.
    const remembered = byOrder.slice(-1 - MAX_REPLACED_SESSIONS, -1).map((e) => e.session);
    const refusals = await Promise.all(remembered.map((s) => check.claim(APP, USER, s, LONG)));
    expect(refusals.every((r) => r.outcome === 'replaced' && r.current === winner)).toBe(true);
    expect((await check.claim(APP, USER, winner, LONG)).outcome).toBe('current');
  });

  it('5 nodes over real pub/sub, 50 sessions plus 10 tabs signing in at once: one session survives, with its tabs', async () => {
    const prefix = freshPrefix();
    const channel = `${prefix}#${APP}`;
    const nodeCount = 5;
    const published: AdapterMessage[] = [];
    const counts = { refusedOnReply: 0, closedByMessage: 0, replaced: 0 };

    interface Conn extends ConnectionSession {
      readonly sessionId: string;
      order: number | undefined;
      status: 'pending' | 'signed_in' | 'refused' | 'closed';
      /** The order its claim answered, whatever the verdict. */
      claimed?: number;
    }
    const nodes = await Promise.all(
      Array.from({ length: nodeCount }, async (_, n) => {
        const sub = connect();
        const pub = connect();
        const node = {
          name: `n${n}`,
          pub,
          state: new RedisSessionState(pub, prefix),
          record: new NewestSessions(),
          conns: [] as Conn[],
          received: 0,
        };
        // What the registry will do on a session_replaced message: judge against the newest record.
        sub.on('message', (_channel: string, text: string) => {
          const message = decodeMessageEnvelope(text)?.message;
          if (message?.type !== 'session_replaced') return;
          node.received++;
          const newest = node.record.observe(message.userId, {
            sessionId: message.keepSessionId,
            order: message.order,
          });
          for (const conn of node.conns) {
            if (conn.status === 'signed_in' && sessionVerdict(conn, newest) === 'close') {
              conn.status = 'closed';
              counts.closedByMessage++;
            }
          }
        });
        await sub.subscribe(channel);
        return node;
      }),
    );

    // Every connection claims at once. The replies of odd connections are held until the others have
    // settled and every node has heard their messages: for those, a newer claim's message comes first.
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const isHeld = (i: number) => i % 2 === 1;
    const sessionIds = [
      ...Array.from({ length: 50 }, (_, i) => `s${i}`),
      ...Array.from({ length: 10 }, (_, i) => `s${40 + i}`),
    ];
    const claims = sessionIds.map(async (sessionId, i) => {
      const node = nodes[i % nodeCount] as (typeof nodes)[number];
      const conn: Conn = { sessionId, order: undefined, status: 'pending' };
      node.conns.push(conn);
      const result: ClaimResult = await node.state.claim(APP, USER, sessionId, LONG);
      conn.claimed = result.order;
      if (isHeld(i)) await held;
      const newest = node.record.observe(USER, currentOf(result));
      if (claimVerdict(sessionId, result, newest) === 'accept') {
        conn.order = result.order;
        conn.status = 'signed_in';
      } else {
        conn.status = 'refused';
        if (result.outcome === 'replaced') counts.replaced++;
        else counts.refusedOnReply++;
      }
      if (result.outcome === 'new') {
        const message: AdapterMessage = {
          type: 'session_replaced',
          appId: APP,
          userId: USER,
          keepSessionId: sessionId,
          order: result.order,
        };
        published.push(message);
        // Claims and publications share the node's command connection, as in the adapter. The adapter
        // applies its own message locally first; here every node, the sender too, hears it from Redis.
        await node.pub.publish(channel, JSON.stringify({ node: node.name, message }));
      }
    });
    const everyNodeHeardAll = () =>
      waitFor(
        () => nodes.every((n) => n.received === published.length),
        10_000,
        'every node to receive every session_replaced message',
      );
    await Promise.all(claims.filter((_, i) => !isHeld(i)));
    await everyNodeHeardAll();
    release();
    await Promise.all(claims);
    await everyNodeHeardAll();

    const final = await connect().hgetall(keyNames(prefix).session(APP, USER));
    const all = nodes.flatMap((n) => n.conns);
    const survivors = all.filter((c) => c.status === 'signed_in');
    expect(all).toHaveLength(60);
    expect(survivors.length).toBeGreaterThanOrEqual(1);
    expect(new Set(survivors.map((c) => c.sessionId))).toEqual(new Set([final.current]));
    // Every connection whose claim answered the final turn of the winning session stays: the last
    // claimer and its tabs. (The winner may have had an earlier turn, before 32 other sessions pushed
    // it out of memory; a tab of that turn was replaced then, or is kept if its reply came late.)
    const finalTurn = all.filter((c) => c.sessionId === final.current && c.claimed === Number(final.order));
    expect(finalTurn.length).toBeGreaterThanOrEqual(1);
    for (const conn of finalTurn) expect(conn.status).toBe('signed_in');
    // Both arrival orders happened: refused on the reply (message first) and closed by the message.
    expect(counts.refusedOnReply).toBeGreaterThan(0);
    expect(counts.closedByMessage).toBeGreaterThan(0);
    expect(counts.refusedOnReply + counts.closedByMessage + counts.replaced + survivors.length).toBe(60);
  });
});

describe('a Redis restart', () => {
  it('forgets every session: a device offline across it is not refused; orders keep growing', async () => {
    const prefix = freshPrefix();
    // The adapter's settings: fail fast while Redis is down.
    const client = connect({ enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    await waitFor(() => client.status === 'ready', 5_000, 'the client to connect');
    const state = new RedisSessionState(client, prefix);
    await state.claim(APP, USER, 'A', LONG);
    const before = await state.claim(APP, USER, 'B', LONG);
    expect((await state.claim(APP, USER, 'A', LONG)).outcome).toBe('replaced');

    await redis.restart(300);
    // While the client reconnects, a claim fails at once; the caller decides
    // (packages/server/docs/single-session.md).
    await waitFor(() => client.status === 'ready', 10_000, 'the client to reconnect');

    // Redis is empty (scripts too: runScript reloads them). A returns as a new session, replacing nothing.
    const after = await state.claim(APP, USER, 'A', LONG);
    expect(after).toEqual({ outcome: 'new', order: after.order, current: 'A' });
    // The nodes' records still hold orders from before the restart: new orders must be higher.
    expect(after.order).toBeGreaterThan(before.order);
    expect((await state.claim(APP, USER, 'B', LONG)).previous).toBe('A');
  });

  it('a call while Redis is unreachable rejects at once (no queue), reported to the failure hook', async () => {
    const client = connect({ enableOfflineQueue: false, maxRetriesPerRequest: 0, retryStrategy: () => 100 });
    await waitFor(() => client.status === 'ready', 5_000, 'the client to connect');
    const failures: string[] = [];
    const state = new RedisSessionState(client, freshPrefix(), (op) => failures.push(op));
    const restarting = redis.restart(1_000);
    await waitFor(() => client.status !== 'ready', 5_000, 'the client to notice');
    await expect(state.claim(APP, USER, 'A', LONG)).rejects.toThrow();
    await expect(state.endOthers(APP, USER, 'A', LONG)).rejects.toThrow();
    await expect(state.peek(APP, USER, 'A')).rejects.toThrow();
    expect(failures).toEqual(['session claim', 'end other sessions', 'session peek']);
    await restarting;
    await waitFor(() => client.status === 'ready', 10_000, 'the client to reconnect');
    expect((await state.claim(APP, USER, 'A', LONG)).outcome).toBe('new');
  });
});

describe('script replies', () => {
  it('the script can be run directly: it answers outcome, order, current, previous', async () => {
    const client = connect();
    const keys = keyNames(freshPrefix());
    const reply = await client.eval(
      CLAIM_SESSION.lua,
      3,
      keys.session(APP, USER),
      keys.replacedSessions(APP, USER),
      keys.sessionOrder,
      'A',
      LONG,
      MAX_REPLACED_SESSIONS,
    );
    expect(reply).toEqual(['new', expect.any(Number), 'A', '']);
  });

  it.each([
    ['not an array', 'new'],
    ['too short', ['new', 1, 'A']],
    ['an unknown outcome', ['maybe', 1, 'A', '']],
    ['a string order', ['new', '1', 'A', '']],
    ['a zero order', ['new', 0, 'A', '']],
    ['no current', ['new', 1, '', '']],
  ])('a claim reply that is %s is an error, not a result', (_, reply) => {
    expect(() => decodeClaimReply(reply)).toThrow(/session claim/);
  });

  it('peek replies decode, and malformed ones are errors', () => {
    expect(decodePeekReply(['current', 7])).toEqual({ outcome: 'current', order: 7 });
    expect(decodePeekReply(['unknown', 0])).toEqual({ outcome: 'unknown', order: 0 });
    for (const bad of [['current', 0], ['replaced', 3], ['new', 1], ['unknown'], 'current']) {
      expect(() => decodePeekReply(bad)).toThrow(/session peek/);
    }
  });

  it('end-others replies decode, and malformed ones are errors', () => {
    expect(decodeEndOthersReply([5, ''])).toEqual({ order: 5, replaced: [] });
    expect(decodeEndOthersReply([5, 'A'])).toEqual({ order: 5, replaced: ['A'] });
    expect(() => decodeEndOthersReply([5])).toThrow(/end other sessions/);
    expect(() => decodeEndOthersReply(['5', ''])).toThrow(/end other sessions/);
  });
});
