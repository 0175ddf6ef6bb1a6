// pusher-js and the `pusher` SDK against the per-app settings of the config file, as an operator
// sets them: several apps on one server, a disabled app, a connection quota, client events off,
// subscription counts off. Needs a server started with these apps, so it is skipped against an
// external REVERB_TEST_TARGET_URL.
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { signHttpRequest } from '@react-reverb/core/signing';
import { freePort, REVERB_BIN, waitFor } from '@react-reverb/test-helpers';
import PusherJs from 'pusher-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from './support/app-backend';
import { SMALL_APP } from './support/apps';
import { sdkFor } from './support/auth';
import { EVENT_TIMEOUT_MS, nextEvent, nextMatching, record } from './support/events';
import { statusOf } from './support/http-api';
import { multiAppServer } from './support/multi-app';
import { connected, drain, pusherJsOptions, pusherJsPool, subscribed } from './support/pusher-js-clients';
import { rawClients } from './support/raw-client';
import { REVERB_1_10_ENV } from './support/reverb-env';
import type { Target } from './support/target';

const APPS = {
  orders: { id: '1001', key: 'orders-key', secret: 'orders-secret', client_events: false },
  shop: { id: '1002', key: 'shop-key', secret: 'shop-secret', client_events: true },
  off: { id: '1003', key: 'off-key', secret: 'off-secret', enabled: false },
  small: SMALL_APP,
} as const;
interface RefusedError {
  error?: { data?: { code?: number } };
}

describe.skipIf(Boolean(process.env.REVERB_TEST_TARGET_URL))('app settings from the config file', () => {
  const { targets, backends, pools } = multiAppServer(APPS, pusherJsPool);

  it('keeps apps apart: the same channel name in two apps does not share events', async () => {
    const [inOrders, inShop] = await Promise.all([pools.orders.connect(), pools.shop.connect()]);
    const [chOrders, chShop] = await Promise.all([subscribed(inOrders, 'news'), subscribed(inShop, 'news')]);
    const leaked = record(chOrders, 'headline');
    const got = nextEvent(chShop, 'headline', 'event in the shop app');
    await backends.shop.pusher.trigger('news', 'headline', { app: 'shop' });
    expect(await got).toEqual({ app: 'shop' });
    await drain(backends.orders, inOrders, 'news');
    expect(leaked).toEqual([]);
  });

  it("refuses another app's id with this app's credentials (401)", async () => {
    const crossed = sdkFor({ ...targets.orders, app: { ...targets.orders.app, id: APPS.shop.id } });
    expect(await statusOf(crossed.trigger('news', 'headline', {}))).toBe(401);
  });

  it('a disabled app: pusher-js is refused with 4003 and the HTTP API answers 403', async () => {
    const client = pools.off.create();
    const error = await nextEvent<RefusedError>(client.connection, 'error', 'disabled app');
    expect(error.error?.data?.code).toBe(4003);
    expect(await statusOf(backends.off.pusher.trigger('news', 'headline', {}))).toBe(403);
  });

  it('max_connections: the connection over the quota is refused with 4004', async () => {
    await Promise.all([pools.small.connect(), pools.small.connect()]);
    const third = pools.small.create();
    const error = await nextEvent<RefusedError>(third.connection, 'error', 'over quota');
    expect(error.error?.data?.code).toBe(4004);
  });

  it('client_events: false refuses whispers with pusher:error and delivers nothing', async () => {
    const [a, b] = await Promise.all([pools.orders.connect('1'), pools.orders.connect('2')]);
    const [chA, chB] = await Promise.all([subscribed(a, 'private-chat'), subscribed(b, 'private-chat')]);
    const received = record(chB, 'client-typing');
    const error = nextMatching<{ type?: string; data?: { code?: number } }>(
      a.connection,
      'error',
      (e) => e.type === 'PusherError',
      'refused client event',
    );
    chA.trigger('client-typing', { typing: true });
    expect((await error).data?.code).toBe(4009);
    await drain(backends.orders, b, 'private-chat');
    expect(received).toEqual([]);
  });

  it('subscription_count off (the default): no pusher:subscription_count events', async () => {
    const [a, b] = await Promise.all([pools.shop.connect(), pools.shop.connect()]);
    const counts = record(a.subscribe('counted'), 'pusher:subscription_count');
    await subscribed(a, 'counted');
    await subscribed(b, 'counted');
    await drain(backends.shop, a, 'counted');
    expect(counts).toEqual([]);
  });
});

