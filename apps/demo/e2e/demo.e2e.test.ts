import { launchBrowser, type ServerHandle, startServer, waitFor } from '@react-reverb/test-helpers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBackend } from '../server/app';
import { demoApps, ensureBuilt, screenshotPath, startBackend } from './harness';

/**
 * The whole product flow in Debian's chromium: two browser contexts are two devices.
 * Real reverb server (CLI), real backend (pusher SDK), the built front end.
 */
describe('demo end to end (chromium)', () => {
  let reverb: ServerHandle;
  let backend: DemoBackend;
  let baseUrl: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];
  const backendLog: string[] = [];
  /** Console messages and page errors of every device, labelled with the device's number. */
  const deviceLog: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    reverb = await startServer({ apps: demoApps() });
    ({ backend, url: baseUrl } = await startBackend(reverb.port, (line) => backendLog.push(line)));
    browser = await launchBrowser();
  });

  // A failure here has been rare and hard to read afterwards (once a signed-in device ended on the login
  // page): print what the backend and each device said, so the next one explains itself.
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    console.error(`backend log:\n${backendLog.join('\n')}\n\ndevice consoles:\n${deviceLog.join('\n')}`);
  });

  afterAll(async () => {
    for (const context of contexts) await context.close().catch(() => {});
    await browser?.close();
    await backend?.close();
    await reverb?.stop();
  });

  async function device(): Promise<Page> {
    const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
    contexts.push(context);
    const page = await context.newPage();
    const label = `device ${contexts.length}`;
    page.on('console', (m) => deviceLog.push(`${label} ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => deviceLog.push(`${label} pageerror: ${e.message}`));
    page.on('framenavigated', (f) => f === page.mainFrame() && deviceLog.push(`${label} at ${f.url()}`));
    await page.goto(baseUrl);
    await page.getByTestId('login-page').waitFor();
    return page;
  }

  async function login(page: Page, email: string): Promise<void> {
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill('password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    // Signed in on the socket (so terminate_connections reaches it) and subscribed to the user's channel.
    await page
      .locator('[data-testid="dashboard"][data-user-status="signed-in"]')
      .waitFor({ timeout: 20_000 });
    await page
      .locator('[data-testid="notifications"][data-status="subscribed"]')
      .waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="connection"][data-state="connected"]').waitFor();
  }

  const status = (page: Page, path: string) =>
    page.evaluate(async (p) => (await fetch(p, { credentials: 'same-origin' })).status, path);

  let ada: Page;
  let grace: Page;

  it('signing in on a second device kicks the first one out', async () => {
    const deviceA = await device();
    await login(deviceA, 'ada@example.com');
    expect(await status(deviceA, '/api/me')).toBe(200);

    ada = await device();
    await login(ada, 'ada@example.com');

    // Device A: the toast, then the login page; its session cookie no longer works.
    await deviceA.getByText('You were signed in on another device').first().waitFor({ timeout: 30_000 });
    await deviceA.getByTestId('login-page').waitFor();
    expect(await deviceA.locator('[data-rr-toast]').first().textContent()).toContain(
      'You were signed in on another device',
    );
    await deviceA.screenshot({ path: screenshotPath('kicked-out-device-a') });
    expect(await status(deviceA, '/api/me')).toBe(401);
    expect(await status(deviceA, '/api/users')).toBe(401);
    // Device B is still signed in.
    expect(await status(ada, '/api/me')).toBe(200);
    expect(await ada.getByTestId('dashboard').isVisible()).toBe(true);
    expect(backendLog.filter((l) => l.includes('failed'))).toEqual([]);
  });

  it('a backend action reaches the other device as a notification toast', async () => {
    await ada.getByTestId('ship-order').click();
    const toast = ada.locator('[data-rr-toast]', { hasText: /Order #\d+ shipped/ });
    await toast.waitFor({ timeout: 30_000 });
    expect(await toast.getAttribute('data-kind')).toBe('success');
    await waitFor(
      async () => (await ada.getByTestId('unread-count').textContent()) === '1',
      10_000,
      'unread count 1',
    );
    expect(await ada.getByTestId('notification').first().getAttribute('data-type')).toBe(
      'App\\Notifications\\OrderShipped',
    );
  });

  it('presence shows both users; typing shows as a whisper; messages arrive as notifications', async () => {
    grace = await device();
    await login(grace, 'grace@example.com');
    for (const page of [ada, grace]) {
      await waitFor(async () => (await page.getByTestId('member').count()) === 2, 15_000, 'two members');
      const ids = await page
        .getByTestId('member')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id')));
      expect(ids.sort()).toEqual(['1', '2']);
    }

    await grace.getByTestId('message-to').selectOption('1');
    await grace.getByTestId('message-text').pressSequentially('Lunch?', { delay: 30 });
    await ada.getByTestId('typing').filter({ hasText: 'Grace is typing…' }).waitFor({ timeout: 10_000 });
    await ada.screenshot({ path: screenshotPath('dashboard-typing') });
    await grace.getByRole('button', { name: 'Send' }).click();
    await ada
      .locator('[data-rr-toast]', { hasText: 'Message from Grace Hopper' })
      .waitFor({ timeout: 15_000 });
    await waitFor(
      async () => (await ada.getByTestId('unread-count').textContent()) === '2',
      10_000,
      'unread count 2',
    );
    await ada.screenshot({ path: screenshotPath('dashboard-notifications') });
  });

  it('shows reconnecting while the reverb server is down, then connected, and notifications flow again', async () => {
    await reverb.kill();
    await ada.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });
    expect(await ada.getByTestId('connection').textContent()).toMatch(/Reconnecting/);
    await ada.screenshot({ path: screenshotPath('dashboard-reconnecting') });

    reverb = await reverb.restart();
    await ada.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 60_000 });
    await ada.locator('[data-testid="notifications"][data-status="subscribed"]').waitFor({ timeout: 20_000 });

    await ada.getByTestId('ship-order').click();
    await waitFor(
      async () => (await ada.getByTestId('unread-count').textContent()) === '3',
      15_000,
      'unread count 3',
    );
    await ada
      .locator('[data-rr-toast]', { hasText: /Order #\d+ shipped/ })
      .first()
      .waitFor();
    // Presence came back too.
    await waitFor(async () => (await ada.getByTestId('member').count()) === 2, 20_000, 'two members again');
    await ada.screenshot({ path: screenshotPath('dashboard-after-restart') });
  });

  it('"sign out other sessions" keeps this device signed in and connected again', async () => {
    // The answer carries this device's new session cookie: requests sent before it arrives still carry
    // the old one, which the backend has just ended (this test once raced /api/me against it).
    const [answer] = await Promise.all([
      ada.waitForResponse(
        (r) => r.url().endsWith('/api/sessions/logout-others') && r.request().method() === 'POST',
      ),
      ada.getByRole('button', { name: 'Sign out other sessions' }).click(),
    ]);
    expect(answer.status()).toBe(200);
    // Our own socket was terminated too (it is signed in as the same user); the app reconnects.
    await ada.locator('[data-testid="dashboard"][data-user-status="signed-in"]').waitFor({ timeout: 20_000 });
    await ada.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 20_000 });
    expect(await status(ada, '/api/me')).toBe(200);
    expect(await ada.getByTestId('login-page').count()).toBe(0);
  });
});
