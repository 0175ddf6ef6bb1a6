/**
 * Configuration: Laravel Reverb's environment names (process env, then a `.env` file in the working
 * directory, never overriding the real env), an optional JSON/YAML file for several apps, then CLI flags.
 * Everything is checked here, once; a bad setting throws a `ConfigError` naming it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { Limits, Timing } from '@react-reverb/core/protocol';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../shared/errors';
import { type OperationsConfig, parseOperationsConfig } from './operations-config';
import { blank, bool, isRecord, num, type Raw, requiredStr, str } from './values';

export type ClientEventsFrom = 'members' | 'all';

export interface AppLimits {
  readonly maxChannelsPerConnection: number;
  readonly maxPresenceMembers: number;
  readonly maxPresenceUserInfoBytes: number;
  readonly maxClientEventsPerSecond: number;
  /** Signed HTTP API requests per second for this app (a token bucket, 429 beyond); null = unlimited. */
  readonly maxApiRequestsPerSecond: number | null;
}

export interface AppConfig {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
  /** Origins (host names, `*` wildcards) allowed to open a WebSocket; `['*']` allows all. */
  readonly allowedOrigins: readonly string[];
  /** Seconds the server waits for any frame after probing an idle connection (then 4201). */
  readonly pingInterval: number;
  /** Seconds suggested to clients in `connection_established`; also the idle time before a probe. */
  readonly activityTimeout: number;
  /** Largest frame a client may send, in bytes. */
  readonly maxMessageSize: number;
  /** Concurrent connections allowed for this app (4004 beyond); null = unlimited. */
  readonly maxConnections: number | null;
  readonly clientEvents: boolean;
  /** `members`: only subscribers of the channel may whisper on it; `all`: any connection of the app. */
  readonly clientEventsFrom: ClientEventsFrom;
  readonly userAuthentication: boolean;
  readonly watchlist: boolean;
  readonly subscriptionCount: boolean;
  readonly enabled: boolean;
  /** Refuse `ws://` connections with 4000. */
  readonly sslOnly: boolean;
  /** Seconds a cache channel keeps its last event. */
  readonly cacheTtl: number;
  /** Kept verbatim for the webhooks issue; not used yet. */
  readonly webhooks: readonly unknown[];
  readonly limits: AppLimits;
}

export interface RedisConfig {
  readonly url: string | undefined;
  readonly host: string;
  readonly port: number;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly db: number;
}

export interface ServerConfig {
  readonly host: string;
  readonly port: number;
  /** Public host name clients use (REVERB_HOST); only printed. */
  readonly hostname: string | undefined;
  /** Prefix before `/app/{key}` and `/apps/{id}` (pusher-js `wsPath`); '' by default. */
  readonly path: string;
  readonly maxRequestSize: number;
  /** Seconds a client may take to send request headers, upgrades included (slowloris guard). */
  readonly httpHeadersTimeout: number;
  /** Seconds a client may take to send a whole HTTP request (headers and body). */
  readonly httpRequestTimeout: number;
  readonly tls: { readonly cert: string; readonly key: string } | undefined;
  /** Connections the whole server accepts (4100 Over capacity beyond); null = unlimited. */
  readonly maxConnections: number | null;
  /** A socket whose unsent bytes exceed this is closed with 4100 instead of buffering more. */
  readonly maxBufferedBytes: number;
  /**
   * Offer permessage-deflate to clients (off by default: it costs CPU and memory per socket and
   * disables frame-once broadcasting for the sockets that negotiate it).
   */
  readonly perMessageDeflate: boolean;
  readonly debug: boolean;
  readonly scaling: { readonly enabled: boolean; readonly channel: string; readonly redis: RedisConfig };
  readonly apps: readonly AppConfig[];
  /** Metrics, dashboard and graceful shutdown (operations-config.ts). */
  readonly operations: OperationsConfig;
}

export interface LoadConfigOptions {
  /** Defaults to `process.env`. */
  readonly env?: NodeJS.ProcessEnv;
  /** Directory holding `.env`; defaults to `process.cwd()`. Pass null to skip `.env`. */
  readonly cwd?: string | null;
  /** JSON or YAML file with `apps` and server settings. */
  readonly configFile?: string;
  /** CLI flags: they win over everything. */
  readonly overrides?: { readonly host?: string; readonly port?: number; readonly debug?: boolean };
}

const DEFAULTS = {
  host: '0.0.0.0',
  port: 8080,
  maxRequestSize: 10_000,
  httpHeadersTimeout: 10,
  httpRequestTimeout: 30,
  pingInterval: 30,
  activityTimeout: Timing.ACTIVITY_TIMEOUT_SECONDS,
  maxMessageSize: 10_000,
  maxBufferedBytes: 4 * 1024 * 1024,
  maxChannelsPerConnection: 500,
} as const;

