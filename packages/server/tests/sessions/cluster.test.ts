/**
 * Single session over a cluster (docs/protocol.md §11.2; packages/server/docs/single-session.md): two
 * in-process nodes on one real redis-server, real pusher-js and raw clients on either node, the
 * `session_replaced` webhook at a real receiver, the Redis state read back with the server's own
 * `RedisSessionState`. The Redis outage test runs last: it empties Redis.
 */
import { randomUUID } from 'node:crypto';
import { type RedisHandle, startRedis, waitFor } from '@react-reverb/test-helpers';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisSessionState } from '../../src/scaling/redis-sessions';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { sdkFor } from '../support/auth';
import { cleanupAfterEach } from '../support/cleanup';
import { nextEvent } from '../support/events';
import { errorMessageOf, signedRequest } from '../support/http';
import { unique } from '../support/ids';
import { connected, signedIn } from '../support/pusher-js-clients';
import { type RawClient, rawClients } from '../support/raw-client';
import { scalingOver } from '../support/redis';
import { startOpsServer, type TestServer } from '../support/server';
import {
  expectReplaced,
  pusherJsInSession,
  SINGLE_SESSION_APP,
  sendSignin,
  settles,
  signedInAndOpen,
  signInSession,
} from '../support/sessions';
import type { Target } from '../support/target';
import { WebhookReceiver } from '../support/webhook-receiver';

const prefix = `ss-${randomUUID().slice(0, 8)}`;
let redis: RedisHandle;
let receiver: WebhookReceiver;
let nodes: TestServer[] = [];
let backend: AppBackend;
let state: RedisSessionState;
let stateClient: Redis;
const connect = rawClients();
const defer = cleanupAfterEach();

const node = (i: 0 | 1) => nodes[i] as TestServer;
const targetOf = (t: TestServer): Target => ({
  host: '127.0.0.1',
  port: t.port,
  httpUrl: t.httpUrl,
  app: t.app,
  async stop() {},
});

beforeAll(async () => {
  redis = await startRedis();
  receiver = await WebhookReceiver.start();
  const app = {
    ...SINGLE_SESSION_APP,
    webhooks: [{ url: receiver.url, event_types: ['session_replaced'] }],
  };
  nodes = await Promise.all(
    [0, 1].map(() => startOpsServer({ apps: [app], server: { scaling: scalingOver(redis, prefix) } })),
  );
  backend = await startAppBackend(targetOf(node(0)));
  stateClient = new Redis(redis.url);
  stateClient.on('error', () => {}); // the outage test stops Redis under it
  state = new RedisSessionState(stateClient, prefix);
});

afterAll(async () => {
  await backend?.close();
  stateClient?.disconnect();
  await Promise.all(nodes.map((n) => n.close()));
  await receiver?.close();
  await redis?.stop();
});

interface Replaced {
  readonly user_id: string;
  readonly session_id: string;
  readonly replaced_by: string;
}

/** The `session_replaced` webhooks received about `userId`. */
const webhooksAbout = (userId: string) =>
  (receiver.events() as unknown as (Replaced & { name: string })[])
    .filter((e) => e.name === 'session_replaced' && e.user_id === userId)
    .map(({ session_id, replaced_by }) => ({ session_id, replaced_by }));

const endOthers = (t: TestServer, user: string, sessionId: string) =>
  sdkFor(t).post({
    path: `/users/${encodeURIComponent(user)}/end_other_sessions`,
    body: { session_id: sessionId } as unknown as string,
  });

describe('two nodes, one device on each', () => {
  it('the second sign-in kicks the first across nodes; pusher-js there stays disconnected', async () => {
    const user = '1';
    const first = pusherJsInSession(targetOf(node(0)), backend, user, unique('laptop-'));
    defer(() => first.disconnect());
    await connected(first);
    await signedIn(first);
    const told = nextEvent(first, 'reverb:session_replaced', 'the replaced event, from the other node');

    const second = pusherJsInSession(targetOf(node(1)), backend, user, unique('phone-'));
    defer(() => second.disconnect());
    await connected(second);
    await signedIn(second);

    expect(await told).toEqual({});
    await waitFor(() => first.connection.state === 'disconnected', 5000, 'the first device disconnected');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(first.connection.state).toBe('disconnected');
    expect(second.connection.state).toBe('connected');
  });

  it('tabs of one session on both nodes stay; end_other_sessions on one node closes sessionless ones on the other', async () => {
    const user = unique('tabs-');
    const tabs = [await connect(node(0)), await connect(node(1))];
    for (const tab of tabs) await signInSession(node(0), tab, user, 'browser');
    const sessionless = await connect(node(1));
    await signInSession(node(1), sessionless, user);
    await settles(() => [...tabs, sessionless].every(signedInAndOpen), 'tabs and the sessionless one');

    const response = await endOthers(node(0), user, 'browser');
    expect(await response.json()).toEqual({});
    await expectReplaced(sessionless);
    await settles(() => tabs.every(signedInAndOpen), 'the tabs of the kept session stay');
  });
});

