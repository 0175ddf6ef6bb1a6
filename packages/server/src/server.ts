/**
 * The server: one node `http`/`https` server carrying the HTTP API, `GET /up` and the WebSocket
 * upgrade (`ws` in noServer mode). Connection checks follow protocol.md §1: the upgrade completes,
 * then a refused client gets `pusher:error` with the code and a close with the same code.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import {
  createServer as createHttpServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  ERROR_CODES,
  ErrorCode,
  type ErrorCodeValue,
  encodeServerMessage,
  MAX_PROTOCOL_VERSION,
  MIN_PROTOCOL_VERSION,
  PusherEvent,
} from '@react-reverb/core/protocol';
import { type WebSocket, WebSocketServer } from 'ws';
import { type DispatchContext, handleFrame } from './channels/dispatch';
import { AppRegistry, type RegistryStats } from './channels/registry';
import type { AppConfig, ServerConfig } from './config/config';
import { HttpApi, sendJson } from './http-api/http-api';
import { logDestination, Operations, type OperationsOptions } from './operations/operations';
import { drainHttpServer } from './operations/shutdown';
import { type Adapter, type AdapterFactory, LocalAdapter, type LocalNode } from './scaling/adapter';
import { RedisAdapter } from './scaling/redis-adapter';
import { REDIS_CONNECT_TIMEOUT_MS } from './scaling/redis-connection';
import { ReverbEvents } from './shared/hooks';
import { createLogger, frameForLog, type ReverbLogger } from './shared/logger';
import { Ticker, tickIntervalFor } from './shared/timers';
import { Traffic } from './shared/traffic';
import { ClientSocket, Connection, type ConnectionContext } from './socket/connection';
import { originAllowed } from './socket/limits';

export interface CreateServerOptions {
  /** Defaults to a pino logger on stdout (`silent` when `quiet`). */
  readonly logger?: ReverbLogger;
  readonly quiet?: boolean;
  /** Scale-out seam: defaults to one node (`LocalAdapter`). */
  readonly adapter?: AdapterFactory;
  readonly serverId?: string;
  /** Webhook timing knobs for tests (operations.ts). */
  readonly operations?: OperationsOptions;
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

const VERSION_FORMAT = /^\d+(\.\d+){0,3}([-+][0-9A-Za-z.\-+]*)?$/;

function newSocketIdHalf(): number {
  return randomInt(1, 1_000_000_001);
}

class ReverbServerImpl implements ReverbServer {
  readonly serverId: string;
  readonly events = new ReverbEvents();
  readonly logger: ReverbLogger;
  readonly operations: Operations;
  private readonly traffic: Traffic;
  private readonly http: Server;
  private readonly wss: WebSocketServer;
  private readonly registries = new Map<string, AppRegistry>();
  /** One per app, shared by its connections: nothing per connection to allocate, no lookup per frame. */
  private readonly connectionContexts = new Map<string, ConnectionContext>();
  private readonly appsByKey = new Map<string, AppConfig>();
  private readonly appsById = new Map<string, AppConfig>();
  private readonly socketIds = new Set<string>();
  private readonly adapter: Adapter;
  private readonly httpApi: HttpApi;
  private readonly ticker: Ticker;
  private connectionCount = 0;
  private bound: { host: string; port: number } | undefined;
  /** `close()` was called: a `listen()` still waiting for Redis must not open the port after it. */
  private closing = false;

