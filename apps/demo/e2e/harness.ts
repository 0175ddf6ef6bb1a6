import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@react-reverb/test-helpers';
import { createDemoBackend, type DemoBackend } from '../server/app';
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

async function buildOnce(): Promise<void> {
  const { build } = await import('vite');
  await build({ root: appDir, configFile: resolve(appDir, 'vite.config.ts'), logLevel: 'warn' });
}

/** The apps of `reverb.json`, so the tests run the server exactly as `pnpm dev` does. */
export function demoApps(): Array<Record<string, unknown>> {
  return (JSON.parse(readFileSync(REVERB_CONFIG_FILE, 'utf8')) as { apps: Array<Record<string, unknown>> })
    .apps;
}

export async function startBackend(
  reverbPort: number,
  log: (line: string) => void = () => {},
  reminderIntervalMs = 0,
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
    log,
  });
  const url = await backend.listen(await freePort());
  return { backend, url };
}

export function screenshotPath(name: string): string {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  return resolve(SCREENSHOTS_DIR, `${name}.png`);
}
