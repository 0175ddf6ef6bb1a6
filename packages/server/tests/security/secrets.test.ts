/**
 * Security by default (issue 10): no secret in any log line (even with --debug) or any error body,
 * no expected signature in any error, the 600 s timestamp window, `allowed_origins`, and signature
 * comparisons that go through constant-time helpers.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { hmacSha256Hex, httpSigningString, signHttpRequest } from '@react-reverb/core/signing';
import { DEMO_APP_CONFIG, startServer, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { type AppCredentials, joinPrivate, presenceAuth, privateAuth, sdkFor, signIn } from '../support/auth';
import { type ApiAnswer, queryOf, rawRequest, signedPath, signedRequest } from '../support/http';
import { RawClient, subscribeFrame } from '../support/raw-client';
import { sharedTestServer } from '../support/server';

/** A secret long and odd enough that no accidental substring can match it. */
const SECRET = 'sEcReT-9f2c4e1a7b-never-print-me';
const APP = {
  ...DEMO_APP_CONFIG,
  id: '777',
  key: 'sec-key-0001',
  secret: SECRET,
  allowed_origins: ['app.example.com', '*.trusted.test'],
};

/** Everything a client or API caller saw, to grep for the secret. */
const seen: string[] = [];
const record = (answer: ApiAnswer): ApiAnswer => {
  seen.push(answer.text, JSON.stringify(answer.headers));
  return answer;
};

/** Authenticated and failed operations of every kind; returns the bad signatures the server rejected. */
async function exercise(target: { port: number; app: AppCredentials }, wsUrl: string) {
  const a = await RawClient.open(wsUrl);
  const b = await RawClient.open(wsUrl);
  a.send(subscribeFrame('private-orders', privateAuth(target, a.socketId, 'private-orders')));
  const p = presenceAuth(target, a.socketId, 'presence-room', '42', { name: 'Ada' });
  a.send(subscribeFrame('presence-room', p.auth, p.channel_data));
  await signIn(target, a, { id: '42', watchlist: ['7'] });
  await joinPrivate(target, b, 'private-orders');
  a.send({ event: 'client-typing', channel: 'private-orders', data: { who: 'a' } });
  await b.nextEvent('client-typing');
  // Failures: a forged channel auth, a forged sign-in, a key from another app.
  a.send(subscribeFrame('private-forged', `${target.app.key}:${'0'.repeat(64)}`));
  a.send({
    event: 'pusher:signin',
    data: { auth: `${target.app.key}:${'1'.repeat(64)}`, user_data: '{"id":"9"}' },
  });
  a.send(subscribeFrame('private-other', `other-key:${'2'.repeat(64)}`));
  await a.next(
    (f) => f.event === 'pusher:subscription_error' && f.channel === 'private-other',
    'third refusal',
  );

  const sdk = sdkFor(target);
  await sdk.trigger(['private-orders', 'presence-room'], 'shipped', { id: 1 });
  await sdk.triggerBatch([{ channel: 'private-orders', name: 'b', data: 'x' }]);
  await sdk.get({ path: '/channels', params: { filter_by_prefix: 'presence-', info: 'user_count' } });
  await sdk.get({ path: '/channels/presence-room/users' });
  await b.nextEvent('b');

  const body = JSON.stringify({ name: 'e', channels: ['c'], data: 'd' });
  const path = `/apps/${target.app.id}/events`;
  const good = signHttpRequest({
    method: 'POST',
    path,
    body,
    key: target.app.key,
    secret: target.app.secret,
  });
  const expectedSignatures = [good.auth_signature as string];
  // Wrong signature, wrong key, stale timestamp, wrong body_md5, missing params.
  const variants: Array<Record<string, string>> = [
    { ...good, auth_signature: 'f'.repeat(64) },
    { ...good, auth_signature: 'short' },
    { ...good, auth_key: 'guess-key' },
    { ...good, auth_timestamp: '1000000000' },
    { ...good, body_md5: '0'.repeat(32) },
    { auth_key: target.app.key },
  ];
  for (const params of variants) {
    const answer = record(await rawRequest(target.port, 'POST', `${path}?${queryOf(params)}`, body));
    expect(answer.status).toBe(401);
  }
  // What the server would have expected for the forged WebSocket auths: must not appear either.
  expectedSignatures.push(
    hmacSha256Hex(target.app.secret, `${a.socketId}:private-forged`),
    hmacSha256Hex(target.app.secret, `${a.socketId}::user::{"id":"9"}`),
    hmacSha256Hex(target.app.secret, httpSigningString('POST', path, { ...good, auth_signature: '' })),
  );
  await sdk.terminateUserConnections('42');
  await a.closed();
  seen.push(...a.raw, ...b.raw);
  b.close();
  return expectedSignatures;
}

describe('no secret anywhere (in-process, --debug logging)', () => {
  const t = sharedTestServer([APP], { debug: true }, { captureLogs: true });

  it('logs and every answer mention neither the secret nor an expected signature', async () => {
    const expected = await exercise(t, t.wsUrl());
    const logs = t.logs();
    expect(logs).toMatch(/"direction":"in"/); // debug frame logging was on
    expect(logs).toMatch(/signin/);
    for (const text of [logs, ...seen]) {
      expect(text).not.toContain(SECRET);
      for (const signature of expected) expect(text).not.toContain(signature);
    }
  });
});