function limitOrNull(value: unknown, setting: string): number | null | undefined {
  if (value === null) return null;
  return num(value, setting, { min: 1, integer: true });
}

function origins(value: unknown, setting: string): string[] | undefined {
  if (blank(value)) return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((o) => typeof o === 'string')) {
    throw new ConfigError(setting, 'must be a list of origins');
  }
  const cleaned = list.map((o: string) => o.trim()).filter((o) => o !== '');
  if (cleaned.length === 0) throw new ConfigError(setting, 'must name at least one origin (or "*")');
  return cleaned;
}

/** Reads `.env` from `cwd` without overriding variables already set in the real environment. */
function mergedEnv(env: NodeJS.ProcessEnv, cwd: string | null): Record<string, string | undefined> {
  if (cwd === null) return env;
  const file = resolve(cwd, '.env');
  if (!existsSync(file)) return env;
  let parsed: NodeJS.Dict<string>;
  try {
    parsed = parseEnv(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new ConfigError(file, `cannot be read: ${(error as Error).message}`);
  }
  return { ...parsed, ...env };
}

function readConfigFile(path: string): Raw {
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

const APP_KEYS = new Set([
  'id',
  'app_id',
  'key',
  'secret',
  'allowed_origins',
  'ping_interval',
  'activity_timeout',
  'max_message_size',
  'max_connections',
  'client_events',
  'client_events_from',
  'accept_client_events_from',
  'user_authentication',
  'watchlist',
  'subscription_count',
  'enabled',
  'ssl_only',
  'cache_ttl',
  'webhooks',
  'limits',
  'options',
]);

/** An app from the config file (`at` is its path there, e.g. `apps[1]`); env values fill the defaults. */
function parseApp(raw: Raw, at: string, defaults: Partial<Raw>): AppConfig {
  for (const key of Object.keys(raw)) {
    if (!APP_KEYS.has(key)) throw new ConfigError(`${at}.${key}`, 'is not a known app setting');
  }
  const get = (key: string): unknown => (raw[key] === undefined ? defaults[key] : raw[key]);
  const limits = raw.limits === undefined ? {} : raw.limits;
  if (!isRecord(limits)) throw new ConfigError(`${at}.limits`, 'must be an object');
  // Laravel Reverb's own name is `accept_client_events_from` ('members' | 'all' | 'none').
  const fromKey =
    raw.accept_client_events_from === undefined ? 'client_events_from' : 'accept_client_events_from';
  const from = str(get(fromKey), `${at}.${fromKey}`) ?? 'members';
  if (from !== 'members' && from !== 'all' && !(fromKey === 'accept_client_events_from' && from === 'none')) {
    throw new ConfigError(`${at}.${fromKey}`, `must be "members" or "all" (got "${from}")`);
  }
  const webhooks = raw.webhooks ?? [];
  if (!Array.isArray(webhooks)) throw new ConfigError(`${at}.webhooks`, 'must be a list');
  const key = requiredStr(get('key'), `${at}.key`);
  if (key.includes(':')) throw new ConfigError(`${at}.key`, 'must not contain ":"');
  return {
    id: requiredStr(raw.id ?? raw.app_id ?? defaults.id, `${at}.id`),
    key,
    secret: requiredStr(get('secret'), `${at}.secret`),
    allowedOrigins: origins(get('allowed_origins'), `${at}.allowed_origins`) ?? ['*'],
    pingInterval: num(get('ping_interval'), `${at}.ping_interval`, { min: 0.05 }) ?? DEFAULTS.pingInterval,
    activityTimeout:
      num(get('activity_timeout'), `${at}.activity_timeout`, { min: 1, integer: true }) ??
      DEFAULTS.activityTimeout,
    maxMessageSize:
      num(get('max_message_size'), `${at}.max_message_size`, { min: 100, integer: true }) ??
      DEFAULTS.maxMessageSize,
    maxConnections: limitOrNull(get('max_connections'), `${at}.max_connections`) ?? null,
    clientEvents: from === 'none' ? false : (bool(get('client_events'), `${at}.client_events`) ?? true),
    clientEventsFrom: from === 'none' ? 'members' : from,
    userAuthentication: bool(get('user_authentication'), `${at}.user_authentication`) ?? true,
    watchlist: bool(get('watchlist'), `${at}.watchlist`) ?? false,
    subscriptionCount: bool(get('subscription_count'), `${at}.subscription_count`) ?? false,
    enabled: bool(get('enabled'), `${at}.enabled`) ?? true,
    sslOnly: bool(get('ssl_only'), `${at}.ssl_only`) ?? false,
    cacheTtl:
      num(get('cache_ttl'), `${at}.cache_ttl`, { min: 1, max: Limits.MAX_CACHE_TTL_SECONDS }) ??
      Limits.MAX_CACHE_TTL_SECONDS,
    webhooks,
    limits: {
      maxChannelsPerConnection:
        num(limits.max_channels_per_connection, `${at}.limits.max_channels_per_connection`, {
          min: 1,
          integer: true,
        }) ?? DEFAULTS.maxChannelsPerConnection,
      maxPresenceMembers:
        num(limits.max_presence_members, `${at}.limits.max_presence_members`, { min: 1, integer: true }) ??
        Limits.MAX_PRESENCE_MEMBERS,
      maxPresenceUserInfoBytes:
        num(limits.max_presence_user_info_bytes, `${at}.limits.max_presence_user_info_bytes`, {
          min: 1,
          integer: true,
        }) ?? Limits.MAX_PRESENCE_USER_INFO_BYTES,
      maxClientEventsPerSecond:
        num(limits.max_client_events_per_second, `${at}.limits.max_client_events_per_second`, {
          min: 1,
          integer: true,
        }) ?? Limits.MAX_CLIENT_EVENTS_PER_SECOND,
      maxApiRequestsPerSecond:
        limitOrNull(limits.max_api_requests_per_second, `${at}.limits.max_api_requests_per_second`) ?? null,
    },
  };
}

/** Builds the typed configuration; throws `ConfigError` on the first bad setting. */
export function loadConfig(options: LoadConfigOptions = {}): ServerConfig {
  const env = mergedEnv(options.env ?? process.env, options.cwd === undefined ? process.cwd() : options.cwd);
  const file = options.configFile === undefined ? {} : readConfigFile(options.configFile);
  const fromFile = (key: string): unknown => file[key];

  const scalingRaw = isRecord(file.scaling) ? file.scaling : {};
  const redisRaw = isRecord(scalingRaw.redis) ? scalingRaw.redis : {};
  const sslRaw = isRecord(file.ssl) ? file.ssl : {};
  const cert = str(sslRaw.cert ?? env.REVERB_SSL_CERT, 'REVERB_SSL_CERT');
  const key = str(sslRaw.key ?? env.REVERB_SSL_KEY, 'REVERB_SSL_KEY');
  if ((cert === undefined) !== (key === undefined)) {
    throw new ConfigError(cert === undefined ? 'REVERB_SSL_CERT' : 'REVERB_SSL_KEY', 'is required for TLS');
  }
  for (const [setting, path] of [
    ['REVERB_SSL_CERT', cert],
    ['REVERB_SSL_KEY', key],
  ] as const) {
    if (path !== undefined && !existsSync(path)) throw new ConfigError(setting, `file not found: ${path}`);
  }

  // Env app settings double as defaults for every app of the file (REVERB_APP_PING_INTERVAL, …).
  const envAppDefaults: Partial<Raw> = {
    id: env.REVERB_APP_ID,
    key: env.REVERB_APP_KEY,
    secret: env.REVERB_APP_SECRET,
    ping_interval: env.REVERB_APP_PING_INTERVAL,
    activity_timeout: env.REVERB_APP_ACTIVITY_TIMEOUT,
    max_message_size: env.REVERB_APP_MAX_MESSAGE_SIZE,
    max_connections: env.REVERB_APP_MAX_CONNECTIONS,
    allowed_origins: env.REVERB_APP_ALLOWED_ORIGINS,
  };
  const envSettingNames: Record<string, string> = {
    id: 'REVERB_APP_ID',
    key: 'REVERB_APP_KEY',
    secret: 'REVERB_APP_SECRET',
    ping_interval: 'REVERB_APP_PING_INTERVAL',
    activity_timeout: 'REVERB_APP_ACTIVITY_TIMEOUT',
    max_message_size: 'REVERB_APP_MAX_MESSAGE_SIZE',
    max_connections: 'REVERB_APP_MAX_CONNECTIONS',
    allowed_origins: 'REVERB_APP_ALLOWED_ORIGINS',
  };

  let apps: AppConfig[];
  if (file.apps !== undefined) {
    if (!Array.isArray(file.apps) || file.apps.length === 0) {
      throw new ConfigError('apps', 'must be a non-empty list of apps');
    }
    const { id: _id, key: _key, secret: _secret, ...shared } = envAppDefaults;
    apps = file.apps.map((raw: unknown, i) => {
      if (!isRecord(raw)) throw new ConfigError(`apps[${i}]`, 'must be an object');
      return parseApp(raw, `apps[${i}]`, shared);
    });
  } else {
    // One app from the environment: errors name the env variable.
    try {
      apps = [parseApp({}, 'REVERB_APP', envAppDefaults)];
    } catch (error) {
      if (error instanceof ConfigError) {
        const field = error.setting.replace(/^REVERB_APP\./, '');
        throw new ConfigError(
          envSettingNames[field] ?? error.setting,
          error.message.replace(/^Invalid configuration: \S+ /, ''),
        );
      }
      throw error;
    }
  }
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

  const path = str(fromFile('path') ?? env.REVERB_SERVER_PATH, 'REVERB_SERVER_PATH') ?? '';
  if (path !== '' && !/^\/[A-Za-z0-9_\-./]*[^/]$/.test(path)) {
    throw new ConfigError('REVERB_SERVER_PATH', `must start with "/" and not end with "/" (got "${path}")`);
  }
  const scalingEnabled =
    bool(scalingRaw.enabled ?? env.REVERB_SCALING_ENABLED, 'REVERB_SCALING_ENABLED') ?? false;

  return {
    host:
      options.overrides?.host ??
      str(fromFile('host') ?? env.REVERB_SERVER_HOST, 'REVERB_SERVER_HOST') ??
      DEFAULTS.host,
    port:
      options.overrides?.port ??
      num(fromFile('port') ?? env.REVERB_SERVER_PORT, 'REVERB_SERVER_PORT', {
        min: 0,
        max: 65_535,
        integer: true,
      }) ??
      DEFAULTS.port,
    hostname: str(fromFile('hostname') ?? env.REVERB_HOST, 'REVERB_HOST'),
    path,
    maxRequestSize:
      num(fromFile('max_request_size') ?? env.REVERB_MAX_REQUEST_SIZE, 'REVERB_MAX_REQUEST_SIZE', {
        min: 100,
        integer: true,
      }) ?? DEFAULTS.maxRequestSize,
    httpHeadersTimeout:
      num(
        fromFile('http_headers_timeout') ?? env.REVERB_HTTP_HEADERS_TIMEOUT,
        'REVERB_HTTP_HEADERS_TIMEOUT',
        { min: 0.1 },
      ) ?? DEFAULTS.httpHeadersTimeout,
    httpRequestTimeout:
      num(
        fromFile('http_request_timeout') ?? env.REVERB_HTTP_REQUEST_TIMEOUT,
        'REVERB_HTTP_REQUEST_TIMEOUT',
        { min: 0.1 },
      ) ?? DEFAULTS.httpRequestTimeout,
    tls: cert !== undefined && key !== undefined ? { cert, key } : undefined,
    maxConnections:
      limitOrNull(fromFile('max_connections') ?? env.REVERB_MAX_CONNECTIONS, 'REVERB_MAX_CONNECTIONS') ??
      null,
    maxBufferedBytes:
      num(fromFile('max_buffered_bytes') ?? env.REVERB_MAX_BUFFERED_BYTES, 'REVERB_MAX_BUFFERED_BYTES', {
        min: 1024,
        integer: true,
      }) ?? DEFAULTS.maxBufferedBytes,
    perMessageDeflate:
      bool(fromFile('per_message_deflate') ?? env.REVERB_PER_MESSAGE_DEFLATE, 'REVERB_PER_MESSAGE_DEFLATE') ??
      false,
    debug: options.overrides?.debug ?? bool(fromFile('debug') ?? env.REVERB_DEBUG, 'REVERB_DEBUG') ?? false,
    scaling: {
      enabled: scalingEnabled,
      channel: str(scalingRaw.channel ?? env.REVERB_SCALING_CHANNEL, 'REVERB_SCALING_CHANNEL') ?? 'reverb',
      redis: {
        url: str(redisRaw.url ?? env.REDIS_URL, 'REDIS_URL'),
        host: str(redisRaw.host ?? env.REDIS_HOST, 'REDIS_HOST') ?? '127.0.0.1',
        port:
          num(redisRaw.port ?? env.REDIS_PORT, 'REDIS_PORT', { min: 1, max: 65_535, integer: true }) ?? 6379,
        username: str(redisRaw.username ?? env.REDIS_USERNAME, 'REDIS_USERNAME'),
        password: str(redisRaw.password ?? env.REDIS_PASSWORD, 'REDIS_PASSWORD'),
        db: num(redisRaw.db ?? env.REDIS_DB, 'REDIS_DB', { min: 0, integer: true }) ?? 0,
      },
    },
    apps,
    operations: parseOperationsConfig(file, env),
  };
}

/** Builds a config in code (tests, embedding): apps as in the config file, server settings camelCased. */
export function defineConfig(
  input: { apps: ReadonlyArray<Record<string, unknown>> } & Partial<Omit<ServerConfig, 'apps'>>,
): ServerConfig {
  const { apps, ...server } = input;
  // Server defaults come from the same loader; the placeholder app is replaced below.
  const base = loadConfig({
    env: { REVERB_APP_ID: '0', REVERB_APP_KEY: '0', REVERB_APP_SECRET: '0' },
    cwd: null,
  });
  return {
    ...base,
    ...server,
    apps: apps.map((raw, i) => parseApp(raw as Raw, `apps[${i}]`, {})),
  };
}
