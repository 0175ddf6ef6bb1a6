import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import Pusher from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type HttpVerification,
  hmacSha256Hex,
  httpSigningString,
  md5Hex,
  parseQueryString,
  signHttpRequest,
  verifyHttpRequest,
} from '../src/signing';

const OFFICIAL = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8' };
const DEMO = { appId: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001' };
const NOW = 1_700_000_000;

function toQuery(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

function failure(result: HttpVerification): string {
  if (result.ok) throw new Error('expected the request to be refused');
  expect(result.status).toBe(401);
  return result.error;
}

describe('docs/protocol.md §7.2 vectors', () => {
  it('official example: MD5, signing string and signature', () => {
    const body = '{"name":"foo","channels":["project-3"],"data":"{\\"some\\":\\"data\\"}"}';
    expect(md5Hex(body)).toBe('ec365a775a4cd0599faeb73354201b6f');
    const params = signHttpRequest({
      method: 'POST',
      path: '/apps/3/events',
      body,
      ...OFFICIAL,
      timestamp: 1353088179,
    });
    expect(httpSigningString('POST', '/apps/3/events', params)).toBe(
      'POST\n/apps/3/events\nauth_key=278d425bdf160c739803&auth_timestamp=1353088179&auth_version=1.0&body_md5=ec365a775a4cd0599faeb73354201b6f',
    );
    expect(params.auth_signature).toBe('da454824c97ba181a32ccc17a72625ba02771f50b50e1e7430e47a1f3f457e6c');
    expect(
      verifyHttpRequest({
        method: 'POST',
        path: '/apps/3/events',
        params,
        body,
        ...OFFICIAL,
        nowSeconds: 1353088179,
      }),
    ).toEqual({ ok: true });
  });

  it('demo POST /events', () => {
    const body =
      '{"name":"order-shipped","channels":["private-orders.17","orders"],"data":"{\\"id\\":17,\\"status\\":\\"shipped\\"}","socket_id":"1234.5678"}';
    expect(md5Hex(body)).toBe('3dbef1e6b201ab6a8912ec8aefcf321d');
    expect(md5Hex(new TextEncoder().encode(body))).toBe('3dbef1e6b201ab6a8912ec8aefcf321d');
    const params = signHttpRequest({
      method: 'post',
      path: '/apps/4242/events',
      body,
      ...DEMO,
      timestamp: NOW,
    });
    expect(httpSigningString('POST', '/apps/4242/events', params)).toBe(
      'POST\n/apps/4242/events\nauth_key=demo-key-0001&auth_timestamp=1700000000&auth_version=1.0&body_md5=3dbef1e6b201ab6a8912ec8aefcf321d',
    );
    expect(params.auth_signature).toBe('ff6f3638fcb075f72a129d2a17935da23284cc4f33a97a722149249229500d42');
  });

  it('demo GET /channels: no body, no body_md5, info and filter_by_prefix signed', () => {
    const params = signHttpRequest({
      method: 'GET',
      path: '/apps/4242/channels',
      params: { info: 'user_count', filter_by_prefix: 'presence-' },
      ...DEMO,
      timestamp: NOW,
    });
    expect(params.body_md5).toBeUndefined();
    expect(httpSigningString('GET', '/apps/4242/channels', params)).toBe(
      'GET\n/apps/4242/channels\nauth_key=demo-key-0001&auth_timestamp=1700000000&auth_version=1.0&filter_by_prefix=presence-&info=user_count',
    );
    expect(params.auth_signature).toBe('9ab093ab8e3646babe81ea3a02ae7c918703c164d521ecdb8717ab026aabe162');
  });

  it('terminate_connections body {} has the documented MD5', () => {
    expect(md5Hex('{}')).toBe('99914b932bd37a50b983c5e7c90ae93b');
  });
});

describe('httpSigningString', () => {
  it('lowercases keys, sorts bytewise, keeps values raw, comma-joins arrays, skips auth_signature', () => {
    expect(
      httpSigningString('get', '/apps/1/channels', {
        Zeta: 'a b&c=d',
        alpha: ['x', 'y'],
        auth_signature: 'ignored',
        B: '%20',
      }),
    ).toBe('GET\n/apps/1/channels\nalpha=x,y&b=%20&zeta=a b&c=d');
  });

  it('sorts by code unit, not locale ("Z" < "_" < "a")', () => {
    expect(httpSigningString('GET', '/p', { a_b: '1', ab: '2', a: '3' })).toBe('GET\n/p\na=3&a_b=1&ab=2');
  });
});

describe('parseQueryString', () => {
  it('percent-decodes and keeps "+" literal', () => {
    expect({ ...parseQueryString('?a=x%20y&b=1+2&c=%2B&d&e=&f=%E2%9C%93') }).toEqual({
      a: 'x y',
      b: '1+2',
      c: '+',
      d: '',
      e: '',
      f: '✓',
    });
  });

  it('keeps a malformed escape as sent and treats __proto__ as a plain key', () => {
    const parsed = parseQueryString('a=%zz&__proto__=1&=x');
    expect(parsed.a).toBe('%zz');
    expect(Object.hasOwn(parsed, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(parsed, '__proto__')?.value).toBe('1');
    expect(Object.getPrototypeOf(parsed)).toBe(null);
  });
});

describe('verifyHttpRequest rules', () => {
  const path = '/apps/4242/events';
  const body = '{"name":"e","channel":"orders","data":"{}"}';
  const signed = () => signHttpRequest({ method: 'POST', path, body, ...DEMO, timestamp: NOW });
  const verify = (
    params: Record<string, string>,
    over: Partial<Parameters<typeof verifyHttpRequest>[0]> = {},
  ) => verifyHttpRequest({ method: 'POST', path, params, body, ...DEMO, nowSeconds: NOW, ...over });

  it('accepts a signed request', () => {
    expect(verify(signed())).toEqual({ ok: true });
  });

  it.each(['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature'])('401 without %s', (name) => {
    const params = signed();
    delete params[name];
    expect(failure(verify(params))).toContain(name);
  });

  it('401 on auth_version other than 1.0', () => {
    const params = signHttpRequest({ method: 'POST', path, body, ...DEMO, timestamp: NOW, params: {} });
    expect(failure(verify({ ...params, auth_version: '2.0' }))).toMatch(/auth_version/);
  });

  it('401 on another key, even with a signature made with our secret', () => {
    const params = signHttpRequest({
      method: 'POST',
      path,
      body,
      key: 'other-key',
      secret: DEMO.secret,
      timestamp: NOW,
    });
    expect(failure(verify(params))).toMatch(/auth_key/);
  });

  it('accepts exactly ±600 s and refuses 601 s either way', () => {
    expect(verify(signed(), { nowSeconds: NOW + 600 })).toEqual({ ok: true });
    expect(verify(signed(), { nowSeconds: NOW - 600 })).toEqual({ ok: true });
    expect(failure(verify(signed(), { nowSeconds: NOW + 601 }))).toMatch(
      /^Timestamp expired: Given timestamp \(2023-11-14T22:13:20.000Z\) not within 600s of server time/,
    );
    expect(failure(verify(signed(), { nowSeconds: NOW - 601 }))).toMatch(/Timestamp expired/);
    expect(verify(signed(), { nowSeconds: NOW + 30, windowSeconds: 10 }).ok).toBe(false);
  });

  it('401 on a timestamp that is not Unix seconds', () => {
    for (const bad of ['', 'abc', '1.5', '-1', '1e9']) {
      expect(failure(verify({ ...signed(), auth_timestamp: bad }))).toMatch(/auth_timestamp/);
    }
  });

  it('requires body_md5 for a non-empty body and checks it', () => {
    const params = signed();
    const { body_md5: _dropped, ...withoutMd5 } = params;
    expect(failure(verify(withoutMd5))).toMatch(/body_md5/);
    expect(failure(verify(params, { body: `${body} ` }))).toMatch(/body_md5 does not match/);
    expect(failure(verify({ ...params, body_md5: md5Hex('x') }))).toMatch(/body_md5 does not match/);
  });

  it('needs no body_md5 for an empty body', () => {
    const params = signHttpRequest({ method: 'GET', path: '/apps/4242/channels', ...DEMO, timestamp: NOW });
    expect(verify(params, { method: 'GET', path: '/apps/4242/channels', body: '' })).toEqual({ ok: true });
    expect(verify(params, { method: 'GET', path: '/apps/4242/channels', body: new Uint8Array() })).toEqual({
      ok: true,
    });
  });

  it('checks the signature over method, path and every parameter', () => {
    const params = signed();
    expect(failure(verify(params, { method: 'PUT' }))).toMatch(/^Invalid signature/);
    expect(failure(verify(params, { path: '/apps/4242/batch_events' }))).toMatch(/^Invalid signature/);
    expect(failure(verify({ ...params, info: 'user_count' }))).toMatch(/^Invalid signature/);
    expect(failure(verify(params, { secret: 'wrong' }))).toMatch(/^Invalid signature/);
  });

  it('401 messages never contain the secret or the expected signature', () => {
    const params = signed();
    const expected = params.auth_signature ?? '';
    const wrongSig = { ...params, auth_signature: '0'.repeat(64) };
    const errors = [
      failure(verify(wrongSig)),
      failure(verify({ ...wrongSig, auth_version: '2' })),
      failure(verify(wrongSig, { nowSeconds: 0 })),
      failure(verify({ ...wrongSig, body_md5: 'x' })),
      failure(verify({ ...wrongSig, auth_key: 'k' })),
    ];
    for (const error of errors) {
      expect(error).not.toContain(DEMO.secret);
      expect(error).not.toContain(expected);
    }
    // The signature error is actionable: it shows the string to sign.
    expect(errors[0]).toContain(JSON.stringify(httpSigningString('POST', path, params)));
  });
});

describe('a PHP (pusher-http-php + Guzzle) style request', () => {
  it('verifies: values %20-encoded in the URL, signed raw; "/" escaped in the JSON body', () => {
    // PHP json_encode escapes "/" and PHP signs the body bytes it sends.
    const body =
      '{"name":"App\\\\Events\\\\Moved","data":"{\\"url\\":\\"https:\\\\\\/\\\\\\/x.test\\\\\\/a b\\"}","channel":"private-orders.17"}';
    expect(body).toContain('\\/');
    const timestamp = String(NOW);
    const raw = {
      auth_key: DEMO.key,
      auth_timestamp: timestamp,
      auth_version: '1.0',
      body_md5: md5Hex(body),
      info: 'subscription_count,user_count',
      filter_by_prefix: 'private-a b',
    };
    // What pusher-http-php signs: raw values, sorted keys, the array joined with commas.
    const signature = hmacSha256Hex(
      DEMO.secret,
      `POST\n/apps/4242/events\nauth_key=${DEMO.key}&auth_timestamp=${timestamp}&auth_version=1.0&body_md5=${md5Hex(body)}&filter_by_prefix=private-a b&info=subscription_count,user_count`,
    );
    expect(
      signHttpRequest({
        method: 'POST',
        path: '/apps/4242/events',
        params: { info: ['subscription_count', 'user_count'], filter_by_prefix: 'private-a b' },
        body,
        ...DEMO,
        timestamp: NOW,
      }).auth_signature,
    ).toBe(signature);
    // Guzzle encodes with RFC 3986: spaces as %20, commas as %2C.
    const url = `${toQuery(raw).replaceAll('%2C', '%2c')}&auth_signature=${signature}`;
    expect(url).toContain('private-a%20b');
    const params = parseQueryString(url);
    expect(params.filter_by_prefix).toBe('private-a b');
    expect(
      verifyHttpRequest({
        method: 'POST',
        path: '/apps/4242/events',
        params,
        body,
        ...DEMO,
        nowSeconds: NOW,
      }),
    ).toEqual({ ok: true });
    // Re-serializing the body the JavaScript way breaks the MD5, as it must.
    const reserialized = JSON.stringify(JSON.parse(body));
    expect(reserialized).not.toBe(body);
    expect(
      verifyHttpRequest({
        method: 'POST',
        path: '/apps/4242/events',
        params,
        body: reserialized,
        ...DEMO,
        nowSeconds: NOW,
      }).ok,
    ).toBe(false);
  });
});

describe('cross-check with the official pusher SDK', () => {
  const pusherFor = (port = 80) =>
    new Pusher({ ...DEMO, host: '127.0.0.1', port: String(port), useTLS: false });

  it('createSignedQueryString verifies with ours, with and without a body', () => {
    const pusher = pusherFor();
    const body = JSON.stringify({ name: 'e', channels: ['orders'], data: '{"a":"b/c"}' });
    const post = parseQueryString(
      pusher.createSignedQueryString({ method: 'POST', path: '/apps/4242/events', body }),
    );
    expect(
      verifyHttpRequest({ method: 'POST', path: '/apps/4242/events', params: post, body, ...DEMO }),
    ).toEqual({
      ok: true,
    });
    const get = parseQueryString(
      pusher.createSignedQueryString({
        method: 'GET',
        path: '/apps/4242/channels',
        params: { filter_by_prefix: 'presence-', info: 'user_count' },
      }),
    );
    expect(get.body_md5).toBeUndefined();
    expect(
      verifyHttpRequest({ method: 'GET', path: '/apps/4242/channels', params: get, body: '', ...DEMO }),
    ).toEqual({
      ok: true,
    });
  });

  it('the SDK verifies what we sign: same query string for the same timestamp', () => {
    const pusher = pusherFor();
    const body = '{"name":"e","channel":"orders","data":"x"}';
    const theirs = parseQueryString(
      pusher.createSignedQueryString({ method: 'POST', path: '/apps/4242/events', body }),
    );
    const ours = signHttpRequest({
      method: 'POST',
      path: '/apps/4242/events',
      body,
      ...DEMO,
      timestamp: Number(theirs.auth_timestamp),
    });
    expect({ ...ours }).toEqual({ ...theirs });
  });

  describe('real requests from pusher.trigger / pusher.get to a node:http server', () => {
    const seen: {
      method: string;
      path: string;
      params: Record<string, string>;
      body: string;
      result: HttpVerification;
    }[] = [];
    const server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const url = req.url ?? '';
        const q = url.indexOf('?');
        const path = q < 0 ? url : url.slice(0, q);
        const params = parseQueryString(q < 0 ? '' : url.slice(q + 1));
        const body = Buffer.concat(chunks).toString('utf8');
        const method = req.method ?? '';
        const result = verifyHttpRequest({ method, path, params, body, ...DEMO });
        seen.push({ method, path, params, body, result });
        res.writeHead(result.ok ? 200 : 401, { 'content-type': 'application/json' });
        res.end(result.ok ? '{}' : JSON.stringify({ error: result.error }));
      });
    });
    let port = 0;
    beforeAll(async () => {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      port = (server.address() as AddressInfo).port;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('trigger with socket_id and non-ASCII data is accepted', async () => {
      seen.length = 0;
      const pusher = pusherFor(port);
      const response = await pusher.trigger(
        ['private-orders.17', 'orders'],
        'order-shipped',
        { id: 17, note: 'ü/✓' },
        {
          socket_id: '1234.5678',
        },
      );
      expect(response.status).toBe(200);
      expect(seen).toHaveLength(1);
      expect(seen[0]?.path).toBe('/apps/4242/events');
      expect(seen[0]?.params.body_md5).toBe(md5Hex(seen[0]?.body ?? ''));
      expect(seen[0]?.result).toEqual({ ok: true });
    });

    it('get with info and filter_by_prefix is accepted', async () => {
      seen.length = 0;
      const pusher = pusherFor(port);
      const response = await pusher.get({
        path: '/channels',
        params: { filter_by_prefix: 'presence-', info: 'user_count' },
      });
      expect(response.status).toBe(200);
      expect(seen[0]?.params.info).toBe('user_count');
      expect(seen[0]?.result).toEqual({ ok: true });
    });

    it('a wrong secret is refused with 401 and the SDK sees it', async () => {
      seen.length = 0;
      const pusher = new Pusher({
        ...DEMO,
        secret: 'not-the-secret',
        host: '127.0.0.1',
        port: String(port),
        useTLS: false,
      });
      await expect(pusher.trigger('orders', 'e', {})).rejects.toMatchObject({ status: 401 });
      expect(seen[0]?.result.ok).toBe(false);
    });
  });
});

describe('properties', () => {
  const key = fc
    .stringMatching(/^[a-z][a-z0-9_]{0,11}$/)
    .filter((k) => !k.startsWith('auth_') && k !== 'body_md5');
  const params = fc.dictionary(key, fc.string({ unit: 'binary', maxLength: 30 }), { maxKeys: 6 });
  const body = fc.oneof(fc.constant(''), fc.string({ unit: 'binary', maxLength: 200 }));
  const path = fc.stringMatching(/^\/apps\/[0-9]{1,5}(\/[a-z_]{1,12}){0,3}$/);
  const method = fc.constantFrom('GET', 'POST');
  const differentChar = (c: string) => (c === 'a' ? 'b' : 'a');

  it('signHttpRequest → URL → parseQueryString → verifyHttpRequest round-trips', () => {
    fc.assert(
      fc.property(
        method,
        path,
        params,
        body,
        fc.integer({ min: 0, max: 4_000_000_000 }),
        (m, p, ps, b, ts) => {
          const signed = signHttpRequest({ method: m, path: p, params: ps, body: b, ...DEMO, timestamp: ts });
          const parsed = parseQueryString(`?${toQuery(signed)}`);
          expect(
            verifyHttpRequest({ method: m, path: p, params: parsed, body: b, ...DEMO, nowSeconds: ts }),
          ).toEqual({ ok: true });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('changing any single character of a value, the path, the body or the signature fails', () => {
    fc.assert(
      fc.property(
        method,
        path,
        params,
        fc.string({ unit: 'binary', minLength: 1, maxLength: 100 }),
        fc.constantFrom('value', 'path', 'body', 'signature'),
        fc.nat(),
        (m, p, ps, b, target, at) => {
          const signed = signHttpRequest({
            method: m,
            path: p,
            params: ps,
            body: b,
            ...DEMO,
            timestamp: NOW,
          });
          let params2: Record<string, string> = { ...signed };
          let path2 = p;
          let body2 = b;
          const mutate = (s: string) => {
            const i = at % s.length;
            return s.slice(0, i) + differentChar(s.charAt(i)) + s.slice(i + 1);
          };
          if (target === 'path') path2 = mutate(p);
          else if (target === 'body') body2 = mutate(b);
          else if (target === 'signature') params2.auth_signature = mutate(signed.auth_signature ?? '');
          else {
            const names = Object.keys(ps).filter((k) => (ps[k] ?? '').length > 0);
            fc.pre(names.length > 0);
            const name = names[at % names.length] ?? '';
            params2 = { ...signed, [name]: mutate(signed[name] ?? '') };
          }
          const result = verifyHttpRequest({
            method: m,
            path: path2,
            params: params2,
            body: body2,
            ...DEMO,
            nowSeconds: NOW,
          });
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 300 },
    );
  });
});
