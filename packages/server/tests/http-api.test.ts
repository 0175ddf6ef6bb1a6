/**
 * The HTTP API (docs/protocol.md §7) with the official `pusher` SDK for every endpoint, plus raw bad
 * requests (every error is JSON `{"error": ...}` with the right 4xx) and a PHP/Guzzle-style request.
 */
import { request } from 'node:http';
import { md5Hex, signHttpRequest } from '@react-reverb/core/signing';
import { waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { joinPresence, sdkFor } from './support/auth';
import { rawRequest, signedPath } from './support/http';
import { type RawClient, rawClients } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer([
  { id: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001', user_authentication: true },
  { id: '99', key: 'off-key', secret: 'off-secret', enabled: false },
]);
const open = rawClients();

async function subscribed(channel: string, userId?: string): Promise<RawClient> {
  const c = await open(t);
  if (userId === undefined) await c.subscribe(channel);
  else await joinPresence(t, c, channel, userId);
  return c;
}

interface RawResponse {
  status: number;
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
}

/** Sends a request exactly as given (path with query, raw body); the answer's body parsed when it is JSON. */
async function raw(method: string, pathWithQuery: string, body?: string | Buffer): Promise<RawResponse> {
  const answer = await rawRequest(t.port, method, pathWithQuery, body, {
    'Content-Type': 'application/json',
  });
  let parsed: unknown = answer.text;
  try {
    parsed = JSON.parse(answer.text);
  } catch {}
  return { status: answer.status, body: parsed, headers: answer.headers };
}

/** Signs like the node SDK, then lets the test spoil one thing. */
function signed(
  method: string,
  path: string,
  body = '',
  params: Record<string, string> = {},
  secret = t.app.secret,
) {
  return signedPath({ ...t.app, secret }, method, path, { body, params });
}

describe('POST /events with the pusher SDK', () => {
  it('delivers to many channels, data byte for byte, and answers 200 {}', async () => {
    const channels = ['orders', 'private-orders.17', 'news'];
    const clients = await Promise.all(['orders', 'news'].map((c) => subscribed(c)));
    const response = await sdkFor(t).trigger(channels, 'App\\Events\\OrderShipped', {
      id: 17,
      status: 'shipped',
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
    for (const [i, c] of clients.entries()) {
      await c.nextEvent('App\\Events\\OrderShipped');
      expect(c.raw.at(-1)).toBe(
        `{"event":"App\\\\Events\\\\OrderShipped","channel":"${['orders', 'news'][i]}","data":"{\\"id\\":17,\\"status\\":\\"shipped\\"}"}`,
      );
    }
  });

  it('excludes socket_id', async () => {
    const a = await subscribed('excl');
    const b = await subscribed('excl');
    await sdkFor(t).trigger('excl', 'e', 'x', { socket_id: a.socketId });
    await b.nextEvent('e');
    await a.ping();
    expect(a.all('e')).toEqual([]);
  });

  it('answers info attributes', async () => {
    await subscribed('presence-info', '1');
    await subscribed('presence-info', '2');
    await subscribed('info-public');
    const response = await sdkFor(t).trigger(
      ['presence-info', 'info-public'],
      'e',
      {},
      { info: 'user_count,subscription_count' },
    );
    expect(await response.json()).toEqual({
      channels: { 'presence-info': { user_count: 2 }, 'info-public': { subscription_count: 1 } },
    });
  });
});

describe('POST /batch_events', () => {
  it('publishes each event, answers {} or per-event info', async () => {
    const c = await subscribed('batch-a');
    const response = await sdkFor(t).triggerBatch([
      { channel: 'batch-a', name: 'one', data: { n: 1 } },
      { channel: 'batch-b', name: 'two', data: 'two' },
    ]);
    expect(await response.json()).toEqual({});
    expect((await c.nextEvent('one')).data).toBe('{"n":1}');
    const withInfo = await sdkFor(t).triggerBatch([
      { channel: 'batch-a', name: 'x', data: '1', info: 'subscription_count' },
      { channel: 'batch-b', name: 'y', data: '2' },
    ]);
    expect(await withInfo.json()).toEqual({ batch: [{ subscription_count: 1 }, {}] });
  });
});

describe('GET endpoints with the pusher SDK', () => {
  it('/channels lists occupied channels, with filter and info', async () => {
    await subscribed('presence-list', 'u1');
    await subscribed('listed');
    const all = (await (await sdkFor(t).get({ path: '/channels' })).json()) as {
      channels: Record<string, object>;
    };
    expect(all.channels).toMatchObject({ 'presence-list': {}, listed: {} });
    const presence = await sdkFor(t).get({
      path: '/channels',
      params: { filter_by_prefix: 'presence-', info: 'user_count' },
    });
    expect(await presence.json()).toEqual({ channels: { 'presence-list': { user_count: 1 } } });
  });

  it('/channels/{name} reports occupied and counts', async () => {
    await subscribed('presence-one', 'u1');
    const one = await sdkFor(t).get({ path: '/channels/presence-one', params: { info: 'user_count' } });
    expect(await one.json()).toEqual({ occupied: true, user_count: 1 });
    const empty = await sdkFor(t).get({
      path: '/channels/nobody-here',
      params: { info: 'subscription_count' },
    });
    expect(await empty.json()).toEqual({ occupied: false, subscription_count: 0 });
  });

  it('/channels/{name}/users lists presence members', async () => {
    await subscribed('presence-users', 'a');
    await subscribed('presence-users', 'b');
    const users = await sdkFor(t).get({ path: '/channels/presence-users/users' });
    expect(await users.json()).toEqual({ users: [{ id: 'a' }, { id: 'b' }] });
  });

  it('an empty channel list is an object, not []', async () => {
    const response = await sdkFor(t).get({ path: '/channels', params: { filter_by_prefix: 'zzz-' } });
    expect(await response.text()).toBe('{"channels":{}}');
  });
});

describe('POST /users/{id}/terminate_connections', () => {
  it('answers {} (delivery is covered in signin.test.ts)', async () => {
    const response = await sdkFor(t).terminateUserConnections('nobody');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({});
  });
});

describe("GET /connections (Laravel Reverb's own endpoint)", () => {
  const count = async () =>
    ((await (await sdkFor(t).get({ path: '/connections' })).json()) as { connections: number }).connections;

  it('answers {"connections": N}: every open connection of the app, subscribed or not', async () => {
    // Connections of earlier tests may still be closing: start from a settled count.
    let before = -1;
    await waitFor(
      async () => {
        before = await count();
        return before === t.server.stats().apps['4242']?.connections;
      },
      5000,
      'a settled count',
    );
    const idle = await open(t.wsUrl());
    await subscribed('counted-connections');
    expect(await count()).toBe(before + 2);
    idle.close();
    await waitFor(
      async () => (await count()) === before + 1,
      5000,
      'the closed connection to leave the count',
    );
  });

  it('is signed like the rest of the API, and GET only', async () => {
    expect((await raw('GET', `/apps/${t.app.id}/connections`)).status).toBe(401);
    expect((await raw('GET', signed('GET', `/apps/${t.app.id}/connections`))).body).toEqual({
      connections: expect.any(Number),
    });
    const post = await raw('POST', signed('POST', `/apps/${t.app.id}/connections`, '{}'), '{}');
    expect(post.status).toBe(405);
  });
});

describe('bad requests: JSON {"error": ...} with the right 4xx', () => {
  const eventBody = '{"name":"e","channels":["c"],"data":"{}"}';

  it.each([
    ['bad JSON', '{"name":', 400],
    ['missing name', '{"channels":["c"],"data":"x"}', 400],
    ['data not a string', '{"name":"e","channels":["c"],"data":{"a":1}}', 400],
    ['bad channel name', '{"name":"e","channels":["bad name"],"data":"x"}', 400],
    [
      'more than 100 channels',
      JSON.stringify({ name: 'e', channels: Array.from({ length: 101 }, (_, i) => `c${i}`), data: 'x' }),
      400,
    ],
    ['reserved event name', '{"name":"pusher:hack","channels":["c"],"data":"x"}', 400],
    ['malformed socket_id', '{"name":"e","channels":["c"],"data":"x","socket_id":"abc"}', 400],
    ['data over 10 KB', JSON.stringify({ name: 'e', channels: ['c'], data: 'x'.repeat(10_241) }), 413],
  ])('%s → %i', async (_name, body, status) => {
    const big = body.length > 9000;
    const server = big
      ? await startTestServer([{ id: '1', key: 'k1', secret: 's1' }], { maxRequestSize: 100_000 })
      : t;
    try {
      const path = big
        ? signedPath({ id: '1', key: 'k1', secret: 's1' }, 'POST', '/apps/1/events', { body })
        : signed('POST', `/apps/${t.app.id}/events`, body);
      const response = await new Promise<RawResponse>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: server.port, method: 'POST', path }, (res) => {
          let text = '';
          res.on('data', (d) => {
            text += d;
          });
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text), headers: res.headers }),
          );
        });
        req.on('error', reject);
        req.end(body);
      });
      expect(response.status).toBe(status);
      expect(response.headers['content-type']).toBe('application/json');
      expect(response.body).toEqual({ error: expect.any(String) });
    } finally {
      if (big) await server.close();
    }
  });

  it('bad signature → 401', async () => {
    const path = signed('POST', `/apps/${t.app.id}/events`, eventBody, {}, 'wrong-secret');
    const response = await raw('POST', path, eventBody);
    expect(response.status).toBe(401);
    expect((response.body as { error: string }).error).toMatch(/^Invalid signature/);
  });

  it('stale timestamp → 401', async () => {
    const path = signedPath(t.app, 'POST', `/apps/${t.app.id}/events`, {
      body: eventBody,
      timestamp: Math.floor(Date.now() / 1000) - 601,
    });
    const response = await raw('POST', path, eventBody);
    expect(response.status).toBe(401);
    expect((response.body as { error: string }).error).toMatch(/^Timestamp expired/);
  });

  it('body_md5 mismatch → 401', async () => {
    const path = signed('POST', `/apps/${t.app.id}/events`, eventBody);
    const response = await raw('POST', path, eventBody.replace('"e"', '"f"'));
    expect(response.status).toBe(401);
    expect((response.body as { error: string }).error).toMatch(/body_md5/);
  });

  it('missing auth parameters and wrong key → 401', async () => {
    expect((await raw('GET', `/apps/${t.app.id}/channels`)).status).toBe(401);
    const wrongKey = signedPath({ ...t.app, key: 'other' }, 'GET', `/apps/${t.app.id}/channels`);
    expect((await raw('GET', wrongKey)).status).toBe(401);
  });

  it('body over REVERB_MAX_REQUEST_SIZE → 413 JSON', async () => {
    const body = JSON.stringify({ name: 'e', channels: ['c'], data: 'x'.repeat(20_000) });
    const response = await raw('POST', signed('POST', `/apps/${t.app.id}/events`, body), body);
    expect(response.status).toBe(413);
    expect(response.body).toEqual({ error: 'Request body too large: at most 10000 bytes' });
  });

  it('unknown app → 404, unknown path → 404, wrong method → 405, disabled app → 403', async () => {
    const unknown = await raw('GET', '/apps/nope/channels');
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: 'Unknown app: nope' });
    expect((await raw('GET', signed('GET', `/apps/${t.app.id}/nothing`))).status).toBe(404);
    expect((await raw('GET', signed('GET', `/apps/${t.app.id}/events`))).status).toBe(405);
    const disabled = signedPath(
      { id: '99', key: 'off-key', secret: 'off-secret' },
      'GET',
      '/apps/99/channels',
    );
    expect((await raw('GET', disabled)).status).toBe(403);
  });

  it('info attributes that do not apply → 400', async () => {
    for (const [path, params] of [
      ['/channels', { info: 'user_count' }],
      ['/channels/public-x', { info: 'user_count' }],
      ['/channels/presence-x', { info: 'subscription_count' }],
      ['/channels/public-x', { info: 'cache' }],
      ['/channels/public-x/users', {}],
      ['/channels/public-x', { info: 'bogus' }],
    ] as const) {
      const response = await raw('GET', signed('GET', `/apps/${t.app.id}${path}`, '', params));
      expect(response.status, `${path} ${JSON.stringify(params)}`).toBe(400);
      expect(response.body).toEqual({ error: expect.any(String) });
    }
  });

  it('the server keeps serving after all of that', async () => {
    const c = await subscribed('after-errors');
    await sdkFor(t).trigger('after-errors', 'ok', 'still here');
    expect((await c.nextEvent('ok')).data).toBe('still here');
  });
});

