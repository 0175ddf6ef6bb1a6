/**
 * Wires the operations features into a server: traffic counters, webhooks, Prometheus metrics and the
 * dashboard. The server constructs one `Operations`, routes unknown HTTP paths to `handle()`, and
 * calls `close()` while stopping so webhook sends can finish.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DestinationStream } from 'pino';
import { pino } from 'pino';
import type { AppRegistry, RegistryStats } from '../channels/registry';
import type { ServerConfig } from '../config/config';
import { DEFAULT_OPERATIONS, type OperationsConfig } from '../config/operations-config';
import type { Adapter, ChannelSnapshot } from '../scaling/adapter';
import type { WorkerLink } from '../scaling/machine-adapter';
import type { ReverbEvents } from '../shared/hooks';
import type { ReverbLogger } from '../shared/logger';
import type { Traffic } from '../shared/traffic';
import { Dashboard } from './dashboard/dashboard';
import { answerReports, type MachineMetrics, type MachineReport, ReportTopic } from './machine-reports';
import { Metrics } from './metrics';
import { type RetryPolicy, WebhookDispatcher } from './webhooks';

export interface OperationsHost {
  readonly serverId: string;
  readonly config: ServerConfig;
  readonly events: ReverbEvents;
  readonly logger: ReverbLogger;
  readonly traffic: Traffic;
  readonly registries: ReadonlyMap<string, AppRegistry>;
  /** Set in a worker of `--workers N`: metrics and the dashboard show the machine (machine-reports.ts). */
  readonly worker?: WorkerLink | undefined;
}

/** Test knobs (the defaults are the documented behaviour). */
export interface OperationsOptions {
  readonly webhookDelayMs?: number;
  readonly webhookRetry?: RetryPolicy;
}

export class Operations {
  readonly settings: OperationsConfig;
  readonly webhooks: WebhookDispatcher;
  readonly metrics: Metrics | undefined;
  readonly dashboard: Dashboard | undefined;
  /** The adapter the server should use: the given one, timed when metrics are on. */
  readonly adapter: Adapter;
  /** The separate metrics port, once started. */
  metricsPort: number | undefined;
  /** Per-app counters and recent problems. */
  readonly traffic: Traffic;

  constructor(
    private readonly host: OperationsHost,
    adapter: Adapter,
    options: OperationsOptions = {},
  ) {
    const { config, traffic, events, logger } = host;
    this.traffic = traffic;
    this.settings = config.operations ?? DEFAULT_OPERATIONS;
    events.on('connection_opened', ({ appId }) => {
      traffic.forApp(appId).connectionsOpened++;
    });
    events.on('session_replaced', ({ appId }) => {
      traffic.forApp(appId).sessionsReplaced++;
    });
    const appStats = (appId: string): RegistryStats | undefined => host.registries.get(appId)?.stats();
    const { worker } = host;
    if (this.settings.metrics.enabled) {
      this.metrics = new Metrics(this.settings.metrics, {
        traffic,
        appStats,
        localChannels: (appId): Record<string, ChannelSnapshot> =>
          host.registries.get(appId)?.answer({ type: 'channels', appId }) ?? {},
        historyStats: () => adapter.history.stats?.(),
        ...(worker
          ? {
              machine: () =>
                worker.peer.request<MachineMetrics>(
                  ReportTopic.machineMetrics,
                  null,
                  MACHINE_REPORT_TIMEOUT_MS,
                ),
            }
          : {}),
      });
      this.adapter = this.metrics.instrument(adapter);
    } else {
      this.adapter = adapter;
    }
    this.webhooks = new WebhookDispatcher({
      apps: config.apps,
      events,
      logger,
      cluster: this.adapter.state,
      nodeId: host.serverId,
      ...(options.webhookDelayMs === undefined ? {} : { delayMs: options.webhookDelayMs }),
      ...(options.webhookRetry === undefined ? {} : { retry: options.webhookRetry }),
      onOutcome: (appId, outcome, error) => {
        const t = traffic.forApp(appId);
        if (outcome === 'delivered') t.webhooksDelivered++;
        else if (outcome === 'failed_attempt') t.webhookFailures++;
        else t.webhooksDropped++;
        // The logger records these too, but a quiet (embedded) server still shows them on the dashboard.
        if (outcome !== 'delivered' && logger.level === 'silent') {
          traffic.recordProblem({
            timeMs: Date.now(),
            level: outcome === 'dropped' ? 'error' : 'warn',
            message: `webhook ${outcome === 'dropped' ? 'dropped' : 'failed'}: ${error ?? ''}`,
            appId,
          });
        }
      },
    });
    this.dashboard = this.settings.dashboard.enabled
      ? new Dashboard(this.settings.dashboard, {
          serverId: host.serverId,
          apps: config.apps,
          adapter: this.adapter,
          traffic,
          appStats,
          ...(worker
            ? {
                machine: () =>
                  worker.peer.request<MachineReport>(
                    ReportTopic.machineReport,
                    null,
                    MACHINE_REPORT_TIMEOUT_MS,
                  ),
              }
            : {}),
        })
      : undefined;
    if (worker) {
      const registry = this.metrics?.registry;
      answerReports(
        worker,
        { serverId: host.serverId, traffic, appStats },
        registry ? () => registry.getMetricsAsJSON() : undefined,
      );
    }
  }

