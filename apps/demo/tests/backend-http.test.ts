import { createHash, createHmac } from 'node:crypto';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@react-reverb/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoBackend, type DemoBackend } from '../server/app';
import { settingsFromEnv } from '../server/config';
import { UserDirectory } from '../server/users';
import { Device } from './http-client';

const APP = { appId: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001' };

function sign(message: string): string {
  return `${APP.key}:${createHmac('sha256', APP.secret).update(message).digest('hex')}`;
}

/** The backend alone; its reverb port is closed, so realtime side effects fail and are only logged. */
describe('demo backend over HTTP (no reverb server)', () => {
  let backend: DemoBackend;
  let baseUrl: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const closedPort = await freePort();
    backend = createDemoBackend({
      users: await UserDirectory.seeded(),
      reverb: { ...APP, host: '127.0.0.1', port: closedPort, scheme: 'http' },
      log: (line) => logs.push(line),
    });
    baseUrl = await backend.listen(0);
  });
  afterAll(() => backend.close());

  it('rejects bad credentials with 422 and sets no cookie', async () => {
    const device = new Device(baseUrl);
    const res = await device.login('ada@example.com', 'wrong');
    expect(res.status).toBe(422);
    expect(res.setCookie).toBeNull();
    expect((await device.request('GET', '/api/me')).status).toBe(401);
  });

  it('logs in with an httpOnly session cookie and answers /api/me', async () => {
    const device = new Device(baseUrl);
    const res = await device.login('ada@example.com');
    expect(res.status).toBe(200);
    expect(res.setCookie).toMatch(/^demo_session=[\w-]{43}; Path=\/; HttpOnly; SameSite=Lax$/);
    expect(res.json.user).toMatchObject({ id: '1', name: 'Ada Lovelace' });
    expect(JSON.stringify(res.json)).not.toMatch(/password/i);
    const me = await device.request('GET', '/api/me');
    expect(me.status).toBe(200);
    expect(me.json.user).toMatchObject({ id: '1' });
  });

  it('keeps only the newest session of a user: the older device gets 401', async () => {
    const a = new Device(baseUrl);
    const b = new Device(baseUrl);
    await a.login('grace@example.com');
    expect((await a.request('GET', '/api/users')).status).toBe(200);
    const before = logs.length;
    await b.login('grace@example.com');
    expect((await a.request('GET', '/api/users')).status).toBe(401);
    expect((await a.request('POST', '/api/orders/ship')).status).toBe(401);
    expect((await a.request('POST', '/broadcasting/user-auth', { socket_id: '1.2' }, true)).status).toBe(403);
    expect((await b.request('GET', '/api/users')).status).toBe(200);
    // The socket side is the reverb server's (single session): the login itself called nothing.
    expect(logs.slice(before)).toEqual(['user 2 signed in (older session replaced)']);
  });

  it('with DEMO_KICK=broadcast a login that replaces a session broadcasts and terminates (logged when reverb is down)', async () => {
    const broadcasting = createDemoBackend({
      users: await UserDirectory.seeded(),
      reverb: { ...APP, host: '127.0.0.1', port: await freePort(), scheme: 'http' },
      kick: 'broadcast',
      log: (line) => logs.push(line),
    });
    const url = await broadcasting.listen(0);
    try {
      await new Device(url).login('alan@example.com');
      const before = logs.length;
      expect((await new Device(url).login('alan@example.com')).status).toBe(200);
      expect(logs.slice(before).map((l) => l.split(':')[0])).toEqual([
        'user 3 signed in (older session replaced)',
        'realtime session.replaced failed',
        'realtime terminate_connections failed',
      ]);
    } finally {
      await broadcasting.close();
    }
  });

  it('reads DEMO_KICK, and names it when it is wrong', () => {
    expect(settingsFromEnv({}).kick).toBe('server');
    expect(settingsFromEnv({ DEMO_KICK: 'broadcast' }).kick).toBe('broadcast');
    expect(() => settingsFromEnv({ DEMO_KICK: 'both' })).toThrow(
      'DEMO_KICK must be server or broadcast, got "both"',
    );
  });

  it('logout ends the session', async () => {
    const device = new Device(baseUrl);
    await device.login('alan@example.com');
    expect((await device.request('POST', '/api/logout')).status).toBe(200);
    expect((await device.request('GET', '/api/me')).status).toBe(401);
  });

  describe('/broadcasting/auth', () => {
    it('refuses guests with 403', async () => {
      const res = await new Device(baseUrl).request(
        'POST',
        '/broadcasting/auth',
        { socket_id: '1.2', channel_name: 'private-App.Models.User.1' },
        true,
      );
      expect(res.status).toBe(403);
    });

    it("signs the user's own private channel, form-encoded as pusher-js sends it", async () => {
      const device = new Device(baseUrl);
      await device.login('ada@example.com');
      const res = await device.request(
        'POST',
        '/broadcasting/auth',
        { socket_id: '123.456', channel_name: 'private-App.Models.User.1' },
        true,
      );
      expect(res.status).toBe(200);
      expect(res.json).toEqual({ auth: sign('123.456:private-App.Models.User.1') });
    });

    it("refuses another user's private channel and unknown channels", async () => {
      const device = new Device(baseUrl);
      await device.login('ada@example.com');
      for (const channel of ['private-App.Models.User.2', 'private-anything', 'presence-other']) {
        const res = await device.request(
          'POST',
          '/broadcasting/auth',
          { socket_id: '1.2', channel_name: channel },
          true,
        );
        expect(res.status, channel).toBe(403);
      }
    });

    it('rejects a malformed socket id with 400', async () => {
      const device = new Device(baseUrl);
      await device.login('ada@example.com');
      const res = await device.request(
        'POST',
        '/broadcasting/auth',
        { socket_id: 'x', channel_name: 'presence-lobby' },
        true,
      );
      expect(res.status).toBe(400);
    });

    it('signs the lobby presence channel with the user id as a string and avatar info', async () => {
      const device = new Device(baseUrl);
      await device.login('grace@example.com');
      const res = await device.request(
        'POST',
        '/broadcasting/auth',
        { socket_id: '9.9', channel_name: 'presence-lobby' },
        true,
      );
      expect(res.status).toBe(200);
      const channelData = String(res.json.channel_data);
      expect(JSON.parse(channelData)).toEqual({
        user_id: '2',
        user_info: { name: 'Grace Hopper', initials: 'GH', color: '#0891b2' },
      });
      expect(res.json.auth).toBe(sign(`9.9:presence-lobby:${channelData}`));
    });
  });

  it('/broadcasting/user-auth signs user_data for pusher:signin, with the session hash', async () => {
    const device = new Device(baseUrl);
    await device.login('alan@example.com');
    const res = await device.request('POST', '/broadcasting/user-auth', { socket_id: '5.6' }, true);
    expect(res.status).toBe(200);
    const userData = String(res.json.user_data);
    const sessionId = device.sessionCookie.split('=')[1] ?? '';
    expect(JSON.parse(userData)).toEqual({
      id: '3',
      user_info: { name: 'Alan Turing', initials: 'AT', color: expect.any(String) },
      session_id: createHash('sha256').update(sessionId).digest('hex'),
    });
    expect(res.json.auth).toBe(sign(`5.6::user::${userData}`));
  });

  it('keeps notifications like a database channel: /api/notifications lists them, newest first', async () => {
    const ada = new Device(baseUrl);
    await ada.login('ada@example.com');
    const grace = new Device(baseUrl);
    await grace.login('grace@example.com');
    expect((await new Device(baseUrl).request('GET', '/api/notifications')).status).toBe(401);
    // Broadcasting fails here (no reverb: 503), the stored copy is kept all the same.
    expect((await grace.request('POST', '/api/messages', { to: '1', text: 'Hi' })).status).toBe(503);
    expect((await grace.request('POST', '/api/nudges', { to: '1' })).status).toBe(503);
    const res = await ada.request('GET', '/api/notifications');
    expect(res.status).toBe(200);
    expect(res.json.notifications).toMatchObject([
      { type: 'App\\Notifications\\Nudged', title: 'Grace Hopper nudged you', from: { id: '2' } },
      { type: 'App\\Notifications\\MessageReceived', body: 'Hi' },
    ]);
    expect((await grace.request('GET', '/api/notifications')).json.notifications).toEqual([]);
  });

  it('validates nudges with 422: nobody, or yourself', async () => {
    const device = new Device(baseUrl);
    await device.login('ada@example.com');
    expect((await device.request('POST', '/api/nudges', { to: '99' })).status).toBe(422);
    expect((await device.request('POST', '/api/nudges', { to: '1' })).status).toBe(422);
  });

  it('validates messages with 422', async () => {
    const device = new Device(baseUrl);
    await device.login('ada@example.com');
    expect((await device.request('POST', '/api/messages', { to: '99', text: 'hi' })).status).toBe(422);
    expect((await device.request('POST', '/api/messages', { to: '2', text: '   ' })).status).toBe(422);
  });

  it('answers unknown API paths with a JSON 404', async () => {
    const res = await new Device(baseUrl).request('GET', '/api/nope');
    expect(res.status).toBe(404);
    expect(res.json).toEqual({ message: 'Not found' });
  });
});

