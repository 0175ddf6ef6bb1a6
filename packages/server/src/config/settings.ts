/**
 * THE settings table: every setting of the server, once. Each row gives the config-file key, the
 * environment variable (Laravel Reverb's name where Reverb has one), the parser with its bounds, the
 * default, Laravel Reverb 1.10's default where the name is Reverb's, and one line of documentation
 * (which says so where our default or behaviour differs from Reverb's on purpose). `loadConfig` (config.ts) and the operations settings read these
 * rows; the README's environment table and `.env.example` are generated from them
 * (`pnpm --filter @react-reverb/server settings:docs`, checked by tests/settings-docs.test.ts); the
 * configuration types (`ServerConfig`, `AppConfig`, …) are derived from them.
 *
 * Adding a setting is one row in the group whose object it belongs to (the field name is the key of
 * the row); then run `settings:docs`. `OTHER_NAMES` at the end lists the names we know but do not
 * read: Laravel's names that do not apply to this server, Reverb's names not supported yet (a warning
 * at start; none today: every name Reverb 1.10's config/reverb.php reads is a row or not applicable),
 * and test switches. tests/settings.test.ts holds Reverb 1.10's list of names and defaults.
 *
 * Longer than our usual 400 lines on purpose: one row per setting, all in one place, is the point.
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Limits, Timing } from '@react-reverb/core/protocol';
import { group, REQUIRED, setting } from './setting';
import {
  bool,
  channelPatterns,
  limit,
  list,
  num,
  oneOf,
  origins,
  pathPrefix,
  secondsAsMs,
  str,
  strWithout,
  urlPath,
  workerCount,
} from './values';

const PORT = num({ min: 0, max: 65_535, integer: true });
const positiveInteger = num({ min: 1, integer: true });

/** Server-wide settings, fields of `ServerConfig`. */
export const SERVER_SETTINGS = group('Server', 'server', {
  host: setting({
    file: 'host',
    env: 'REVERB_SERVER_HOST',
    reverbDefault: '0.0.0.0',
    parse: str,
    default: '0.0.0.0',
    doc: 'interface to bind (`--host`)',
  }),
  port: setting({
    file: 'port',
    env: 'REVERB_SERVER_PORT',
    reverbDefault: '8080',
    parse: PORT,
    default: 8080,
    doc: 'port (`--port`)',
  }),
  hostname: setting({
    file: 'hostname',
    env: 'REVERB_HOST',
    reverbDefault: null,
    parse: str,
    default: undefined,
    example: 'localhost',
    doc: 'public host name clients use (printed only; Reverb also serves TLS with a Herd or Valet certificate of that name: give `REVERB_SSL_CERT` here)',
  }),
  path: setting({
    file: 'path',
    env: 'REVERB_SERVER_PATH',
    reverbDefault: '',
    parse: pathPrefix,
    default: '',
    doc: "prefix before `/app/{key}`, `/apps/{id}` and `/up` (pusher-js `wsPath`); API requests are signed without it, as Laravel's PHP SDK does (with it passes too)",
  }),
  maxRequestSize: setting({
    file: 'max_request_size',
    env: 'REVERB_MAX_REQUEST_SIZE',
    reverbDefault: '10000',
    parse: num({ min: 100, integer: true }),
    default: 10_000,
    doc: 'largest HTTP API body in bytes (413 beyond)',
  }),
  httpHeadersTimeout: setting({
    file: 'http_headers_timeout',
    env: 'REVERB_HTTP_HEADERS_TIMEOUT',
    parse: num({ min: 0.1 }),
    default: 10,
    doc: 'seconds a client may take to send request headers, upgrades and TLS handshakes included (408 beyond)',
  }),
  httpRequestTimeout: setting({
    file: 'http_request_timeout',
    env: 'REVERB_HTTP_REQUEST_TIMEOUT',
    parse: num({ min: 0.1 }),
    default: 30,
    doc: 'seconds a client may take to send a whole HTTP request (408 beyond)',
  }),
  maxConnections: setting({
    file: 'max_connections',
    env: 'REVERB_MAX_CONNECTIONS',
    parse: limit,
    default: null,
    doc: 'connections for the whole node (4100 Over capacity beyond); with `--workers N` each worker takes an Nth',
  }),
  maxBufferedBytes: setting({
    file: 'max_buffered_bytes',
    env: 'REVERB_MAX_BUFFERED_BYTES',
    parse: num({ min: 1024, integer: true }),
    default: 4 * 1024 * 1024,
    doc: 'a client holding more unsent bytes is closed with 4100 (it stopped reading)',
  }),
  perMessageDeflate: setting({
    file: 'per_message_deflate',
    env: 'REVERB_PER_MESSAGE_DEFLATE',
    parse: bool,
    default: false,
    doc: 'offer compression (costs CPU and memory; disables frame-once broadcasts)',
  }),
  workers: setting({
    file: 'workers',
    env: 'REVERB_WORKERS',
    parse: workerCount,
    default: 1,
    example: '1',
    doc: 'processes serving the one port (`--workers`), a number or `auto` (one per core): 1 is one process; more share channels, presence and counts through the first process (README, "Every core")',
  }),
  debug: setting({
    file: 'debug',
    env: 'REVERB_DEBUG',
    parse: bool,
    default: false,
    doc: 'log every frame (`--debug`); auth fields are masked',
  }),
});

