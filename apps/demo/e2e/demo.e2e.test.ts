import { launchBrowser, type ServerHandle, startServer, waitFor } from '@react-reverb/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBackend } from '../server/app';
import {
  apiStatus,
  Devices,
  kickedOut,
  live,
  login,
  notificationTitles,
  SIGNED_IN_ELSEWHERE,
  waitForText,
} from './devices';
import { demoApps, ensureBuilt, screenshotPath, startBackend } from './harness';

/**
 * The whole product flow in Debian's chromium: two browser contexts are two devices, two pages of one
 * context are two tabs. Real reverb server (CLI, `reverb.json` with `single_session`), real backend
 * (pusher SDK), the built front end.
 */
describe('demo end to end (chromium)', () => {
  let reverb: ServerHandle;
  let backend: DemoBackend;
  let browser: Browser;
  let devices: Devices;
  const backendLog: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    reverb = await startServer({ apps: demoApps() });
    let url: string;
    ({ backend, url } = await startBackend(reverb.port, { log: (line) => backendLog.push(line) }));
    browser = await launchBrowser();
    devices = new Devices(browser, url);
  });

  // A failure here has been rare and hard to read afterwards (once a signed-in device ended on the login
  // page): print what the backend and each device said, so the next one explains itself.
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    console.error(`backend log:\n${backendLog.join('\n')}\n\ndevice consoles:\n${devices.log.join('\n')}`);
  });

  afterAll(async () => {
    await devices?.closeAll();
    await browser?.close();
    await backend?.close();
    await reverb?.stop();
  });

  let ada: Page;
  let adaTab2: Page;
  let grace: Page;

  it("signing in on a second device kicks the first one out (the server's single session)", async () => {
    const deviceA = await devices.open();
    await login(deviceA, 'ada@example.com');
    expect(await apiStatus(deviceA, '/api/me')).toBe(200);

    ada = await devices.open();
    await login(ada, 'ada@example.com');

    // Device A: the toast, then the login page; its session cookie no longer works.
    await kickedOut(deviceA);
    // By the server's `reverb:session_replaced` (the backend broadcast nothing), not the app's own check.
    expect(devices.sessionEndedBy(deviceA)).toBe('Session replaced (4010)');
    await deviceA.screenshot({ path: screenshotPath('kicked-out-device-a') });
    expect(await apiStatus(deviceA, '/api/me')).toBe(401);
    expect(await apiStatus(deviceA, '/api/users')).toBe(401);
    // Device B is still signed in, and the backend did nothing by hand (no broadcast, no terminate).
    expect(await apiStatus(ada, '/api/me')).toBe(200);
    expect(await ada.getByTestId('dashboard').isVisible()).toBe(true);
    expect(backendLog.filter((l) => l.includes('failed'))).toEqual([]);
  });

  it('two tabs of one browser share the session and stay signed in', async () => {
    adaTab2 = await devices.tab(ada);
    await live(adaTab2);
    // The second tab's sign-in carried the same session_id: the first tab is not replaced. Had it been,
    // it would be on the login page within a pub/sub hop; give it ample time.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const tab of [ada, adaTab2]) {
      expect(await tab.getByTestId('login-page').count()).toBe(0);
      expect(await tab.getByTestId('connection').getAttribute('data-state')).toBe('connected');
      expect(await tab.locator('[data-rr-toast]', { hasText: SIGNED_IN_ELSEWHERE }).count()).toBe(0);
    }
    // Both sockets are live: a notification reaches both tabs.
    await ada.getByTestId('ship-order').click();
    for (const tab of [ada, adaTab2]) {
      await tab.locator('[data-rr-toast]', { hasText: /Order #\d+ shipped/ }).waitFor({ timeout: 15_000 });
    }
  });

  it('a backend action reaches the device as a notification toast', async () => {
    await ada.getByTestId('ship-order').click();
    await waitForText(ada, 'unread-count', '2');
    const toasts = ada.locator('[data-rr-toast]', { hasText: /Order #\d+ shipped/ });
    expect(await toasts.count()).toBe(2);
    expect(await toasts.first().getAttribute('data-kind')).toBe('success');
    expect(await ada.getByTestId('notification').first().getAttribute('data-type')).toBe(
      'App\\Notifications\\OrderShipped',
    );
  });

  it('presence shows both users; typing shows as a whisper; messages arrive as notifications', async () => {
    grace = await devices.open();
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
    await waitForText(ada, 'unread-count', '3');
    await ada.screenshot({ path: screenshotPath('dashboard-notifications') });
  });

  it('a server restart: reconnecting, then connected; the lost history is a gap the panel offers to load', async () => {
    const before = await notificationTitles(ada);
    await reverb.kill();
    await ada.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor({ timeout: 20_000 });
    expect(await ada.getByTestId('connection').textContent()).toMatch(/Reconnecting/);
    await ada.locator('[data-testid="online-users"][data-stale="true"]').waitFor();
    await ada.screenshot({ path: screenshotPath('dashboard-reconnecting') });

    reverb = await reverb.restart();
    await live(ada, 60_000);
    // One node keeps its history in memory: the restart lost it, and the resubscribe says so.
    const gap = ada.locator('[data-testid="recovery"][data-recovered="false"]');
    await gap.waitFor({ timeout: 20_000 });
    expect(await gap.getAttribute('data-reason')).toBe('epoch_changed');
    expect(await gap.textContent()).toContain('the realtime server restarted');
    await ada.screenshot({ path: screenshotPath('dashboard-after-restart') });
    await ada.getByRole('button', { name: 'Load missed notifications' }).click();
    await ada.locator('[data-testid="recovery"][data-recovered="refetched"]').waitFor();
    // Nothing was sent meanwhile: the backend's list is the one the page had.
    expect(await notificationTitles(ada)).toEqual(before);

    await ada.getByTestId('ship-order').click();
    await waitFor(
      async () => (await notificationTitles(ada)).length === before.length + 1,
      15_000,
      'one more notification',
    );
    // Presence came back too.
    await waitFor(async () => (await ada.getByTestId('member').count()) === 2, 20_000, 'two members again');
  });

  it('"sign out other sessions" keeps this browser: both tabs stay connected', async () => {
    const [answer] = await Promise.all([
      ada.waitForResponse(
        (r) => r.url().endsWith('/api/sessions/logout-others') && r.request().method() === 'POST',
      ),
      ada.getByRole('button', { name: 'Sign out other sessions' }).click(),
    ]);
    expect(answer.status()).toBe(200);
    // end_other_sessions kept this session's connections: no reconnect, no kick. A kick would show
    // within a pub/sub hop; give it ample time.
    await new Promise((r) => setTimeout(r, 1_500));
    for (const tab of [ada, adaTab2]) {
      await live(tab, 1_000);
      expect(await apiStatus(tab, '/api/me')).toBe(200);
      expect(await tab.getByTestId('login-page').count()).toBe(0);
    }
    expect(backendLog.filter((l) => l.includes('failed'))).toEqual([]);
  });
});
