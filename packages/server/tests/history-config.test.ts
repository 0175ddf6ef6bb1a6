/**
 * The history settings (docs/protocol.md §11.1): per app which channels keep history and how much,
 * server-wide the memory budget; from the environment and from the config file, with the defaults,
 * the bounds, `none`, and a clear error naming the setting. And how the channel patterns match.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config';
import { compilePatterns, keepsHistory } from '../src/config/history-channels';
import { ConfigError } from '../src/shared/errors';

const APP_ENV = { REVERB_APP_ID: '1', REVERB_APP_KEY: 'k', REVERB_APP_SECRET: 's' };

function load(env: Record<string, string>, file?: Record<string, unknown>, warnings: string[] = []) {
  let configFile: string | undefined;
  if (file) {
    configFile = join(mkdtempSync(join(tmpdir(), 'rr-history-')), 'reverb.json');
    writeFileSync(configFile, JSON.stringify(file));
  }
  return loadConfig({
    env: { ...APP_ENV, ...env },
    cwd: null,
    warn: (line) => warnings.push(line),
    ...(configFile === undefined ? {} : { configFile }),
  });
}

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error.message;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('history settings', () => {
  it('defaults: private, presence and server-to-user channels; 100 events; 300 s; 128 MiB per node', () => {
    const config = load({});
    expect(config.apps[0]?.history).toEqual({
      channels: ['private-*', 'presence-*', '#server-to-user-*'],
      maxEvents: 100,
      ttlMs: 300_000,
    });
    expect(config.history).toEqual({ memoryBudgetBytes: 134_217_728 });
  });

  it('from the environment: a comma list, `none`, limits and the budget', () => {
    const config = load({
      REVERB_APP_HISTORY_CHANNELS: ' private-orders.*, presence-* ',
      REVERB_APP_HISTORY_MAX_EVENTS: '1000',
      REVERB_APP_HISTORY_TTL: '86400',
      REVERB_HISTORY_MEMORY_BUDGET: '0',
    });
    expect(config.apps[0]?.history).toEqual({
      channels: ['private-orders.*', 'presence-*'],
      maxEvents: 1000,
      ttlMs: 86_400_000,
    });
    expect(config.history.memoryBudgetBytes).toBe(0);
    expect(load({ REVERB_APP_HISTORY_CHANNELS: 'none' }).apps[0]?.history.channels).toEqual([]);
    expect(load({ REVERB_APP_HISTORY_CHANNELS: 'NONE' }).apps[0]?.history.channels).toEqual([]);
  });

  it('from the config file, per app, the environment being the default of every app', () => {
    const warnings: string[] = [];
    const config = load(
      { REVERB_APP_HISTORY_MAX_EVENTS: '50' },
      {
        history: { memory_budget: 1_000_000 },
        apps: [
          { id: 'a', key: 'ka', secret: 'sa', history: { channels: ['#server-to-user-*'], ttl: 60 } },
          { id: 'b', key: 'kb', secret: 'sb', history: { channels: [] } },
          { id: 'c', key: 'kc', secret: 'sc', history: { channels: 'none', max_events: 7 } },
        ],
      },
      warnings,
    );
    expect(config.apps.map((app) => app.history)).toEqual([
      { channels: ['#server-to-user-*'], maxEvents: 50, ttlMs: 60_000 },
      { channels: [], maxEvents: 50, ttlMs: 300_000 },
      { channels: [], maxEvents: 7, ttlMs: 300_000 },
    ]);
    expect(config.history.memoryBudgetBytes).toBe(1_000_000);
    expect(warnings).toEqual([]);
  });

  it("an unknown key under an app's history is a warning naming it", () => {
    const warnings: string[] = [];
    load({}, { apps: [{ id: 'a', key: 'ka', secret: 'sa', history: { max_event: 5 } }] }, warnings);
    expect(warnings).toEqual([expect.stringContaining('unknown setting apps[0].history.max_event')]);
    expect(warnings[0]).toContain('did you mean apps[0].history.max_events?');
  });

  it.each([
    [
      { REVERB_APP_HISTORY_MAX_EVENTS: '0' },
      'REVERB_APP_HISTORY_MAX_EVENTS must be between 1 and 1000 (got 0)',
    ],
    [{ REVERB_APP_HISTORY_MAX_EVENTS: '1001' }, 'REVERB_APP_HISTORY_MAX_EVENTS must be between 1 and 1000'],
    [{ REVERB_APP_HISTORY_TTL: '86401' }, 'REVERB_APP_HISTORY_TTL must be between 1 and 86400 (got 86401)'],
    [{ REVERB_APP_HISTORY_TTL: '1.5' }, 'REVERB_APP_HISTORY_TTL must be an integer'],
    [{ REVERB_HISTORY_MEMORY_BUDGET: '-1' }, 'REVERB_HISTORY_MEMORY_BUDGET must be between 0'],
    [
      { REVERB_APP_HISTORY_CHANNELS: 'private-*,orders/7' },
      'REVERB_APP_HISTORY_CHANNELS has an invalid pattern "orders/7"',
    ],
    // `#` belongs only to the internal `#server-to-user-` prefix, as in a channel name.
    [
      { REVERB_APP_HISTORY_CHANNELS: 'private-*#*' },
      'REVERB_APP_HISTORY_CHANNELS has an invalid pattern "private-*#*"',
    ],
  ])('%j is refused with a message naming it', (env, message) => {
    expect(errorOf(() => load(env))).toContain(message);
  });

  it('a file value of the wrong type names its path', () => {
    expect(
      errorOf(() => load({}, { apps: [{ id: 'a', key: 'ka', secret: 'sa', history: { channels: [1] } }] })),
    ).toContain('apps[0].history.channels must be a list of channel name patterns');
  });
});

describe('history channel patterns', () => {
  const matches = (patterns: string[], channel: string) => compilePatterns(patterns)(channel);

  it('the defaults cover every private and presence kind and server-to-user, nothing public', () => {
    const defaults = ['private-*', 'presence-*', '#server-to-user-*'];
    for (const channel of [
      'private-chat.1',
      'private-encrypted-inbox',
      'private-cache-prices',
      'private-encrypted-cache-x',
      'presence-room',
      'presence-cache-lobby',
      '#server-to-user-17',
    ]) {
      expect(matches(defaults, channel), channel).toBe(true);
    }
    for (const channel of ['orders', 'cache-prices', 'private', 'presence', 'my-private-chat']) {
      expect(matches(defaults, channel), channel).toBe(false);
    }
  });

  it('`*` matches any run, anywhere; without a star the name must be exact', () => {
    expect(matches(['orders'], 'orders')).toBe(true);
    expect(matches(['orders'], 'orders.1')).toBe(false);
    expect(matches(['*.inbox'], 'private-user.17.inbox')).toBe(true);
    expect(matches(['*.inbox'], 'private-user.17.outbox')).toBe(false);
    expect(matches(['private-*.inbox'], 'private-.inbox')).toBe(true);
    expect(matches(['a*b*c'], 'abc')).toBe(true);
    expect(matches(['a*b*c'], 'axxbyyc')).toBe(true);
    expect(matches(['a*b*c'], 'axxcyyb')).toBe(false);
    expect(matches(['a*a*a'], 'aa')).toBe(false);
    expect(matches(['*'], 'anything')).toBe(true);
    expect(matches([], 'private-chat')).toBe(false);
  });

  it('a pattern of many stars on a long name is answered right (matching never backtracks)', () => {
    const pattern = `${'a*'.repeat(40)}b`;
    const name = 'a'.repeat(200);
    expect(matches([pattern], name)).toBe(false);
    expect(matches([pattern], `${name}b`)).toBe(true);
  });

  it("keepsHistory reads the app's patterns (compiled once per app)", () => {
    const [app] = load({ REVERB_APP_HISTORY_CHANNELS: 'presence-*' }).apps;
    if (!app) throw new Error('no app');
    expect(keepsHistory(app, 'presence-room')).toBe(true);
    expect(keepsHistory(app, 'private-chat')).toBe(false);
  });
});