  /** Serves the metrics (on the main port) and dashboard paths; false for any other path. */
  handle(req: IncomingMessage, res: ServerResponse, path: string, rawQuery: string): boolean {
    if (this.metrics?.servesOnMainPort(path)) {
      void this.metrics.handle(req, res);
      return true;
    }
    if (this.dashboard?.handles(path)) {
      void this.dashboard.handle(req, res, path, rawQuery);
      return true;
    }
    return false;
  }

  /** Counts an HTTP API request by app and status once it is answered. */
  countHttp(path: string, res: ServerResponse): void {
    const match = /\/apps\/([^/]+)/.exec(path.slice(this.host.config.path.length));
    const traffic =
      match?.[1] === undefined ? this.host.traffic.unknownApp : this.host.traffic.forApp(match[1]);
    res.once('finish', () => traffic.countHttp(res.statusCode));
  }

  async start(bindHost: string): Promise<void> {
    this.metricsPort = await this.metrics?.start(bindHost);
  }

  /** Flushes webhooks (until `deadlineMs`, epoch ms) and closes the metrics port. */
  async close(deadlineMs: number): Promise<void> {
    await this.webhooks.close(deadlineMs);
    await this.metrics?.close();
  }
}

/** The primary asks every worker (at most 1 s each): a scrape or a poll waits a little longer at most. */
const MACHINE_REPORT_TIMEOUT_MS = 3_000;

const PROBLEM_LEVELS: Record<number, 'warn' | 'error'> = { 40: 'warn', 50: 'error', 60: 'error' };

/**
 * stdout for the JSON-lines log, keeping warn and error lines for the dashboard's "recent errors".
 * Only lines at warn or above are parsed; debug frames pass straight through.
 */
export function logDestination(traffic: Traffic): DestinationStream {
  const out = pino.destination({ dest: 1, sync: true });
  return {
    write(line: string): void {
      out.write(line);
      const at = line.indexOf('"level":');
      const level = at < 0 ? undefined : PROBLEM_LEVELS[Number(line.slice(at + 8, at + 10))];
      if (level === undefined) return;
      try {
        const parsed = JSON.parse(line) as { time?: number; msg?: string; appId?: string };
        traffic.recordProblem({
          timeMs: parsed.time ?? Date.now(),
          level,
          message: parsed.msg ?? line.slice(0, 300),
          ...(typeof parsed.appId === 'string' ? { appId: parsed.appId } : {}),
        });
      } catch {
        traffic.recordProblem({ timeMs: Date.now(), level, message: line.slice(0, 300) });
      }
    },
  };
}