describe('demo backend serving the built front end', () => {
  let backend: DemoBackend;
  let baseUrl: string;

  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'demo-static-'));
    const root = join(dir, 'dist');
    mkdirSync(join(root, 'assets'), { recursive: true });
    writeFileSync(join(root, 'index.html'), '<!doctype html><p>app</p>');
    writeFileSync(join(root, 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'do not serve');
    backend = createDemoBackend({
      users: await UserDirectory.seeded(),
      reverb: { ...APP, host: '127.0.0.1', port: await freePort(), scheme: 'http' },
      staticDir: root,
      log: () => {},
    });
    baseUrl = await backend.listen(0);
  });
  afterAll(() => backend.close());

  it('serves files, falls back to index.html for routes, 404s missing assets', async () => {
    const js = await fetch(`${baseUrl}/assets/app.js`);
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await (await fetch(`${baseUrl}/some/route`)).text()).toContain('<p>app</p>');
    expect((await fetch(`${baseUrl}/assets/missing.js`)).status).toBe(404);
  });

  it('never serves a file outside its folder', async () => {
    for (const path of ['/%2e%2e/secret.txt', '/..%2fsecret.txt', '/assets/%2e%2e/%2e%2e/secret.txt']) {
      const res = await fetch(`${baseUrl}${path}`);
      expect(await res.text(), path).not.toContain('do not serve');
    }
  });
});
