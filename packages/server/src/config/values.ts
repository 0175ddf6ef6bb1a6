/**
 * Parsers for one configuration value, from the environment (a string) or a JSON/YAML file (typed).
 * Each returns undefined for a blank value (the setting's default applies) and throws a `ConfigError`
 * naming the setting otherwise. The settings table (settings.ts) gives every setting one of these.
 */
import { availableParallelism } from 'node:os';
import { isValidChannelName } from '@react-reverb/core/protocol';
import { ConfigError } from '../shared/errors';

export type Raw = Record<string, unknown>;

/**
 * Reads one value; `setting` is how the user wrote its name (`REVERB_SERVER_PORT`, `apps[1].port`),
 * for the error. Undefined means blank: not set.
 */
export type Parser<T> = (value: unknown, setting: string) => T | undefined;

export { isRecord } from '../shared/is-record';

export function blank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

export const str: Parser<string> = (value, setting) => {
  if (blank(value)) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ConfigError(setting, 'must be a string');
};

/** A string that must not contain `forbidden` (an app key: `key:signature` is how auth strings split). */
export function strWithout(forbidden: string): Parser<string> {
  return (value, setting) => {
    const result = str(value, setting);
    if (result?.includes(forbidden)) throw new ConfigError(setting, `must not contain "${forbidden}"`);
    return result;
  };
}

export interface NumberBounds {
  readonly min: number;
  readonly max?: number;
  readonly integer?: boolean;
}

export function num(bounds: NumberBounds): Parser<number> {
  return (value, setting) => {
    if (blank(value)) return undefined;
    const n =
      typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
    if (!Number.isFinite(n)) {
      throw new ConfigError(setting, `must be a number (got ${JSON.stringify(value)})`);
    }
    if (bounds.integer && !Number.isInteger(n)) {
      throw new ConfigError(setting, `must be an integer (got ${n})`);
    }
    if (n < bounds.min || (bounds.max !== undefined && n > bounds.max)) {
      throw new ConfigError(
        setting,
        `must be between ${bounds.min} and ${bounds.max ?? 'infinity'} (got ${n})`,
      );
    }
    return n;
  };
}

/** A count that may be lifted: a positive integer, or `null` in the config file for unlimited. */
export const limit: Parser<number | null> = (value, setting) =>
  value === null ? null : num({ min: 1, integer: true })(value, setting);

/**
 * Worker processes (`--workers`): a positive integer, or `auto` for the cores this process may use
 * (`os.availableParallelism()`).
 */
export const workerCount: Parser<number> = (value, setting) => {
  if (typeof value === 'string' && value.trim().toLowerCase() === 'auto') return availableParallelism();
  return num({ min: 1, max: MAX_WORKERS, integer: true })(value, setting);
};

/** A bound against a typo (`--workers 400`), not a tuning: a core per worker is the useful most. */
export const MAX_WORKERS = 256;

/** Seconds written by the user, kept in milliseconds. */
export function secondsAsMs(bounds: NumberBounds): Parser<number> {
  const seconds = num(bounds);
  return (value, setting) => {
    const s = seconds(value, setting);
    return s === undefined ? undefined : s * 1000;
  };
}

export const bool: Parser<boolean> = (value, setting) => {
  if (blank(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
  }
  throw new ConfigError(setting, `must be true or false (got ${JSON.stringify(value)})`);
};

/** One of `choices`; `hint` follows the refusal (what the user may have meant). */
export function oneOf<const V extends string>(choices: readonly V[], hint?: string): Parser<V> {
  const quoted = choices.map((c) => `"${c}"`);
  const list = `${quoted.slice(0, -1).join(', ')} or ${quoted.at(-1)}`;
  return (value, setting) => {
    const s = str(value, setting);
    if (s === undefined) return undefined;
    if (!(choices as readonly string[]).includes(s)) {
      throw new ConfigError(setting, `must be ${list} (got "${s}")${hint === undefined ? '' : `; ${hint}`}`);
    }
    return s as V;
  };
}

/** A URL path we serve: starts with "/", no trailing "/" (except "/" itself). */
export const urlPath: Parser<string> = (value, setting) => {
  const path = str(value, setting);
  if (path === undefined) return undefined;
  if (!/^\/[A-Za-z0-9_\-./]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
    throw new ConfigError(setting, `must start with "/" and not end with "/" (got "${path}")`);
  }
  return path;
};

/** A prefix before `/app/{key}` and `/apps/{id}`: starts with "/", does not end with "/". */
export const pathPrefix: Parser<string> = (value, setting) => {
  const path = str(value, setting);
  if (path === undefined) return undefined;
  if (!/^\/[A-Za-z0-9_\-./]*[^/]$/.test(path)) {
    throw new ConfigError(setting, `must start with "/" and not end with "/" (got "${path}")`);
  }
  return path;
};

/** Browser origins: a list in the file, a comma list in the environment; at least one. */
export const origins: Parser<readonly string[]> = (value, setting) => {
  if (blank(value)) return undefined;
  const list = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(list) || !list.every((o) => typeof o === 'string')) {
    throw new ConfigError(setting, 'must be a list of origins');
  }
  const cleaned = list.map((o: string) => o.trim()).filter((o) => o !== '');
  if (cleaned.length === 0) throw new ConfigError(setting, 'must name at least one origin (or "*")');
  return cleaned;
};

/** A list kept as written (its entries are checked by their own parser, e.g. webhooks-config.ts). */
export const list: Parser<readonly unknown[]> = (value, setting) => {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new ConfigError(setting, 'must be a list');
  return value;
};

/**
 * A channel name pattern is a channel name (docs/protocol.md §5) in which `*` stands for any run of
 * characters: core's own check decides, with each `*` read as one ordinary character.
 */
const isChannelPattern = (pattern: string): boolean => isValidChannelName(pattern.replaceAll('*', 'x'));

/**
 * Channel name patterns (`*` matches any run of characters): a list in the file, a comma list in the
 * environment. `none` (or an empty list in the file) means no channel.
 */
export const channelPatterns: Parser<readonly string[]> = (value, setting) => {
  if (value === undefined || value === null || value === '') return undefined;
  const raw = typeof value === 'string' ? value.split(',') : value;
  if (!Array.isArray(raw) || !raw.every((p) => typeof p === 'string')) {
    throw new ConfigError(setting, 'must be a list of channel name patterns, or "none"');
  }
  const patterns = raw.map((p: string) => p.trim()).filter((p) => p !== '');
  if (patterns.length === 1 && patterns[0]?.toLowerCase() === 'none') return [];
  for (const pattern of patterns) {
    if (!isChannelPattern(pattern)) {
      throw new ConfigError(
        setting,
        `has an invalid pattern "${pattern}": channel name characters and * only (or "none")`,
      );
    }
  }
  return patterns;
};