/** `ServerConfig.tls`: both files or neither. */
export const TLS_SETTINGS = group('TLS', 'server', {
  cert: setting({
    file: 'ssl.cert',
    env: 'REVERB_SSL_CERT',
    parse: str,
    default: undefined,
    doc: 'PEM certificate file: serve https and wss (with `REVERB_SSL_KEY`)',
  }),
  key: setting({
    file: 'ssl.key',
    env: 'REVERB_SSL_KEY',
    parse: str,
    default: undefined,
    doc: 'PEM private key file of `REVERB_SSL_CERT`',
  }),
});

/**
 * Fields of `AppConfig`, per app of the config file (`apps[i].<file>`). Their env variables make the
 * single app when the file names no apps, and (except the identity) are defaults for every app of it.
 */
export const APP_SETTINGS = group(
  'App (without a config file naming apps; after the secret, also defaults for the apps of the file)',
  'app',
  {
    id: setting({
      file: 'id',
      fileAliases: ['app_id'],
      env: 'REVERB_APP_ID',
      reverbDefault: null,
      envForFileApps: false,
      parse: str,
      default: REQUIRED,
      example: '4242',
      doc: 'the app id (without a config file naming apps)',
    }),
    key: setting({
      file: 'key',
      env: 'REVERB_APP_KEY',
      reverbDefault: null,
      envForFileApps: false,
      parse: strWithout(':'),
      default: REQUIRED,
      example: 'demo-key-0001',
      doc: 'the app key clients connect with',
    }),
    secret: setting({
      file: 'secret',
      env: 'REVERB_APP_SECRET',
      reverbDefault: null,
      envForFileApps: false,
      parse: str,
      default: REQUIRED,
      example: 'demo-secret-0001',
      doc: 'the app secret that signs channel auth and HTTP API requests',
    }),
    allowedOrigins: setting({
      file: 'allowed_origins',
      env: 'REVERB_APP_ALLOWED_ORIGINS',
      parse: origins,
      default: ['*'],
      doc: 'comma list of browser origins (host names, `*` wildcards); others get 4009 (Reverb sets its `allowed_origins` in config/reverb.php only)',
    }),
    pingInterval: setting({
      file: 'ping_interval',
      env: 'REVERB_APP_PING_INTERVAL',
      reverbDefault: '60',
      parse: num({ min: 0.05 }),
      default: 60,
      doc: 'seconds of silence after which the server probes a client (`pusher:ping` and a ping frame); silent as long again: close 4201 (Reverb: at its next 60 s sweep)',
    }),
    activityTimeout: setting({
      file: 'activity_timeout',
      env: 'REVERB_APP_ACTIVITY_TIMEOUT',
      reverbDefault: '30',
      parse: positiveInteger,
      default: Timing.ACTIVITY_TIMEOUT_SECONDS,
      doc: 'seconds sent to clients in `connection_established`: an idle client pings after that long',
    }),
    maxMessageSize: setting({
      file: 'max_message_size',
      env: 'REVERB_APP_MAX_MESSAGE_SIZE',
      reverbDefault: '10000',
      parse: num({ min: 100, integer: true }),
      default: 10_000,
      doc: 'largest frame a client may send, in bytes: `pusher:error` 4200 beyond and the connection stays (Reverb closes it with 1009)',
    }),
    maxConnections: setting({
      file: 'max_connections',
      env: 'REVERB_APP_MAX_CONNECTIONS',
      reverbDefault: null,
      parse: limit,
      default: null,
      doc: 'open connections of the app, over the whole cluster: error and close 4004 beyond (Reverb counts per node, only connections holding a channel, and leaves the refused socket open)',
    }),
    clientEvents: setting({
      file: 'client_events',
      parse: bool,
      default: true,
      doc: 'client events (whispers) on private and presence channels',
    }),
    clientEventsFrom: setting({
      // Laravel Reverb's key first: it wins when both are written.
      file: 'accept_client_events_from',
      fileAliases: ['client_events_from'],
      env: 'REVERB_APP_ACCEPT_CLIENT_EVENTS_FROM',
      reverbDefault: 'members',
      // Reverb turns client events off for any value but members and all; a typo must not do that here.
      parse: oneOf(['members', 'all', 'none'], 'Laravel Reverb reads any other value as none: write none'),
      default: 'members',
      doc: 'who may send client events on private and presence channels: `members` of the channel, `all` connections of the app, or `none` (Reverb allows every channel, and reads any other value as `none`: here it stops the start)',
    }),
    userAuthentication: setting({
      file: 'user_authentication',
      parse: bool,
      default: true,
      doc: '`pusher:signin` and `#server-to-user-{id}` channels',
    }),
    watchlist: setting({
      file: 'watchlist',
      parse: bool,
      default: false,
      doc: '`pusher_internal:watchlist_events` for signed-in users',
    }),
    subscriptionCount: setting({
      file: 'subscription_count',
      parse: bool,
      default: false,
      doc: '`pusher_internal:subscription_count` events',
    }),
    enabled: setting({
      file: 'enabled',
      parse: bool,
      default: true,
      doc: 'false: connections get 4003 and HTTP API requests 403',
    }),
    sslOnly: setting({
      file: 'ssl_only',
      parse: bool,
      default: false,
      doc: 'refuse `ws://` connections with 4000',
    }),
    cacheTtl: setting({
      file: 'cache_ttl',
      parse: num({ min: 1, max: Limits.MAX_CACHE_TTL_SECONDS }),
      default: Limits.MAX_CACHE_TTL_SECONDS,
      doc: 'seconds a cache channel keeps its last event',
    }),
    webhooks: setting({
      file: 'webhooks',
      parse: list,
      default: [],
      doc: 'URLs, or `{url, event_types, batch_ms, headers}`, that get signed webhooks (webhooks-config.ts)',
    }),
    singleSession: setting({
      file: 'single_session',
      env: 'REVERB_APP_SINGLE_SESSION',
      parse: bool,
      default: false,
      doc: "one session per user: a sign-in with a new `session_id` closes the user's other sessions (4010)",
    }),
    singleSessionMemory: setting({
      file: 'single_session_memory',
      env: 'REVERB_APP_SINGLE_SESSION_MEMORY',
      // A year at most: the memory is kept in milliseconds, and no app needs longer.
      parse: num({ min: 1, max: 365 * 86_400, integer: true }),
      default: 86_400,
      doc: 'seconds a replaced session is remembered, so a device coming back with it is refused',
    }),
  },
);

