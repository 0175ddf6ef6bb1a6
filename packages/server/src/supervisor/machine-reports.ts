/**
 * The primary's answers to metrics scrapes and dashboard polls of `--workers N` (the workers' side is
 * operations/machine-reports.ts): every worker is asked for its own figures, and the machine's are
 * their sum. prom-client's `AggregatorRegistry.aggregate` adds up each metric by its aggregator
 * (counters and gauges sum; event-loop lag averages), the primary's own process metrics included, and
 * a few series per worker tell the workers apart.
 */
import {
  AggregatorRegistry,
  Counter,
  collectDefaultMetrics,
  Gauge,
  type MetricObjectWithValues,
  type MetricValue,
  Registry,
} from 'prom-client';
import {
  type MachineMetrics,
  type MachineReport,
  ReportTopic,
  type WorkerReport,
} from '../operations/machine-reports';
import { historyGauges } from '../operations/metrics';
import type { MachineHub } from '../scaling/machine-hub';

export interface WorkerFacts {
  /** Live workers by hub id: their slot (1…N). */
  slotOf(workerId: number): number | undefined;
  /** How often the worker in `slot` was restarted. */
  restarts(slot: number): number;
  /** Every restart so far, all slots together. */
  totalRestarts(): number;
  /** Workers alive now. */
  workers(): number;
}

type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

export function answerMachineReports(hub: MachineHub, facts: WorkerFacts): void {
  const registry = primaryRegistry(facts, hub);
  const perWorker = registry.getSingleMetric('reverb_worker_connections') as Gauge<'worker'>;

  hub.handle(ReportTopic.machineMetrics, async (): Promise<MachineMetrics> => {
    const answers = await hub.askAll(ReportTopic.workerMetrics, null);
    perWorker.reset();
    for (const { workerId, answer } of answers) {
      const slot = facts.slotOf(workerId);
      if (slot !== undefined) perWorker.set({ worker: String(slot) }, connectionsIn(answer as MetricsJson));
    }
    const own = await registry.getMetricsAsJSON();
    const machine = AggregatorRegistry.aggregate([...answers.map((a) => a.answer as MetricsJson), own]);
    return { text: await machine.metrics(), contentType: machine.contentType };
  });

  hub.handle(ReportTopic.machineReport, async (): Promise<MachineReport> => {
    const answers = await hub.askAll(ReportTopic.workerReport, null);
    const workers = answers
      .map(({ answer }) => answer as WorkerReport)
      .map((report) => ({ ...report, restarts: facts.restarts(report.slot) }))
      .sort((a, b) => a.slot - b.slot);
    return { workers };
  });
}

/** The primary's own process metrics, the supervisor's figures, and the machine's history (kept here). */
function primaryRegistry(facts: WorkerFacts, hub: MachineHub): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  historyGauges(registry, 'the machine', () => hub.history.stats());
  new Gauge({
    name: 'reverb_workers',
    help: 'Worker processes serving the port (reverb start --workers N)',
    registers: [registry],
    collect() {
      this.set(facts.workers());
    },
  });
  new Counter({
    name: 'reverb_worker_restarts_total',
    help: 'Workers the primary restarted after they exited unexpectedly',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(facts.totalRestarts());
    },
  });
  new Gauge({
    name: 'reverb_worker_connections',
    help: 'Open WebSocket connections per worker (the machine total is reverb_connections)',
    labelNames: ['worker'],
    registers: [registry],
  });
  return registry;
}

function connectionsIn(metrics: MetricsJson): number {
  const metric = metrics.find((m) => m.name === 'reverb_connections');
  return metric?.values.reduce((total, v) => total + v.value, 0) ?? 0;
}
