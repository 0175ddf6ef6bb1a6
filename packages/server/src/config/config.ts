/**
 * Configuration: Laravel Reverb's environment names (process env, then a `.env` file in the working
 * directory, never overriding the real env), an optional JSON/YAML file for several apps, then CLI flags.
 * Which settings exist, their names, parsers and defaults: the table in settings.ts. Here the groups
 * of that table are read into one `ServerConfig`, checked once; a bad setting throws a `ConfigError`
 * naming it, and a name that is not read gets a warning (unknown-names.ts).
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../shared/errors';
import { type OperationsConfig, readOperationsConfig } from './operations-config';
import { type Env, filePath, locate, readGroup, type Source, serverSource, type Values } from './setting';
import {
  APP_HISTORY_SETTINGS,
  APP_LIMIT_SETTINGS,
  APP_RATE_LIMIT_SETTINGS,
  APP_SETTINGS,
  HISTORY_SETTINGS,
  REDIS_SETTINGS,
  SCALING_SETTINGS,
  SERVER_SETTINGS,
  TLS_SETTINGS,
} from './settings';
import { APP_FILE_KEYS, envWarnings, fileWarnings } from './unknown-names';
import { isRecord, type Raw } from './values';
import { parseWebhooks } from './webhooks-config';

export type ClientEventsFrom = 'members' | 'all';

/** An app's limits: the fields of `APP_LIMIT_SETTINGS` (settings.ts). */
export type AppLimits = Values<typeof APP_LIMIT_SETTINGS.rows>;

/** Laravel Reverb's message rate limiter of an app: the fields of `APP_RATE_LIMIT_SETTINGS` (settings.ts). */
export type RateLimiting = Values<typeof APP_RATE_LIMIT_SETTINGS.rows>;

/** An app's history settings: the fields of `APP_HISTORY_SETTINGS` (settings.ts); see history-channels.ts. */
export type AppHistory = Values<typeof APP_HISTORY_SETTINGS.rows>;

/** One app: the fields of `APP_SETTINGS` (settings.ts), with its `limits`, `rateLimiting` and `history`. */
export type AppConfig = Omit<Values<typeof APP_SETTINGS.rows>, 'clientEventsFrom'> & {
  /** `members`: only subscribers of the channel may whisper on it; `all`: any connection of the app. */
  readonly clientEventsFrom: ClientEventsFrom;
  readonly limits: AppLimits;
  readonly rateLimiting: RateLimiting;
  readonly history: AppHistory;
};

/** The fields of `REDIS_SETTINGS` (settings.ts). */
export type RedisConfig = Values<typeof REDIS_SETTINGS.rows>;

/** The server: the fields of `SERVER_SETTINGS` (settings.ts), then TLS, scaling, apps and operations. */
export type ServerConfig = Values<typeof SERVER_SETTINGS.rows> & {
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  readonly scaling: Values<typeof SCALING_SETTINGS.rows> & { readonly redis: RedisConfig };
  /** Server-wide history settings (the per-app ones are in each app's `history`). */
  readonly history: Values<typeof HISTORY_SETTINGS.rows>;
  readonly apps: readonly AppConfig[];
  /** Metrics, dashboard and graceful shutdown (operations-config.ts). */
  readonly operations: OperationsConfig;
};

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory holding `.env`; defaults to `process.cwd()`. Pass null to skip `.env`. */
  readonly cwd?: string | null;
  /** JSON or YAML file with `apps` and server settings. */
  readonly configFile?: string;
  /** CLI flags: they win over everything. */
  readonly overrides?: {
    readonly host?: string;
    readonly port?: number;
    readonly debug?: boolean;
    /** `--workers`: a count or `auto`. */
    readonly workers?: number | 'auto';
  };
  /**
   * Gets one line per name that is not read: an unknown `REVERB_*` variable, a Reverb setting not
   * supported yet, an unknown key of the config file. Defaults to `process.emitWarning`.
   */
  readonly warn?: (message: string) => void;
}

/** Reads `.env` in `cwd`, if there is one (also `reverb restart`'s, for the pid directory). */
export function readDotEnv(cwd: string): { readonly path: string; readonly values: Env } | undefined {
  const path = resolve(cwd, '.env');
  if (!existsSync(path)) return undefined;
  try {
    return { path, values: parseEnv(readFileSync(path, 'utf8')) };
  } catch (error) {
    throw new ConfigError(path, `cannot be read: ${(error as Error).message}`);
  }
}

/** Reads the `--config` file (JSON or YAML); also `reverb restart`'s, for the pid directory. */
export function readConfigFile(path: string): Raw {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(
      '--config',
      `file ${path} cannot be read: ${(error as NodeJS.ErrnoException).code}`,
    );
  }
  let value: unknown;
  try {
    value = ['.yaml', '.yml'].includes(extname(path).toLowerCase()) ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new ConfigError(
      '--config',
      `file ${path} is not valid: ${(error as Error).message.split('\n')[0]}`,
    );
  }
  if (value === null || value === undefined) return {};
  if (!isRecord(value)) throw new ConfigError('--config', `file ${path} must hold an object`);
  return value;
}

