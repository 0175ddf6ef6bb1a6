/**
 * Single session on one node (docs/protocol.md §11.2): real pusher-js clients signing in through an
 * app backend that signs `session_id`, raw clients for the literal frames, the `pusher` SDK for the
 * HTTP API. The cluster is in cluster.test.ts, the device that was offline in offline-device.test.ts.
 */
import { DEMO_APP_CONFIG, waitFor } from '@react-reverb/test-helpers';
import type PusherJs from 'pusher-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { joinPresence, sdkFor } from '../support/auth';
import { cleanupAfterEach } from '../support/cleanup';
import { nextEvent } from '../support/events';
import { errorMessageOf, signedRequest } from '../support/http';
import { statusOf } from '../support/http-api';
import { unique } from '../support/ids';
import { connected, signedIn, subscribed } from '../support/pusher-js-clients';
import { dataOf, rawClients } from '../support/raw-client';
import { sharedTestServer, startOpsServer, startTestServer } from '../support/server';
import {
  expectReplaced,
  pusherJsInSession,
  REPLACED_FRAME,
  recordMessages,
  SINGLE_SESSION_APP,
  sendSignin,
  settles,
  signedInAndOpen,
  signInSession,
} from '../support/sessions';
import type { Target } from '../support/target';

/** The same features with single session off. */
const OFF_APP = { ...DEMO_APP_CONFIG, id: '4243', key: 'off-key', secret: 'off-secret' } as const;

const t = sharedTestServer([SINGLE_SESSION_APP, OFF_APP]);
const off = {
  get port() {
    return t.port;
  },
  app: OFF_APP,
};
const connect = rawClients();
const defer = cleanupAfterEach();
const connectOff = () => connect(t.wsUrl(OFF_APP.key));

let backend: AppBackend;
const target = (): Target => ({
  host: '127.0.0.1',
  port: t.port,
  httpUrl: t.httpUrl,
  app: t.app,
  async stop() {},
});
beforeAll(async () => {
  backend = await startAppBackend(target());
});
afterAll(() => backend.close());

/** A pusher-js tab of browser session `session`, signed in as `userId`. */
async function device(userId: string, session: string): Promise<PusherJs> {
  const client = pusherJsInSession(target(), backend, userId, session);
  defer(() => client.disconnect());
  await connected(client);
  await signedIn(client);
  return client;
}

