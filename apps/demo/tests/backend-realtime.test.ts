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
 * The backend against the real reverb server, with pusher-js as the browser: the kick-out
 * (event with socket exclusion, then terminate_connections) and Laravel-shaped notifications.
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
  async function connect(device: Device): Promise<Pusher> {
    const post = async (path: string, body: Record<string, string>) => {
      const res = await device.request('POST', path, body, true);
      if (res.status !== 200) throw new Error(`${path} answered ${res.status}`);
      return res.json;
    };
    const options: Options = {
      cluster: 'mt1',
      wsHost: '127.0.0.1',
      wsPort: reverb.port,
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

  it('a second login sends session.replaced to the old device only, then closes its connection', async () => {
    const oldDevice = new Device(baseUrl);
    await oldDevice.login('ada@example.com');
    const oldTab = await connect(oldDevice);
    const { received } = await signedInOn(oldTab, userChannel('1'));

    // The new device is already connected (login page) and sends its socket id, like Echo's X-Socket-ID.
    const newDevice = new Device(baseUrl);
    const newTab = await connect(newDevice);
    newDevice.socketId = newTab.connection.socket_id;
    expect((await newDevice.login('ada@example.com')).status).toBe(200);

    await waitFor(() => received.some((r) => r.event === SESSION_REPLACED_EVENT), 10_000, 'session.replaced');
    expect(received.find((r) => r.event === SESSION_REPLACED_EVENT)?.data).toMatchObject({
      reason: 'signed-in-elsewhere',
    });
    // terminate_connections closes it with a 40xx code: pusher-js does not reconnect.
    await waitFor(() => oldTab.connection.state === 'disconnected', 10_000, 'old tab disconnected');
    expect((await oldDevice.request('GET', '/api/me')).status).toBe(401);
    expect(newTab.connection.state).toBe('connected');
    expect((await newDevice.request('GET', '/api/me')).status).toBe(200);
  });

  it('"sign out other sessions" skips the caller\'s socket and terminates the rest', async () => {
    const device = new Device(baseUrl);
    await device.login('grace@example.com');
    const otherTab = await connect(device);
    const other = await signedInOn(otherTab, userChannel('2'));
    const thisTab = await connect(device);
    const self = await signedInOn(thisTab, userChannel('2'));
    const staleCookie = device.sessionCookie;

    device.socketId = thisTab.connection.socket_id;
    expect((await device.request('POST', '/api/sessions/logout-others')).status).toBe(200);

    await waitFor(
      () => other.received.some((r) => r.event === SESSION_REPLACED_EVENT),
      10_000,
      'other tab told',
    );
    await waitFor(() => otherTab.connection.state === 'disconnected', 10_000, 'other tab disconnected');
    // Both sockets were signed in as Grace, so both were terminated; only the other tab was told.
    await waitFor(() => thisTab.connection.state === 'disconnected', 10_000, 'this tab disconnected');
    expect(self.received.filter((r) => r.event === SESSION_REPLACED_EVENT)).toEqual([]);
    // The device got a fresh session id; the old one is dead.
    expect(device.sessionCookie).not.toBe(staleCookie);
    expect((await device.request('GET', '/api/me')).status).toBe(200);
    const stale = new Device(baseUrl);
    expect((await stale.request('GET', '/api/me', undefined, false, staleCookie)).status).toBe(401);
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
    const timed = await startBackend(reverb.port, () => {}, 200);
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
});
