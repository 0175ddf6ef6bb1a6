/**
 * Every configured limit is enforced (issue 10): connections per app and per server, channels per
 * connection, presence members and user_info size, client events per second, HTTP API requests per
 * second per app, idle connections, and slowloris on HTTP headers, bodies and upgrades. (Message and
 * frame sizes are in ws-fuzz.test.ts, the HTTP body limit in http-fuzz.test.ts.)
 */
import type { Socket } from 'node:net';
import { DEMO_APP_CONFIG, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { defineConfig, loadConfig } from '../../src/config/config';
import { joinPrivate, presenceAuth } from '../support/auth';
import { BareClient, connectTcp, upgradeRequest } from '../support/bare-client';
import { cleanupAfterEach } from '../support/cleanup';
import { errorMessageOf, rawRequest, signedRequest } from '../support/http';
import { dataOf, RawClient, subscribeFrame } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

const defer = cleanupAfterEach();

async function serverWith(
  app: Record<string, unknown>,
  server: Parameters<typeof startTestServer>[1] = {},
): Promise<TestServer> {
  const t = await startTestServer([{ ...DEMO_APP_CONFIG, ...app }], server, { captureLogs: true });
  defer(() => t.close());
  return t;
}

async function client(t: TestServer, key?: string): Promise<RawClient> {
  const c = await RawClient.open(t.wsUrl(key));
  defer(() => c.close());
  return c;
}

describe('connections', () => {
  it('max_connections per app: 4004 beyond, and a slot frees when a client leaves', async () => {
    const t = await serverWith({ max_connections: 2 });
    const a = await client(t);
    await client(t);
    const refused = await client(t);
    expect((await refused.closed()).code).toBe(4004);
    a.close();
    await waitFor(() => t.server.stats().connections === 1, 5000, 'slot to free');
    const again = await client(t);
    expect(again.frames[0]?.event).toBe('pusher:connection_established');
  });

  it('REVERB_MAX_CONNECTIONS for the whole server: 4100 beyond', async () => {
    const t = await serverWith({}, { maxConnections: 1 });
    await client(t);
    const refused = await client(t);
    expect((await refused.closed()).code).toBe(4100);
  });
});

describe('subscriptions', () => {
  it('limits.max_channels_per_connection: LimitReached beyond, the connection stays', async () => {
    const t = await serverWith({ limits: { max_channels_per_connection: 3 } });
    const c = await client(t);
    for (const name of ['a', 'b', 'c', 'd']) c.send(subscribeFrame(name));
    const error = await c.nextEvent('pusher:subscription_error', 'd');
    expect(dataOf(error)).toMatchObject({ type: 'LimitReached', status: 403 });
    expect(c.all('pusher_internal:subscription_succeeded')).toHaveLength(3);
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'a' } });
    await c.subscribe('d');
  });

  it('limits.max_presence_members: a new member is refused when full, an existing user_id may join again', async () => {
    const t = await serverWith({ limits: { max_presence_members: 2 } });
    const channel = 'presence-room';
    const join = async (userId: string) => {
      const c = await client(t);
      const { auth, channel_data } = presenceAuth(t, c.socketId, channel, userId);
      c.send(subscribeFrame(channel, auth, channel_data));
      await c.next(
        (f) => f.channel === channel && f.event !== 'pusher_internal:member_added',
        `answer for ${userId}`,
      );
      return c;
    };
    expect((await join('1')).all('pusher_internal:subscription_succeeded')).toHaveLength(1);
    expect((await join('2')).all('pusher_internal:subscription_succeeded')).toHaveLength(1);
    const third = await join('3');
    expect(dataOf(third.all('pusher:subscription_error')[0] as never)).toMatchObject({
      type: 'LimitReached',
    });
    expect((await join('1')).all('pusher_internal:subscription_succeeded')).toHaveLength(1);
  });

  it('limits.max_presence_user_info_bytes: a larger user_info is refused (InvalidChannelData)', async () => {
    const t = await serverWith({ limits: { max_presence_user_info_bytes: 100 } });
    const c = await client(t);
    const big = presenceAuth(t, c.socketId, 'presence-a', '1', { name: 'x'.repeat(200) });
    c.send(subscribeFrame('presence-a', big.auth, big.channel_data));
    const error = await c.nextEvent('pusher:subscription_error', 'presence-a');
    expect(dataOf(error)).toMatchObject({ type: 'InvalidChannelData', status: 400 });
    const small = presenceAuth(t, c.socketId, 'presence-b', '1', { name: 'x'.repeat(50) });
    await c.subscribe('presence-b', small.auth, small.channel_data);
  });
});