describe('two devices, two tabs', () => {
  it('a second device replaces the first: the event then 4010, its presence membership leaves, pusher-js stays disconnected', async () => {
    const observer = await connect(t);
    await joinPresence(t, observer, 'presence-room', '2');
    const first = await device('1', unique('laptop-'));
    await subscribed(first, 'presence-room');
    await observer.next((f) => f.event === 'pusher_internal:member_added' && dataOf(f).user_id === '1');
    const messages = recordMessages(first);
    const told = nextEvent(first, 'reverb:session_replaced', 'the replaced event on the global emitter');
    const opened: string[] = [];
    const onOpened = ({ socketId }: { socketId: string }) => opened.push(socketId);
    t.server.events.on('connection_opened', onOpened);
    defer(() => t.server.events.off('connection_opened', onOpened));

    const second = await device('1', unique('phone-'));

    expect(await told).toEqual({});
    await waitFor(() => first.connection.state === 'disconnected', 5000, 'the first device disconnected');
    const removed = await observer.next(
      (f) => f.event === 'pusher_internal:member_removed',
      'member_removed of the replaced device',
    );
    expect(dataOf(removed)).toEqual({ user_id: '1' });
    const events = messages.map((m) => m.event);
    expect(events.slice(-2)).toEqual(['reverb:session_replaced', 'pusher:error']);
    expect(messages.at(-1)?.data).toEqual({ code: 4010, message: 'Session replaced by a newer sign-in' });
    // pusher-js treats 4000–4099 as "do not reconnect": nothing comes back, the second device stays.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect(first.connection.state).toBe('disconnected');
    expect(opened).toEqual([second.connection.socket_id]);
    expect(second.connection.state).toBe('connected');
    expect(second.user.user_data?.id).toBe('1');
  });

  it('tabs of one session stay, however many sign in', async () => {
    const user = unique('tabs-');
    const tabs = [await connect(t), await connect(t), await connect(t)];
    for (const tab of tabs) await signInSession(t, tab, user, 'one-browser');
    await settles(() => tabs.every(signedInAndOpen), 'all three tabs signed in and open');
  });

  it('a replaced session that comes back is refused: the event and 4010, never signin_success', async () => {
    const user = unique('returning-');
    const a = await connect(t);
    await signInSession(t, a, user, 'session-a');
    const b = await connect(t);
    await signInSession(t, b, user, 'session-b');
    await expectReplaced(a);

    const again = await connect(t);
    sendSignin(t, again, user, 'session-a');
    await expectReplaced(again);
    expect(again.all('pusher:signin_success')).toEqual([]);
    expect(again.raw).toContain(REPLACED_FRAME);
    // The current session still signs in new tabs, and the refused one changed nothing.
    const tab = await connect(t);
    await signInSession(t, tab, user, 'session-b');
    await settles(() => signedInAndOpen(b) && signedInAndOpen(tab), 'session-b tabs open');
  });

  it('with single_session off, the same two devices both stay', async () => {
    const user = unique('off-');
    const a = await connectOff();
    const b = await connectOff();
    await signInSession(off, a, user, 'session-a');
    await signInSession(off, b, user, 'session-b');
    await settles(() => signedInAndOpen(a) && signedInAndOpen(b), 'both devices open');
  });

  it('races: of 10 sessions signing in at once, exactly one survives (5 rounds)', async () => {
    for (let round = 0; round < 5; round++) {
      const user = unique('race-');
      const clients = await Promise.all(Array.from({ length: 10 }, () => connect(t)));
      for (const [i, c] of clients.entries()) sendSignin(t, c, user, `s${i}`);
      await settles(
        () => clients.filter((c) => c.closeCode === undefined).length === 1,
        `round ${round}: one connection left`,
      );
      const [survivor] = clients.filter((c) => c.closeCode === undefined);
      expect(survivor && signedInAndOpen(survivor)).toBe(true);
      for (const c of clients) if (c !== survivor) await expectReplaced(c);
    }
  });
});

describe('sign-ins without a session_id', () => {
  it('are not enforced, and a single_session app warns once that they lack it', async () => {
    const server = await startTestServer([SINGLE_SESSION_APP], {}, { captureLogs: true });
    defer(() => server.close());
    const user = unique('sessionless-');
    const plain = [await connect(server), await connect(server)];
    for (const c of plain) await signInSession(server, c, user);
    const withSession = await connect(server);
    await signInSession(server, withSession, user, 'a-session');
    await settles(
      () => [...plain, withSession].every(signedInAndOpen),
      'sessionless connections neither replace nor are replaced',
    );
    const warnings = server
      .logs()
      .split('\n')
      .filter((line) => line.includes('has no user_data.session_id'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0] as string)).toMatchObject({ level: 40, appId: SINGLE_SESSION_APP.id });
  });
});

