/**
 * The primary process of `reverb start --workers N` (README, "Every core"; docs/architecture.md §6.4):
 * it holds no client. It forks N workers with Node's `cluster` module, which share its listening port
 * (the primary accepts and hands connections round robin), and it is the machine's bus and shared
 * state (scaling/machine-hub.ts) when Redis is not used.
 *
 * - **Start.** Every worker loads the same configuration and listens; once all are up the primary
 *   writes the pid file and logs one line. A worker that cannot start stops the whole start (exit 1).
 * - **Supervision.** A worker that exits on its own (crash, SIGKILL, OOM) is purged from the shared
 *   state at once (its presence members leave, its counts go) and started again in the same slot:
 *   at once after a long run, with a growing pause (up to 10 s) while it keeps failing at start.
 * - **Stop.** SIGTERM or SIGINT: every worker drains as one node does (4200 to every client, HTTP
 *   requests and webhooks finished until `REVERB_SHUTDOWN_TIMEOUT`), then the primary exits 0
 *   (1 when a worker failed to stop cleanly). `reverb restart` sends that SIGTERM (pid file).
 * - **Reports.** Metrics and dashboard requests any worker receives are answered for the machine
 *   (machine-reports.ts).
 */
import cluster, { type Worker } from 'node:cluster';
import { createServer } from 'node:net';
import type { ServerConfig } from '../config/config';
import { writePidFile } from '../operations/shutdown';
import { MachineHub, Topic } from '../scaling/machine-hub';
import type { Envelope } from '../scaling/machine-peer';
import type { ReverbLogger } from '../shared/logger';
import { answerMachineReports } from './machine-reports';
import { type ControlMessage, isControlMessage, reusePortAvailable, WORKER_SLOT_ENV } from './worker-control';

/** A worker that ran this long before exiting is restarted at once; sooner, after a growing pause. */
const HEALTHY_RUN_MS = 10_000;
const FIRST_RETRY_MS = 100;
const MAX_RETRY_MS = 10_000;
/** Beyond the drain deadline, how long the primary waits for a worker before SIGKILL. */
const EXIT_GRACE_MS = 5_000;

interface Slot {
  readonly slot: number;
  worker: Worker | undefined;
  /** The live worker's server id (its node id with Redis). */
  serverId: string | undefined;
  startedMs: number;
  restarts: number;
  /** Failures in a row that came soon after a start. */
  quickFailures: number;
  retry: NodeJS.Timeout | undefined;
}

export interface PrimaryResult {
  readonly host: string;
  readonly port: number;
}

export class Primary {
  private readonly hub: MachineHub;
  private readonly slots: Slot[];
  private readonly slotByWorker = new Map<number, Slot>();
  private stopping = false;
  private stopped: Promise<number> | undefined;
  private removePidFile: () => void = () => {};
  private failedDrains = 0;
  /** Startup: resolves with the first worker's address once every worker listens. */
  private startup:
    | { ready: Set<number>; resolve: (address: PrimaryResult) => void; reject: (error: Error) => void }
    | undefined;

  constructor(
    private readonly config: ServerConfig,
    private readonly logger: ReverbLogger,
  ) {
    this.hub = new MachineHub({ logger, historyBudgetBytes: config.history.memoryBudgetBytes });
    this.slots = Array.from({ length: config.workers }, (_, i) => ({
      slot: i + 1,
      worker: undefined,
      serverId: undefined,
      startedMs: 0,
      restarts: 0,
      quickFailures: 0,
      retry: undefined,
    }));
    answerMachineReports(this.hub, {
      slotOf: (workerId) => this.slotByWorker.get(workerId)?.slot,
      restarts: (slot) => this.slots[slot - 1]?.restarts ?? 0,
      totalRestarts: () => this.slots.reduce((total, slot) => total + slot.restarts, 0),
      workers: () => this.hub.workerIds.length,
    });
  }

  /** Forks every worker; resolves once all listen, rejects with the first one's start error. */
  async start(): Promise<PrimaryResult> {
    // SO_REUSEPORT would let a second server on this port share it silently: the port must be free.
    if (reusePortAvailable(this.config.port)) await portIsFree(this.config.host, this.config.port);
    // Workers run this same command line; V8 serialization keeps `undefined`, Sets and Maps.
    cluster.setupPrimary({ serialization: 'advanced' });
    return new Promise<PrimaryResult>((resolve, reject) => {
      this.startup = { ready: new Set(), resolve, reject };
      for (const slot of this.slots) this.fork(slot);
    }).then((address) => {
      this.removePidFile = writePidFile(this.config.operations.pidDir, address.port);
      return address;
    });
  }