describe('races: many sign-ins of one user with different sessions at once', () => {
  /** Sends every sign-in at once, then checks that exactly one session survives, everywhere. */
  async function race(clients: RawClient[], signer: (c: RawClient) => TestServer, round: string) {
    const user = unique('racer-');
    const sessions = clients.map((_, i) => `${round}-s${i}`);
    for (const [i, c] of clients.entries()) sendSignin(signer(c), c, user, sessions[i]);
    await settles(
      () => clients.filter((c) => c.closeCode === undefined).length === 1,
      `${round}: one connection left`,
      600,
    );
    const survivor = clients.find((c) => c.closeCode === undefined) as RawClient;
    expect(signedInAndOpen(survivor)).toBe(true);
    for (const c of clients) if (c !== survivor) await expectReplaced(c);
    const current = sessions[clients.indexOf(survivor)] as string;
    // Redis agrees: the survivor's session is the current one, every other one is remembered as replaced.
    expect(await state.peek(SINGLE_SESSION_APP.id, user, current)).toMatchObject({ outcome: 'current' });
    for (const s of sessions) {
      if (s !== current)
        expect((await state.peek(SINGLE_SESSION_APP.id, user, s)).outcome, s).toBe('replaced');
    }
    // Each session but the survivor was replaced exactly once, and the app heard it exactly once.
    await settles(() => webhooksAbout(user).length === sessions.length - 1, `${round}: the webhooks`, 600);
    const hooks = webhooksAbout(user);
    expect(hooks.map((h) => h.session_id).sort()).toEqual(sessions.filter((s) => s !== current).sort());
    // One chain: every session replaced by the next one Redis made current, ending at the survivor.
    const replacedBy = new Map(hooks.map((h) => [h.session_id, h.replaced_by]));
    const last = [...new Set(hooks.map((h) => h.replaced_by))].filter((s) => !replacedBy.has(s));
    expect(last).toEqual([current]);
  }

  it('10 at once on one node, 5 rounds: exactly one session survives', async () => {
    for (let round = 0; round < 5; round++) {
      const clients = await Promise.all(Array.from({ length: 10 }, () => connect(node(0))));
      await race(clients, () => node(0), `one-${round}`);
    }
  });

  it('10 at once spread over two nodes, 5 rounds: exactly one session survives', async () => {
    for (let round = 0; round < 5; round++) {
      const on = new Map<RawClient, TestServer>();
      const clients = await Promise.all(
        Array.from({ length: 10 }, async (_, i) => {
          const n = node((i % 2) as 0 | 1);
          const c = await connect(n);
          on.set(c, n);
          return c;
        }),
      );
      await race(clients, (c) => on.get(c) as TestServer, `two-${round}`);
    }
  });
});

describe('the session_replaced webhook', () => {
  it('fires once per replaced session, from whichever node or HTTP call replaced it', async () => {
    const user = unique('hooked-');
    const a = await connect(node(0));
    await signInSession(node(0), a, user, 'first');
    const b = await connect(node(1));
    await signInSession(node(1), b, user, 'second');
    await expectReplaced(a);
    await endOthers(node(0), user, 'third');
    await expectReplaced(b);
    // A tab of the current session and a refused return replace nothing.
    const tab = await connect(node(1));
    await signInSession(node(1), tab, user, 'third');
    const back = await connect(node(0));
    sendSignin(node(0), back, user, 'first');
    await expectReplaced(back);
    await settles(() => webhooksAbout(user).length === 2, 'two webhooks', 800);
    // Two nodes post them: they may arrive in either order.
    expect(webhooksAbout(user).sort((x, y) => x.session_id.localeCompare(y.session_id))).toEqual([
      { session_id: 'first', replaced_by: 'second' },
      { session_id: 'second', replaced_by: 'third' },
    ]);
  });
});

describe('one connection, one sign-in at a time', () => {
  it('a second sign-in while the first one is being claimed gets 4009; the first completes', async () => {
    const user = unique('eager-');
    const c = await connect(node(0));
    sendSignin(node(0), c, user, 'eager');
    sendSignin(node(0), c, user, 'eager');
    const error = await c.nextEvent('pusher:error');
    expect(error.data).toEqual({
      code: 4009,
      message: 'A sign-in is already in progress on this connection',
    });
    await c.nextEvent('pusher:signin_success');
    await settles(() => signedInAndOpen(c), 'signed in once');
  });
});

describe('leaks', () => {
  it('nothing of single session is held once every client left (server.stats() on both nodes)', async () => {
    await waitFor(() => nodes.every((n) => n.server.stats().connections === 0), 5000, 'every client gone');
    for (const n of nodes) {
      expect(n.server.stats()).toMatchObject({
        connections: 0,
        users: 0,
        sessionUsers: 0,
        presenceMembers: 0,
      });
    }
  });
});

describe('Redis unreachable (last: it empties Redis)', () => {
  it('sign-ins are let in without enforcement (order 0), end_other_sessions is a 503; enforcement resumes after', async () => {
    const user = unique('outage-');
    await redis.stop();
    const during = await connect(node(0));
    await signInSession(node(0), during, user, 'during-outage');
    const answer = await signedRequest(node(0), 'POST', `/users/${user}/end_other_sessions`, {
      body: '{"session_id":"x"}',
    });
    expect(answer.status).toBe(503);
    expect(errorMessageOf(answer)).toMatch(/Redis/);
    expect(signedInAndOpen(during)).toBe(true);

    await redis.restart(0);
    // The API answers 200 again once the node's Redis connection is back.
    await waitFor(
      async () =>
        (
          await signedRequest(node(0), 'POST', `/users/${unique('probe-')}/end_other_sessions`, {
            body: '{"session_id":"p"}',
          })
        ).status === 200,
      15_000,
      'Redis back for the node',
    );
    const after = await connect(node(0));
    await signInSession(node(0), after, user, 'after-outage');
    // The connection let in during the outage holds order 0: any newer session replaces it.
    await expectReplaced(during);
    await settles(() => signedInAndOpen(after), 'the new session stays');
  });
});
