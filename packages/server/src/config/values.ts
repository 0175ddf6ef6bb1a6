/**
 * Readers for one configuration value, from the environment (strings) or a JSON/YAML file (typed).
 * Each returns undefined for a blank value and throws a `ConfigError` naming the setting otherwise.
 * Shared by config.ts (server and apps) and operations-config.ts (metrics, dashboard, shutdown).
 */
import { ConfigError } from '../shared/errors';

export type Raw = Record<string, unknown>;

export function isRecord(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function blank(value: unknown): boolean {
  return value === undefined || value === null || value === '';
}

/** An optional object section of the config file (`{}` when absent). */
export function section(value: unknown, setting: string): Raw {
  if (value === undefined || value === null) return {};
  if (!isRecord(value)) throw new ConfigError(setting, 'must be an object');
  return value;
}

export function str(value: unknown, setting: string): string | undefined {
  if (blank(value)) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  throw new ConfigError(setting, 'must be a string');
}

export function requiredStr(value: unknown, setting: string): string {
  const result = str(value, setting);
  if (result === undefined) throw new ConfigError(setting, 'is required');
  return result;
}

export function num(
  value: unknown,
  setting: string,
  o: { min: number; max?: number; integer?: boolean },
): number | undefined {
  if (blank(value)) return undefined;
  const n = typeof value === 'number' ? value : typeof value === 'string' ? Number(value.trim()) : Number.NaN;
  if (!Number.isFinite(n)) throw new ConfigError(setting, `must be a number (got ${JSON.stringify(value)})`);
  if (o.integer && !Number.isInteger(n)) throw new ConfigError(setting, `must be an integer (got ${n})`);
  if (n < o.min || (o.max !== undefined && n > o.max)) {
    throw new ConfigError(setting, `must be between ${o.min} and ${o.max ?? 'infinity'} (got ${n})`);
  }
  return n;
}

export function bool(value: unknown, setting: string): boolean | undefined {
  if (blank(value)) return undefined;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string') {
    const v = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(v)) return true;
    if (['false', '0', 'no', 'off'].includes(v)) return false;
  }
  throw new ConfigError(setting, `must be true or false (got ${JSON.stringify(value)})`);
}

/** A URL path we serve: starts with "/", no trailing "/" (except "/" itself). */
export function urlPath(value: unknown, setting: string, fallback: string): string {
  const path = str(value, setting) ?? fallback;
  if (!/^\/[A-Za-z0-9_\-./]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
    throw new ConfigError(setting, `must start with "/" and not end with "/" (got "${path}")`);
  }
  return path;
}