/** `AppConfig.limits`. */
export const APP_LIMIT_SETTINGS = group('App limits', 'app', {
  maxChannelsPerConnection: setting({
    file: 'limits.max_channels_per_connection',
    parse: positiveInteger,
    default: 500,
    doc: 'channels one connection may subscribe to',
  }),
  maxPresenceMembers: setting({
    file: 'limits.max_presence_members',
    parse: positiveInteger,
    default: Limits.MAX_PRESENCE_MEMBERS,
    doc: 'members of one presence channel',
  }),
  maxPresenceUserInfoBytes: setting({
    file: 'limits.max_presence_user_info_bytes',
    parse: positiveInteger,
    default: Limits.MAX_PRESENCE_USER_INFO_BYTES,
    doc: "size of one member's `user_info`, in bytes",
  }),
  maxClientEventsPerSecond: setting({
    file: 'limits.max_client_events_per_second',
    parse: positiveInteger,
    default: Limits.MAX_CLIENT_EVENTS_PER_SECOND,
    doc: 'client events per connection per second (4301 beyond)',
  }),
  maxApiRequestsPerSecond: setting({
    file: 'limits.max_api_requests_per_second',
    parse: limit,
    default: null,
    doc: 'signed HTTP API requests per second for the app (429 beyond)',
  }),
});

