import { waitFor } from '@react-reverb/test-helpers';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import type { DemoConfig } from '../src/api';

/** The toast and login-page notice of a kicked device. */
export const SIGNED_IN_ELSEWHERE = 'You were signed in on another device';

export interface DeviceOptions {
  /**
   * Where this device's socket goes instead of where the backend says: a fault proxy in front of the
   * server, or another node. Only this browser context's `/api/config` answer is rewritten.
   */
  readonly reverbPort?: number;
}

/**
 * Browser contexts as devices (a context has its own cookies: its own session), pages as tabs. Every
 * console line, page error and navigation is kept with its device's label, for a failure's report.
 */
export class Devices {
  readonly log: string[] = [];
  private readonly contexts: BrowserContext[] = [];
  private readonly labels = new Map<Page, string>();

  constructor(
    private readonly browser: Browser,
    private readonly baseUrl: string,
  ) {}

  /** A new device on the login page. */
  async open(options: DeviceOptions = {}): Promise<Page> {
    const context = await this.browser.newContext({ viewport: { width: 1100, height: 760 } });
    this.contexts.push(context);
    if (options.reverbPort !== undefined) await routeSocketTo(context, options.reverbPort);
    const page = await this.tab(context);
    await page.getByTestId('login-page').waitFor();
    return page;
  }

  /** Another tab of the device `page` belongs to: same cookies, so the same session. */
  async tab(of: Page | BrowserContext): Promise<Page> {
    const context = 'context' in of ? of.context() : of;
    const page = await context.newPage();
    const label = `device ${this.contexts.indexOf(context) + 1} tab ${context.pages().length}`;
    this.labels.set(page, label);
    page.on('console', (m) => this.log.push(`${label} ${m.type()}: ${m.text()}`));
    page.on('pageerror', (e) => this.log.push(`${label} pageerror: ${e.message}`));
    page.on('websocket', (ws) => this.log.push(`${label} websocket ${ws.url()}`));
    page.on('framenavigated', (f) => f === page.mainFrame() && this.log.push(`${label} at ${f.url()}`));
    await page.goto(this.baseUrl);
    return page;
  }

  /**
   * How the page learned its session ended, from the line the app logs (`[demo] session replaced: …`):
   * "Session replaced (4010)" is the event (our server's `reverb:session_replaced`, or the app's own
   * broadcast on a server without single session); `SIGNED_IN_ELSEWHERE (4010)` the app's own check
   * after a refused sign-in or a 401.
   */
  sessionEndedBy(page: Page): string | undefined {
    const prefix = `${this.labels.get(page)} info: [demo] session replaced: `;
    return this.log.find((line) => line.startsWith(prefix))?.slice(prefix.length);
  }

  /** The ports the page's WebSockets went to, in order. */
  socketPorts(page: Page): number[] {
    const prefix = `${this.labels.get(page)} websocket `;
    return this.log
      .filter((line) => line.startsWith(prefix))
      .map((line) => Number(new URL(line.slice(prefix.length)).port));
  }

  async closeAll(): Promise<void> {
    for (const context of this.contexts.splice(0)) await context.close().catch(() => {});
  }
}

/** Rewrites this context's `/api/config` so its socket goes to `port` on 127.0.0.1. */
async function routeSocketTo(context: BrowserContext, port: number): Promise<void> {
  await context.route('**/api/config', async (route) => {
    const response = await route.fetch();
    const config = (await response.json()) as DemoConfig;
    await route.fulfill({
      response,
      json: { ...config, reverb: { ...config.reverb, host: '127.0.0.1', port } },
    });
  });
}

/** Fills the login form, then waits for a live dashboard (see `live`). */
export async function login(page: Page, email: string): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill('password');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await live(page);
}

/**
 * Signed in on the socket (so the server knows this session and can replace it), subscribed to the
 * user's notifications, connected.
 */
export async function live(page: Page, timeout = 20_000): Promise<void> {
  await page.locator('[data-testid="dashboard"][data-user-status="signed-in"]').waitFor({ timeout });
  await page.locator('[data-testid="notifications"][data-status="subscribed"]').waitFor({ timeout });
  await page.locator('[data-testid="connection"][data-state="connected"]').waitFor({ timeout });
}

/** The toast, then the login page with its notice: how a replaced device ends. */
export async function kickedOut(page: Page, timeout = 30_000): Promise<void> {
  await page.locator('[data-rr-toast]', { hasText: SIGNED_IN_ELSEWHERE }).waitFor({ timeout });
  await page.getByTestId('login-page').waitFor({ timeout });
  await page.getByTestId('login-notice').filter({ hasText: SIGNED_IN_ELSEWHERE }).waitFor();
}

/** The HTTP status of a same-origin GET with the page's cookies. */
export const apiStatus = (page: Page, path: string): Promise<number> =>
  page.evaluate(async (p) => (await fetch(p, { credentials: 'same-origin' })).status, path);

export async function connectionState(page: Page): Promise<string | null> {
  return page.getByTestId('connection').getAttribute('data-state');
}

/** Titles of the notifications list, newest first. */
export const notificationTitles = (page: Page): Promise<string[]> =>
  page.locator('[data-testid="notification"] strong').allTextContents();

/** Titles of the toasts on screen, in their order. */
export const toastTitles = (page: Page): Promise<string[]> =>
  page
    .locator('[data-rr-toast]')
    .evaluateAll((toasts) =>
      toasts.map((t) => t.querySelector('[data-rr-toast-title]')?.textContent ?? t.textContent ?? ''),
    );

export async function waitForText(page: Page, testId: string, text: string, ms = 15_000): Promise<void> {
  await waitFor(
    async () => (await page.getByTestId(testId).textContent()) === text,
    ms,
    `${testId} = ${text}`,
  );
}