  constructor(
    readonly config: ServerConfig,
    options: CreateServerOptions,
  ) {
    this.serverId = options.serverId ?? randomUUID();
    this.traffic = new Traffic(config.apps.map((app) => app.id));
    this.logger =
      options.logger ??
      createLogger({
        serverId: this.serverId,
        debug: config.debug,
        ...(options.quiet ? { level: 'silent' } : { destination: logDestination(this.traffic) }),
      });
    const node: LocalNode = {
      apply: (message) => {
        // --debug logs a broadcast once, not once per recipient.
        if (config.debug) {
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
    this.adapter = (options.adapter ?? this.defaultAdapter())(node);
    this.operations = new Operations(
      {
        serverId: this.serverId,
        config,
        events: this.events,
        logger: this.logger,
        traffic: this.traffic,
        registries: this.registries,
      },
      this.adapter,
      options.operations,
    );
    this.adapter = this.operations.adapter;
    const onStateError = (error: unknown) => this.logger.warn({ err: error }, 'shared state update failed');
    for (const app of config.apps) {
      this.appsByKey.set(app.key, app);
      this.appsById.set(app.id, app);
      this.registries.set(
        app.id,
        new AppRegistry(app, this.events, config.maxBufferedBytes, this.adapter, onStateError),
      );
    }
    const onAdapterError = (error: unknown) => this.logger.warn({ err: error }, 'adapter publish failed');
    const warn = (details: Record<string, unknown>, message: string) => this.logger.warn(details, message);
    for (const [appId, registry] of this.registries) {
      const dispatch: DispatchContext = {
        registry,
        adapter: this.adapter,
        events: this.events,
        onAdapterError,
        warn,
      };
      this.connectionContexts.set(appId, {
        logger: this.logger,
        debug: config.debug,
        maxBufferedBytes: config.maxBufferedBytes,
        traffic: this.traffic,
        onFrame: (conn, frame) => handleFrame(conn, frame, dispatch),
        onClosed: (conn, code) => this.closed(conn, code),
      });
    }
    this.httpApi = new HttpApi({
      pathPrefix: config.path,
      maxRequestSize: config.maxRequestSize,
      appsById: this.appsById,
      adapter: this.adapter,
      events: this.events,
      logger: this.logger,
    });

    const largestMessage = Math.max(...config.apps.map((a) => a.maxMessageSize));
    this.wss = new WebSocketServer({
      noServer: true,
      WebSocket: ClientSocket,
      perMessageDeflate: config.perMessageDeflate,
      clientTracking: false,
      // Frames over an app's max_message_size get a pusher:error; only absurd ones (4×) are cut by ws (1009).
      maxPayload: largestMessage * 4 + 1024,
    });
    this.wss.on('error', (error) => this.logger.error({ err: error }, 'WebSocket server error'));

    const onRequest = (req: IncomingMessage, res: ServerResponse) => this.onRequest(req, res);
    // Slowloris guard: a client dribbling headers (upgrades included) or a body is cut after these
    // timeouts; node checks them every `connectionsCheckingInterval` (30 s by default, too coarse).
    const headersTimeout = Math.round(config.httpHeadersTimeout * 1000);
    const requestTimeout = Math.max(headersTimeout, Math.round(config.httpRequestTimeout * 1000));
    const timeouts = {
      headersTimeout,
      requestTimeout,
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    };
    this.http = config.tls
      ? createHttpsServer(
          {
            ...timeouts,
            // A client that opens TCP and never finishes the TLS handshake (node's default: 120 s).
            handshakeTimeout: headersTimeout,
            cert: readFileSync(config.tls.cert),
            key: readFileSync(config.tls.key),
          },
          onRequest,
        )
      : createHttpServer(timeouts, onRequest);
    this.http.keepAliveTimeout = 65_000;
    this.http.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) =>
      this.onUpgrade(req, socket, head),
    );
    this.http.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // Only HTTP parser errors get an answer; TLS handshake failures and timeouts (which https also
      // reports here) have no HTTP stream to write to: ending one would wait for the handshake forever.
      const httpError = error.code?.startsWith('HPE_') === true || error.code === 'ERR_HTTP_REQUEST_TIMEOUT';
      if (!httpError || !socket.writable) {
        socket.destroy();
        return;
      }
      // Requests node's parser refuses still get the API's JSON error shape.
      const [status, reason] =
        error.code === 'HPE_HEADER_OVERFLOW'
          ? [431, 'Request Header Fields Too Large']
          : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
            ? [408, 'Request Timeout']
            : [400, 'Bad Request'];
      const body = JSON.stringify({ error: reason });
      socket.end(
        `HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      );
    });

    this.ticker = new Ticker(
      tickIntervalFor(config.apps.flatMap((a) => [a.activityTimeout, a.pingInterval])),
      (error) => this.logger.error({ err: error }, 'periodic task failed'),
    );
    this.ticker.add((now) => this.checkActivity(now));
    this.ticker.add((now) => {
      for (const registry of this.registries.values()) registry.tick(now);
    });
  }

  /** One node, or a cluster over Redis when REVERB_SCALING_ENABLED (issue 4). */
  private defaultAdapter(): AdapterFactory {
    const { scaling, apps } = this.config;
    if (!scaling.enabled) return (node) => new LocalAdapter(node);
    const { url, host, port, db } = scaling.redis;
    // Where, never credentials: a URL is logged without its user info.
    const where = url === undefined ? `${host}:${port}/${db}` : redactUrl(url);
    this.logger.info({ redis: where, channel: scaling.channel }, 'scaling out over Redis');
    return (node) => {
      const adapter = new RedisAdapter(node, {
        nodeId: this.serverId,
        redis: scaling.redis,
        prefix: scaling.channel,
        apps: apps.map((app) => app.id),
        logger: this.logger,
      });
      // A dead node's members leave through the node that purged it: webhooks go out from here.
      adapter.on('member_purged', (removed) => this.events.emit('member_removed', removed));
      return adapter;
    };
  }

  // ───────────── lifecycle ─────────────

  async listen(): Promise<{ host: string; port: number }> {
    await this.clusterReady();
    if (this.closing) throw new Error('the server was closed before it started listening');
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.http.once('error', onError);
      this.http.listen(this.config.port, this.config.host, () => {
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

  /**
   * A cluster node takes clients once it reaches Redis: a client that connected earlier would miss the
   * other nodes' events, and the node would log Redis failures for it. Redis may be down, though, so the
   * wait is bounded; after it the node serves its own clients until Redis is back.
   */
  private async clusterReady(): Promise<void> {
    const ready = this.adapter.ready?.();
    if (ready === undefined) return;
    let timer: NodeJS.Timeout | undefined;
    const reached = await Promise.race([
      ready.then(() => true),
      new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), REDIS_CONNECT_TIMEOUT_MS);
      }),
    ]);
    clearTimeout(timer);
    if (!reached) {
      this.logger.warn(
        `Redis not reachable within ${REDIS_CONNECT_TIMEOUT_MS / 1000} s: taking clients anyway, served by this node alone until it is`,
      );
    }
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
    if (rawPath === '/up' && (req.method === 'GET' || req.method === 'HEAD')) {
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

  /** Rejects an accepted WebSocket per §1: error frame, then close with the same code. */
  private reject(ws: WebSocket, code: ErrorCodeValue): void {
    const { message } = ERROR_CODES[code];
    ws.on('error', () => {});
    ws.send(encodeServerMessage({ event: PusherEvent.Error, data: { code, message } }));
    ws.close(code, message);
    // A peer that ignores the close handshake is cut after a short grace instead of ws's 30 s.
    setTimeout(() => ws.terminate(), 5_000).unref();
  }

  private checkConnection(req: IncomingMessage): { app: AppConfig } | { code: ErrorCodeValue } {
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://localhost');
    } catch {
      return { code: ErrorCode.PathNotFound };
    }
    const prefix = `${this.config.path}/app/`;
    const key = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
    if (key === '' || key.includes('/')) return { code: ErrorCode.PathNotFound };
    let decodedKey: string;
    try {
      decodedKey = decodeURIComponent(key);
    } catch {
      return { code: ErrorCode.AppNotFound };
    }
    const app = this.appsByKey.get(decodedKey);
    if (!app) return { code: ErrorCode.AppNotFound };
    if (!app.enabled) return { code: ErrorCode.AppDisabled };
    const secure =
      (req.socket as { encrypted?: boolean }).encrypted === true ||
      req.headers['x-forwarded-proto'] === 'https';
    if (app.sslOnly && !secure) return { code: ErrorCode.SslOnly };
    const protocol = url.searchParams.get('protocol');
    if (protocol === null || protocol === '') return { code: ErrorCode.NoProtocol };
    const version = Number(protocol);
    if (!/^\d+$/.test(protocol) || version < MIN_PROTOCOL_VERSION || version > MAX_PROTOCOL_VERSION) {
      return { code: ErrorCode.UnsupportedProtocol };
    }
    const clientVersion = url.searchParams.get('version');
    if (clientVersion !== null && !VERSION_FORMAT.test(clientVersion))
      return { code: ErrorCode.InvalidVersionString };
    if (!originAllowed(req.headers.origin, app.allowedOrigins)) return { code: ErrorCode.Unauthorized };
    if (this.config.maxConnections !== null && this.connectionCount >= this.config.maxConnections) {
      return { code: ErrorCode.OverCapacity };
    }
    // The app's connection quota is checked in onWebSocket: it counts every node of a cluster.
    return { app };
  }

  private newSocketId(): string {
    for (;;) {
      const id = `${newSocketIdHalf()}.${newSocketIdHalf()}`;
      if (!this.socketIds.has(id)) return id;
    }
  }

  private onWebSocket(ws: ClientSocket, req: IncomingMessage): void {
    const checked = this.checkConnection(req);
    if ('code' in checked) {
      this.logger.debug({ code: checked.code, url: req.url?.slice(0, 200) }, 'connection refused');
      this.reject(ws, checked.code);
      return;
    }
    const { app } = checked;
    this.adapter.state.reserveConnection(app.id, app.maxConnections).then(
      (reserved) => {
        if (!reserved) {
          this.logger.debug({ appId: app.id }, 'connection refused: over the app quota');
          this.reject(ws, ErrorCode.OverConnectionQuota);
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
    const socketId = this.newSocketId();
    const conn = new Connection(ws, socketId, app, this.connectionContexts.get(app.id) as ConnectionContext);
    this.socketIds.add(socketId);
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
    this.socketIds.delete(socketId);
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

function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = '';
    parsed.password = '';
    return parsed.toString();
  } catch {
    return '(unparsable REDIS_URL)';
  }
}
