/**
 * Settings of the operations features (metrics, dashboard, graceful shutdown): the groups
 * `METRICS_SETTINGS`, `DASHBOARD_SETTINGS` and `SHUTDOWN_SETTINGS` of the table (settings.ts), read from
 * the config file (`metrics: {...}`, `dashboard: {...}`, `shutdown: {...}`) and `REVERB_METRICS_*`,
 * `REVERB_DASHBOARD_*`, `REVERB_SHUTDOWN_TIMEOUT`, `REVERB_PID_DIR`. Both pages are off by default; the
 * dashboard refuses to start unprotected. Webhooks are per app (webhooks-config.ts).
 */
import { ConfigError } from '../shared/errors';
import { type Env, readGroup, type Source, serverSource, type Values } from './setting';
import { DASHBOARD_SETTINGS, METRICS_SETTINGS, SHUTDOWN_SETTINGS } from './settings';
import type { Raw } from './values';

export type MetricsConfig = Values<typeof METRICS_SETTINGS.rows>;

export type DashboardConfig = Values<typeof DASHBOARD_SETTINGS.rows>;

/** `metrics`, `dashboard`, and the fields of `SHUTDOWN_SETTINGS`. */
export type OperationsConfig = {
  readonly metrics: MetricsConfig;
  readonly dashboard: DashboardConfig;
} & Values<typeof SHUTDOWN_SETTINGS.rows>;

export function readOperationsConfig(source: Source): OperationsConfig {
  const metrics = readGroup(METRICS_SETTINGS, source);
  const dashboard = readGroup(DASHBOARD_SETTINGS, source);
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
    ...readGroup(SHUTDOWN_SETTINGS, source),
  };
}

/** `file` is the parsed config file (or {}), `env` the merged environment. */
export function parseOperationsConfig(file: Raw, env: Env): OperationsConfig {
  return readOperationsConfig(serverSource(file, env));
}

/** Defaults: everything off. */
export const DEFAULT_OPERATIONS: OperationsConfig = parseOperationsConfig({}, {});