/**
 * `AppConfig.rateLimiting`: Laravel Reverb's limiter of every message a connection sends
 * (docs/protocol.md §3.16), under Reverb's config keys. Our own client-event limit (`limits.max_client_events_per_second`)
 * applies as well.
 */
export const APP_RATE_LIMIT_SETTINGS = group("App rate limiter (Laravel Reverb's)", 'app', {
  enabled: setting({
    file: 'rate_limiting.enabled',
    env: 'REVERB_APP_RATE_LIMITING_ENABLED',
    reverbDefault: 'false',
    parse: bool,
    default: false,
    doc: 'count every message a connection sends (pings, subscriptions, client events…); one over the limit is dropped with `pusher:error` 4301 "Rate limit exceeded"',
  }),
  maxAttempts: setting({
    file: 'rate_limiting.max_attempts',
    env: 'REVERB_APP_RATE_LIMIT_MAX_ATTEMPTS',
    reverbDefault: '60',
    parse: positiveInteger,
    default: 60,
    doc: 'messages a connection may send per window',
  }),
  decaySeconds: setting({
    file: 'rate_limiting.decay_seconds',
    env: 'REVERB_APP_RATE_LIMIT_DECAY_SECONDS',
    reverbDefault: '60',
    parse: positiveInteger,
    default: 60,
    doc: 'the window, in seconds, starting at the first message counted in it',
  }),
  terminate: setting({
    file: 'rate_limiting.terminate_on_limit',
    env: 'REVERB_APP_RATE_LIMIT_TERMINATE',
    reverbDefault: 'false',
    parse: bool,
    default: false,
    doc: 'also close the connection, with 4100: pusher-js and Echo reconnect after 1 s (Reverb drops the TCP connection without a frame; they reconnect the same way)',
  }),
});

/** `AppConfig.history`: which channels keep history for recovery, and how much (docs/protocol.md §11.1). */
export const APP_HISTORY_SETTINGS = group('App history (recovery)', 'app', {
  channels: setting({
    file: 'history.channels',
    env: 'REVERB_APP_HISTORY_CHANNELS',
    parse: channelPatterns,
    default: ['private-*', 'presence-*', '#server-to-user-*'],
    // Quoted: an unquoted `#` starts a comment in a .env file.
    example: '"private-*,presence-*,#server-to-user-*"',
    doc: 'channels whose HTTP events are kept for recovery: comma list of name patterns (`*` = any run of characters), `none` = off',
  }),
  maxEvents: setting({
    file: 'history.max_events',
    env: 'REVERB_APP_HISTORY_MAX_EVENTS',
    parse: num({ min: 1, max: 1000, integer: true }),
    default: 100,
    doc: 'events kept per channel',
  }),
  ttlMs: setting({
    file: 'history.ttl',
    env: 'REVERB_APP_HISTORY_TTL',
    parse: secondsAsMs({ min: 1, max: 86_400, integer: true }),
    default: 300_000,
    shownDefault: '`300`',
    example: '300',
    doc: 'seconds an event is kept',
  }),
});

/** `ServerConfig.history`. */
export const HISTORY_SETTINGS = group('History (recovery)', 'server', {
  memoryBudgetBytes: setting({
    file: 'history.memory_budget',
    env: 'REVERB_HISTORY_MEMORY_BUDGET',
    parse: num({ min: 0, integer: true }),
    default: 128 * 1024 * 1024,
    doc: 'bytes of history one node keeps in memory without scaling (least recently published channels lose their oldest events first); allow about 3× that in RSS',
  }),
});

/** `ServerConfig.scaling`. */
export const SCALING_SETTINGS = group('Scale-out over Redis', 'server', {
  enabled: setting({
    file: 'scaling.enabled',
    env: 'REVERB_SCALING_ENABLED',
    reverbDefault: 'false',
    parse: bool,
    default: false,
    doc: 'share channels with other nodes over Redis',
  }),
  channel: setting({
    file: 'scaling.channel',
    env: 'REVERB_SCALING_CHANNEL',
    reverbDefault: 'reverb',
    parse: str,
    default: 'reverb',
    doc: 'Redis channel prefix',
  }),
});

