/**
 * The settings table (src/config/settings.ts) drives loading: every row is read from its file key and
 * its env variable, and a bad value is named where it came from. Names the table does not read get one
 * warning line each and never stop the start. The last test runs the built CLI (`pnpm build` first).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, REVERB_BIN, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { defineConfig, type LoadConfigOptions, loadConfig } from '../src/config/config';
import { type AnySetting, REQUIRED, type SettingGroup, type SettingRows } from '../src/config/setting';
import { OTHER_NAMES, SETTING_GROUPS } from '../src/config/settings';
import { ConfigError } from '../src/shared/errors';
import { REVERB_1_10_ENV } from './support/reverb-env';

const APP_ENV = { REVERB_APP_ID: '1', REVERB_APP_KEY: 'key-1', REVERB_APP_SECRET: 'secret-1' };
const APP = { id: '1', key: 'key-1', secret: 'secret-1' };
const GROUPS = SETTING_GROUPS as readonly SettingGroup<SettingRows>[];
const rowsOf = (scope: 'server' | 'app') =>
  GROUPS.filter((g) => g.scope === scope).flatMap((g) => Object.entries(g.rows));

function dir(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'rr-settings-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
}

function configFile(content: unknown): string {
  return join(dir({ 'reverb.json': JSON.stringify(content) }), 'reverb.json');
}

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** Loads with a warning collector; returns the lines. */
function warningsOf(options: LoadConfigOptions): string[] {
  const lines: string[] = [];
  loadConfig({ cwd: null, ...options, warn: (line) => lines.push(line) });
  return lines;
}

/** `{a: {b: value}}` for `a.b`. */
function nested(key: string, value: unknown): Record<string, unknown> {
  return key
    .split('.')
    .reverse()
    .reduce<unknown>((inner, part) => ({ [part]: inner }), value) as Record<string, unknown>;
}

function rejects(row: AnySetting, value: unknown): boolean {
  try {
    row.parse(value, 'probe');
    return false;
  } catch {
    return true;
  }
}

describe('the table', () => {
  it('names every setting once: each env variable, each file key (with its aliases) per scope', () => {
    const envNames = [
      ...GROUPS.flatMap((g) => Object.values(g.rows).flatMap((row) => (row.env ? [row.env] : []))),
      ...OTHER_NAMES.flatMap((n) => (n.env ? [n.env] : [])),
    ];
    expect(new Set(envNames).size).toBe(envNames.length);
    for (const scope of ['server', 'app'] as const) {
      const keys = rowsOf(scope).flatMap(([, row]) => [row.file, ...(row.fileAliases ?? [])]);
      expect(keys.filter((k) => k !== undefined).length).toBe(
        new Set(keys).size - (keys.includes(undefined) ? 1 : 0),
      );
    }
    for (const [field, row] of rowsOf('server').concat(rowsOf('app'))) {
      expect(row.env ?? row.file, field).toBeDefined();
      expect(row.doc.length, field).toBeGreaterThan(0);
    }
    for (const name of OTHER_NAMES) expect(name.env ?? name.appFile).toBeDefined();
  });

  it("holds every name of Reverb 1.10's config/reverb.php with Reverb's default, and none is left unsupported", () => {
    const rows = GROUPS.flatMap((g) => Object.values(g.rows)).filter((row) => row.env !== undefined);
    for (const [name, reverbDefault] of Object.entries(REVERB_1_10_ENV)) {
      const row = rows.find((r) => r.env === name);
      const other = OTHER_NAMES.find((n) => n.env === name);
      expect(row ?? other, `${name} is in the table`).toBeDefined();
      expect((row ?? other)?.reverbDefault, `Reverb's default of ${name}`).toBe(reverbDefault);
      if (row === undefined) expect(other?.status, name).toBe('not applicable');
    }
    for (const row of rows) {
      // Only Reverb's names carry a Reverb default.
      if (row.reverbDefault !== undefined) expect(Object.keys(REVERB_1_10_ENV)).toContain(row.env);
    }
    expect(OTHER_NAMES.filter((n) => n.status === 'not supported yet')).toEqual([]);
  });

  it("keeps Reverb's default for every Reverb name it reads, or its doc says what Reverb does", () => {
    const reverbRows = GROUPS.flatMap((g) => Object.values(g.rows)).filter(
      (row) => row.reverbDefault !== undefined,
    );
    expect(reverbRows.length).toBeGreaterThan(20);
    for (const row of reverbRows) {
      const ours: unknown = row.default;
      const shown = ours === undefined || ours === null || ours === REQUIRED ? null : String(ours);
      if (shown !== row.reverbDefault) expect(row.doc, `${row.env} differs from Reverb`).toMatch(/Reverb/);
    }
  });
});