/** An app of the config file: its own keys, then the env variables that are defaults for every app. */
function fileAppSource(raw: Raw, at: string, env: Env): Source {
  return { file: raw, at, env, envApplies: (row) => row.envForFileApps !== false, missingByEnv: false };
}

function readApp(source: Source): AppConfig {
  for (const key of Object.keys(source.file)) {
    if (!APP_FILE_KEYS.has(key)) {
      throw new ConfigError(filePath(source.at, key), 'is not a known app setting');
    }
  }
  const { clientEventsFrom, ...app } = readGroup(APP_SETTINGS, source);
  return {
    ...app,
    // Laravel Reverb's `accept_client_events_from: none` turns client events off.
    clientEvents: clientEventsFrom !== 'none' && app.clientEvents,
    clientEventsFrom: clientEventsFrom === 'none' ? 'members' : clientEventsFrom,
    limits: readGroup(APP_LIMIT_SETTINGS, source),
    rateLimiting: readGroup(APP_RATE_LIMIT_SETTINGS, source),
    history: readGroup(APP_HISTORY_SETTINGS, source),
  };
}

/** The apps of the file, or the single app of the environment (its errors name the env variables). */
function readApps(file: Raw, env: Env): AppConfig[] {
  if (file.apps === undefined) {
    return [readApp({ file: {}, at: '', env, envApplies: () => true, missingByEnv: true })];
  }
  if (!Array.isArray(file.apps) || file.apps.length === 0) {
    throw new ConfigError('apps', 'must be a non-empty list of apps');
  }
  const apps = file.apps.map((raw: unknown, i) => {
    const at = `apps[${i}]`;
    if (!isRecord(raw)) throw new ConfigError(at, 'must be an object');
    const app = readApp(fileAppSource(raw, at, env));
    // Checked now, so a bad webhook stops the start with one line, like any other setting.
    parseWebhooks(app, at);
    return app;
  });
  const seen = new Map<string, string>();
  apps.forEach((app, i) => {
    for (const [kind, value] of [
      ['id', app.id],
      ['key', app.key],
    ] as const) {
      const tag = `${kind}:${value}`;
      if (seen.has(tag)) throw new ConfigError(`apps[${i}].${kind}`, `duplicates ${seen.get(tag)}`);
      seen.set(tag, `apps[${i}].${kind}`);
    }
  });
  return apps;
}

/** Both PEM files or neither, and they must exist. */
function readTls(source: Source): ServerConfig['tls'] {
  const { cert, key } = readGroup(TLS_SETTINGS, source);
  const rows = TLS_SETTINGS.rows;
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(
      locate(cert === undefined ? rows.cert : rows.key, source).name,
      'is required for TLS',
    );
  }
  if (cert === undefined || key === undefined) return undefined;
  for (const [row, path] of [
    [rows.cert, cert],
    [rows.key, key],
  ] as const) {
    if (!existsSync(path)) throw new ConfigError(locate(row, source).name, `file not found: ${path}`);
  }
  return { cert, key };
}

/** Everything but the apps. CLI flags are read as if the top of the file said them. */
function readServer(file: Raw, env: Env, overrides: LoadConfigOptions['overrides'] = {}) {
  const flags = Object.fromEntries(Object.entries(overrides).filter(([, value]) => value !== undefined));
  const source = serverSource({ ...file, ...flags }, env);
  return {
    tls: readTls(source),
    ...readGroup(SERVER_SETTINGS, source),
    scaling: { ...readGroup(SCALING_SETTINGS, source), redis: readGroup(REDIS_SETTINGS, source) },
    history: readGroup(HISTORY_SETTINGS, source),
    operations: readOperationsConfig(source),
  };
}

/** Builds the typed configuration; throws `ConfigError` on the first bad setting. */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const warn = options.warn ?? ((message: string) => process.emitWarning(message, 'ReverbConfigWarning'));
  const realEnv: Env = options.env ?? process.env;
  const cwd = options.cwd === undefined ? process.cwd() : options.cwd;
  const dotEnv = cwd === null ? undefined : readDotEnv(cwd);
  const file = options.configFile === undefined ? {} : readConfigFile(options.configFile);
  const warnings = envWarnings([
    { env: realEnv, where: 'the environment' },
    ...(dotEnv === undefined ? [] : [{ env: dotEnv.values, where: dotEnv.path }]),
  ]);
  if (options.configFile !== undefined) warnings.push(...fileWarnings(file, options.configFile));
  for (const line of warnings) warn(line);

  // `.env` never overrides the real environment.
  const env: Env = { ...dotEnv?.values, ...realEnv };
  const server = readServer(file, env, options.overrides);
  return { ...server, apps: readApps(file, env) };
}

/** Builds a config in code (tests, embedding): apps as in the config file, server settings camelCased. */
export function defineConfig(
  input: { apps: ReadonlyArray<Record<string, unknown>> } & Partial<Omit<ServerConfig, 'apps'>>,
): ServerConfig {
  const { apps, ...server } = input;
  return {
    ...readServer({}, {}),
    ...server,
    apps: apps.map((raw, i) => readApp(fileAppSource(raw, `apps[${i}]`, {}))),
  };
}
