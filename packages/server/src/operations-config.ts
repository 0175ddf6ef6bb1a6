/**
 * Settings of the operations features (metrics, dashboard, graceful shutdown), read from the config
 * file (`metrics: {...}`, `dashboard: {...}`, `shutdown: {...}`) and `REVERB_METRICS_*`,
 * `REVERB_DASHBOARD_*`, `REVERB_SHUTDOWN_*`, `REVERB_PID_DIR`. Both pages are off by default; the
 * dashboard refuses to start unprotected. Webhooks are per app (`apps[i].webhooks`, see webhooks.ts).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from './errors';

export interface MetricsConfig {
  readonly enabled: boolean;
  /** A separate port for `/metrics` (bound on the server's host); undefined = the main port. */
  readonly port: number | undefined;
  readonly path: string;
  /** When set, scrapes must send `Authorization: Bearer <token>`. */
  readonly token: string | undefined;
}

export interface DashboardConfig {
  readonly enabled: boolean;
  readonly path: string;
  /** Basic auth (both set), or a token (`Authorization: Bearer`, or `?token=` once, then a cookie). */
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly token: string | undefined;
}

export interface OperationsConfig {
  readonly metrics: MetricsConfig;
  readonly dashboard: DashboardConfig;
  /** How long a stopping node waits for in-flight HTTP requests and webhook sends. */
  readonly shutdownTimeoutMs: number;
  /** Where nodes write `reverb-<port>.pid` for `reverb restart`. */
  readonly pidDir: string;
}

type Raw = Record<string, unknown>;

function record(value: unknown, setting: string): Raw {
  if (value === undefined || value === null) return {};
  if (typeof value !== 'object' || Array.isArray(value)) throw new ConfigError(setting, 'must be an object');
  return value as Raw;
}

function text(value: unknown, setting: string): string | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string') throw new ConfigError(setting, 'must be a string');
  return value;
}

function flag(value: unknown, setting: string): boolean | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'boolean') return value;
  const v = String(value).trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  throw new ConfigError(setting, `must be true or false (got ${JSON.stringify(value)})`);
}

function integer(value: unknown, setting: string, min: number, max: number): number | undefined {
  if (value === undefined || value === null || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(String(value).trim());
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(
      setting,
      `must be an integer between ${min} and ${max} (got ${JSON.stringify(value)})`,
    );
  }
  return n;
}

function pagePath(value: unknown, setting: string, fallback: string): string {
  const path = text(value, setting) ?? fallback;
  if (!/^\/[A-Za-z0-9_\-./]*$/.test(path) || (path.length > 1 && path.endsWith('/'))) {
    throw new ConfigError(setting, `must start with "/" and not end with "/" (got "${path}")`);
  }
  return path;
}

/** `file` is the parsed config file (or {}), `env` the merged environment. */
export function parseOperationsConfig(file: Raw, env: Record<string, string | undefined>): OperationsConfig {
  const m = record(file.metrics, 'metrics');
  const d = record(file.dashboard, 'dashboard');
  const s = record(file.shutdown, 'shutdown');
  const metrics: MetricsConfig = {
    enabled: flag(m.enabled ?? env.REVERB_METRICS_ENABLED, 'REVERB_METRICS_ENABLED') ?? false,
    port: integer(m.port ?? env.REVERB_METRICS_PORT, 'REVERB_METRICS_PORT', 0, 65_535),
    path: pagePath(m.path ?? env.REVERB_METRICS_PATH, 'REVERB_METRICS_PATH', '/metrics'),
    token: text(m.token ?? env.REVERB_METRICS_TOKEN, 'REVERB_METRICS_TOKEN'),
  };
  const dashboard: DashboardConfig = {
    enabled: flag(d.enabled ?? env.REVERB_DASHBOARD_ENABLED, 'REVERB_DASHBOARD_ENABLED') ?? false,
    path: pagePath(d.path ?? env.REVERB_DASHBOARD_PATH, 'REVERB_DASHBOARD_PATH', '/dashboard'),
    username: text(d.username ?? env.REVERB_DASHBOARD_USERNAME, 'REVERB_DASHBOARD_USERNAME'),
    password: text(d.password ?? env.REVERB_DASHBOARD_PASSWORD, 'REVERB_DASHBOARD_PASSWORD'),
    token: text(d.token ?? env.REVERB_DASHBOARD_TOKEN, 'REVERB_DASHBOARD_TOKEN'),
  };
  if (dashboard.enabled) {
    const basic = dashboard.username !== undefined && dashboard.password !== undefined;
    if (!basic && dashboard.token === undefined) {
      throw new ConfigError(
        'REVERB_DASHBOARD_ENABLED',
        'needs REVERB_DASHBOARD_USERNAME and REVERB_DASHBOARD_PASSWORD, or REVERB_DASHBOARD_TOKEN',
      );
    }
  }
  return {
    metrics,
    dashboard,
    shutdownTimeoutMs:
      (integer(s.timeout ?? env.REVERB_SHUTDOWN_TIMEOUT, 'REVERB_SHUTDOWN_TIMEOUT', 0, 3600) ?? 10) * 1000,
    pidDir: text(s.pid_dir ?? env.REVERB_PID_DIR, 'REVERB_PID_DIR') ?? join(tmpdir(), 'react-reverb'),
  };
}

/** Defaults: everything off. */
export const DEFAULT_OPERATIONS: OperationsConfig = parseOperationsConfig({}, {});