describe('every row is read, and a bad value is named where it came from', () => {
  // Any object is refused by every parser: a file value of the wrong shape.
  const WRONG = { wrong: true };

  it.each(rowsOf('server').filter(([, row]) => row.file !== undefined))('file key of %s', (_field, row) => {
    const file = { ...nested(row.file as string, WRONG), apps: [APP] };
    expect(configError(() => loadConfig({ cwd: null, env: {}, configFile: configFile(file) })).setting).toBe(
      row.file,
    );
  });

  it.each(rowsOf('app').filter(([, row]) => row.file !== undefined))('app key of %s', (_field, row) => {
    const file = { apps: [APP, { ...APP, id: '2', key: 'key-2', ...nested(row.file as string, WRONG) }] };
    expect(configError(() => loadConfig({ cwd: null, env: {}, configFile: configFile(file) })).setting).toBe(
      `apps[1].${row.file}`,
    );
  });

  const envRows = [...rowsOf('server'), ...rowsOf('app')].filter(
    ([, row]) => row.env !== undefined && rejects(row, 'not-a-valid-value'),
  );

  it('the env variables that a word cannot satisfy: numbers, switches, choices, paths', () => {
    expect(envRows.length).toBeGreaterThan(20);
  });

  it.each(envRows)('env variable of %s, alone and under a config file', (_field, row) => {
    const env = { ...APP_ENV, [row.env as string]: 'not-a-valid-value' };
    expect(configError(() => loadConfig({ cwd: null, env })).setting).toBe(row.env);
    if (row.envForFileApps === false) return;
    // Under a file of apps, an app variable is every app's default: still named by its variable.
    const withFile = () => loadConfig({ cwd: null, env, configFile: configFile({ apps: [APP] }) });
    expect(configError(withFile).setting).toBe(row.env);
  });

  it('CLI flags win without reading the variable they replace', () => {
    const config = loadConfig({
      cwd: null,
      env: { ...APP_ENV, REVERB_SERVER_PORT: 'eighty', REVERB_DEBUG: 'maybe' },
      overrides: { port: 8081, debug: true },
    });
    expect(config).toMatchObject({ port: 8081, debug: true });
  });

  it('a file key wins over the env variable; the env variable over the default', () => {
    const config = loadConfig({
      cwd: null,
      env: { REVERB_APP_PING_INTERVAL: '12', REVERB_METRICS_PATH: '/m', REDIS_DB: '4' },
      configFile: configFile({
        scaling: { redis: { db: 5 } },
        apps: [APP, { ...APP, id: '2', key: 'k2', ping_interval: 7 }],
      }),
    });
    expect(config.apps.map((a) => a.pingInterval)).toEqual([12, 7]);
    expect(config.operations.metrics.path).toBe('/m');
    expect(config.scaling.redis.db).toBe(5);
  });

  it('a bad webhook stops loading, named by its path in the file', () => {
    const file = { apps: [{ ...APP, webhooks: ['https://ok.example', { url: 'ftp://x' }] }] };
    const error = configError(() => loadConfig({ cwd: null, env: {}, configFile: configFile(file) }));
    expect(error.setting).toBe('apps[0].webhooks[1].url');
  });

  it('defineConfig reads apps with the same rows and no environment', () => {
    const config = defineConfig({ apps: [{ ...APP, accept_client_events_from: 'none' }] });
    expect(config.apps[0]).toMatchObject({
      clientEvents: false,
      clientEventsFrom: 'members',
      pingInterval: 60,
    });
    expect(configError(() => defineConfig({ apps: [{ ...APP, ping_interval: 'soon' }] })).setting).toBe(
      'apps[0].ping_interval',
    );
  });
});

