/**
 * Metrics and the dashboard of `reverb start --workers N` show the whole machine: whichever worker
 * serves `/metrics` or the dashboard asks the primary, which asks every worker for its own numbers
 * (these topics, over the link of scaling/machine-peer.ts) and answers with the machine's. The
 * primary's side is supervisor/machine-reports.ts.
 */
import type { RegistryStats } from '../channels/registry';
import type { WorkerLink } from '../scaling/machine-adapter';
import type { AppTraffic, RecentProblem, Traffic } from '../shared/traffic';

export const ReportTopic = {
  /** primary → worker: its metrics, `Registry.getMetricsAsJSON()` of prom-client. */
  workerMetrics: 'metrics.worker',
  /** worker → primary: the machine's metrics in the Prometheus text format. */
  machineMetrics: 'metrics.machine',
  /** primary → worker: its `WorkerReport`. */
  workerReport: 'dashboard.worker',
  /** worker → primary: every worker's `WorkerReport`, with the supervisor's figures. */
  machineReport: 'dashboard.machine',
} as const;

/** The machine's metrics text and its content type. */
export interface MachineMetrics {
  readonly contentType: string;
  readonly text: string;
}

export interface AppNumbers {
  readonly connections: number;
  readonly messagesIn: number;
  readonly messagesOut: number;
  readonly webhooksDelivered: number;
  readonly webhookFailures: number;
}

/** One worker's own numbers, for the dashboard. */
export interface WorkerReport {
  readonly slot: number;
  readonly pid: number;
  readonly serverId: string;
  readonly uptimeSeconds: number;
  readonly apps: Readonly<Record<string, AppNumbers>>;
  readonly problems: readonly RecentProblem[];
}

/** What the primary answers: each live worker's report, with how often its slot was restarted. */
export interface MachineReport {
  readonly workers: ReadonlyArray<WorkerReport & { readonly restarts: number }>;
}

export interface ReportSource {
  readonly serverId: string;
  readonly traffic: Traffic;
  appStats(appId: string): RegistryStats | undefined;
}

/** Answers the primary's questions about this worker. */
export function answerReports(
  worker: WorkerLink,
  source: ReportSource,
  metricsJson: (() => Promise<unknown>) | undefined,
): void {
  const startedMs = Date.now();
  worker.peer.handle(ReportTopic.workerReport, (): WorkerReport => {
    const apps: Record<string, AppNumbers> = {};
    for (const [appId, t] of source.traffic.entries()) apps[appId] = appNumbers(t, source.appStats(appId));
    return {
      slot: worker.slot,
      pid: process.pid,
      serverId: source.serverId,
      uptimeSeconds: (Date.now() - startedMs) / 1000,
      apps,
      problems: [...source.traffic.recentProblems()],
    };
  });
  if (metricsJson) worker.peer.handle(ReportTopic.workerMetrics, metricsJson);
}

/** One app's numbers on this process: a worker's report, or the dashboard of a single node. */
export function appNumbers(traffic: AppTraffic, stats: RegistryStats | undefined): AppNumbers {
  return {
    connections: stats?.connections ?? 0,
    messagesIn: traffic.messagesIn,
    messagesOut: traffic.messagesOut,
    webhooksDelivered: traffic.webhooksDelivered,
    webhookFailures: traffic.webhookFailures,
  };
}

/** The numbers of one app summed over the workers. */
export function machineNumbers(report: MachineReport, appId: string): AppNumbers {
  const total = { connections: 0, messagesIn: 0, messagesOut: 0, webhooksDelivered: 0, webhookFailures: 0 };
  for (const worker of report.workers) {
    const numbers = worker.apps[appId];
    if (!numbers) continue;
    for (const key of Object.keys(total) as (keyof AppNumbers)[]) total[key] += numbers[key];
  }
  return total;
}
