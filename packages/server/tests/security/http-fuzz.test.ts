/**
 * Fuzzing every HTTP API endpoint (issue 10): bad JSON, wrong types, missing fields, huge bodies, bad
 * query encodings, path traversal in channel names, malformed HTTP. Every answer is a JSON 4xx with
 * `{"error": "..."}` (never a 500, never a crash), and a bystander keeps receiving events meanwhile.
 */
import { createConnection } from 'node:net';
import { DEMO_APP_CONFIG } from '@react-reverb/test-helpers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BYSTANDER_CHANNEL, Bystander } from '../support/bystander';
import { type ApiAnswer, errorMessageOf, rawRequest, signedPath, signedRequest } from '../support/http';
import { sharedTestServer } from '../support/server';

const MAX_REQUEST_SIZE = 20_000;
const t = sharedTestServer([DEMO_APP_CONFIG], { maxRequestSize: MAX_REQUEST_SIZE }, { captureLogs: true });
let bystander: Bystander;
let requests = 0;

beforeAll(async () => {
  bystander = await Bystander.join(t, t.wsUrl());
});
afterAll(() => bystander.close());

/** 200 with a JSON object, or one of `allowed` with a JSON error; ticks the bystander now and then. */
async function expectProtocolAnswer(answer: ApiAnswer, allowed: readonly number[]): Promise<void> {
  expect(answer.headers['content-type']).toBe('application/json');
  if (answer.status === 200) {
    const body = JSON.parse(answer.text) as unknown;
    expect(typeof body === 'object' && body !== null && !Array.isArray(body)).toBe(true);
  } else {
    expect(allowed, `${answer.status} ${answer.text}`).toContain(answer.status);
    errorMessageOf(answer);
  }
  if (requests++ % 15 === 0) await bystander.tick();
}

const nasty = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }),
  fc.constantFrom(1e308, -1, 2 ** 64, '', '../../etc/passwd', '\u0000', 'a'.repeat(300), [], {}, null),
);
const channelName = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    '../events',
    '..%2F..%2Fetc%2Fpasswd',
    'private-../../x',
    'presence-a/b',
    'a\\b',
    '%00',
    'presence-',
    '#server-to-user-1',
    'x'.repeat(201),
  ),
);

