/**
 * The server: one node's listening server (socket/http-server.ts) carrying the HTTP API, `GET /up`
 * and the WebSocket upgrade (`ws` in noServer mode, socket/upgrade.ts), each app's channel registry,
 * the cluster adapter, operations (webhooks, metrics, dashboard) and the shared ticker. The
 * constructor builds them in that order, one named step each.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo, ListenOptions } from 'node:net';
import type { Duplex } from 'node:stream';
import { ErrorCode, PusherEvent } from '@react-reverb/core/protocol';
import type { WebSocketServer } from 'ws';
import { type DispatchContext, handleFrame } from './channels/dispatch';
import { AppRegistry, type RegistryStats } from './channels/registry';
import type { AppConfig, ServerConfig } from './config/config';
import { HttpApi, sendJson } from './http-api/http-api';
import { logDestination, Operations, type OperationsOptions } from './operations/operations';
import { drainHttpServer } from './operations/shutdown';
import type { Adapter, AdapterFactory, LocalNode } from './scaling/adapter';
import { adapterFromConfig, waitForCluster } from './scaling/cluster-setup';
import type { WorkerLink } from './scaling/machine-adapter';
import { ReverbEvents } from './shared/hooks';
import { createLogger, frameForLog, type ReverbLogger } from './shared/logger';
import { Ticker, tickIntervalFor } from './shared/timers';
import { Traffic } from './shared/traffic';
import { type ClientSocket, Connection, type ConnectionContext } from './socket/connection';
import { createHttpServer } from './socket/http-server';
import {
  type ConnectionRules,
  checkConnection,
  createWebSocketServer,
  rejectConnection,
  SocketIds,
} from './socket/upgrade';

export interface CreateServerOptions {
  /** Defaults to a pino logger on stdout (`silent` when `quiet`). */
  readonly logger?: ReverbLogger;
  readonly quiet?: boolean;
  /** Scale-out seam: defaults to one node (`LocalAdapter`). */
  readonly adapter?: AdapterFactory;
  readonly serverId?: string;
  /** Webhook timing knobs for tests (operations.ts). */
  readonly operations?: OperationsOptions;
  /**
   * This server is one worker of `reverb start --workers N` (worker.ts): without Redis its adapter is
   * the machine's (scaling/machine-adapter.ts), and metrics and the dashboard show the whole machine.
   */
  readonly worker?: WorkerLink;
}

export interface ServerStats extends RegistryStats {
  readonly apps: Readonly<Record<string, RegistryStats>>;
}

export interface ReverbServer {
  readonly config: ServerConfig;
  readonly serverId: string;
  readonly events: ReverbEvents;
  readonly logger: ReverbLogger;
  /** Webhooks, metrics and the dashboard. */
  readonly operations: Operations;
  /** Starts listening; resolves with the bound address (port 0 picks a free port). */
  listen(): Promise<{ host: string; port: number }>;
  /** Closes every connection (4200, clients reconnect elsewhere) and stops. */
  close(): Promise<void>;
  /** The bound address, once listening. */
  address(): { host: string; port: number } | undefined;
  /** Live counts, for leak tests and health checks. */
  stats(): ServerStats;
}

class ReverbServerImpl implements ReverbServer {
  readonly serverId: string;
  readonly events = new ReverbEvents();
  readonly logger: ReverbLogger;
  readonly operations: Operations;
  private readonly traffic: Traffic;
  private readonly adapter: Adapter;
  private readonly registries = new Map<string, AppRegistry>();
  /** One per app, shared by its connections: nothing per connection to allocate, no lookup per frame. */
  private readonly connectionContexts = new Map<string, ConnectionContext>();
  private readonly rules: ConnectionRules;
  private readonly socketIds = new SocketIds();
  private readonly httpApi: HttpApi;
  private readonly wss: WebSocketServer;
  private readonly http: Server;
  private readonly ticker: Ticker;
  private connectionCount = 0;
  private bound: { host: string; port: number } | undefined;
  /** `close()` was called: a `listen()` still waiting for Redis must not open the port after it. */
  private closing = false;
  private readonly worker: WorkerLink | undefined;

