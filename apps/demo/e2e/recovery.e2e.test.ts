import {
  type FaultProxy,
  launchBrowser,
  type ServerHandle,
  startFaultProxy,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import type { Browser, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBackend } from '../server/app';
import { connectionState, Devices, login, notificationTitles, toastTitles, waitForText } from './devices';
import { demoApps, ensureBuilt, screenshotPath, startBackend } from './harness';

/**
 * Issue 18's outage, as a user lives it: device A's socket is really cut (reset, reconnects refused)
 * while device B sends A a message and a nudge; when A is back, both are there exactly once, in order,
 * and meanwhile A's Online list kept the last known members, marked stale.
 */
describe('recovery across a real network cut (chromium)', () => {
  let reverb: ServerHandle;
  let proxy: FaultProxy;
  let backend: DemoBackend;
  let browser: Browser;
  let devices: Devices;
  const backendLog: string[] = [];

  beforeAll(async () => {
    await ensureBuilt();
    reverb = await startServer({ apps: demoApps() });
    proxy = await startFaultProxy({ target: reverb.port });
    let url: string;
    ({ backend, url } = await startBackend(reverb.port, { log: (line) => backendLog.push(line) }));
    browser = await launchBrowser();
    devices = new Devices(browser, url);
  });
  afterEach((context) => {
    if (context.task.result?.state !== 'fail') return;
    console.error(`backend log:\n${backendLog.join('\n')}\n\ndevice consoles:\n${devices.log.join('\n')}`);
  });
  afterAll(async () => {
    await devices?.closeAll();
    await browser?.close();
    await backend?.close();
    await proxy?.close();
    await reverb?.stop();
  });

  const members = (page: Page) =>
    page.getByTestId('member').evaluateAll((els) => els.map((e) => e.getAttribute('data-user-id')).sort());

  it('a message and a nudge sent while A is cut off arrive once each, in order; presence stays, stale', async () => {
    const a = await devices.open({ reverbPort: proxy.port });
    await login(a, 'ada@example.com');
    const b = await devices.open();
    await login(b, 'grace@example.com');
    await waitFor(async () => (await members(a)).length === 2, 15_000, 'A sees both');
    expect(await notificationTitles(a)).toEqual([]);

    expect(proxy.cut()).toBe(1);
    proxy.refuse();
    const acceptedBefore = proxy.counts.accepted;
    await a.locator('[data-testid="connection"][data-state="reconnecting"]').waitFor({ timeout: 10_000 });
    // The last known members stay on screen, marked stale (not "0 · Joining…").
    await a.locator('[data-testid="online-users"][data-stale="true"]').waitFor();
    expect(await members(a)).toEqual(['1', '2']);
    expect(await a.getByTestId('online-count').textContent()).toBe('2');
    await a.screenshot({ path: screenshotPath('recovery-cut') });

    // B writes to A while A is away; the server has already seen A go (its presence shows one).
    await waitFor(async () => (await members(b)).length === 1, 10_000, 'B sees A leave');
    await b.getByTestId('message-to').selectOption('1');
    await b.getByTestId('message-text').fill('Are you there?');
    await b.getByRole('button', { name: 'Send' }).click();
    await b.getByText('Sent.').waitFor();
    await b.getByRole('button', { name: 'Nudge' }).click();
    await b.getByText('Nudged.').waitFor();
    // Still cut off: A has not reconnected, and nothing reached it.
    expect(await connectionState(a)).toBe('reconnecting');
    await waitFor(async () => proxy.counts.refused > 0, 10_000, 'A tried to reconnect and was refused');
    expect(proxy.counts.accepted).toBe(acceptedBefore);
    expect(await notificationTitles(a)).toEqual([]);

    proxy.accept();
    await a.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout: 20_000 });
    const recovered = a.locator('[data-testid="recovery"][data-recovered="true"]');
    await recovered.waitFor({ timeout: 15_000 });
    expect(await recovered.textContent()).toContain('2 missed notifications delivered');
    const expected = ['Message from Grace Hopper', 'Grace Hopper nudged you'];
    // The list is newest first; the toasts stack in arrival order.
    await waitFor(async () => (await notificationTitles(a)).length === 2, 10_000, 'two notifications');
    expect(await notificationTitles(a)).toEqual([...expected].reverse());
    expect(await toastTitles(a)).toEqual(expected);
    await waitForText(a, 'unread-count', '2');
    // Presence is live again, and no duplicate turns up late.
    await a.locator('[data-testid="online-users"][data-stale="false"]').waitFor();
    await waitFor(async () => (await members(a)).length === 2, 15_000, 'A sees both again');
    await new Promise((r) => setTimeout(r, 1_000));
    expect(await notificationTitles(a)).toEqual([...expected].reverse());
    expect(await toastTitles(a)).toEqual(expected);
    await a.screenshot({ path: screenshotPath('recovery-back') });
  });
});
