import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@react-reverb/test-helpers';
import { createDemoBackend, type DemoBackend, type KickMode } from '../server/app';
import { DIST_DIR, REVERB_CONFIG_FILE } from '../server/config';
import { UserDirectory } from '../server/users';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** Ignored by git: a test run leaves the checkout clean. `pnpm screenshots` copies them to `screenshots/`. */
export const SCREENSHOTS_DIR = resolve(appDir, 'test-results');

let built: Promise<void> | undefined;

/**
 * The front end is tested as built (`dist/`, served by the backend like a Laravel app serves
 * `public/build`). Built once per test file (a couple of seconds), so a stale `dist/` is never tested.
 */
export function ensureBuilt(): Promise<void> {
  built ??= buildOnce();
  return built;
}

/**
 * Built without Laravel's `VITE_REVERB_*`, even when the shell has them: the tests' servers get free
 * ports after the build, so the page must ask the backend (`/api/config`) where its socket goes, and a
 * test can answer differently per browser context (a fault proxy, another node).
 */
async function buildOnce(): Promise<void> {
  const { build } = await import('vite');
  const saved = Object.entries(process.env).filter(([name]) => name.startsWith('VITE_REVERB_'));
  for (const [name] of saved) delete process.env[name];
  try {
    await build({ root: appDir, configFile: resolve(appDir, 'vite.config.ts'), logLevel: 'warn' });
  } finally {
    for (const [name, value] of saved) process.env[name] = value;
  }
}

/** The apps of `reverb.json`, so the tests run the server exactly as `pnpm dev` does; `patch` changes them. */
export function demoApps(patch: Record<string, unknown> = {}): Array<Record<string, unknown>> {
  const { apps } = JSON.parse(readFileSync(REVERB_CONFIG_FILE, 'utf8')) as {
    apps: Array<Record<string, unknown>>;
  };
  return apps.map((app) => ({ ...app, ...patch }));
}

export interface BackendOptions {
  readonly log?: (line: string) => void;
  readonly reminderIntervalMs?: number;
  readonly kick?: KickMode;
}

/** The demo backend against the reverb server (its HTTP API) on `reverbPort`, serving `dist/`. */
export async function startBackend(
  reverbPort: number,
  { log = () => {}, reminderIntervalMs = 0, kick = 'server' }: BackendOptions = {},
): Promise<{ backend: DemoBackend; url: string }> {
  const app = demoApps()[0] as { id: string; key: string; secret: string };
  const backend = createDemoBackend({
    users: await UserDirectory.seeded(),
    reverb: {
      appId: app.id,
      key: app.key,
      secret: app.secret,
      host: '127.0.0.1',
      port: reverbPort,
      scheme: 'http',
    },
    staticDir: DIST_DIR,
    reminderIntervalMs,
    kick,
    log,
  });
  const url = await backend.listen(await freePort());
  return { backend, url };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return resolve(SCREENSHOTS_DIR, `${name}.png`);
}
