/**
 * Settings of the operations features (metrics, dashboard, graceful shutdown), read from the config
 * file (`metrics: {...}`, `dashboard: {...}`, `shutdown: {...}`) and `REVERB_METRICS_*`,
 * `REVERB_DASHBOARD_*`, `REVERB_SHUTDOWN_*`, `REVERB_PID_DIR`. Both pages are off by default; the
 * dashboard refuses to start unprotected. Webhooks are per app (`apps[i].webhooks`, see webhooks.ts).
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../shared/errors';
import { bool, num, type Raw, section, str, urlPath } from './values';

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

/** `file` is the parsed config file (or {}), `env` the merged environment. */
export function parseOperationsConfig(file: Raw, env: Record<string, string | undefined>): OperationsConfig {
  const m = section(file.metrics, 'metrics');
  const d = section(file.dashboard, 'dashboard');
  const s = section(file.shutdown, 'shutdown');
  const metrics: MetricsConfig = {
    enabled: bool(m.enabled ?? env.REVERB_METRICS_ENABLED, 'REVERB_METRICS_ENABLED') ?? false,
    port: num(m.port ?? env.REVERB_METRICS_PORT, 'REVERB_METRICS_PORT', {
      min: 0,
      max: 65_535,
      integer: true,
    }),
    path: urlPath(m.path ?? env.REVERB_METRICS_PATH, 'REVERB_METRICS_PATH', '/metrics'),
    token: str(m.token ?? env.REVERB_METRICS_TOKEN, 'REVERB_METRICS_TOKEN'),
  };
  const dashboard: DashboardConfig = {
    enabled: bool(d.enabled ?? env.REVERB_DASHBOARD_ENABLED, 'REVERB_DASHBOARD_ENABLED') ?? false,
    path: urlPath(d.path ?? env.REVERB_DASHBOARD_PATH, 'REVERB_DASHBOARD_PATH', '/dashboard'),
    username: str(d.username ?? env.REVERB_DASHBOARD_USERNAME, 'REVERB_DASHBOARD_USERNAME'),
    password: str(d.password ?? env.REVERB_DASHBOARD_PASSWORD, 'REVERB_DASHBOARD_PASSWORD'),
    token: str(d.token ?? env.REVERB_DASHBOARD_TOKEN, 'REVERB_DASHBOARD_TOKEN'),
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
      (num(s.timeout ?? env.REVERB_SHUTDOWN_TIMEOUT, 'REVERB_SHUTDOWN_TIMEOUT', {
        min: 0,
        max: 3600,
        integer: true,
      }) ?? 10) * 1000,
    pidDir: str(s.pid_dir ?? env.REVERB_PID_DIR, 'REVERB_PID_DIR') ?? join(tmpdir(), 'react-reverb'),
  };
}

/** Defaults: everything off. */
export const DEFAULT_OPERATIONS: OperationsConfig = parseOperationsConfig({}, {});