/** Trigger-shaped bodies with a wrong type (or nothing) in one field, plus non-JSON and non-objects. */
const triggerBody = fc.oneof(
  fc.string({ maxLength: 100 }),
  fc.json({ maxDepth: 3 }),
  fc
    .record(
      {
        name: fc.oneof(fc.string({ maxLength: 30 }), nasty),
        data: fc.oneof(fc.string({ maxLength: 30 }), nasty),
        channels: fc.oneof(fc.array(channelName, { maxLength: 110 }), nasty),
        channel: fc.oneof(channelName, nasty),
        socket_id: fc.oneof(fc.constantFrom('1.1', '1234.5678', 'x', '1.', '.1'), nasty),
        info: fc.oneof(
          fc.constantFrom('user_count', 'subscription_count,user_count', 'cache', 'bogus'),
          nasty,
        ),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);
const batchBody = fc.oneof(
  triggerBody,
  fc
    .record(
      {
        batch: fc.oneof(
          fc.array(
            fc.oneof(
              triggerBody.map((b) => safeParse(b)),
              nasty,
            ),
            { maxLength: 12 },
          ),
          nasty,
        ),
      },
      { requiredKeys: [] },
    )
    .map((body) => JSON.stringify(body)),
);

function safeParse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Never publish on the bystander's own channel: its count must stay exact. */
const notBystander = (body: string) => !body.includes(BYSTANDER_CHANNEL);

describe('signed requests with fuzzed content', () => {
  it('POST /events: 200, 400 or 413, always JSON', async () => {
    await fc.assert(
      fc.asyncProperty(triggerBody.filter(notBystander), async (body) => {
        await expectProtocolAnswer(await signedRequest(t, 'POST', '/events', { body }), [400, 413]);
      }),
      { numRuns: 200 },
    );
  });

  it('POST /batch_events: 200, 400 or 413, always JSON', async () => {
    await fc.assert(
      fc.asyncProperty(batchBody.filter(notBystander), async (body) => {
        await expectProtocolAnswer(await signedRequest(t, 'POST', '/batch_events', { body }), [400, 413]);
      }),
      { numRuns: 150 },
    );
  });

  it('GET /channels, /channels/{name}, /channels/{name}/users with fuzzed names and queries', async () => {
    const query = fc.record(
      {
        info: fc.oneof(
          fc.constantFrom('user_count', 'subscription_count', 'cache', 'user_count,cache', ''),
          fc.string(),
        ),
        filter_by_prefix: fc.oneof(fc.constantFrom('presence-', 'private-', ''), fc.string()),
      },
      { requiredKeys: [] },
    );
    const suffix = fc.constantFrom('', '/users');
    await fc.assert(
      fc.asyncProperty(
        fc.option(channelName, { nil: undefined }),
        suffix,
        query,
        async (name, tail, params) => {
          const path = name === undefined ? '/channels' : `/channels/${encodeURIComponent(name)}${tail}`;
          await expectProtocolAnswer(await signedRequest(t, 'GET', path, { params }), [400, 404]);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('POST /users/{id}/terminate_connections with fuzzed ids and bodies', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 40 }),
        fc.oneof(fc.constant('{}'), triggerBody),
        async (id, body) => {
          const path = `/users/${encodeURIComponent(id)}/terminate_connections`;
          await expectProtocolAnswer(await signedRequest(t, 'POST', path, { body }), [400, 404]);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('path traversal in channel names never reaches another route or the file system', async () => {
    const traversals = [
      '/channels/..%2F..%2Fetc%2Fpasswd',
      '/channels/%2e%2e%2fevents',
      '/channels/..%5C..%5Cwindows',
      '/channels/private-a%00b',
      '/channels/%C0%AF',
      '/channels/presence-x%2F..%2F..%2Fusers',
    ];
    for (const path of traversals) {
      const fullPath = `/apps/${t.app.id}${path}`;
      const answer = await rawRequest(t.port, 'GET', signedPath(t.app, 'GET', fullPath));
      expect(answer.status, `${path}: ${answer.text}`).toBe(400);
      expect(errorMessageOf(answer)).toMatch(/channel name|Malformed path/i);
    }
    // Unescaped dot segments are not normalised into another route: no route matches.
    const dotted = `/apps/${t.app.id}/channels/../events`;
    const answer = await rawRequest(t.port, 'GET', signedPath(t.app, 'GET', dotted));
    expect([400, 404]).toContain(answer.status);
    errorMessageOf(answer);
  });
});

describe('unsigned and malformed requests', () => {
  const methods = fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS');
  const rawSegment = fc.oneof(
    fc.string({ maxLength: 20 }).map((s) => encodeURIComponent(s)),
    fc.constantFrom(
      '%',
      '%zz',
      '%E0%A4%A',
      '%C0%AF',
      '%FF',
      '..',
      '%2e%2e',
      'events',
      'channels',
      'batch_events',
    ),
  );
  const rawQuery = fc.oneof(
    fc.constant(''),
    fc.constantFrom(
      'auth_key=%zz',
      'auth_timestamp=%FF&auth_signature=%',
      '=&&=',
      'a=%E0%A4%A&b',
      'auth_version=1.0%00',
    ),
    fc
      .array(fc.tuple(rawSegment, rawSegment), { maxLength: 5 })
      .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
  );

  it('random methods, paths, bad percent-encodings: 4xx JSON, never 500', async () => {
    await fc.assert(
      fc.asyncProperty(
        methods,
        fc.oneof(fc.constant(t.app.id), rawSegment),
        fc.array(rawSegment, { maxLength: 4 }),
        rawQuery,
        fc.option(fc.string({ maxLength: 200 }), { nil: undefined }),
        async (method, appId, segments, query, body) => {
          const path = `/apps/${appId}${segments.map((s) => `/${s}`).join('')}${query === '' ? '' : `?${query}`}`;
          const answer = await rawRequest(t.port, method, path, method === 'GET' ? undefined : body);
          await expectProtocolAnswer(answer, [400, 401, 404, 405, 413]);
          expect(answer.status).not.toBe(200);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('a body over REVERB_MAX_REQUEST_SIZE: 413 JSON, declared or chunked', async () => {
    const big = JSON.stringify({ name: 'x', channels: ['a'], data: 'z'.repeat(MAX_REQUEST_SIZE) });
    const declared = await signedRequest(t, 'POST', '/events', { body: big });
    expect(declared.status).toBe(413);
    expect(errorMessageOf(declared)).toMatch(/too large/);
    // Chunked: no Content-Length, the limit is enforced while reading.
    const path = signedPath(t.app, 'POST', `/apps/${t.app.id}/events`, { body: big });
    const chunked = await rawRequest(t.port, 'POST', path, Buffer.from(big), {
      'Transfer-Encoding': 'chunked',
    });
    expect(chunked.status).toBe(413);
    // A huge declared length with no body is refused before anything is read.
    const lie = await rawRequest(t.port, 'POST', path, undefined, {
      'Content-Length': String(10 ** 12),
    }).catch((error: Error) => ({ status: 413, text: '{"error":"socket closed"}', headers: {}, error }));
    expect(lie.status).toBe(413);
  });

  it('malformed HTTP on a raw socket gets a JSON 400 (431 for huge headers) and the connection is closed', async () => {
    for (const garbage of [
      'GARBAGE\r\n\r\n',
      'GET /apps/4242/channels HTTP/9.9\r\n\r\n',
      `GET /up HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      'GET /up HTTP/1.1\r\nContent-Length: -1\r\n\r\n',
      '\u0000\u0001\u0002\r\n\r\n',
    ]) {
      const reply = await new Promise<string>((resolve) => {
        const socket = createConnection({ host: '127.0.0.1', port: t.port }, () => socket.write(garbage));
        let text = '';
        socket.on('data', (d) => {
          text += d.toString('latin1');
        });
        socket.on('close', () => resolve(text));
        socket.on('error', () => resolve(text));
      });
      expect(reply, JSON.stringify(garbage.slice(0, 40))).toMatch(
        /^HTTP\/1\.1 4\d\d [\s\S]*\r\n\r\n\{"error":"[^"]+"\}$/,
      );
    }
  });

  it('afterwards: the bystander got every event, no request crashed the handler', async () => {
    await bystander.tick();
    await bystander.expectAllDelivered();
    expect(t.logs()).not.toMatch(/HTTP API request failed/);
    expect((await fetch(`${t.httpUrl}/up`)).status).toBe(200);
  });
});
