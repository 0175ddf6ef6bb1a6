/**
 * Connection checks and close codes of docs/protocol.md §1, the handshake, /up, and 404s — against the
 * real server on a free port, with literal frames.
 */

import { signHttpRequest } from '@react-reverb/core/signing';
import { DEMO_APP_CONFIG, makeCertificate } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { RawClient } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer([
  { ...DEMO_APP_CONFIG, allowed_origins: ['example.com', '*.laravel.test'] },
  { id: '2', key: 'disabled-key', secret: 's2', enabled: false },
  { id: '3', key: 'tls-key', secret: 's3', ssl_only: true },
  { id: '4', key: 'quota-key', secret: 's4', max_connections: 1 },
]);

async function refused(url: string, options: WebSocket.ClientOptions = {}) {
  const client = await RawClient.open(url, options);
  const closed = await client.closed();
  return { frames: client.raw, ...closed };
}

describe('connection_established', () => {
  it("is the first frame, with a ^\\d+\\.\\d+$ socket id and Reverb's activity_timeout 30", async () => {
    const client = await RawClient.open(t.wsUrl());
    const first = client.frames[0];
    expect(first?.event).toBe('pusher:connection_established');
    expect(typeof first?.data).toBe('string');
    const data = JSON.parse(first?.data as string);
    expect(data.socket_id).toMatch(/^\d+\.\d+$/);
    expect(data.activity_timeout).toBe(30);
    client.close();
  });

  it('gives every connection a different socket id', async () => {
    const clients = await Promise.all([1, 2, 3, 4, 5].map(() => RawClient.open(t.wsUrl())));
    expect(new Set(clients.map((c) => c.socketId)).size).toBe(5);
    for (const c of clients) c.close();
  });
});

describe('close codes of §1', () => {
  it.each([
    [
      '4005 for a path that is not /app/{key}',
      () => `ws://127.0.0.1:${t.port}/pusher/app/x?protocol=7`,
      4005,
      'Path not found',
    ],
    ['4001 for an unknown app key', () => t.wsUrl('nope'), 4001, 'Application does not exist'],
    ['4003 for a disabled app', () => t.wsUrl('disabled-key'), 4003, 'Application disabled'],
    [
      '4000 for a TLS-only app over ws://',
      () => t.wsUrl('tls-key'),
      4000,
      'Application only accepts SSL connections, reconnect using wss://',
    ],
    [
      '4008 when protocol is missing',
      () => t.wsUrl(undefined, 'client=js&version=8.6.0'),
      4008,
      'No protocol version supplied',
    ],
    ['4007 for protocol 4', () => t.wsUrl(undefined, 'protocol=4'), 4007, 'Unsupported protocol version'],
    ['4007 for protocol 8', () => t.wsUrl(undefined, 'protocol=8'), 4007, 'Unsupported protocol version'],
    [
      '4007 for a non-integer protocol',
      () => t.wsUrl(undefined, 'protocol=seven'),
      4007,
      'Unsupported protocol version',
    ],
    [
      '4006 for a malformed version',
      () => t.wsUrl(undefined, 'protocol=7&version=%3Cscript%3E'),
      4006,
      'Invalid version string format',
    ],
  ])('%s', async (_name, url, code, message) => {
    const result = await refused(url());
    expect(result.frames).toEqual([
      `{"event":"pusher:error","data":{"code":${code},"message":"${message}"}}`,
    ]);
    expect(result.code).toBe(code);
    expect(result.reason).toBe(message);
  });

  it('4009 for an origin that is not allowed; allowed origins and wildcards connect', async () => {
    const bad = await refused(t.wsUrl(), { origin: 'https://evil.example.org' });
    expect(bad.frames).toEqual([
      '{"event":"pusher:error","data":{"code":4009,"message":"Connection is unauthorized"}}',
    ]);
    expect(bad.code).toBe(4009);
    for (const origin of ['https://example.com', 'http://app.laravel.test:5173']) {
      const ok = await RawClient.open(t.wsUrl(), { origin });
      expect(ok.frames[0]?.event).toBe('pusher:connection_established');
      ok.close();
    }
  });

  it('4004 when the app is over its connection quota; a slot frees on disconnect', async () => {
    const first = await RawClient.open(t.wsUrl('quota-key'));
    expect(first.frames[0]?.event).toBe('pusher:connection_established');
    const second = await refused(t.wsUrl('quota-key'));
    expect(second.frames).toEqual([
      '{"event":"pusher:error","data":{"code":4004,"message":"Application is over connection quota"}}',
    ]);
    expect(second.code).toBe(4004);
    first.close();
    await first.closed();
    const third = await RawClient.open(t.wsUrl('quota-key'));
    expect(third.frames[0]?.event).toBe('pusher:connection_established');
    third.close();
  });

  it('accepts protocol 5 and 6 and ignores unknown query parameters', async () => {
    for (const query of ['protocol=5', 'protocol=6&foo=bar', 'protocol=7&client=java&version=2.4.0-beta']) {
      const client = await RawClient.open(t.wsUrl(undefined, query));
      expect(client.frames[0]?.event).toBe('pusher:connection_established');
      client.close();
    }
  });
});