  constructor(
    readonly config: ServerConfig,
    options: CreateServerOptions,
  ) {
    this.serverId = options.serverId ?? randomUUID();
    this.traffic = new Traffic(config.apps.map((app) => app.id));
    this.logger = options.logger ?? this.defaultLogger(options.quiet === true, options.worker);
    this.worker = options.worker;
    const adapter = (options.adapter ?? adapterFromConfig(config, this, this.worker))(this.localNode());
    this.operations = new Operations(
      {
        serverId: this.serverId,
        config,
        events: this.events,
        logger: this.logger,
        traffic: this.traffic,
        registries: this.registries,
        worker: this.worker,
      },
      adapter,
      options.operations,
    );
    // With metrics on, the adapter the rest of the server uses is the timed one.
    this.adapter = this.operations.adapter;
    this.rules = this.createRegistries();
    this.httpApi = new HttpApi({
      pathPrefix: config.path,
      maxRequestSize: config.maxRequestSize,
      appsById: new Map(config.apps.map((app) => [app.id, app])),
      adapter: this.adapter,
      events: this.events,
      logger: this.logger,
    });
    this.wss = createWebSocketServer(config, this.logger);
    this.http = createHttpServer(config, {
      request: (req, res) => this.onRequest(req, res),
      upgrade: (req, socket, head) => this.onUpgrade(req, socket, head),
    });
    this.ticker = this.createTicker();
  }

  // ───────────── construction steps ─────────────

  /**
   * pino on stdout, its warnings and errors also kept for the dashboard; silent when `quiet`. A
   * worker's lines also carry its slot and pid (which worker took a connection, in a debug log).
   */
  private defaultLogger(quiet: boolean, worker: WorkerLink | undefined): ReverbLogger {
    const logger = createLogger({
      serverId: this.serverId,
      debug: this.config.debug,
      ...(quiet ? { level: 'silent' } : { destination: logDestination(this.traffic) }),
    });
    return worker ? logger.child({ worker: worker.slot, pid: process.pid }) : logger;
  }

  /** What this node offers its adapter: cluster messages applied to its registries, questions answered. */
  private localNode(): LocalNode {
    return {
      apply: (message) => {
        // --debug logs a broadcast once, not once per recipient.
        if (this.config.debug) {
          this.logger.debug(
            message.type === 'broadcast'
              ? {
                  appId: message.appId,
                  direction: 'broadcast',
                  channel: message.channel,
                  frame: frameForLog(message.frame),
                }
              : { appId: message.appId, direction: message.type, userId: message.userId },
          );
        }
        this.registries.get(message.appId)?.apply(message);
      },
      answer: (query) => {
        const registry = this.registries.get(query.appId);
        if (!registry) throw new Error(`Unknown app ${query.appId}`);
        return registry.answer(query);
      },
    };
  }

  /** Each app's registry, and the context its connections share; returns the upgrade checks' rules. */
  private createRegistries(): ConnectionRules {
    const { config } = this;
    const appsByKey = new Map<string, AppConfig>();
    const onStateError = (error: unknown) => this.logger.warn({ err: error }, 'shared state update failed');
    const onAdapterError = (error: unknown) => this.logger.warn({ err: error }, 'adapter publish failed');
    const warn = (details: Record<string, unknown>, message: string) => this.logger.warn(details, message);
    for (const app of config.apps) {
      appsByKey.set(app.key, app);
      const registry = new AppRegistry(app, this.events, config.maxBufferedBytes, this.adapter, onStateError);
      this.registries.set(app.id, registry);
      const dispatch: DispatchContext = {
        registry,
        adapter: this.adapter,
        events: this.events,
        onAdapterError,
        warn,
      };
      this.connectionContexts.set(app.id, {
        logger: this.logger,
        debug: config.debug,
        maxBufferedBytes: config.maxBufferedBytes,
        traffic: this.traffic,
        onFrame: (conn, frame) => handleFrame(conn, frame, dispatch),
        onClosed: (conn, code) => this.closed(conn, code),
      });
    }
    return { path: config.path, appsByKey, maxConnections: config.maxConnections };
  }