describe('bad input: a clear 4009, the connection stays, nothing else changes', () => {
  it('forged signatures, invalid session ids, another user, another session', async () => {
    const user = unique('victim-');
    const victim = await connect(t);
    await signInSession(t, victim, user, 'victims-session');
    const errors = async (c: Awaited<ReturnType<typeof connect>>) => {
      const frame = await c.nextEvent('pusher:error');
      return dataOf<{ code: number; message: string }>(frame);
    };

    const forger = await connect(t);
    const forged = sdkFor(t, { secret: 'not-the-secret' }).authenticateUser(forger.socketId, {
      id: user,
      session_id: 'forged-session',
    });
    forger.send({ event: 'pusher:signin', data: forged });
    expect(await errors(forger)).toEqual({ code: 4009, message: 'Invalid signature for pusher:signin' });

    for (const bad of [7, '', 'x'.repeat(129), { id: 'x' }, null]) {
      const c = await connect(t);
      c.send({
        event: 'pusher:signin',
        data: sdkFor(t).authenticateUser(c.socketId, { id: user, session_id: bad }),
      });
      expect(await errors(c)).toEqual({
        code: 4009,
        message: 'user_data.session_id must be a string of 1 to 128 characters',
      });
      await c.ping();
    }

    const switcher = await connect(t);
    await signInSession(t, switcher, unique('other-'), 'its-session');
    sendSignin(t, switcher, user, 'its-session');
    expect(await errors(switcher)).toEqual({
      code: 4009,
      message: 'Already signed in as another user on this connection',
    });
    const secondUser = unique('someone-');
    const second = await connect(t);
    await signInSession(t, second, secondUser, 'first');
    sendSignin(t, second, secondUser, 'second');
    expect(await errors(second)).toEqual({
      code: 4009,
      message: 'Already signed in with another session on this connection',
    });
    sendSignin(t, second, secondUser);
    expect(await errors(second)).toEqual({
      code: 4009,
      message: 'Already signed in with another session on this connection',
    });
    // The same session again is a plain re-sign-in.
    await signInSession(t, second, secondUser, 'first');

    for (const c of [forger, switcher, second]) await c.ping();
    await settles(() => signedInAndOpen(victim) && signedInAndOpen(second), 'nobody was replaced');
    expect(victim.all('pusher:error')).toEqual([]);
  });
});

describe('the reverb: prefix is the server’s', () => {
  it('an HTTP trigger or batch named reverb:… gets a 400, a client event so named a 4200', async () => {
    for (const [path, body] of [
      ['/events', { name: 'reverb:session_replaced', channels: ['c'], data: '{}' }],
      ['/batch_events', { batch: [{ name: 'reverb:anything', channel: 'c', data: '{}' }] }],
    ] as const) {
      const answer = await signedRequest(t, 'POST', path, { body: JSON.stringify(body) });
      expect(answer.status).toBe(400);
      expect(errorMessageOf(answer)).toMatch(/reserved/);
    }
    const sender = await connect(t);
    const listener = await connect(t);
    await listener.subscribe('private-c', sdkFor(t).authorizeChannel(listener.socketId, 'private-c').auth);
    await sender.subscribe('private-c', sdkFor(t).authorizeChannel(sender.socketId, 'private-c').auth);
    sender.send({ event: 'reverb:session_replaced', channel: 'private-c', data: '{}' });
    expect(dataOf(await sender.nextEvent('pusher:error'))).toMatchObject({ code: 4200 });
    await listener.ping();
    expect(listener.all('reverb:session_replaced')).toEqual([]);
    expect(listener.closeCode).toBeUndefined();
  });
});

