import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KickMode } from './app';
import type { ReverbConnection } from './broadcaster';

const here = dirname(fileURLToPath(import.meta.url));
/** The demo app's fixed reverb config (the app credentials both sides share). */
export const REVERB_CONFIG_FILE = resolve(here, '../reverb.json');
export const DIST_DIR = resolve(here, '../dist');

interface AppEntry {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

function demoApp(): AppEntry {
  const parsed = JSON.parse(readFileSync(REVERB_CONFIG_FILE, 'utf8')) as { apps?: AppEntry[] };
  const app = parsed.apps?.[0];
  if (!app) throw new Error(`${REVERB_CONFIG_FILE} has no apps[0]`);
  return app;
}

function port(value: string | undefined, fallback: number, name: string): number {
  if (value === undefined || value === '') return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0 || n > 65_535)
    throw new Error(`${name} must be a port number, got "${value}"`);
  return n;
}

export interface DemoSettings {
  readonly reverb: ReverbConnection;
  readonly backendPort: number;
  readonly vitePort: number;
  readonly reminderIntervalMs: number;
  readonly kick: KickMode;
}

function kickMode(value: string | undefined): KickMode {
  if (value === undefined || value === '' || value === 'server') return 'server';
  if (value === 'broadcast') return 'broadcast';
  throw new Error(`DEMO_KICK must be server or broadcast, got "${value}"`);
}

/** Laravel's `.env` names: `REVERB_APP_*`, `REVERB_HOST/PORT/SCHEME`; demo ports in `DEMO_*`. */
export function settingsFromEnv(env: NodeJS.ProcessEnv = process.env): DemoSettings {
  const app = demoApp();
  const scheme = env.REVERB_SCHEME === 'https' ? 'https' : 'http';
  return {
    reverb: {
      appId: env.REVERB_APP_ID ?? app.id,
      key: env.REVERB_APP_KEY ?? app.key,
      secret: env.REVERB_APP_SECRET ?? app.secret,
      host: env.REVERB_HOST ?? '127.0.0.1',
      port: port(env.REVERB_PORT, 8080, 'REVERB_PORT'),
      scheme,
    },
    backendPort: port(env.DEMO_BACKEND_PORT, 3001, 'DEMO_BACKEND_PORT'),
    vitePort: port(env.DEMO_VITE_PORT, 5173, 'DEMO_VITE_PORT'),
    reminderIntervalMs: Number(env.DEMO_REMINDER_MS ?? 60_000) || 0,
    kick: kickMode(env.DEMO_KICK),
  };
}
