/**
 * From an HTTP upgrade to a WebSocket the server accepts or refuses. Connection checks follow
 * docs/protocol.md §1: the upgrade completes, then a refused client gets `pusher:error` with the code and a
 * close with the same code (pusher-js reads the code to decide whether to reconnect).
 */
import { randomInt } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
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
import type { AppConfig, ServerConfig } from '../config/config';
import type { ReverbLogger } from '../shared/logger';
import { ClientSocket } from './connection';
import { originAllowed } from './limits';

const VERSION_FORMAT = /^\d+(\.\d+){0,3}([-+][0-9A-Za-z.\-+]*)?$/;

/** How long a refused peer gets to answer the close handshake before it is cut (ws waits 30 s). */
const REFUSED_CLOSE_GRACE_MS = 5_000;

/** The `ws` server in noServer mode: the HTTP server hands it each upgrade. */
export function createWebSocketServer(
  config: Pick<ServerConfig, 'apps' | 'perMessageDeflate'>,
  logger: ReverbLogger,
): WebSocketServer {
  const largestMessage = Math.max(...config.apps.map((a) => a.maxMessageSize));
  const wss = new WebSocketServer({
    noServer: true,
    WebSocket: ClientSocket,
    perMessageDeflate: config.perMessageDeflate,
    clientTracking: false,
    // Frames over an app's max_message_size get a pusher:error; only absurd ones (4×) are cut by ws (1009).
    maxPayload: largestMessage * 4 + 1024,
  });
  wss.on('error', (error) => logger.error({ err: error }, 'WebSocket server error'));
  return wss;
}

export interface ConnectionRules {
  /** The server's path prefix (REVERB_SERVER_PATH). */
  readonly path: string;
  readonly appsByKey: ReadonlyMap<string, AppConfig>;
  /** The node's connection limit (null = unlimited). */
  readonly maxConnections: number | null;
}

/**
 * Which app an upgrade request is for, or the §1 code it is refused with. `openConnections` is this
 * node's count; the app's own quota counts every node of a cluster and is checked after this.
 */
export function checkConnection(
  req: IncomingMessage,
  rules: ConnectionRules,
  openConnections: number,
): { app: AppConfig } | { code: ErrorCodeValue } {
  let url: URL;
  try {
    url = new URL(req.url ?? '/', 'http://localhost');
  } catch {
    return { code: ErrorCode.PathNotFound };
  }
  const prefix = `${rules.path}/app/`;
  const key = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : '';
  if (key === '' || key.includes('/')) return { code: ErrorCode.PathNotFound };
  let decodedKey: string;
  try {
    decodedKey = decodeURIComponent(key);
  } catch {
    return { code: ErrorCode.AppNotFound };
  }
  const app = rules.appsByKey.get(decodedKey);
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
  if (rules.maxConnections !== null && openConnections >= rules.maxConnections) {
    return { code: ErrorCode.OverCapacity };
  }
  return { app };
}

/** Refuses an accepted WebSocket per §1: error frame, then close with the same code. */
export function rejectConnection(ws: WebSocket, code: ErrorCodeValue): void {
  const { message } = ERROR_CODES[code];
  ws.on('error', () => {});
  ws.send(encodeServerMessage({ event: PusherEvent.Error, data: { code, message } }));
  ws.close(code, message);
  // A peer that ignores the close handshake is cut after a short grace instead of ws's 30 s.
  setTimeout(() => ws.terminate(), REFUSED_CLOSE_GRACE_MS).unref();
}

function newSocketIdHalf(): number {
  return randomInt(1, 1_000_000_001);
}

/** The socket ids in use on this node: each new one is random and unique (`1234.5678`). */
export class SocketIds {
  private readonly used = new Set<string>();

  /** A fresh id, now in use until released. */
  take(): string {
    for (;;) {
      const id = `${newSocketIdHalf()}.${newSocketIdHalf()}`;
      if (!this.used.has(id)) {
        this.used.add(id);
        return id;
      }
    }
  }

  release(id: string): void {
    this.used.delete(id);
  }
}