describe('a PHP-style request (pusher-http-php via Guzzle)', () => {
  it('is verified: %20 in the query, singular "channel", escaped "/" in the JSON body', async () => {
    const c = await subscribed('orders');
    // json_encode escapes "/" and PHP sends `channel` when there is one channel.
    const body =
      '{"name":"App\\\\Events\\\\Shipped","data":"{\\"url\\":\\"https:\\\\\\/\\\\\\/shop.test\\\\\\/o\\\\\\/17\\"}","channel":"orders"}';
    const timestamp = String(Math.floor(Date.now() / 1000));
    const params = {
      auth_key: t.app.key,
      auth_timestamp: timestamp,
      auth_version: '1.0',
      body_md5: md5Hex(body),
      note: 'a b',
    };
    const query = signHttpRequest({
      method: 'POST',
      path: `/apps/${t.app.id}/events`,
      params: { note: 'a b' },
      body,
      key: t.app.key,
      secret: t.app.secret,
      timestamp: Number(timestamp),
    });
    expect(query.body_md5).toBe(params.body_md5);
    // Guzzle's query encoding: RFC 3986, spaces as %20 (never '+').
    const encoded = Object.entries(query)
      .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
      .join('&');
    expect(encoded).toContain('note=a%20b');
    const response = await raw('POST', `/apps/${t.app.id}/events?${encoded}`, body);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({});
    const event = await c.nextEvent('App\\Events\\Shipped');
    expect(JSON.parse(event.data as string)).toEqual({ url: 'https://shop.test/o/17' });
    expect(event.data).toBe(JSON.parse(body).data);
    await waitFor(() => true);
  });
});

describe('keep-alive', () => {
  it('serves several signed requests over one kept-alive connection', async () => {
    const { Agent } = await import('node:http');
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const sockets = new Set<unknown>();
    try {
      for (let i = 0; i < 3; i++) {
        const body = JSON.stringify({ name: 'ka', channels: ['ka'], data: String(i) });
        const path = signed('POST', `/apps/${t.app.id}/events`, body);
        const status = await new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port: t.port, method: 'POST', path, agent }, (res) => {
            sockets.add(res.socket);
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          });
          req.on('error', reject);
          req.end(body);
        });
        expect(status).toBe(200);
      }
      expect(sockets.size).toBe(1);
    } finally {
      agent.destroy();
    }
  });
});