/** `ServerConfig.scaling.redis`. */
export const REDIS_SETTINGS = group('Redis', 'server', {
  url: setting({
    file: 'scaling.redis.url',
    env: 'REDIS_URL',
    reverbDefault: null,
    parse: str,
    default: undefined,
    doc: 'Redis URL (`rediss://` for TLS); used instead of the host, port, … below',
  }),
  host: setting({
    file: 'scaling.redis.host',
    env: 'REDIS_HOST',
    reverbDefault: '127.0.0.1',
    parse: str,
    default: '127.0.0.1',
    doc: 'Redis host',
  }),
  port: setting({
    file: 'scaling.redis.port',
    env: 'REDIS_PORT',
    reverbDefault: '6379',
    parse: num({ min: 1, max: 65_535, integer: true }),
    default: 6379,
    doc: 'Redis port',
  }),
  username: setting({
    file: 'scaling.redis.username',
    env: 'REDIS_USERNAME',
    reverbDefault: null,
    parse: str,
    default: undefined,
    doc: 'Redis ACL user',
  }),
  password: setting({
    file: 'scaling.redis.password',
    env: 'REDIS_PASSWORD',
    reverbDefault: null,
    parse: str,
    default: undefined,
    doc: 'Redis password',
  }),
  db: setting({
    file: 'scaling.redis.db',
    env: 'REDIS_DB',
    reverbDefault: '0',
    parse: num({ min: 0, integer: true }),
    default: 0,
    doc: 'Redis database number',
  }),
});

/** `OperationsConfig.metrics`. */
export const METRICS_SETTINGS = group('Metrics', 'server', {
  enabled: setting({
    file: 'metrics.enabled',
    env: 'REVERB_METRICS_ENABLED',
    parse: bool,
    default: false,
    doc: 'serve Prometheus metrics ([operations](packages/server/docs/operations.md))',
  }),
  port: setting({
    file: 'metrics.port',
    env: 'REVERB_METRICS_PORT',
    parse: PORT,
    default: undefined,
    shownDefault: 'the main port',
    doc: "a separate port for the metrics, on the server's host",
  }),
  path: setting({
    file: 'metrics.path',
    env: 'REVERB_METRICS_PATH',
    parse: urlPath,
    default: '/metrics',
    doc: 'path of the metrics',
  }),
  token: setting({
    file: 'metrics.token',
    env: 'REVERB_METRICS_TOKEN',
    parse: str,
    default: undefined,
    doc: 'when set, scrapes must send `Authorization: Bearer <token>`',
  }),
});

/** `OperationsConfig.dashboard`: refuses to start unprotected (operations-config.ts). */
export const DASHBOARD_SETTINGS = group('Dashboard', 'server', {
  enabled: setting({
    file: 'dashboard.enabled',
    env: 'REVERB_DASHBOARD_ENABLED',
    parse: bool,
    default: false,
    doc: 'serve the live dashboard (needs a username and password, or a token)',
  }),
  path: setting({
    file: 'dashboard.path',
    env: 'REVERB_DASHBOARD_PATH',
    parse: urlPath,
    default: '/dashboard',
    doc: 'path of the dashboard',
  }),
  username: setting({
    file: 'dashboard.username',
    env: 'REVERB_DASHBOARD_USERNAME',
    parse: str,
    default: undefined,
    doc: 'basic auth user (with the password)',
  }),
  password: setting({
    file: 'dashboard.password',
    env: 'REVERB_DASHBOARD_PASSWORD',
    parse: str,
    default: undefined,
    doc: 'basic auth password',
  }),
  token: setting({
    file: 'dashboard.token',
    env: 'REVERB_DASHBOARD_TOKEN',
    parse: str,
    default: undefined,
    doc: 'a token instead: `Authorization: Bearer`, or `?token=` once, then a cookie',
  }),
});