describe('no secret in the output of `reverb start --debug`', () => {
  it('the CLI prints its settings and every frame, never the secret', async () => {
    const server = await startServer({ apps: [APP], debug: true });
    try {
      const wsUrl = `${server.wsUrl}/app/${APP.key}?protocol=7&client=js&version=8.6.0&flash=false`;
      const expected = await exercise(server, wsUrl);
      await waitFor(() => server.output().includes('terminate'), 5000, 'debug output');
      expect(server.output()).toContain(APP.key);
      expect(server.output()).not.toContain(SECRET);
      for (const signature of expected) expect(server.output()).not.toContain(signature);
    } finally {
      await server.kill();
    }
  });
});

describe('request checks', () => {
  const t = sharedTestServer([APP], {}, { captureLogs: true });

  it('auth_timestamp within 600 s passes; beyond, either way, is 401 naming the window', async () => {
    const now = Math.floor(Date.now() / 1000);
    for (const [offset, status] of [
      [-590, 200],
      [590, 200],
      [-610, 401],
      [610, 401],
      [-86_400 * 365, 401],
    ] as const) {
      const answer = await signedRequest(t, 'GET', '/channels', { timestamp: now + offset });
      expect(answer.status, `offset ${offset}: ${answer.text}`).toBe(status);
      if (status === 401) expect(answer.text).toMatch(/not within 600s/);
    }
  });

  it('errors do not help guess a key: an unknown key gets the same answer as any other', async () => {
    const answers = [];
    for (const key of ['a', APP.key.slice(0, -1), `${APP.key}x`, APP.key.toUpperCase()]) {
      const c = await RawClient.open(t.wsUrl(key));
      answers.push({ code: (await c.closed()).code, frame: c.raw[0] });
    }
    for (const answer of answers) expect(answer).toEqual(answers[0]);
    expect(answers[0]?.code).toBe(4001);
    // Over HTTP, a wrong auth_key echoes only what the caller sent, never the real key.
    const path = `/apps/${APP.id}/channels`;
    const answer = await rawRequest(t.port, 'GET', signedPath({ ...APP, key: 'sec-key-0002' }, 'GET', path));
    expect(answer.status).toBe(401);
    expect(answer.text).not.toContain(APP.key);
  });

  it('allowed_origins: listed hosts and wildcards connect, others get 4009, Origin-less clients connect', async () => {
    const open = async (origin?: string) => {
      const c = await RawClient.open(t.wsUrl(), origin === undefined ? {} : { origin });
      const code = c.closeCode ?? (c.frames[0]?.event === 'pusher:connection_established' ? 0 : -1);
      c.close();
      return code === 0 ? 'ok' : (await c.closed()).code;
    };
    expect(await open('https://app.example.com')).toBe('ok');
    expect(await open('http://app.example.com:8080')).toBe('ok');
    expect(await open('https://eu.trusted.test')).toBe('ok');
    expect(await open(undefined)).toBe('ok');
    expect(await open('https://evil.example.com')).toBe(4009);
    expect(await open('https://app.example.com.evil.test')).toBe(4009);
    expect(await open('https://trusted.test.evil')).toBe(4009);
    expect(await open('null')).toBe(4009);
  });
});

describe('constant-time comparisons', () => {
  const roots = [resolve(__dirname, '../../src'), resolve(__dirname, '../../../core/src/signing')];
  const files = roots.flatMap(function walk(dir: string): string[] {
    return readdirSync(dir).flatMap((name) => {
      const full = join(dir, name);
      if (statSync(full).isDirectory()) return walk(full);
      return full.endsWith('.ts') ? [full] : [];
    });
  });

  it('no signature, digest, token or password is compared with === or !==', () => {
    // An operand named like a secret value, compared directly (undefined/null checks are fine).
    const direct =
      /\b\w*(signature|digest|expected|token|password|hmac)\w*\s*[!=]==(?!\s*(undefined|null)\b)|[!=]==\s*[\w.]*(signature|digest|expected|token|password|hmac)\w*\b/i;
    const offenders = files.flatMap((file) =>
      readFileSync(file, 'utf8')
        .split('\n')
        .map((line, i) => ({ where: `${file}:${i + 1}`, line: line.trim() }))
        .filter(({ line }) => !line.startsWith('//') && !line.startsWith('*') && direct.test(line)),
    );
    expect(offenders).toEqual([]);
  });

  it('every file that computes an HMAC compares with a timing-safe helper', () => {
    const hmacUsers = files.filter((file) => {
      const text = readFileSync(file, 'utf8');
      return /hmacSha256Hex\(|createHmac\(/.test(text) && /verify|valid/i.test(text);
    });
    expect(hmacUsers.length).toBeGreaterThan(0);
    // `authMatches` (auth-string.ts) is the shared "key:hex" comparison; it must itself be timing-safe.
    for (const file of hmacUsers)
      expect(readFileSync(file, 'utf8'), file).toMatch(/timingSafeEqual|authMatches\(/);
    const authString = files.find((f) => f.endsWith('auth-string.ts')) as string;
    expect(readFileSync(authString, 'utf8')).toMatch(/timingSafeEqualHex\(givenHex/);
  });
});
