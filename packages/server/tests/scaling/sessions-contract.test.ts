/**
 * One contract for both session states (packages/server/docs/single-session.md): the one-node
 * `MemorySessionState` (time moved by its injected clock) and `RedisSessionState` on a real
 * redis-server (time passes for real, so the expiry cases use short memories and wait them out).
 */
import { randomUUID } from 'node:crypto';
import { type RedisHandle, startRedis } from '@react-reverb/test-helpers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisSessionState } from '../../src/scaling/redis-sessions';
import {
  type ClaimResult,
  MAX_REPLACED_SESSIONS,
  MemorySessionState,
  type SessionState,
} from '../../src/scaling/sessions';
import { machineWorkerAdapter } from '../support/adapters';

/** Long enough that nothing expires during a test that does not wait on purpose. */
const LONG = 600_000;

interface Harness {
  readonly state: SessionState;
  /** Lets `ms` pass: the memory state's clock moves, Redis's clock is waited out. */
  advance(ms: number): Promise<void>;
}

let redis: RedisHandle;
let client: Redis;

beforeAll(async () => {
  redis = await startRedis();
  client = new Redis(redis.url);
});
afterAll(async () => {
  client?.disconnect();
  await redis?.stop();
});

const implementations: [string, () => Harness][] = [
  [
    'MemorySessionState',
    () => {
      let now = 1_700_000_000_000;
      return {
        state: new MemorySessionState(() => now),
        advance: async (ms) => {
          now += ms;
        },
      };
    },
  ],
  [
    // A worker of `--workers N` claims through the primary's MemorySessionState.
    'MemorySessionState through the primary (a worker’s adapter.sessions)',
    () => {
      const clock = { now: 1_700_000_000_000 };
      const machine = machineWorkerAdapter(clock);
      const state: SessionState = {
        claim: async (...args) => (await machine).on(0).sessions.claim(...args),
        endOthers: async (...args) => (await machine).on(0).sessions.endOthers(...args),
        peek: async (...args) => (await machine).on(0).sessions.peek(...args),
      };
      return {
        state,
        advance: async (ms) => {
          clock.now += ms;
        },
      };
    },
  ],
  [
    'RedisSessionState',
    () => ({
      state: new RedisSessionState(client, `t-${randomUUID().slice(0, 8)}`),
      advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    }),
  ],
];

