/**
 * Prometheus metrics (prom-client), off by default. Served at `metrics.path` on the main port, or on
 * its own port (`metrics.port`) so it can stay on a private interface; `metrics.token` requires
 * `Authorization: Bearer <token>`.
 *
 * The hot path never touches prom-client: connections and frames bump plain numbers (traffic.ts), and
 * each metric reads them in its `collect()` at scrape time, so there is no label-set lookup per
 * message. Each server has its own registry (several servers may share a process in tests).
 */
import { EventEmitter } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { channelType } from '@react-reverb/core/protocol';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { RegistryStats } from '../channels/registry';
import type { MetricsConfig } from '../config/operations-config';
import type { Adapter, ChannelSnapshot } from '../scaling/adapter';
import type { HistoryStats } from '../scaling/history';
import { timingSafeEqualText } from '../shared/secure-compare';
import type { AppTraffic, Traffic } from '../shared/traffic';
import type { MachineMetrics } from './machine-reports';

export interface MetricsSource {
  readonly traffic: Traffic;
  /** This node's counts per app. */
  appStats(appId: string): RegistryStats | undefined;
  /** This node's channels of an app. */
  localChannels(appId: string): Record<string, ChannelSnapshot>;
  /** What the history keeps in this process (one node); undefined when it lives elsewhere (Redis). */
  historyStats?(): HistoryStats | undefined;
  /** In a worker of `--workers N`: the machine's metrics, every worker's added up (machine-reports.ts). */
  machine?: () => Promise<MachineMetrics>;
}

/**
 * The gauges of the history kept in memory (docs/protocol.md §11.1), read from `stats` at scrape time:
 * a node's own (here) or, with `--workers N`, the machine's in the primary (supervisor/machine-reports.ts).
 * `keeper` names who keeps it in the help texts.
 */
export function historyGauges(
  registry: Registry,
  keeper: 'this node' | 'the machine',
  stats: () => HistoryStats | undefined,
): void {
  const gauge = (name: string, help: string, read: (stats: HistoryStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        const current = stats();
        if (current) this.set(read(current));
      },
    });
  gauge('reverb_history_streams', `Channel streams whose history ${keeper} keeps`, (s) => s.streams);
  gauge('reverb_history_events', `Events ${keeper} keeps in memory for recovery`, (s) => s.events);
  gauge(
    'reverb_history_bytes',
    `Bytes of history ${keeper} keeps in memory, as counted against REVERB_HISTORY_MEMORY_BUDGET`,
    (s) => s.bytes,
  );
}

export class Metrics {
  readonly registry = new Registry();
  private readonly adapterErrors: Counter<'op'>;
  private readonly adapterLatency: Histogram<'op'>;
  private server: Server | undefined;

  constructor(
    private readonly config: MetricsConfig,
    private readonly source: MetricsSource,
  ) {
    const { registry } = this;
    const { traffic } = source;
    collectDefaultMetrics({ register: registry });

    const perApp = (name: string, help: string, read: (stats: RegistryStats) => number) =>
      new Gauge({
        name,
        help,
        labelNames: ['app'],
        registers: [registry],
        collect() {
          for (const [appId] of traffic.entries()) {
            const stats = source.appStats(appId);
            if (stats) this.set({ app: appId }, read(stats));
          }
        },
      });
    perApp('reverb_connections', 'Open WebSocket connections on this node', (s) => s.connections);
    perApp('reverb_channels', 'Occupied channels on this node', (s) => s.channels);
    perApp('reverb_presence_members', 'Presence members on this node', (s) => s.presenceMembers);

    // Only where the history is in this process (one node); a cluster's is in Redis.
    if (source.historyStats?.() !== undefined) {
      historyGauges(registry, 'this node', () => source.historyStats?.());
    }

    new Gauge({
      name: 'reverb_subscriptions',
      help: 'Channel subscriptions on this node, by channel type',
      labelNames: ['app', 'type'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [appId] of traffic.entries()) {
          const byType = new Map<string, number>();
          for (const [name, snapshot] of Object.entries(source.localChannels(appId))) {
            const type = channelType(name);
            byType.set(type, (byType.get(type) ?? 0) + snapshot.subscriptionCount);
          }
          for (const [type, count] of byType) this.set({ app: appId, type }, count);
        }
      },
    });

    const total = (name: string, help: string, read: (t: AppTraffic) => number) =>
      new Counter({
        name,
        help,
        labelNames: ['app'],
        registers: [registry],
        collect() {
          // The numbers only grow; prom-client counters can't be set, so rebuild from them.
          this.reset();
          for (const [appId, t] of traffic.entries()) this.inc({ app: appId }, read(t));
        },
      });
    total('reverb_connections_opened_total', 'WebSocket connections accepted', (t) => t.connectionsOpened);
    total('reverb_messages_received_total', 'WebSocket messages received from clients', (t) => t.messagesIn);
    total('reverb_messages_sent_total', 'WebSocket messages sent to clients', (t) => t.messagesOut);
    total('reverb_bytes_received_total', 'WebSocket payload bytes received', (t) => t.bytesIn);
    total('reverb_bytes_sent_total', 'WebSocket payload bytes sent', (t) => t.bytesOut);
    total('reverb_webhooks_delivered_total', 'Webhook POSTs answered with 2xx', (t) => t.webhooksDelivered);
    total(
      'reverb_webhook_failures_total',
      'Webhook attempts that failed (non-2xx or network)',
      (t) => t.webhookFailures,
    );
    total('reverb_webhooks_dropped_total', 'Webhooks given up after retrying', (t) => t.webhooksDropped);
    total(
      'reverb_sessions_replaced_total',
      'Single session: sessions this node replaced (the sum over nodes counts each once)',
      (t) => t.sessionsReplaced,
    );
    total(
      'reverb_session_closures_total',
      'Single session: connections closed with 4010 on this node, refused sign-ins included',
      (t) => t.sessionClosures,
    );

