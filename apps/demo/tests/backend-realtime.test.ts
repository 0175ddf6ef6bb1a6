import { type ServerHandle, startServer, waitFor } from '@react-reverb/test-helpers';
import Pusher, { type Channel, type Options } from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { demoApps, startBackend } from '../e2e/harness';
import type { DemoBackend } from '../server/app';
import { NOTIFICATION_EVENT, SESSION_REPLACED_EVENT, userChannel } from '../shared/names';
import { Device } from './http-client';

interface Received {
  readonly event: string;
  readonly data: unknown;
}

/**
 * The backend against the real reverb server (`reverb.json`: single session on), with pusher-js as the
 * browser: the session id it signs, the server's kick-out, `end_other_sessions`, Laravel-shaped
 * notifications.
 */
describe('demo backend with the reverb server (pusher-js clients)', () => {
  let reverb: ServerHandle;
  let backend: DemoBackend;
  let baseUrl: string;
  const open: Pusher[] = [];

  beforeAll(async () => {
    reverb = await startServer({ apps: demoApps() });
    ({ backend, url: baseUrl } = await startBackend(reverb.port));
  });
  afterEach(() => {
    for (const client of open.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await backend?.close();
    await reverb?.stop();
  });

  /** A pusher-js "tab" of `device`: auth goes through the backend with the device's session cookie. */
  async function connect(device: Device, port = reverb.port): Promise<Pusher> {
    const post = async (path: string, body: Record<string, string>) => {
      const res = await device.request('POST', path, body, true);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      return res.json;
    };
    const options: Options = {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: port,
      forceTLS: false,
      enabledTransports: ['ws'],
      disableStats: true,
      channelAuthorization: {
        endpoint: '/broadcasting/auth',
        transport: 'ajax',
        customHandler: ({ socketId, channelName }, callback) => {
          post('/broadcasting/auth', { socket_id: socketId, channel_name: channelName }).then(
            (json) => callback(null, json as { auth: string }),
            (error: Error) => callback(error, null),
          );
        },
      },
      userAuthentication: {
        endpoint: '/broadcasting/user-auth',
        transport: 'ajax',
        customHandler: ({ socketId }, callback) => {
          post('/broadcasting/user-auth', { socket_id: socketId }).then(
            (json) => callback(null, json as { auth: string; user_data: string }),
            (error: Error) => callback(error, null),
          );
        },
      },
    };
    const client = new Pusher(reverb.app.key, options);
    open.push(client);
    await waitFor(() => client.connection.state === 'connected', 10_000, 'pusher-js connected');
    return client;
  }

  async function signedInOn(
    client: Pusher,
    channelName: string,
  ): Promise<{ channel: Channel; received: Received[] }> {
    client.signin();
    await waitFor(() => client.user.serverToUserChannel?.subscribed === true, 10_000, 'pusher-js signed in');
    const channel = client.subscribe(channelName);
    await waitFor(() => channel.subscribed, 10_000, `subscribed to ${channelName}`);
    const received: Received[] = [];
    channel.bind_global((event: string, data: unknown) => {
      if (!event.startsWith('pusher:')) received.push({ event, data });
    });
    return { channel, received };
  }

  /** Global (channel-less) events a pusher-js client got: our server's `reverb:session_replaced`. */
  function globalEvents(client: Pusher): string[] {
    const events: string[] = [];
    client.bind_global((event: string) => events.push(event));
    return events;
  }

  it("signs session_id as a hash of the session, shared by a device's tabs, never the cookie", async () => {
    const device = new Device(baseUrl);
    await device.login('ada@example.com');
    const userData = async () => {
      const res = await device.request('POST', '/broadcasting/user-auth', { socket_id: '5.6' }, true);
      return JSON.parse(String(res.json.user_data)) as { session_id?: string };
    };
    const first = await userData();
    const cookieValue = device.sessionCookie.split('=')[1] ?? '';
    expect(first.session_id).toMatch(/^[0-9a-f]{64}$/);
    expect(first.session_id).not.toContain(cookieValue);
    expect(await userData()).toEqual(first);
    await device.login('ada@example.com');
    expect((await userData()).session_id).not.toBe(first.session_id);
  });

  it("a second device's socket sign-in replaces the first device's session on the server; its tabs go, the new one stays", async () => {
    const oldDevice = new Device(baseUrl);
    await oldDevice.login('ada@example.com');
    const oldTabs = [await connect(oldDevice), await connect(oldDevice)];
    const told = oldTabs.map(globalEvents);
    for (const tab of oldTabs) await signedInOn(tab, userChannel('1'));

    const newDevice = new Device(baseUrl);
    expect((await newDevice.login('ada@example.com')).status).toBe(200);
    // The app's own API forgets the old session at once.
    expect((await oldDevice.request('GET', '/api/me')).status).toBe(401);
    // The server replaces it when the new device signs in on the socket: the backend sent nothing itself.
    const newTab = await connect(newDevice);
    await signedInOn(newTab, userChannel('1'));

    for (const [i, tab] of oldTabs.entries()) {
      await waitFor(() => tab.connection.state === 'disconnected', 10_000, `old tab ${i} disconnected`);
      expect(told[i]).toContain('reverb:session_replaced');
    }
    // 4010 is "do not reconnect": pusher-js stays down.
    await new Promise((r) => setTimeout(r, 1_500));
    expect(oldTabs.map((tab) => tab.connection.state)).toEqual(['disconnected', 'disconnected']);
    expect(newTab.connection.state).toBe('connected');
    expect((await newDevice.request('GET', '/api/me')).status).toBe(200);
  });

  it('"sign out other sessions" closes an older session still connected, keeps this session\'s tabs', async () => {
    // The older device is still connected: the new one logged in but has not signed in on a socket yet.
    const older = new Device(baseUrl);
    await older.login('grace@example.com');
    const olderTab = await connect(older);
    const olderEvents = globalEvents(olderTab);
    await signedInOn(olderTab, userChannel('2'));
    const device = new Device(baseUrl);
    await device.login('grace@example.com');
    const thisTab = await connect(device);
    device.socketId = thisTab.connection.socket_id;

    const cookie = device.sessionCookie;
    expect((await device.request('POST', '/api/sessions/logout-others')).status).toBe(200);
    await waitFor(() => olderTab.connection.state === 'disconnected', 10_000, 'older tab closed');
    expect(olderEvents).toContain('reverb:session_replaced');
    // Laravel's logoutOtherDevices() keeps this session: same cookie, and its sockets sign in and stay.
    expect(device.sessionCookie).toBe(cookie);
    const { received } = await signedInOn(thisTab, userChannel('2'));
    const secondTab = await connect(device);
    await signedInOn(secondTab, userChannel('2'));
    expect((await device.request('POST', '/api/sessions/logout-others')).status).toBe(200);
    expect((await device.request('POST', '/api/orders/ship')).status).toBe(200);
    await waitFor(() => received.length === 1, 10_000, 'a notification on this tab');
    expect([thisTab.connection.state, secondTab.connection.state]).toEqual(['connected', 'connected']);
  });

  it('actions broadcast Laravel-shaped notifications on private-App.Models.User.{id}', async () => {
    const ada = new Device(baseUrl);
    await ada.login('ada@example.com');
    const alan = new Device(baseUrl);
    await alan.login('alan@example.com');
    const adaTab = await connect(ada);
    const { received } = await signedInOn(adaTab, userChannel('1'));

    expect((await alan.request('POST', '/api/messages', { to: '1', text: 'Hello Ada' })).status).toBe(200);
    expect((await ada.request('POST', '/api/orders/ship')).status).toBe(200);
    await waitFor(() => received.length === 2, 10_000, 'two notifications');

    const [message, order] = received;
    expect(message?.event).toBe(NOTIFICATION_EVENT);
    expect(message?.data).toMatchObject({
      type: 'App\\Notifications\\MessageReceived',
      title: 'Message from Alan Turing',
      body: 'Hello Ada',
      from: { id: '3', name: 'Alan Turing' },
    });
    expect(order?.data).toMatchObject({
      type: 'App\\Notifications\\OrderShipped',
      title: expect.stringMatching(/^Order #\d+ shipped$/),
    });
    for (const r of received) expect((r.data as { id: string }).id).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("refuses to subscribe to someone else's notifications channel", async () => {
    const alan = new Device(baseUrl);
    await alan.login('alan@example.com');
    const tab = await connect(alan);
    const errors: unknown[] = [];
    tab.subscribe(userChannel('1')).bind('pusher:subscription_error', (e: unknown) => errors.push(e));
    await waitFor(() => errors.length === 1, 10_000, 'subscription_error');
    expect(errors[0]).toMatchObject({ type: 'AuthError', error: '/broadcasting/auth answered 403' });
  });

  it('the backend timer notifies every signed-in user', async () => {
    const timed = await startBackend(reverb.port, { reminderIntervalMs: 200 });
    try {
      const grace = new Device(timed.url);
      await grace.login('grace@example.com');
      const tab = await connect(grace);
      const { received } = await signedInOn(tab, userChannel('2'));
      await waitFor(() => received.length > 0, 10_000, 'a reminder');
      expect(received[0]?.event).toBe(NOTIFICATION_EVENT);
      expect(received[0]?.data).toMatchObject({ type: 'App\\Notifications\\StandupReminder' });
    } finally {
      await timed.backend.close();
    }
  });

  describe('DEMO_KICK=broadcast, against a server without single session (as Laravel Reverb)', () => {
    let plain: ServerHandle;
    let plainBackend: { backend: DemoBackend; url: string };
    const logs: string[] = [];

    beforeAll(async () => {
      plain = await startServer({ apps: demoApps({ single_session: false }) });
      plainBackend = await startBackend(plain.port, { kick: 'broadcast', log: (l) => logs.push(l) });
    });
    afterAll(async () => {
      await plainBackend?.backend.close();
      await plain?.stop();
    });

    it('a second login sends session.replaced to the old device only, then closes its connection', async () => {
      const oldDevice = new Device(plainBackend.url);
      await oldDevice.login('ada@example.com');
      const oldTab = await connect(oldDevice, plain.port);
      const { received } = await signedInOn(oldTab, userChannel('1'));

      // The new device is already connected (login page) and sends its socket id, like Echo's X-Socket-ID.
      const newDevice = new Device(plainBackend.url);
      const newTab = await connect(newDevice, plain.port);
      newDevice.socketId = newTab.connection.socket_id;
      expect((await newDevice.login('ada@example.com')).status).toBe(200);

      await waitFor(
        () => received.some((r) => r.event === SESSION_REPLACED_EVENT),
        10_000,
        'session.replaced',
      );
      expect(received.find((r) => r.event === SESSION_REPLACED_EVENT)?.data).toMatchObject({
        reason: 'signed-in-elsewhere',
      });
      // terminate_connections closes it with 4009: pusher-js does not reconnect.
      await waitFor(() => oldTab.connection.state === 'disconnected', 10_000, 'old tab disconnected');
      expect((await oldDevice.request('GET', '/api/me')).status).toBe(401);
      expect(newTab.connection.state).toBe('connected');
      expect(logs.filter((l) => l.includes('failed'))).toEqual([]);
    });

    it('"sign out other sessions" broadcasts to the other sockets, skipping the caller\'s', async () => {
      const device = new Device(plainBackend.url);
      await device.login('grace@example.com');
      const otherTab = await connect(device, plain.port);
      const other = await signedInOn(otherTab, userChannel('2'));
      const thisTab = await connect(device, plain.port);
      const self = await signedInOn(thisTab, userChannel('2'));

      device.socketId = thisTab.connection.socket_id;
      expect((await device.request('POST', '/api/sessions/logout-others')).status).toBe(200);
      await waitFor(
        () => other.received.some((r) => r.event === SESSION_REPLACED_EVENT),
        10_000,
        'other socket told',
      );
      // The caller's socket was skipped (toOthers) and nothing was terminated.
      expect((await device.request('POST', '/api/orders/ship')).status).toBe(200);
      await waitFor(() => self.received.length === 1, 10_000, 'a notification on this tab');
      expect(self.received.map((r) => r.event)).toEqual([NOTIFICATION_EVENT]);
      expect(thisTab.connection.state).toBe('connected');
    });
  });
});