describe('4100 Over capacity', () => {
  it('refuses connections beyond the server-wide maximum', async () => {
    const small = await startTestServer(undefined, { maxConnections: 1 });
    try {
      const first = await RawClient.open(small.wsUrl());
      const second = await refused(small.wsUrl());
      expect(second.frames).toEqual([
        '{"event":"pusher:error","data":{"code":4100,"message":"Over capacity"}}',
      ]);
      expect(second.code).toBe(4100);
      first.close();
    } finally {
      await small.close();
    }
  });
});

describe('HTTP', () => {
  it('GET /up answers 200', async () => {
    const res = await fetch(`${t.httpUrl}/up`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ health: 'OK' });
  });

  it('unknown paths get a JSON 404', async () => {
    const res = await fetch(`${t.httpUrl}/nothing-here`);
    expect(res.status).toBe(404);
    expect(await res.json()).toHaveProperty('error');
  });

  it('a plain GET on the WebSocket path is not a crash', async () => {
    const res = await fetch(`${t.httpUrl}/app/${t.app.key}`);
    expect(res.status).toBe(404);
    const client = await RawClient.open(t.wsUrl());
    expect(client.frames[0]?.event).toBe('pusher:connection_established');
    client.close();
  });
});

describe('TLS (REVERB_SSL_CERT / REVERB_SSL_KEY)', () => {
  it('serves https and wss; a TLS-only app accepts wss://', async () => {
    const { request } = await import('node:https');
    const { certPath: cert, keyPath: key } = makeCertificate();
    const secure = await startTestServer([{ id: '1', key: 'tls-key', secret: 's', ssl_only: true }], {
      tls: { cert, key },
    });
    try {
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port: secure.port, path: '/up', rejectUnauthorized: false }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      const client = await RawClient.open(`wss://127.0.0.1:${secure.port}/app/tls-key?protocol=7`, {
        rejectUnauthorized: false,
      });
      expect(client.frames[0]?.event).toBe('pusher:connection_established');
      client.close();
    } finally {
      await secure.close();
    }
  });
});

describe('REVERB_SERVER_PATH (pusher-js wsPath)', () => {
  it('serves /{path}/app/{key} and /{path}/apps/{id}; the bare path gets 4005', async () => {
    const prefixed = await startTestServer(undefined, { path: '/reverb' });
    try {
      const ok = await RawClient.open(
        `ws://127.0.0.1:${prefixed.port}/reverb/app/${prefixed.app.key}?protocol=7`,
      );
      expect(ok.frames[0]?.event).toBe('pusher:connection_established');
      ok.close();
      const bare = await refused(prefixed.wsUrl());
      expect(bare.code).toBe(4005);
      const api = await fetch(`${prefixed.httpUrl}/reverb/apps/${prefixed.app.id}/channels`);
      expect(api.status).toBe(401); // reached the API: unsigned
      const up = await fetch(`${prefixed.httpUrl}/up`);
      expect(up.status).toBe(200);
      // Reverb serves its health check under the prefix, unsigned.
      const prefixedUp = await fetch(`${prefixed.httpUrl}/reverb/up`);
      expect(prefixedUp.status).toBe(200);
      expect(await prefixedUp.json()).toEqual({ health: 'OK' });
    } finally {
      await prefixed.close();
    }
  });

  it("accepts API requests signed without the prefix, as Laravel's PHP SDK signs them, and with it", async () => {
    const prefixed = await startTestServer(undefined, { path: '/reverb' });
    try {
      const { id, key, secret } = prefixed.app;
      const body = '{"name":"e","channel":"news","data":"{}"}';
      // pusher-http-php with the `path` option Reverb's installer writes: sends to {path}/apps/…,
      // signs /apps/… (Reverb checks that form since 1.8.1).
      const send = (signedPath: string, secretUsed = secret) => {
        const query = signHttpRequest({
          method: 'POST',
          path: signedPath,
          params: {},
          body,
          key,
          secret: secretUsed,
        });
        return fetch(`${prefixed.httpUrl}/reverb/apps/${id}/events?${new URLSearchParams(query)}`, {
          method: 'POST',
          body,
        });
      };
      expect((await send(`/apps/${id}/events`)).status).toBe(200);
      expect((await send(`/reverb/apps/${id}/events`)).status).toBe(200);
      const wrong = await send(`/apps/${id}/events`, 'not-the-secret');
      expect(wrong.status).toBe(401);
      // The refusal quotes the string Laravel's SDK signs: without the prefix.
      expect(((await wrong.json()) as { error: string }).error).toContain(`"POST\\n/apps/${id}/events\\n`);
    } finally {
      await prefixed.close();
    }
  });
});

describe('shutdown', () => {
  it('close() sends pusher:error 4200 and closes every client with 4200 (reconnect elsewhere)', async () => {
    const doomed = await startTestServer();
    const clients = [await RawClient.open(doomed.wsUrl()), await RawClient.open(doomed.wsUrl())];
    await doomed.close();
    for (const c of clients) {
      expect((await c.closed()).code).toBe(4200);
      expect(c.raw.at(-1)).toBe(
        '{"event":"pusher:error","data":{"code":4200,"message":"Server shutting down"}}',
      );
    }
    await expect(fetch(`${doomed.httpUrl}/up`)).rejects.toThrow();
  });
});