describe('rates', () => {
  it('limits.max_client_events_per_second: 4301 beyond, nothing over the limit is delivered', async () => {
    const t = await serverWith({ limits: { max_client_events_per_second: 5 } });
    const [sender, receiver] = [await client(t), await client(t)];
    for (const c of [sender, receiver]) await joinPrivate(t, c, 'private-chat');
    const sent = 30;
    for (let i = 0; i < sent; i++) sender.send({ event: 'client-msg', channel: 'private-chat', data: { i } });
    await sender.ping();
    const rejected = sender.all('pusher:error').filter((f) => (f.data as { code: number }).code === 4301);
    expect(rejected.length).toBeGreaterThan(0);
    const delivered = sent - rejected.length;
    await waitFor(() => receiver.all('client-msg').length === delivered, 5000, `${delivered} client events`);
    // 30 frames sent back to back fall in one, two (or on a very loaded machine three) windows of 5.
    expect(delivered).toBeGreaterThanOrEqual(5);
    expect(delivered).toBeLessThanOrEqual(15);
    expect(sender.closeCode).toBeUndefined();
  });

  it('limits.max_api_requests_per_second: 429 JSON with Retry-After beyond; unsigned requests do not count', async () => {
    const t = await serverWith({ limits: { max_api_requests_per_second: 5 } });
    // A flood of badly signed requests is answered 401 and uses none of the app's quota.
    for (let i = 0; i < 20; i++) {
      const bad = await rawRequest(t.port, 'GET', `/apps/${t.app.id}/channels?auth_key=${t.app.key}`);
      expect(bad.status).toBe(401);
    }
    // All at once, so the bucket has no time to refill in between.
    const answers = await Promise.all(Array.from({ length: 30 }, () => signedRequest(t, 'GET', '/channels')));
    const ok = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(ok.length + limited.length).toBe(30);
    expect(ok.length).toBeGreaterThanOrEqual(5);
    expect(limited.length).toBeGreaterThan(0);
    const first = limited[0] as (typeof limited)[number];
    expect(first.headers['retry-after']).toBe('1');
    expect(errorMessageOf(first)).toMatch(/Too many requests/);
    // The bucket refills: a request goes through again once a token is back.
    await waitFor(async () => (await signedRequest(t, 'GET', '/channels')).status === 200, 5000, 'refill');
  });

  it('the API request limit is off by default', async () => {
    const t = await serverWith({});
    for (let i = 0; i < 60; i++) expect((await signedRequest(t, 'GET', '/channels')).status).toBe(200);
  });
});

/** Resolves when the server closes this raw TCP socket; returns what it wrote before. */
function closedByServer(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let text = '';
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
    });
    socket.on('close', () => resolve(text));
    socket.on('error', () => {});
  });
}

async function connect(port: number): Promise<Socket> {
  const socket = await connectTcp(port);
  defer(() => socket.destroy());
  return socket;
}

/** Writes `text` one byte every 100 ms, forever (until the socket closes). */
function dribble(socket: Socket, text: string): void {
  let i = 0;
  const timer = setInterval(() => {
    if (socket.destroyed || i >= text.length) return;
    socket.write(text[i++] as string);
  }, 100);
  defer(() => clearInterval(timer));
  socket.once('close', () => clearInterval(timer));
}

