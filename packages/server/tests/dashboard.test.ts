/**
 * The dashboard in Debian's chromium (playwright-core): protected, live without reload, per app
 * connections, channels with subscriber counts, presence members, a messages/s chart, recent errors.
 * Writes test-results/dashboard.png (ignored); `pnpm screenshots` copies it to docs/dashboard.png, which the
 * README shows.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_APP, freePort, launchBrowser, waitFor } from '@react-reverb/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseOperationsConfig } from '../src/config/operations-config';
import { joinPresence } from './support/auth';
import { runCli } from './support/cli';
import { RawClient } from './support/raw-client';
import { startOpsServer, type TestServer } from './support/server';

const SCREENSHOT = resolve(dirname(fileURLToPath(import.meta.url)), '../test-results/dashboard.png');
const CREDENTIALS = { username: 'ops', password: 'correct horse battery staple' };

let t: TestServer;
const clients: RawClient[] = [];
beforeAll(async () => {
  const closedPort = await freePort();
  t = await startOpsServer({
    apps: [
      // Webhooks to a port nothing listens on: their failures are the "recent errors".
      {
        ...DEMO_APP,
        client_events: true,
        webhooks: [
          {
            url: `http://127.0.0.1:${closedPort}/unreachable`,
            event_types: ['channel_occupied', 'member_added'],
          },
        ],
      },
      { id: '77', key: 'second-key', secret: 'second-secret' },
    ],
    file: { dashboard: { enabled: true, ...CREDENTIALS, token: 'dash-token' } },
    operations: { webhookRetry: { initialMs: 60_000, maxMs: 60_000, forMs: 300_000 } },
  });
});
afterAll(async () => {
  for (const c of clients) c.ws.terminate();
  await t.close();
});

async function connect(): Promise<RawClient> {
  const c = await RawClient.open(t.wsUrl());
  clients.push(c);
  return c;
}

describe('dashboard', () => {
  it('refuses requests without credentials, and accepts basic auth or the token', async () => {
    const url = `${t.httpUrl}/dashboard`;
    const none = await fetch(url);
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/^Basic/);
    const wrong = await fetch(url, { headers: { Authorization: `Basic ${btoa('ops:nope')}` } });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${url}/stats.json`)).status).toBe(401);
    const basic = await fetch(url, {
      headers: { Authorization: `Basic ${btoa(`${CREDENTIALS.username}:${CREDENTIALS.password}`)}` },
    });
    expect(basic.status).toBe(200);
    expect(basic.headers.get('content-security-policy')).toContain("default-src 'none'");
    const html = await basic.text();
    expect(html).not.toMatch(/<script[^>]+src=|https?:\/\/(?!www\.w3\.org)/);
    const bearer = await fetch(`${url}/stats.json`, { headers: { Authorization: 'Bearer dash-token' } });
    expect(bearer.status).toBe(200);
    const viaQuery = await fetch(`${url}?token=dash-token`);
    expect(viaQuery.status).toBe(200);
    expect(viaQuery.headers.get('set-cookie')).toMatch(
      /^reverb_dashboard=.*HttpOnly; SameSite=Strict; Path=\/dashboard/,
    );
  });

  it('shows live numbers in chromium without a reload', async () => {
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({
        httpCredentials: CREDENTIALS,
        viewport: { width: 1100, height: 900 },
      });
      const page = await context.newPage();
      const pageErrors: string[] = [];
      page.on('pageerror', (error) => pageErrors.push(error.message));
      page.on('console', (message) => {
        if (message.type() === 'error') pageErrors.push(message.text());
      });
      await page.goto(`${t.httpUrl}/dashboard`);
      const app = page.locator(`section[data-app="${DEMO_APP.id}"]`);
      const metric = (name: string) => app.locator(`[data-metric="${name}"] b`);
      await waitFor(
        async () => (await metric('connections').textContent()) === '0',
        10_000,
        'zero connections',
      );
      expect(await page.locator('section[data-app="77"]').count()).toBe(1);

      // Traffic: three clients, a presence channel, a public one, whispers.
      const [a, b, c] = [await connect(), await connect(), await connect()];
      await joinPresence(t, a, 'presence-lobby', 'alice', { name: 'alice' });
      await joinPresence(t, b, 'presence-lobby', 'bob', { name: 'bob' });
      await c.subscribe('tickers');
      await waitFor(
        async () => (await metric('connections').textContent()) === '3',
        10_000,
        'three connections',
      );
      const lobby = app.locator('tr[data-channel="presence-lobby"]');
      await waitFor(
        async () => (await lobby.locator('.subscribers').textContent()) === '2',
        10_000,
        'lobby count',
      );
      expect(await lobby.locator('.members').textContent()).toBe('alice, bob');
      expect(await app.locator('tr[data-channel="tickers"] .subscribers').textContent()).toBe('1');

      // Messages per second: keep whispering until the chart and the rate show it.
      const whisper = setInterval(() => {
        for (let i = 0; i < 5; i++) a.send({ event: 'client-ping', channel: 'presence-lobby', data: { i } });
      }, 100);
      try {
        await waitFor(
          async () =>
            Number(await metric('rate').textContent()) > 5 &&
            Number(await metric('messages-in').textContent()) > 100,
          10_000,
          'messages per second above 5',
        );
        const points = await app.locator('svg.chart polyline').getAttribute('points');
        const heights = (points ?? '').split(' ').map((p) => Number(p.split(',')[1]));
        expect(Math.min(...heights)).toBeLessThan(115); // some point above the baseline
        // The webhook failures (nothing listens on port 9) reach "recent errors".
        await waitFor(
          async () => ((await page.locator('#problems').textContent()) ?? '').includes('webhook failed'),
          10_000,
          'a webhook failure listed',
        );
        mkdirSync(dirname(SCREENSHOT), { recursive: true });
        await page.screenshot({ path: SCREENSHOT, fullPage: true });
      } finally {
        clearInterval(whisper);
      }

      // Leaving shows up too, still without a reload.
      b.ws.terminate();
      await waitFor(
        async () => (await lobby.locator('.members').textContent()) === 'alice',
        10_000,
        'bob gone',
      );
      expect(pageErrors).toEqual([]);
    } finally {
      await browser.close();
    }
  });

  it('cannot be enabled without protection: `reverb start` names the setting and exits 1', () => {
    const result = runCli(['start', '--host', '127.0.0.1', '--port', '0'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
      REVERB_DASHBOARD_ENABLED: 'true',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'Invalid configuration: REVERB_DASHBOARD_ENABLED needs REVERB_DASHBOARD_USERNAME',
    );
  });

  it('cannot be enabled without protection', () => {
    expect(() => parseOperationsConfig({ dashboard: { enabled: true } }, {})).toThrow(
      /REVERB_DASHBOARD_USERNAME/,
    );
    expect(
      parseOperationsConfig(
        {},
        { REVERB_DASHBOARD_ENABLED: '1', REVERB_DASHBOARD_TOKEN: 'x', REVERB_DASHBOARD_PATH: '/ops' },
      ).dashboard,
    ).toMatchObject({ enabled: true, token: 'x', path: '/ops' });
  });
});