    new Counter({
      name: 'reverb_http_requests_total',
      help: 'HTTP API requests, by status',
      labelNames: ['app', 'status'],
      registers: [registry],
      collect() {
        this.reset();
        const all: [string, AppTraffic][] = [...traffic.entries(), ['', traffic.unknownApp]];
        for (const [appId, t] of all) {
          for (const [status, count] of t.httpRequests)
            this.inc({ app: appId, status: String(status) }, count);
        }
      },
    });

    this.adapterErrors = new Counter({
      name: 'reverb_adapter_errors_total',
      help: 'Scaling adapter (Redis) failures, by operation',
      labelNames: ['op'],
      registers: [registry],
    });
    this.adapterLatency = new Histogram({
      name: 'reverb_adapter_latency_seconds',
      help: 'Scaling adapter round trips, by operation',
      labelNames: ['op'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers: [registry],
    });
  }

  /** Hook for adapters: a failed operation. */
  adapterError(op: string): void {
    this.adapterErrors.inc({ op });
  }

  /** Hook for adapters: how long an operation took. */
  adapterDuration(op: string, seconds: number): void {
    this.adapterLatency.observe({ op }, seconds);
  }

  /**
   * Times the adapter's publish and query calls, its state's presence joins and leaves and its session
   * claims (single session), and counts
   * its `failure` events (the Redis adapter is an EventEmitter emitting `failure` with `{op}`).
   * Returns an adapter that forwards everything.
   */
  instrument(adapter: Adapter): Adapter {
    if (adapter instanceof EventEmitter) {
      adapter.on('failure', (failure: { op?: unknown }) =>
        this.adapterError(String(failure.op ?? 'unknown')),
      );
    }
    const state = this.timed(adapter.state, new Set(['joinPresence', 'leavePresence']));
    const sessions = this.timed(adapter.sessions, new Set(['claim', 'endOthers', 'peek']));
    return this.timed(
      adapter,
      new Set(['publish', 'query']),
      new Map<PropertyKey, unknown>([
        ['state', state],
        ['sessions', sessions],
      ]),
    );
  }

  /** A proxy of `target` whose `ops` (async methods) are timed, with `replaced` properties swapped in. */
  private timed<T extends object>(
    target: T,
    ops: ReadonlySet<PropertyKey>,
    replaced: ReadonlyMap<PropertyKey, unknown> = new Map(),
  ): T {
    const wrappers = new Map<PropertyKey, unknown>();
    return new Proxy(target, {
      get: (target, property) => {
        if (replaced.has(property)) return replaced.get(property);
        const value = Reflect.get(target, property, target) as unknown;
        if (typeof value !== 'function') return value;
        let wrapped = wrappers.get(property);
        if (wrapped === undefined) {
          const fn = value as (...args: unknown[]) => unknown;
          wrapped = ops.has(property)
            ? (...args: unknown[]) => {
                const started = performance.now();
                const result = fn.apply(target, args) as Promise<unknown>;
                const done = () =>
                  this.adapterDuration(String(property), (performance.now() - started) / 1000);
                result.then(done, done);
                return result;
              }
            : fn.bind(target);
          wrappers.set(property, wrapped);
        }
        return wrapped;
      },
    });
  }

  /** Whether `path` is the metrics page on the main port. */
  servesOnMainPort(path: string): boolean {
    return this.config.port === undefined && path === this.config.path;
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    req.resume();
    if (this.config.token !== undefined) {
      const header = req.headers.authorization ?? '';
      if (!header.startsWith('Bearer ') || !timingSafeEqualText(header.slice(7), this.config.token)) {
        res.writeHead(401, { 'Content-Type': 'application/json', 'WWW-Authenticate': 'Bearer' });
        res.end(JSON.stringify({ error: 'Metrics need Authorization: Bearer <REVERB_METRICS_TOKEN>' }));
        return;
      }
    }
    try {
      const { text, contentType } = this.source.machine
        ? await this.source.machine()
        : { text: await this.registry.metrics(), contentType: this.registry.contentType };
      res.writeHead(200, { 'Content-Type': contentType });
      res.end(text);
    } catch (error) {
      res.writeHead(500, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: `Metrics failed: ${(error as Error).message}` }));
    }
  }

  /** Starts the separate metrics port, when configured. */
  async start(host: string): Promise<number | undefined> {
    if (this.config.port === undefined) return undefined;
    const server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path === this.config.path && req.method === 'GET') void this.handle(req, res);
      else {
        res.writeHead(404, { 'Content-Type': 'application/json' });
        res.end(JSON.stringify({ error: 'Not found' }));
        req.resume();
      }
    });
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.config.port, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    return (server.address() as AddressInfo).port;
  }

  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }
}
