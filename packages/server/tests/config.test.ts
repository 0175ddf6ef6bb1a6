/** Configuration: Laravel Reverb's env names, `.env`, JSON/YAML app files, defaults and bad settings. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config';
import { ConfigError } from '../src/shared/errors';

const APP_ENV = {
  REVERB_APP_ID: '4242',
  REVERB_APP_KEY: 'demo-key-0001',
  REVERB_APP_SECRET: 'demo-secret-0001',
};

function dir(files: Record<string, string> = {}): string {
  const d = mkdtempSync(join(tmpdir(), 'rr-config-'));
  for (const [name, text] of Object.entries(files)) writeFileSync(join(d, name), text);
  return d;
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

describe('defaults', () => {
  it('one app from REVERB_APP_*, Reverb defaults everywhere else', () => {
    const config = loadConfig({ env: APP_ENV, cwd: null });
    expect(config).toMatchObject({
      host: '0.0.0.0',
      port: 8080,
      maxRequestSize: 10_000,
      httpHeadersTimeout: 10,
      httpRequestTimeout: 30,
      tls: undefined,
      debug: false,
      scaling: { enabled: false, channel: 'reverb', redis: { host: '127.0.0.1', port: 6379, db: 0 } },
    });
    expect(config.apps).toEqual([
      expect.objectContaining({
        id: '4242',
        key: 'demo-key-0001',
        secret: 'demo-secret-0001',
        allowedOrigins: ['*'],
        // Reverb 1.10's defaults and meanings (docs/protocol.md §9).
        pingInterval: 60,
        activityTimeout: 30,
        maxMessageSize: 10_000,
        maxConnections: null,
        clientEvents: true,
        clientEventsFrom: 'members',
        enabled: true,
        watchlist: false,
        subscriptionCount: false,
        limits: {
          maxChannelsPerConnection: 500,
          maxPresenceMembers: 100,
          maxPresenceUserInfoBytes: 1024,
          maxClientEventsPerSecond: 10,
          maxApiRequestsPerSecond: null,
        },
        rateLimiting: { enabled: false, maxAttempts: 60, decaySeconds: 60, terminate: false },
      }),
    ]);
  });
});

describe('environment names of config/reverb.php', () => {
  it('reads every REVERB_* and REDIS_* name', () => {
    const config = loadConfig({
      cwd: null,
      env: {
        ...APP_ENV,
        REVERB_SERVER_HOST: '127.0.0.1',
        REVERB_SERVER_PORT: '9001',
        REVERB_HOST: 'ws.example.com',
        REVERB_MAX_REQUEST_SIZE: '20000',
        REVERB_APP_PING_INTERVAL: '15',
        REVERB_APP_ACTIVITY_TIMEOUT: '30',
        REVERB_APP_MAX_MESSAGE_SIZE: '5000',
        REVERB_SCALING_ENABLED: 'true',
        REVERB_SCALING_CHANNEL: 'chan',
        REDIS_URL: 'redis://r:6380/2',
        REDIS_HOST: 'redis.local',
        REDIS_PORT: '6390',
        REDIS_USERNAME: 'u',
        REDIS_PASSWORD: 'p',
        REDIS_DB: '3',
      },
    });
    expect(config).toMatchObject({
      host: '127.0.0.1',
      port: 9001,
      hostname: 'ws.example.com',
      maxRequestSize: 20_000,
      scaling: {
        enabled: true,
        channel: 'chan',
        redis: {
          url: 'redis://r:6380/2',
          host: 'redis.local',
          port: 6390,
          username: 'u',
          password: 'p',
          db: 3,
        },
      },
    });
    expect(config.apps[0]).toMatchObject({ pingInterval: 15, activityTimeout: 30, maxMessageSize: 5000 });
  });

  it('reads .env in the working directory without overriding the real environment', () => {
    const cwd = dir({
      '.env':
        'REVERB_APP_ID=from-file\nREVERB_APP_KEY=file-key\nREVERB_APP_SECRET="file secret"\nREVERB_SERVER_PORT=7000\n',
    });
    const config = loadConfig({ cwd, env: { REVERB_SERVER_PORT: '7001' } });
    expect(config.port).toBe(7001);
    expect(config.apps[0]).toMatchObject({ id: 'from-file', key: 'file-key', secret: 'file secret' });
  });

  it('TLS from REVERB_SSL_CERT / REVERB_SSL_KEY', () => {
    const d = dir({ 'cert.pem': 'x', 'key.pem': 'y' });
    const config = loadConfig({
      cwd: null,
      env: { ...APP_ENV, REVERB_SSL_CERT: join(d, 'cert.pem'), REVERB_SSL_KEY: join(d, 'key.pem') },
    });
    expect(config.tls).toEqual({ cert: join(d, 'cert.pem'), key: join(d, 'key.pem') });
  });

  it('CLI overrides win', () => {
    const config = loadConfig({
      cwd: null,
      env: { ...APP_ENV, REVERB_SERVER_PORT: '1' },
      overrides: { port: 2, host: 'h', debug: true },
    });
    expect(config).toMatchObject({ port: 2, host: 'h', debug: true });
  });
});

describe('apps file', () => {
  const apps = [
    {
      id: '1',
      key: 'k1',
      secret: 's1',
      allowed_origins: ['example.com'],
      max_connections: 10,
      client_events: false,
      client_events_from: 'all',
      user_authentication: false,
      watchlist: true,
      subscription_count: true,
      enabled: false,
      webhooks: [{ url: 'http://x' }],
      limits: {
        max_channels_per_connection: 5,
        max_presence_members: 6,
        max_presence_user_info_bytes: 7,
        max_client_events_per_second: 8,
      },
    },
    { id: 2, key: 'k2', secret: 's2' },
  ];

  it('JSON', () => {
    const d = dir({ 'reverb.json': JSON.stringify({ port: 9100, apps }) });
    const config = loadConfig({ cwd: null, env: {}, configFile: join(d, 'reverb.json') });
    expect(config.port).toBe(9100);
    expect(config.apps).toHaveLength(2);
    expect(config.apps[0]).toMatchObject({
      allowedOrigins: ['example.com'],
      maxConnections: 10,
      clientEvents: false,
      clientEventsFrom: 'all',
      userAuthentication: false,
      watchlist: true,
      subscriptionCount: true,
      enabled: false,
      webhooks: [{ url: 'http://x' }],
      limits: {
        maxChannelsPerConnection: 5,
        maxPresenceMembers: 6,
        maxPresenceUserInfoBytes: 7,
        maxClientEventsPerSecond: 8,
      },
    });
    expect(config.apps[1]?.id).toBe('2');
  });

  it('YAML, with env app settings as defaults', () => {
    const d = dir({
      'reverb.yaml':
        'apps:\n  - id: "1"\n    key: k1\n    secret: s1\n  - id: "2"\n    key: k2\n    secret: s2\n    activity_timeout: 60\n',
    });
    const config = loadConfig({
      cwd: null,
      env: { REVERB_APP_ACTIVITY_TIMEOUT: '45' },
      configFile: join(d, 'reverb.yaml'),
    });
    expect(config.apps.map((a) => a.activityTimeout)).toEqual([45, 60]);
  });
});

describe('bad settings: one clear message naming the setting', () => {
  it.each([
    [{ ...APP_ENV, REVERB_SERVER_PORT: 'eighty' }, 'REVERB_SERVER_PORT', /must be a number/],
    [{ ...APP_ENV, REVERB_SERVER_PORT: '70000' }, 'REVERB_SERVER_PORT', /between 0 and 65535/],
    [{ ...APP_ENV, REVERB_MAX_REQUEST_SIZE: '-1' }, 'REVERB_MAX_REQUEST_SIZE', /between/],
    [{ ...APP_ENV, REVERB_APP_ACTIVITY_TIMEOUT: '0' }, 'REVERB_APP_ACTIVITY_TIMEOUT', /between/],
    [{ ...APP_ENV, REVERB_APP_PING_INTERVAL: 'soon' }, 'REVERB_APP_PING_INTERVAL', /must be a number/],
    [{ ...APP_ENV, REVERB_SCALING_ENABLED: 'maybe' }, 'REVERB_SCALING_ENABLED', /true or false/],
    [{ REVERB_APP_ID: '1', REVERB_APP_SECRET: 's' }, 'REVERB_APP_KEY', /is required/],
    [{ REVERB_APP_KEY: 'k', REVERB_APP_SECRET: 's' }, 'REVERB_APP_ID', /is required/],
    [
      { ...APP_ENV, REVERB_SSL_CERT: '/nonexistent.pem', REVERB_SSL_KEY: '/nonexistent.key' },
      'REVERB_SSL_CERT',
      /not found/,
    ],
    [{ ...APP_ENV, REVERB_SSL_CERT: '/x.pem' }, 'REVERB_SSL_KEY', /required/],
    [{ ...APP_ENV, REDIS_PORT: 'abc' }, 'REDIS_PORT', /must be a number/],
  ])('%o → %s', (env, setting, problem) => {
    const error = configError(() => loadConfig({ cwd: null, env }));
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(problem);
    expect(error.message).toContain(setting);
    expect(error.message).not.toContain('\n');
  });

  it.each([
    [{ apps: [] }, 'apps'],
    [{ apps: [{ id: '1', secret: 's' }] }, 'apps[0].key'],
    [
      { apps: [{ id: '1', key: 'k', secret: 's', client_events_from: 'everyone' }] },
      'apps[0].client_events_from',
    ],
    [
      { apps: [{ id: '1', key: 'k', secret: 's', limits: { max_presence_members: 0 } }] },
      'apps[0].limits.max_presence_members',
    ],
    [{ apps: [{ id: '1', key: 'k', secret: 's', colour: 'blue' }] }, 'apps[0].colour'],
    [
      {
        apps: [
          { id: '1', key: 'k', secret: 's' },
          { id: '2', key: 'k', secret: 't' },
        ],
      },
      'apps[1].key',
    ],
    [{ apps: [{ id: '1', key: 'k', secret: 's', allowed_origins: [] }] }, 'apps[0].allowed_origins'],
  ])('file %j → %s', (file, setting) => {
    const d = dir({ 'reverb.json': JSON.stringify(file) });
    const error = configError(() => loadConfig({ cwd: null, env: {}, configFile: join(d, 'reverb.json') }));
    expect(error.setting).toBe(setting);
  });

  it('a missing or unparsable file names --config', () => {
    expect(configError(() => loadConfig({ cwd: null, env: {}, configFile: '/nope.json' })).setting).toBe(
      '--config',
    );
    const d = dir({ 'bad.json': '{oops' });
    expect(
      configError(() => loadConfig({ cwd: null, env: {}, configFile: join(d, 'bad.json') })).setting,
    ).toBe('--config');
  });
});

describe('Laravel Reverb app names', () => {
  it('accepts app_id and accept_client_events_from (members | all | none)', () => {
    const d = dir({
      'reverb.json': JSON.stringify({
        apps: [
          { app_id: 'a', key: 'ka', secret: 's', accept_client_events_from: 'all' },
          { app_id: 'b', key: 'kb', secret: 's', accept_client_events_from: 'none' },
        ],
      }),
    });
    const config = loadConfig({ cwd: null, env: {}, configFile: join(d, 'reverb.json') });
    expect(config.apps.map((a) => [a.id, a.clientEvents, a.clientEventsFrom])).toEqual([
      ['a', true, 'all'],
      ['b', false, 'members'],
    ]);
  });
});

describe('workers (`--workers`, REVERB_WORKERS, `workers`)', () => {
  it('is 1 by default, a count from the environment, the file or the flag, and auto is the cores', () => {
    expect(loadConfig({ env: APP_ENV, cwd: null }).workers).toBe(1);
    expect(loadConfig({ env: { ...APP_ENV, REVERB_WORKERS: '3' }, cwd: null }).workers).toBe(3);
    expect(loadConfig({ env: { ...APP_ENV, REVERB_WORKERS: 'AUTO' }, cwd: null }).workers).toBe(
      availableParallelism(),
    );
    const d = dir({
      'reverb.json': JSON.stringify({ workers: 'auto', apps: [{ id: '1', key: 'k', secret: 's' }] }),
    });
    expect(loadConfig({ env: {}, cwd: null, configFile: join(d, 'reverb.json') }).workers).toBe(
      availableParallelism(),
    );
    // The flag wins over the environment.
    expect(
      loadConfig({ env: { ...APP_ENV, REVERB_WORKERS: '3' }, cwd: null, overrides: { workers: 2 } }).workers,
    ).toBe(2);
  });

  it('refuses what is not a count from 1 to 256 or auto, naming the setting', () => {
    for (const bad of ['0', '-2', '1.5', 'many', '257']) {
      const error = configError(() => loadConfig({ env: { ...APP_ENV, REVERB_WORKERS: bad }, cwd: null }));
      expect(error.message).toMatch(/^Invalid configuration: REVERB_WORKERS must be/);
    }
  });
});