describe('names the table does not read: one warning each, and the server still loads', () => {
  it('an unknown REVERB_* variable, with the closest known name', () => {
    expect(warningsOf({ env: { ...APP_ENV, REVERB_APP_PING_INTERVL: '5' } })).toEqual([
      'unknown setting REVERB_APP_PING_INTERVL in the environment (ignored); did you mean REVERB_APP_PING_INTERVAL?',
    ]);
    expect(warningsOf({ env: { ...APP_ENV, REVERB_COLOUR: 'blue' } })).toEqual([
      'unknown setting REVERB_COLOUR in the environment (ignored)',
    ]);
  });

  it('in .env it names the file; a name in both the environment and .env is warned once', () => {
    const cwd = dir({
      '.env': 'REVERB_APP_ID=1\nREVERB_APP_KEY=k\nREVERB_APP_SECRET=s\nREVERB_SERVR_PORT=1\nREVERB_X=1\n',
    });
    expect(warningsOf({ cwd, env: { REVERB_X: '2' } })).toEqual([
      'unknown setting REVERB_X in the environment (ignored)',
      `unknown setting REVERB_SERVR_PORT in ${join(cwd, '.env')} (ignored); did you mean REVERB_SERVER_PORT?`,
    ]);
  });

  it('a whole Reverb 1.10 environment loads without a warning, each name read as Reverb reads it', () => {
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(REVERB_1_10_ENV).map(([name, value]) => [name, value ?? ''])),
      ...APP_ENV,
      REVERB_APP_PING_INTERVAL: '20',
      REVERB_APP_ACTIVITY_TIMEOUT: '10',
      REVERB_APP_MAX_CONNECTIONS: '50',
      REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'all',
      REVERB_APP_RATE_LIMITING_ENABLED: 'true',
      REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS: '5',
      REVERB_APP_RATE_LIMIT_DECAY_SECONDS: '2',
      REVERB_APP_RATE_LIMIT_TERMINATE: 'true',
      REDIS_TIMEOUT: '5',
    };
    const lines: string[] = [];
    const config = loadConfig({ cwd: null, env, warn: (line) => lines.push(line) });
    expect(lines).toEqual([]);
    expect(config.apps[0]).toMatchObject({
      pingInterval: 20,
      activityTimeout: 10,
      maxConnections: 50,
      clientEvents: true,
      clientEventsFrom: 'all',
      rateLimiting: { enabled: true, maxAttempts: 5, decaySeconds: 2, terminate: true },
    });
  });

  it('REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: none turns client events off; another value stops the start', () => {
    const none = loadConfig({ cwd: null, env: { ...APP_ENV, REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'none' } });
    expect(none.apps[0]).toMatchObject({ clientEvents: false });
    const error = configError(() =>
      loadConfig({ cwd: null, env: { ...APP_ENV, REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM: 'member' } }),
    );
    expect(error.message).toBe(
      'Invalid configuration: REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM must be "members", "all" or "none" (got "member"); Laravel Reverb reads any other value as none: write none',
    );
  });

  it('accepted names, test switches and names of other tools are quiet', () => {
    expect(
      warningsOf({
        env: {
          ...APP_ENV,
          REVERB_PORT: '443',
          REVERB_SCHEME: 'https',
          REVERB_SERVER: 'reverb',
          REVERB_PULSE_INGEST_INTERVAL: '15',
          REVERB_TELESCOPE_INGEST_INTERVAL: '15',
          REVERB_FRAME_ONCE: 'false',
          VITE_REVERB_APP_KEY: 'k',
          REDIS_CLIENT: 'phpredis',
          PATH: '/usr/bin',
        },
      }),
    ).toEqual([]);
  });

  it('unknown keys of the config file outside an app, and in an app’s limits and rate_limiting', () => {
    const file = configFile({
      colour: 'blue',
      scaling: { redis: { hots: 'r' } },
      apps: [
        {
          ...APP,
          options: { host: 'x' },
          limits: { max_presence_member: 5 },
          rate_limiting: { enabled: true, max_attempt: 5 },
        },
      ],
    });
    const lines = warningsOf({ env: {}, configFile: file });
    expect(lines).toEqual([
      `unknown setting colour in ${file} (ignored)`,
      `unknown setting scaling.redis.hots in ${file} (ignored); did you mean scaling.redis.host?`,
      `unknown setting apps[0].limits.max_presence_member in ${file} (ignored); did you mean apps[0].limits.max_presence_members?`,
      `unknown setting apps[0].rate_limiting.max_attempt in ${file} (ignored); did you mean apps[0].rate_limiting.max_attempts?`,
    ]);
  });

  it('without a `warn` option the lines go to process warnings', async () => {
    const warned = new Promise<Error>((resolve) => process.once('warning', resolve));
    loadConfig({ cwd: null, env: { ...APP_ENV, REVERB_TYPO: '1' } });
    const warning = await warned;
    expect(warning.name).toBe('ReverbConfigWarning');
    expect(warning.message).toBe('unknown setting REVERB_TYPO in the environment (ignored)');
  });
});

describe('reverb start', () => {
  it('prints one line per name it does not read, then starts and serves', async () => {
    const cwd = dir({
      '.env':
        'REVERB_APP_ID=1\nREVERB_APP_KEY=key-1\nREVERB_APP_SECRET=s\nREVERB_APP_PING_INTERVL=5\nREVERB_PORT=443\n',
    });
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [REVERB_BIN, 'start', '--host', '127.0.0.1', '--port', String(port)],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '', REVERB_APP_RATE_LIMITING_ENABLE: 'true' },
        stdio: ['ignore', 'ignore', 'pipe'],
      },
    );
    let stderr = '';
    child.stderr?.on('data', (chunk) => {
      stderr += chunk;
    });
    try {
      await waitFor(
        async () => {
          try {
            return (await fetch(`http://127.0.0.1:${port}/up`)).ok;
          } catch {
            return false;
          }
        },
        15_000,
        'reverb up despite the warnings',
      );
      expect(stderr.trim().split('\n')).toEqual([
        'reverb: unknown setting REVERB_APP_RATE_LIMITING_ENABLE in the environment (ignored); did you mean REVERB_APP_RATE_LIMITING_ENABLED?',
        `reverb: unknown setting REVERB_APP_PING_INTERVL in ${join(cwd, '.env')} (ignored); did you mean REVERB_APP_PING_INTERVAL?`,
      ]);
    } finally {
      child.kill('SIGTERM');
    }
  });
});