/**
 * A Laravel app's `.env` as Reverb 1.10 reads it: every name its config/reverb.php reads
 * (tests/support/reverb-env.ts), written the way `php artisan reverb:install` writes them, next to the
 * rest of a Laravel `.env`. The real `reverb start` runs in that directory with no other setting: it
 * must start without a warning line and behave as each setting says, seen from pusher-js, raw frames
 * and requests signed as Laravel's PHP SDK signs them.
 */
describe.skipIf(Boolean(process.env.REVERB_TEST_TARGET_URL))('a Reverb 1.10 .env, unchanged', () => {
  const APP = { id: '777', key: 'laravel-key', secret: 'laravel-secret' };
  const PREFIX = '/ws';
  const SETTINGS: Record<string, string> = {
    REVERB_SERVER_HOST: '127.0.0.1',
    REVERB_SERVER_PATH: PREFIX,
    REVERB_HOST: 'localhost',
    REVERB_MAX_REQUEST_SIZE: '2000',
    REVERB_APP_ID: APP.id,
    REVERB_APP_KEY: APP.key,
    REVERB_APP_SECRET: APP.secret,
    REVERB_PORT: '8080',
    REVERB_SCHEME: 'http',
    REVERB_APP_PING_INTERVAL: '1',
    REVERB_APP_ACTIVITY_TIMEOUT: '7',
    REVERB_APP_MAX_CONNECTIONS: '4',
    REVERB_APP_MAX_MESSAGE_SIZE: '500',
    REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'all',
    REVERB_APP_RATE_LIMITING_ENABLED: 'true',
    REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: '20',
    REVERB_APP_RATE_LIMIT_DECAY_SECONDS: '60',
    REVERB_APP_RATE_LIMIT_TERMINATE: 'false',
  };
  let port: number;
  let child: ChildProcess;
  let stdout = '';
  let stderr = '';
  let target: Target;
  let backend: AppBackend;
  const open = rawClients();
  const pusherJsClients: PusherJs[] = [];
  /** pusher-js as the app's Echo options would set it up: under the path, as user `userId`. */
  const laravelClient = (userId: string) => {
    const client = new PusherJs(APP.key, { ...pusherJsOptions(target, backend, userId), wsPath: PREFIX });
    pusherJsClients.push(client);
    return connected(client);
  };
  const wsUrl = () => `ws://127.0.0.1:${port}${PREFIX}/app/${APP.key}?protocol=7&client=js&version=8.6.0`;
  /** A request to the API under the prefix, signed over the path without it, as pusher-http-php does. */
  const laravelRequest = (method: 'GET' | 'POST', path: string, body = '') => {
    const query = signHttpRequest({ method, path, params: {}, body, key: APP.key, secret: APP.secret });
    return fetch(`http://127.0.0.1:${port}${PREFIX}${path}?${new URLSearchParams(query)}`, {
      method,
      ...(body === '' ? {} : { body }),
    });
  };
  const connectionCount = async () =>
    ((await (await laravelRequest('GET', `/apps/${APP.id}/connections`)).json()) as { connections: number })
      .connections;

  beforeAll(async () => {
    port = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'rr-laravel-env-'));
    const reverb = Object.keys(REVERB_1_10_ENV).map((name) => {
      const value = name === 'REVERB_SERVER_PORT' ? String(port) : (SETTINGS[name] ?? REVERB_1_10_ENV[name]);
      return `${name}=${value === null || value === undefined ? '' : `"${value}"`}`;
    });
    const dotEnv = [
      'APP_NAME=Laravel',
      'APP_ENV=local',
      'APP_KEY=base64:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=',
      'BROADCAST_CONNECTION=reverb',
      'REDIS_CLIENT=phpredis',
      '',
      ...reverb,
      '',
      // What reverb:install writes for Vite: references, left as they are.
      ...['REVERB_APP_KEY', 'REVERB_HOST', 'REVERB_PORT', 'REVERB_SCHEME'].map(
        (name) => `VITE_${name}="\${${name}}"`,
      ),
    ];
    writeFileSync(join(dir, '.env'), `${dotEnv.join('\n')}\n`);
    child = spawn(process.execPath, [REVERB_BIN, 'start'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`reverb exited: ${stderr}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}${PREFIX}/up`)).ok;
        } catch {
          return false;
        }
      },
      15_000,
      'reverb started from the Laravel .env',
    );
    target = {
      host: '127.0.0.1',
      port,
      httpUrl: `http://127.0.0.1:${port}${PREFIX}`,
      app: APP,
      async stop() {},
    };
    backend = await startAppBackend(target);
  });
  afterEach(() => {
    for (const client of pusherJsClients.splice(0)) client.disconnect();
  });
  afterAll(async () => {
    await backend?.close();
    if (child && child.exitCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    }
  });

  it('starts without a warning line, showing REVERB_SERVER_PATH and REVERB_HOST', async () => {
    expect(stderr).toBe('');
    await waitFor(() => stdout.includes('listening'), 5000, 'the listening line');
    expect(stdout).toContain(`ws://127.0.0.1:${port}${PREFIX} (localhost)`);
    const up = await fetch(`http://127.0.0.1:${port}${PREFIX}/up`);
    expect(await up.json()).toEqual({ health: 'OK' });
  });

  it('pusher-js connects under the path; clients are told REVERB_APP_ACTIVITY_TIMEOUT', async () => {
    const client = await laravelClient('1');
    expect(client.connection.socket_id).toMatch(/^\d+\.\d+$/);
    const raw = await open(wsUrl());
    expect(JSON.parse(raw.frames[0]?.data as string)).toMatchObject({ activity_timeout: 7 });
  });

  it('REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM=all: a connection that holds no channel may whisper on it', async () => {
    const [member, stranger] = await Promise.all([laravelClient('1'), laravelClient('2')]);
    const channel = await subscribed(member, 'private-room');
    const got = nextEvent(channel, 'client-hello', 'the whisper of a connection that holds no channel');
    stranger.send_event('client-hello', { from: 'stranger' }, 'private-room');
    expect(await got).toEqual({ from: 'stranger' });
  });

  it('REVERB_APP_RATE_LIMIT_*: 20 messages, then pusher:error 4301 and the connection stays', async () => {
    const c = await open(wsUrl());
    for (let i = 0; i < 21; i++) c.send('{"event":"pusher:ping","data":{}}');
    await c.next((f) => f.event === 'pusher:error', 'the rate limit error');
    expect(c.all('pusher:pong')).toHaveLength(20);
    expect(c.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4301,"message":"Rate limit exceeded"}}',
    );
    expect(c.closeCode).toBeUndefined();
  });

  it('REVERB_APP_MAX_MESSAGE_SIZE=500: a larger frame gets pusher:error 4200', async () => {
    const c = await open(wsUrl());
    c.send({ event: 'client-big', channel: 'private-room', data: 'x'.repeat(600) });
    const error = await c.next((f) => f.event === 'pusher:error', 'the size error');
    expect(error.data).toMatchObject({ code: 4200, message: expect.stringContaining('at most 500') });
  });

  it('REVERB_APP_PING_INTERVAL=1: a silent client is probed after 1 s and closed with 4201 after 1 s more', async () => {
    const c = await open(wsUrl(), { autoPong: false });
    await c.next((f) => f.event === 'pusher:ping', 'the probe', 5000);
    expect((await c.closed(5000)).code).toBe(4201);
  });

  it('REVERB_MAX_REQUEST_SIZE=2000, and the API under the path signed as Laravel signs it', async () => {
    const small = await laravelRequest(
      'POST',
      `/apps/${APP.id}/events`,
      '{"name":"e","channel":"news","data":"{}"}',
    );
    expect(small.status).toBe(200);
    const large = JSON.stringify({ name: 'e', channel: 'news', data: 'x'.repeat(2500) });
    expect((await laravelRequest('POST', `/apps/${APP.id}/events`, large)).status).toBe(413);
  });

  it('REVERB_APP_MAX_CONNECTIONS=4: /connections counts them and the fifth is refused with 4004', async () => {
    await waitFor(async () => (await connectionCount()) === 0, EVENT_TIMEOUT_MS, 'earlier connections gone');
    for (let i = 0; i < 4; i++) await open(wsUrl());
    expect(await connectionCount()).toBe(4);
    const fifth = await open(wsUrl());
    expect((await fifth.closed()).code).toBe(4004);
  });
});