describe('POST /apps/{id}/users/{user_id}/end_other_sessions', () => {
  const endOthers = (app: { id: string; key: string; secret: string }, user: string, body: unknown) =>
    sdkFor({ app, port: t.port }).post({
      path: `/users/${encodeURIComponent(user)}/end_other_sessions`,
      body: body as string,
    });

  it("keeps S (all its tabs) and closes the user's other connections, sessionless ones too; answers {}", async () => {
    const user = unique('ended-');
    const keep = [await connect(t), await connect(t)];
    for (const c of keep) await signInSession(t, c, user, 'keep-me');
    const sessionless = await connect(t);
    await signInSession(t, sessionless, user);
    const bystander = await connect(t);
    await signInSession(t, bystander, unique('bystander-'), 'other-device');

    const response = await endOthers(t.app, user, { session_id: 'keep-me' });
    expect(await response.json()).toEqual({});
    await expectReplaced(sessionless);
    await settles(() => [...keep, bystander].every(signedInAndOpen), 'S and the other user stay');
  });

  it('S becomes current even before it signs in: the device that was current is refused on its way back', async () => {
    const user = unique('logout-others-');
    const old = await connect(t);
    await signInSession(t, old, user, 'old-device');
    await endOthers(t.app, user, { session_id: 'this-device' });
    await expectReplaced(old);
    const back = await connect(t);
    sendSignin(t, back, user, 'old-device');
    await expectReplaced(back);
    const current = await connect(t);
    await signInSession(t, current, user, 'this-device');
    await settles(() => signedInAndOpen(current), 'the kept session signs in and stays');
  });

  it('works without single_session: ends the others, and a session it replaced stays refused', async () => {
    const user = unique('off-ended-');
    const a = await connectOff();
    const b = await connectOff();
    const sessionless = await connectOff();
    await signInSession(off, a, user, 'device-a');
    await signInSession(off, b, user, 'device-b');
    await signInSession(off, sessionless, user);
    await endOthers(OFF_APP, user, { session_id: 'device-a' });
    await expectReplaced(b);
    await expectReplaced(sessionless);
    await settles(() => signedInAndOpen(a), 'the kept device stays');
    await endOthers(OFF_APP, user, { session_id: 'device-c' });
    await expectReplaced(a);
    const c = await connectOff();
    await signInSession(off, c, user, 'device-c');
    // device-a was made current, then replaced by device-c: refused on its way back.
    const back = await connectOff();
    sendSignin(off, back, user, 'device-a');
    await expectReplaced(back);
    expect(signedInAndOpen(c)).toBe(true);
  });

  it('a bad body is a 400 naming session_id, an unknown app a 404, a forged signature a 401; nobody is closed', async () => {
    const user = unique('untouched-');
    const c = await connect(t);
    await signInSession(t, c, user, 'only');
    const call = (body: string, appId?: string) =>
      signedRequest(t, 'POST', `/users/${user}/end_other_sessions`, {
        body,
        ...(appId ? { appId } : {}),
      });
    for (const body of [
      '',
      '{',
      '[]',
      '{}',
      '{"session_id":""}',
      '{"session_id":7}',
      JSON.stringify({ session_id: 'x'.repeat(129) }),
    ]) {
      const answer = await call(body);
      expect(answer.status, body).toBe(400);
      expect(errorMessageOf(answer), body).toMatch(/session_id/);
    }
    const unknown = await call('{"session_id":"s"}', 'no-such-app');
    expect(unknown.status).toBe(404);
    expect(errorMessageOf(unknown)).toMatch(/Unknown app/);
    const forged = sdkFor({ app: { ...t.app, secret: 'forged' }, port: t.port });
    expect(
      await statusOf(
        forged.post({
          path: `/users/${user}/end_other_sessions`,
          body: { session_id: 's' } as unknown as string,
        }),
      ),
    ).toBe(401);
    await settles(() => signedInAndOpen(c), 'the user was not touched');
  });
});

describe('metrics', () => {
  it('count replaced sessions and the connections closed with 4010', async () => {
    const server = await startOpsServer({ apps: [SINGLE_SESSION_APP], file: { metrics: { enabled: true } } });
    defer(() => server.close());
    const user = unique('counted-');
    const a = await connect(server);
    await signInSession(server, a, user, 'one');
    const b = await connect(server);
    await signInSession(server, b, user, 'two');
    await expectReplaced(a);
    const back = await connect(server);
    sendSignin(server, back, user, 'one');
    await expectReplaced(back);
    const text = await (await fetch(`${server.httpUrl}/metrics`)).text();
    const app = `{app="${SINGLE_SESSION_APP.id}"}`;
    expect(text).toContain(`reverb_sessions_replaced_total${app} 1\n`);
    expect(text).toContain(`reverb_session_closures_total${app} 2\n`);
    expect(text).toMatch(/reverb_adapter_latency_seconds_count\{op="claim"\} 3\n/);
  });
});

describe('afterwards', () => {
  it('after every client left, nothing of single session is held (server.stats())', async () => {
    await waitFor(() => t.server.stats().connections === 0, 5000, 'every client of the file gone');
    // Both apps: the one with single session and the one that only used end_other_sessions.
    expect(t.server.stats()).toMatchObject({
      connections: 0,
      users: 0,
      sessionUsers: 0,
      presenceMembers: 0,
      subscriptions: 0,
    });
  });
});