describe('timeouts', () => {
  const fast = { httpHeadersTimeout: 0.5, httpRequestTimeout: 1 } as const;

  it('slowloris on HTTP headers: dropped with 408 after REVERB_HTTP_HEADERS_TIMEOUT', async () => {
    const t = await serverWith({}, fast);
    const socket = await connect(t.port);
    const closed = closedByServer(socket);
    dribble(socket, `GET /up HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ${'a'.repeat(1000)}`);
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('slowloris on the WebSocket upgrade: dropped before any upgrade', async () => {
    const t = await serverWith({}, fast);
    const socket = await connect(t.port);
    const closed = closedByServer(socket);
    const request = upgradeRequest(t.port, t.appPath).replace(/\r\n\r\n$/, '\r\nX-Slow: ');
    socket.write(request);
    dribble(socket, 'a'.repeat(1000));
    expect(await closed).toMatch(/^HTTP\/1\.1 408 /);
    expect(t.server.stats().connections).toBe(0);
  });

  it('a TCP connection that never sends a byte is dropped', async () => {
    const t = await serverWith({}, fast);
    const socket = await connect(t.port);
    await closedByServer(socket);
  });

  it('a slow body: dropped after REVERB_HTTP_REQUEST_TIMEOUT', async () => {
    const t = await serverWith({}, fast);
    const socket = await connect(t.port);
    const closed = closedByServer(socket);
    socket.write(
      `POST /apps/${t.app.id}/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n`,
    );
    dribble(socket, 'x'.repeat(1000));
    await closed;
  });

  it('an upgraded WebSocket outlives the HTTP timeouts', async () => {
    const t = await serverWith({}, fast);
    const c = await client(t);
    // Three request timeouts long, with traffic, the socket must stay open.
    for (let i = 0; i < 6; i++) {
      await new Promise((r) => setTimeout(r, 500));
      await c.ping();
    }
    expect(c.closeCode).toBeUndefined();
  });

  it('a WebSocket that upgrades then never sends: pusher:ping, then 4201 and it is gone', async () => {
    const t = await serverWith({ activity_timeout: 1, ping_interval: 0.5 });
    const raw = await BareClient.open(t.port, t.appPath);
    defer(() => raw.destroy());
    const closed = await raw.closed(10_000);
    expect(closed.code).toBe(4201);
    expect(raw.frames.map((m) => m.event)).toEqual([
      'pusher:connection_established',
      'pusher:ping',
      'pusher:error',
    ]);
    await waitFor(() => t.server.stats().connections === 0, 10_000, 'the idle connection to be removed');
  });
});

describe('settings', () => {
  const env = { REVERB_APP_ID: '1', REVERB_APP_KEY: 'k', REVERB_APP_SECRET: 's' };

  it('REVERB_HTTP_HEADERS_TIMEOUT / REVERB_HTTP_REQUEST_TIMEOUT are seconds; nonsense is a ConfigError', () => {
    const config = loadConfig({
      env: { ...env, REVERB_HTTP_HEADERS_TIMEOUT: '2.5', REVERB_HTTP_REQUEST_TIMEOUT: '20' },
      cwd: null,
    });
    expect(config).toMatchObject({ httpHeadersTimeout: 2.5, httpRequestTimeout: 20 });
    expect(() => loadConfig({ env: { ...env, REVERB_HTTP_HEADERS_TIMEOUT: '0' }, cwd: null })).toThrow(
      /REVERB_HTTP_HEADERS_TIMEOUT/,
    );
    expect(() => loadConfig({ env: { ...env, REVERB_HTTP_REQUEST_TIMEOUT: 'soon' }, cwd: null })).toThrow(
      /REVERB_HTTP_REQUEST_TIMEOUT/,
    );
  });

  it('limits.max_api_requests_per_second: a positive integer or null (off)', () => {
    const app = (limits: Record<string, unknown>) =>
      defineConfig({ apps: [{ id: '1', key: 'k', secret: 's', limits }] }).apps[0]?.limits
        .maxApiRequestsPerSecond;
    expect(app({})).toBeNull();
    expect(app({ max_api_requests_per_second: null })).toBeNull();
    expect(app({ max_api_requests_per_second: 50 })).toBe(50);
    expect(() => app({ max_api_requests_per_second: 0 })).toThrow(/max_api_requests_per_second/);
    expect(() => app({ max_api_requests_per_second: 'lots' })).toThrow(/max_api_requests_per_second/);
  });
});
