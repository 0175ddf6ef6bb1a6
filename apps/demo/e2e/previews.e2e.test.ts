import { freePort, launchBrowser, waitFor } from '@react-reverb/test-helpers';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBackend } from '../server/app';
import { ensureBuilt, screenshotPath, startBackend } from './harness';

/** The built previews page: every story renders in chromium without console errors. */
describe('component previews (chromium)', () => {
  let backend: DemoBackend;
  let baseUrl: string;
  let browser: Browser;

  beforeAll(async () => {
    await ensureBuilt();
    // Previews run on react-reverb's mock client: no reverb server (the backend only serves files).
    ({ backend, url: baseUrl } = await startBackend(await freePort()));
    browser = await launchBrowser();
  });
  afterAll(async () => {
    await browser?.close();
    await backend?.close();
  });

  it('lists the stories, and each one renders alone without console errors', async () => {
    const page = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));

    await page.goto(`${baseUrl}/previews.html`);
    const ids = await page.evaluate(() => window.__STORIES__ ?? []);
    expect(ids.length).toBeGreaterThanOrEqual(20);
    for (const group of ['connection-', 'toast-', 'notifications-', 'presence-', 'login', 'dashboard']) {
      expect(
        ids.some((id) => id.startsWith(group)),
        group,
      ).toBe(true);
    }

    for (const id of ids) {
      const before = problems.length;
      await page.goto(`${baseUrl}/previews.html?story=${id}`);
      const root = page.locator(`[data-story="${id}"] [data-story-root]`);
      await root.waitFor({ state: 'attached' });
      // A story renders something visible (toast stories: the toast itself).
      await page
        .waitForFunction(
          (storyId) => {
            const el = document.querySelector(`[data-story="${storyId}"] [data-story-root]`);
            return !!el && (el.textContent ?? '').trim().length > 0;
          },
          id,
          { timeout: 5_000 },
        )
        .catch((error: unknown) => {
          throw new Error(`story ${id} rendered nothing: ${String(error)}`);
        });
      expect(problems.slice(before), `story ${id}`).toEqual([]);
    }

    // Stories feed their mock client after mounting: wait for the state, then assert it.
    const settled = (what: string, check: () => Promise<boolean>) => waitFor(check, 5_000, what);
    await page.goto(`${baseUrl}/previews.html?story=connection-reconnecting`);
    const connection = page.getByTestId('connection');
    await settled(
      'reconnecting state',
      async () => (await connection.getAttribute('data-state')) === 'reconnecting',
    );
    expect(await connection.textContent()).toMatch(/Reconnecting in \d+ s/);
    await page.goto(`${baseUrl}/previews.html?story=presence-three`);
    await settled('three members', async () => (await page.getByTestId('member').count()) === 3);
    await page.goto(`${baseUrl}/previews.html?story=notifications-unread`);
    const unread = page.getByTestId('unread-count');
    await settled('unread count 3', async () => (await unread.textContent()) === '3');
    await page.goto(`${baseUrl}/previews.html?story=toast-session-replaced`);
    const toast = page.locator('[data-rr-toast]');
    await settled('the session toast', async () => (await toast.count()) > 0);
    expect(await toast.textContent()).toContain('You were signed in on another device');

    // The states recovery and single session add (issues 18 and 19).
    const titles = () => page.locator('[data-testid="notification"] strong').allTextContents();
    await page.goto(`${baseUrl}/previews.html?story=notifications-recovered`);
    const recovered = page.locator('[data-testid="recovery"][data-recovered="true"]');
    await recovered.waitFor({ timeout: 5_000 });
    expect(await recovered.textContent()).toContain('2 missed notifications delivered');
    expect(await titles()).toEqual([
      'Message from Grace Hopper',
      'Order #1042 shipped',
      'Stand-up in 5 minutes',
    ]);

    await page.goto(`${baseUrl}/previews.html?story=notifications-gap`);
    const gap = page.locator('[data-testid="recovery"][data-recovered="false"]');
    await gap.waitFor({ timeout: 5_000 });
    expect(await gap.getAttribute('data-reason')).toBe('expired');
    expect(await titles()).toEqual(['Grace Hopper nudged you', 'Stand-up in 5 minutes']);
    await page.getByRole('button', { name: 'Load missed notifications' }).click();
    await page.locator('[data-testid="recovery"][data-recovered="refetched"]').waitFor({ timeout: 5_000 });
    expect(await titles()).toEqual([
      'Grace Hopper nudged you',
      'Message from Grace Hopper',
      'Order #1042 shipped',
      'Stand-up in 5 minutes',
    ]);
    expect(await page.getByTestId('unread-count').textContent()).toBe('4');

    await page.goto(`${baseUrl}/previews.html?story=connection-replaced`);
    await settled('replaced state', async () => (await connection.getAttribute('data-state')) === 'replaced');
    expect(await connection.textContent()).toContain('Signed in elsewhere');

    await page.goto(`${baseUrl}/previews.html?story=dashboard-replaced`);
    await settled(
      'replaced dashboard',
      async () => (await connection.getAttribute('data-state')) === 'replaced',
    );
    await page.locator('[data-rr-toast]', { hasText: 'You were signed in on another device' }).waitFor();

    await page.goto(`${baseUrl}/previews.html`);
    await page.locator('[data-story="dashboard"] [data-testid="dashboard"]').waitFor();
    await page.screenshot({ path: screenshotPath('previews'), fullPage: true });
    expect(problems).toEqual([]);
  });
});