describe.each(implementations)('%s', (_, make) => {
  let h: Harness;
  let state: SessionState;
  const claim = (sessionId: string, userId = 'u1', rememberMs = LONG, appId = 'app-1') =>
    state.claim(appId, userId, sessionId, rememberMs);

  beforeEach(() => {
    h = make();
    state = h.state;
  });

  it('the first claim makes the session current, with no previous one', async () => {
    const first = await claim('A');
    expect(first).toEqual({ outcome: 'new', order: first.order, current: 'A' });
    expect(first.order).toBeGreaterThan(0);
  });

  it('claiming the current session again (a tab, a reconnect) changes nothing', async () => {
    const first = await claim('A');
    for (let i = 0; i < 3; i++) {
      expect(await claim('A')).toEqual({ outcome: 'current', order: first.order, current: 'A' });
    }
  });

  it('a new session replaces the current one, and the replaced one is refused when it returns', async () => {
    const a = await claim('A');
    const b = await claim('B');
    expect(b).toEqual({ outcome: 'new', order: b.order, current: 'B', previous: 'A' });
    expect(b.order).toBeGreaterThan(a.order);
    // Refused, twice: a refused claim changes nothing.
    for (let i = 0; i < 2; i++) {
      expect(await claim('A')).toEqual({ outcome: 'replaced', order: b.order, current: 'B' });
    }
    expect(await claim('B')).toEqual({ outcome: 'current', order: b.order, current: 'B' });
  });

  it('a chain of sessions: each replaces the one before; every replaced one stays refused', async () => {
    const results: ClaimResult[] = [];
    for (const s of ['A', 'B', 'C', 'D']) results.push(await claim(s));
    expect(results.map((r) => r.previous)).toEqual([undefined, 'A', 'B', 'C']);
    const orders = results.map((r) => r.order);
    expect([...orders].sort((x, y) => x - y)).toEqual(orders);
    expect(new Set(orders).size).toBe(4);
    for (const s of ['A', 'B', 'C']) expect((await claim(s)).outcome).toBe('replaced');
    expect((await claim('D')).outcome).toBe('current');
  });

  it('users and apps are separate', async () => {
    await claim('A', 'u1');
    expect((await claim('B', 'u2')).previous).toBeUndefined();
    expect((await claim('B', 'u1', LONG, 'app-2')).previous).toBeUndefined();
    // The same session id for another user is another session.
    expect((await claim('A', 'u2')).outcome).toBe('new');
    expect((await claim('A', 'u1')).outcome).toBe('current');
  });

  describe('endOthers (HTTP end_other_sessions)', () => {
    it('makes a never-seen session current and replaces the current one', async () => {
      const a = await claim('A');
      const ended = await state.endOthers('app-1', 'u1', 'K', LONG);
      expect(ended).toEqual({ order: ended.order, replaced: ['A'] });
      expect(ended.order).toBeGreaterThan(a.order);
      expect(await claim('A')).toEqual({ outcome: 'replaced', order: ended.order, current: 'K' });
      expect(await claim('K')).toEqual({ outcome: 'current', order: ended.order, current: 'K' });
    });

    it('for a user with no session, just records the kept one', async () => {
      const ended = await state.endOthers('app-1', 'u1', 'K', LONG);
      expect(ended.replaced).toEqual([]);
      expect(await claim('K')).toEqual({ outcome: 'current', order: ended.order, current: 'K' });
    });

    it('keeping the current session keeps its order and replaces nothing', async () => {
      const a = await claim('A');
      expect(await state.endOthers('app-1', 'u1', 'A', LONG)).toEqual({ order: a.order, replaced: [] });
      expect(await claim('A')).toEqual({ outcome: 'current', order: a.order, current: 'A' });
    });

    it('brings a replaced session back as current; the one that replaced it is replaced now', async () => {
      await claim('A');
      await claim('B');
      const ended = await state.endOthers('app-1', 'u1', 'A', LONG);
      expect(ended.replaced).toEqual(['B']);
      expect(await claim('A')).toEqual({ outcome: 'current', order: ended.order, current: 'A' });
      expect((await claim('B')).outcome).toBe('replaced');
      // B's replacement pushed A out of the replaced ones, not in twice: a later session replaces A once.
      const c = await claim('C');
      expect(c.previous).toBe('A');
      for (const s of ['A', 'B']) expect((await claim(s)).outcome).toBe('replaced');
    });
  });

  describe('peek (sign-ins when only the HTTP API ends sessions)', () => {
    const peek = (sessionId: string) => state.peek('app-1', 'u1', sessionId);

    it('tells current, replaced and unknown sessions apart', async () => {
      expect(await peek('A')).toEqual({ outcome: 'unknown', order: 0 });
      const a = await claim('A');
      expect(await peek('A')).toEqual({ outcome: 'current', order: a.order });
      const ended = await state.endOthers('app-1', 'u1', 'K', LONG);
      expect(await peek('A')).toEqual({ outcome: 'replaced', order: 0 });
      expect(await peek('K')).toEqual({ outcome: 'current', order: ended.order });
      expect(await peek('other')).toEqual({ outcome: 'unknown', order: 0 });
    });

    it('changes nothing: a peeked session does not become current', async () => {
      const a = await claim('A');
      await peek('B');
      expect(await claim('A')).toEqual({ outcome: 'current', order: a.order, current: 'A' });
    });

    it('does not keep the user remembered', async () => {
      await claim('A', 'u1', 400);
      await h.advance(250);
      expect((await peek('A')).outcome).toBe('current');
      await h.advance(250);
      expect(await peek('A')).toEqual({ outcome: 'unknown', order: 0 });
    });
  });

  describe('bounded memory', () => {
    it(`remembers the ${MAX_REPLACED_SESSIONS} most recently replaced sessions, and forgets older ones`, async () => {
      const sessions = Array.from({ length: MAX_REPLACED_SESSIONS + 2 }, (_, i) => `s${i}`);
      for (const s of sessions) await claim(s);
      // s0 … s32 were replaced, in that order; s33 is current. s0 is the one past the limit.
      for (const s of sessions.slice(1, -1)) expect((await claim(s)).outcome).toBe('replaced');
      const returning = await claim('s0');
      expect(returning).toMatchObject({ outcome: 'new', current: 's0', previous: 's33' });
    });

    it('forgets a replaced session rememberMs after it was replaced, even while the current one is used', async () => {
      const remember = 600;
      await claim('A', 'u1', remember);
      await claim('B', 'u1', remember);
      await h.advance(300);
      expect((await claim('B', 'u1', remember)).outcome).toBe('current');
      expect((await claim('A', 'u1', remember)).outcome).toBe('replaced');
      await h.advance(400);
      // A was replaced 700 ms ago: forgotten. B was claimed 400 ms ago: still current, so A replaces it.
      expect(await claim('A', 'u1', remember)).toMatchObject({ outcome: 'new', previous: 'B' });
    });

    it('forgets the current session rememberMs after its last claim, with its replaced ones', async () => {
      const remember = 400;
      await claim('A', 'u1', remember);
      await claim('B', 'u1', remember);
      await h.advance(500);
      // Nothing of u1 is remembered: A is not refused and replaces nothing.
      expect(await claim('A', 'u1', remember)).toEqual({
        outcome: 'new',
        order: expect.any(Number),
        current: 'A',
      });
    });

    it('a claim of the current session keeps it remembered', async () => {
      const remember = 400;
      await claim('A', 'u1', remember);
      for (let i = 0; i < 3; i++) {
        await h.advance(250);
        expect((await claim('A', 'u1', remember)).outcome).toBe('current');
      }
    });
  });

  it('refuses a rememberMs that is not a positive integer', async () => {
    for (const bad of [0, -1, 1.5, Number.NaN]) {
      await expect(claim('A', 'u1', bad)).rejects.toThrow(/rememberMs/);
      await expect(state.endOthers('app-1', 'u1', 'A', bad)).rejects.toThrow(/rememberMs/);
    }
  });
});

describe('MemorySessionState only', () => {
  it('drops users whose memory has passed, without a timer: the map shrinks on the next call', async () => {
    let now = 0;
    const state = new MemorySessionState(() => now);
    for (let i = 0; i < 100; i++) await state.claim('app-1', `u${i}`, 'A', 1_000);
    now = 500;
    await state.claim('app-1', 'u0', 'A', 1_000); // u0 stays 1 s from now
    expect(state.userCount).toBe(100);
    now = 1_200;
    await state.claim('app-1', 'fresh', 'A', 1_000);
    expect(state.userCount).toBe(2); // u0 and fresh
    now = 5_000;
    await state.claim('app-1', 'last', 'A', 1_000);
    expect(state.userCount).toBe(1);
  });

  it('orders keep growing across apps and users (one node, one counter)', async () => {
    const state = new MemorySessionState(() => 0);
    const a = await state.claim('app-1', 'u1', 'A', 1_000);
    const b = await state.claim('app-2', 'u2', 'A', 1_000);
    expect(b.order).toBeGreaterThan(a.order);
  });
});
