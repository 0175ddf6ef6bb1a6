/**
 * Single session (docs/protocol.md §11.2) and a device that is offline when its user signs in
 * elsewhere: its WebSocket is cut by a real TCP fault (the proxy resets both sides) and its reconnects
 * are refused while the second device signs in. When its network comes back (the browser's `online`
 * event), pusher-js reconnects and signs in again with its old session: the server refuses it with the
 * replaced event and 4010, and pusher-js stops there (no reconnect loop).
 */
import { type FaultProxy, startFaultProxy, waitFor } from '@react-reverb/test-helpers';
import Pusher from 'pusher-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { cleanupAfterEach } from '../support/cleanup';
import { nextEvent } from '../support/events';
import { connected, signedIn } from '../support/pusher-js-clients';
import { sharedTestServer } from '../support/server';
import { pusherJsInSession, recordMessages, SINGLE_SESSION_APP } from '../support/sessions';
import type { Target } from '../support/target';

const t = sharedTestServer([SINGLE_SESSION_APP]);

/**
 * What a browser does when its network returns: the `online` event, on which pusher-js retries at
 * once instead of waiting out its 15 s unavailable cycle. Node's pusher-js has the same hook (its
 * runtime's network emitter) but nothing fires it, so the test does.
 */
function networkIsBack(): void {
  (
    Pusher as unknown as { Runtime: { getNetwork(): { emit(event: string): void } } }
  ).Runtime.getNetwork().emit('online');
}
const defer = cleanupAfterEach();
let backend: AppBackend;
let proxy: FaultProxy;

const direct = (): Target => ({
  host: '127.0.0.1',
  port: t.port,
  httpUrl: t.httpUrl,
  app: t.app,
  async stop() {},
});
const viaProxy = (): Target => ({ ...direct(), port: proxy.port });

beforeAll(async () => {
  backend = await startAppBackend(direct());
  proxy = await startFaultProxy({ target: t.port });
});
afterAll(async () => {
  await proxy.close();
  await backend.close();
});

describe('the first device offline during the second login', () => {
  it('comes back, signs in with its replaced session, is refused (event, 4010) and stays disconnected', async () => {
    const user = '3';
    const laptop = pusherJsInSession(viaProxy(), backend, user, 'laptop-browser');
    defer(() => laptop.disconnect());
    await connected(laptop);
    await signedIn(laptop);

    // The laptop's network goes: its socket is reset and its reconnects fail at once.
    proxy.refuse();
    expect(proxy.cut()).toBe(1);
    await waitFor(() => laptop.connection.state !== 'connected', 5000, 'the laptop noticed the cut');
    await waitFor(() => t.server.stats().connections === 0, 5000, 'the server dropped the laptop');

    const phone = pusherJsInSession(direct(), backend, user, 'phone-browser');
    defer(() => phone.disconnect());
    await connected(phone);
    await signedIn(phone);

    // The network comes back: pusher-js reconnects and signs in again as the laptop's session.
    const messages = recordMessages(laptop);
    const told = nextEvent(laptop, 'reverb:session_replaced', 'the replaced event on its return');
    const signinsBefore = backend.requests.filter((r) => r.path === '/broadcasting/user-auth').length;
    proxy.accept();
    networkIsBack();
    expect(await told).toEqual({});
    await waitFor(() => laptop.connection.state === 'disconnected', 5000, 'the laptop stopped');
    // It did ask the app to sign it in again, and the server refused what the app signed.
    expect(backend.requests.filter((r) => r.path === '/broadcasting/user-auth').length).toBe(
      signinsBefore + 1,
    );
    const events = messages.map((m) => m.event);
    expect(events).not.toContain('pusher:signin_success');
    expect(events.slice(-2)).toEqual(['reverb:session_replaced', 'pusher:error']);
    expect(messages.at(-1)?.data).toEqual({ code: 4010, message: 'Session replaced by a newer sign-in' });

    const accepted = proxy.counts.accepted;
    await new Promise((resolve) => setTimeout(resolve, 2500));
    expect(laptop.connection.state).toBe('disconnected');
    expect(proxy.counts.accepted).toBe(accepted);
    expect(phone.connection.state).toBe('connected');
    expect(phone.user.user_data?.id).toBe(user);
  });
});