/** Fields of `OperationsConfig` next to `metrics` and `dashboard`. */
export const SHUTDOWN_SETTINGS = group('Shutdown', 'server', {
  shutdownTimeoutMs: setting({
    file: 'shutdown.timeout',
    env: 'REVERB_SHUTDOWN_TIMEOUT',
    parse: secondsAsMs({ min: 0, max: 3600, integer: true }),
    default: 10_000,
    shownDefault: '`10`',
    example: '10',
    doc: 'seconds a stopping node waits for in-flight HTTP requests and webhook sends',
  }),
  pidDir: setting({
    file: 'shutdown.pid_dir',
    env: 'REVERB_PID_DIR',
    parse: str,
    default: join(tmpdir(), 'react-reverb'),
    shownDefault: '`<tmp>/react-reverb`',
    example: '',
    doc: 'where nodes write `reverb-<port>.pid` for `reverb restart`',
  }),
});

/** Every group, in the order of the README table and `.env.example`. */
export const SETTING_GROUPS = [
  SERVER_SETTINGS,
  APP_SETTINGS,
  APP_LIMIT_SETTINGS,
  APP_RATE_LIMIT_SETTINGS,
  APP_HISTORY_SETTINGS,
  TLS_SETTINGS,
  HISTORY_SETTINGS,
  SCALING_SETTINGS,
  REDIS_SETTINGS,
  METRICS_SETTINGS,
  DASHBOARD_SETTINGS,
  SHUTDOWN_SETTINGS,
] as const;

/**
 * - `not applicable`: accepted and ignored on purpose (Laravel writes them, or they configure PHP).
 * - `not supported yet`: Reverb 1.10 has it and we do not yet; one warning at start, then ignored.
 * - `internal`: read outside `loadConfig` by tests or benchmarks; not documented for users.
 */
export type OtherNameStatus = 'not applicable' | 'not supported yet' | 'internal';

export interface OtherName {
  /** Environment variable, or a per-app config-file key (`options`). */
  readonly env?: string;
  readonly appFile?: string;
  readonly status: OtherNameStatus;
  /** Laravel Reverb's default, for the README (null: Reverb reads it with no default). */
  readonly reverbDefault?: string | null;
  /** Why it is not read, in one line. */
  readonly reason: string;
}

export const OTHER_NAMES: readonly OtherName[] = [
  {
    env: 'REVERB_SERVER',
    status: 'not applicable',
    reverbDefault: 'reverb',
    reason: "Laravel's choice of Reverb server (only `reverb` exists); this server is the one",
  },
  {
    env: 'REVERB_PORT',
    status: 'not applicable',
    reverbDefault: '443',
    reason: "the port Laravel's broadcaster and Echo use to reach the server (a proxy's, perhaps)",
  },
  {
    env: 'REVERB_SCHEME',
    status: 'not applicable',
    reverbDefault: 'https',
    reason: "the scheme Laravel's broadcaster and Echo use to reach the server",
  },
  {
    env: 'REVERB_PULSE_INGEST_INTERVAL',
    status: 'not applicable',
    reverbDefault: '15',
    reason: 'seconds between Laravel Pulse ingests; Pulse runs in PHP (see the metrics instead)',
  },
  {
    env: 'REVERB_TELESCOPE_INGEST_INTERVAL',
    status: 'not applicable',
    reverbDefault: '15',
    reason: 'seconds between Laravel Telescope ingests; Telescope runs in PHP',
  },
  {
    appFile: 'options',
    status: 'not applicable',
    reason: "Laravel's client-side options of an app: host, port, scheme, useTLS",
  },
  {
    env: 'REDIS_TIMEOUT',
    status: 'not applicable',
    reverbDefault: '60',
    reason:
      'Reverb retries a lost Redis for that many seconds, then exits; a node here never exits for Redis: it serves its own clients and reconnects until Redis is back (packages/server/docs/scaling.md)',
  },
  {
    env: 'REVERB_FRAME_ONCE',
    status: 'internal',
    reason: 'benchmark switch read by socket/broadcast.ts: `false` turns frame-once broadcasting off',
  },
  {
    env: 'REVERB_WRITE_COALESCING',
    status: 'internal',
    reason:
      "benchmark switch read by socket/turn-writes.ts: `false` writes each frame at once instead of a socket's frames of one turn together",
  },
  {
    env: 'REVERB_WORKER_SLOT',
    status: 'internal',
    reason: 'set by the primary of `--workers N` for each worker it forks (supervisor/worker-control.ts)',
  },
  {
    env: 'REVERB_TEST_TARGET_URL',
    status: 'internal',
    reason: "points the server's interop test suites at a running server",
  },
];