  /**
   * One timer for every periodic task: activity checks (§9), throttled subscription counts, and
   * history housekeeping (§11.1), the latter once a second.
   */
  private createTicker(): Ticker {
    const ticker = new Ticker(tickIntervalFor(this.config.apps.map((a) => a.pingInterval)), (error) =>
      this.logger.error({ err: error }, 'periodic task failed'),
    );
    ticker.add((now) => this.checkActivity(now));
    ticker.add((now) => {
      for (const registry of this.registries.values()) registry.tick(now);
    });
    ticker.add(
      (now) => {
        for (const registry of this.registries.values()) registry.pruneApplied(now);
      },
      { everyMs: 1_000 },
    );
    // §11.1: a store that keeps history in this process drops expired events; it visits every stream.
    const { history } = this.adapter;
    if (history.sweep) ticker.add((now) => history.sweep?.(now), { everyMs: 1_000 });
    return ticker;
  }

  // ───────────── lifecycle ─────────────

  async listen(): Promise<{ host: string; port: number }> {
    await waitForCluster(this.adapter, this.logger);
    if (this.closing) throw new Error('the server was closed before it started listening');
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.http.once('error', onError);
      // A worker with SO_REUSEPORT binds its own socket (`exclusive`), not the primary's shared one.
      const where: ListenOptions & { reusePort?: boolean } = this.worker?.reusePort
        ? { port: this.config.port, host: this.config.host, reusePort: true, exclusive: true }
        : { port: this.config.port, host: this.config.host };
      this.http.listen(where, () => {
        this.http.off('error', onError);
        this.http.on('error', (error) => this.logger.error({ err: error }, 'HTTP server error'));
        const address = this.http.address() as AddressInfo;
        this.bound = { host: this.config.host, port: address.port };
        this.ticker.start();
        const bound = this.bound;
        this.operations.start(this.config.host).then(() => resolve(bound), reject);
      });
    });
  }

  async close(): Promise<void> {
    this.closing = true;
    this.ticker.stop();
    const deadlineMs = Date.now() + this.operations.settings.shutdownTimeoutMs;
    // Stop accepting first; requests already in flight are drained below, until the deadline.
    const httpClosed = new Promise<void>((resolve) => this.http.close(() => resolve()));
    const closing: Promise<void>[] = [];
    for (const registry of this.registries.values()) {
      for (const conn of registry.connections) {
        closing.push(new Promise((resolve) => conn.ws.once('close', () => resolve())));
        conn.close(ErrorCode.ReconnectImmediately, 'Server shutting down');
      }
    }
    // Give clients a moment to answer the close handshake, then cut whatever is left.
    const timeout = new Promise<void>((resolve) => setTimeout(resolve, 1000).unref());
    await Promise.race([Promise.all(closing), timeout]);
    for (const registry of this.registries.values()) {
      for (const conn of registry.connections) conn.ws.terminate();
    }
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
    await drainHttpServer(this.http, httpClosed, deadlineMs);
    // Leaves still waiting for the shared state may yet end in member_removed: its webhook goes out.
    await this.adapter.settled?.();
    await this.operations.close(deadlineMs);
    await this.adapter.close();
  }

  address(): { host: string; port: number } | undefined {
    return this.bound;
  }

  stats(): ServerStats {
    const apps: Record<string, RegistryStats> = {};
    const total = {
      connections: 0,
      channels: 0,
      subscriptions: 0,
      presenceMembers: 0,
      users: 0,
      watchers: 0,
      sessionUsers: 0,
      held: 0,
    };
    for (const [id, registry] of this.registries) {
      const stats = registry.stats();
      apps[id] = stats;
      for (const key of Object.keys(total) as (keyof typeof total)[]) total[key] += stats[key];
    }
    return { ...total, apps };
  }

  // ───────────── HTTP ─────────────

  private onRequest(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const q = url.indexOf('?');
    const rawPath = q < 0 ? url : url.slice(0, q);
    const rawQuery = q < 0 ? '' : url.slice(q + 1);
    // Reverb serves `{REVERB_SERVER_PATH}/up`; the bare `/up` stays for our own process managers.
    const health = rawPath === '/up' || rawPath === `${this.config.path}/up`;
    if (health && (req.method === 'GET' || req.method === 'HEAD')) {
      sendJson(res, 200, { health: 'OK' });
      return;
    }
    if (this.httpApi.handles(rawPath)) {
      if (this.config.debug) {
        // The path only: the query carries auth_signature.
        res.once('finish', () =>
          this.logger.debug({ method: req.method, path: rawPath, status: res.statusCode }, 'HTTP API'),
        );
      }
      this.operations.countHttp(rawPath, res);
      void this.httpApi.handle(req, res, rawPath, rawQuery);
      return;
    }
    if (this.operations.handle(req, res, rawPath, rawQuery)) return;
    sendJson(res, 404, { error: `Not found: ${rawPath.slice(0, 200)}` });
    req.resume();
  }

  // ───────────── WebSocket ─────────────

  /**
   * Shared by every upgrading socket. A listener made inside `onUpgrade` would share that call's
   * closure scope with the upgrade callback, and so keep the request (headers and all) alive for as
   * long as the socket lives.
   */
  private readonly onUpgradeError = (error: Error): void => {
    this.logger.debug({ err: error }, 'socket error during upgrade');
  };

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', this.onUpgradeError);
    try {
      this.wss.handleUpgrade(req, socket, head, (ws) => this.onWebSocket(ws as ClientSocket, req));
    } catch (error) {
      this.logger.warn({ err: error }, 'upgrade failed');
      socket.destroy();
    }
  }

  private onWebSocket(ws: ClientSocket, req: IncomingMessage): void {
    const checked = checkConnection(req, this.rules, this.connectionCount);
    if ('code' in checked) {
      this.logger.debug({ code: checked.code, url: req.url?.slice(0, 200) }, 'connection refused');
      rejectConnection(ws, checked.code);
      return;
    }
    const { app } = checked;
    // The app's connection quota counts every node of a cluster.
    this.adapter.state.reserveConnection(app.id, app.maxConnections).then(
      (reserved) => {
        if (!reserved) {
          this.logger.debug({ appId: app.id }, 'connection refused: over the app quota');
          rejectConnection(ws, ErrorCode.OverConnectionQuota);
        } else if (ws.readyState !== ws.OPEN) {
          void this.adapter.state.releaseConnection(app.id);
        } else {
          this.accept(ws, app);
        }
      },
      (error: unknown) => {
        this.logger.error({ err: error }, 'connection quota check failed');
        ws.terminate();
      },
    );
  }

  /** An accepted connection: its socket id, frame handling, and cleanup on close. */
  private accept(ws: ClientSocket, app: AppConfig): void {
    const registry = this.registries.get(app.id) as AppRegistry;
    const socketId = this.socketIds.take();
    const conn = new Connection(ws, socketId, app, this.connectionContexts.get(app.id) as ConnectionContext);
    this.connectionCount++;
    registry.addConnection(conn);
    this.events.emit('connection_opened', { appId: app.id, socketId });
    conn.sendMessage({
      event: PusherEvent.ConnectionEstablished,
      data: { socket_id: socketId, activity_timeout: app.activityTimeout },
    });
  }

  /** The socket of an accepted connection closed. */
  private closed(conn: Connection, code: number): void {
    const { app, socketId } = conn;
    this.connectionCount--;
    this.socketIds.release(socketId);
    this.registries.get(app.id)?.removeConnection(conn);
    void this.adapter.state.releaseConnection(app.id);
    this.events.emit('connection_closed', { appId: app.id, socketId, code });
  }

  /** §9, on the shared tick: each connection checks its own silence (see `Connection.checkActivity`). */
  private checkActivity(nowMs: number): void {
    for (const registry of this.registries.values()) {
      for (const conn of registry.connections) conn.checkActivity(nowMs);
    }
  }
}

/** Creates a server for in-process use (`listen()` to start). */
export function createReverbServer(config: ServerConfig, options: CreateServerOptions = {}): ReverbServer {
  return new ReverbServerImpl(config, options);
}