  /** Drains every worker, then resolves with the exit code (0, or 1 when a worker did not stop cleanly). */
  stop(signal: string): Promise<number> {
    if (this.stopped) return this.stopped;
    this.stopping = true;
    this.logger.info(
      { signal, workers: this.hub.workerIds.length, timeoutMs: this.config.operations.shutdownTimeoutMs },
      'shutting down every worker: closing connections with 4200, finishing requests and webhooks',
    );
    this.removePidFile();
    this.hub.close();
    this.stopped = new Promise<number>((resolve) => {
      const live = this.slots.flatMap((s) => (s.worker && !s.worker.isDead() ? [s.worker] : []));
      for (const slot of this.slots) clearTimeout(slot.retry);
      if (live.length === 0) {
        resolve(0);
        return;
      }
      let left = live.length;
      const killer = setTimeout(() => {
        for (const worker of live) {
          if (!worker.isDead()) {
            this.logger.error({ pid: worker.process.pid }, 'a worker did not stop in time: killed');
            this.failedDrains++;
            worker.process.kill('SIGKILL');
          }
        }
      }, this.config.operations.shutdownTimeoutMs + EXIT_GRACE_MS);
      for (const worker of live) {
        worker.once('exit', () => {
          if (--left > 0) return;
          clearTimeout(killer);
          resolve(this.failedDrains === 0 ? 0 : 1);
        });
        worker.process.kill('SIGTERM');
      }
    });
    return this.stopped;
  }

  /** A start that failed: every worker is killed at once (nothing was served yet). */
  abort(): void {
    this.stopping = true;
    for (const slot of this.slots) {
      clearTimeout(slot.retry);
      if (slot.worker && !slot.worker.isDead()) slot.worker.process.kill('SIGKILL');
    }
  }

  private fork(slot: Slot): void {
    slot.retry = undefined;
    const worker = cluster.fork({ [WORKER_SLOT_ENV]: String(slot.slot) });
    slot.worker = worker;
    slot.startedMs = Date.now();
    this.slotByWorker.set(worker.id, slot);
    // Attached before the worker listens: its first connection's state calls must find the hub.
    this.hub.attach(worker.id, (batch: Envelope[]) => {
      if (!worker.isConnected()) return;
      worker.send(batch, undefined, undefined, (error: Error | null) => {
        if (error) this.logger.debug({ err: error, worker: slot.slot }, 'a batch did not reach a worker');
      });
    });
    // A send failing as the worker dies is reported on the worker: logged, never a crash of the primary.
    worker.on('error', (error) =>
      this.logger.warn({ err: error, worker: slot.slot }, 'worker channel error'),
    );
    worker.on('message', (message: unknown) => {
      if (Array.isArray(message)) this.hub.receive(worker.id, message as Envelope[]);
      else if (isControlMessage(message)) this.control(slot, worker, message);
    });
    worker.on('exit', (code, signal) => this.exited(slot, worker, code, signal));
  }

  private control(slot: Slot, worker: Worker, message: ControlMessage): void {
    if (message.type === 'failed') {
      this.logger.error(
        { worker: slot.slot, pid: worker.process.pid, problem: message.message },
        'a worker could not start',
      );
      if (this.startup) {
        const { reject } = this.startup;
        this.startup = undefined;
        reject(new Error(message.message));
      }
      return;
    }
    this.logger.debug({ worker: slot.slot, pid: worker.process.pid }, 'worker listening');
    slot.serverId = message.serverId;
    this.hub.markListening(worker.id);
    const startup = this.startup;
    if (!startup) return;
    startup.ready.add(slot.slot);
    if (startup.ready.size === this.slots.length) {
      this.startup = undefined;
      startup.resolve({ host: message.host, port: message.port });
    }
  }

  private exited(slot: Slot, worker: Worker, code: number | null, signal: string | null): void {
    this.slotByWorker.delete(worker.id);
    this.hub.detach(worker.id);
    const nodeId = slot.serverId;
    // Only a worker that listened had clients to drain; one stopped while it started had none.
    const listened = nodeId !== undefined;
    if (slot.worker === worker) {
      slot.worker = undefined;
      slot.serverId = undefined;
    }
    if (this.stopping) {
      if (code !== 0 && listened) {
        this.failedDrains++;
        this.logger.error(
          { worker: slot.slot, pid: worker.process.pid, code, signal },
          'a worker did not stop cleanly',
        );
      }
      return;
    }
    // With Redis the worker was a node of the cluster: another worker purges it now (a worker that
    // stopped cleanly already left; the purge then finds nothing).
    if (this.config.scaling.enabled && nodeId !== undefined) this.hub.tellOne(Topic.nodeGone, { nodeId });
    if (this.startup) {
      // A worker that dies before listening stops the start: the same would happen again.
      const { reject } = this.startup;
      this.startup = undefined;
      reject(new Error(`worker ${slot.slot} exited while starting (code ${code}, signal ${signal})`));
      return;
    }
    const ranMs = Date.now() - slot.startedMs;
    slot.quickFailures = ranMs >= HEALTHY_RUN_MS ? 0 : slot.quickFailures + 1;
    const pauseMs =
      slot.quickFailures === 0 ? 0 : Math.min(MAX_RETRY_MS, FIRST_RETRY_MS * 2 ** (slot.quickFailures - 1));
    slot.restarts++;
    this.logger.warn(
      { worker: slot.slot, pid: worker.process.pid, code, signal, ranMs, restartInMs: pauseMs },
      'a worker exited: its connections, presence members and counts were purged; starting it again',
    );
    slot.retry = setTimeout(() => this.fork(slot), pauseMs);
  }
}

/** Binds the port without SO_REUSEPORT and lets it go: rejects (EADDRINUSE) when anything holds it. */
function portIsFree(host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
