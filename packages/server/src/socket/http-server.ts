/**
 * The listening server: `http`, or `https` when TLS is configured, carrying the HTTP API, `GET /up`
 * and the WebSocket upgrade. It guards against clients that hold a connection without finishing a
 * request (slowloris) and answers requests node's HTTP parser refuses with the API's JSON error shape.
 */
import { readFileSync } from 'node:fs';
import {
  createServer as createPlainServer,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { Duplex } from 'node:stream';
import type { ServerConfig } from '../config/config';

/** How long an idle keep-alive connection stays open (longer than common proxies' 60 s). */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;

export interface HttpServerHandlers {
  readonly request: (req: IncomingMessage, res: ServerResponse) => void;
  readonly upgrade: (req: IncomingMessage, socket: Duplex, head: Buffer) => void;
}

export function createHttpServer(
  config: Pick<ServerConfig, 'httpHeadersTimeout' | 'httpRequestTimeout' | 'tls'>,
  handlers: HttpServerHandlers,
): Server {
  // Slowloris guard: a client dribbling headers (upgrades included) or a body is cut after these
  // timeouts; node checks them every `connectionsCheckingInterval` (30 s by default, too coarse).
  const headersTimeout = Math.round(config.httpHeadersTimeout * 1000);
  const requestTimeout = Math.max(headersTimeout, Math.round(config.httpRequestTimeout * 1000));
  const timeouts = {
    headersTimeout,
    requestTimeout,
    connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
  };
  const server = config.tls
    ? createTlsServer(
        {
          ...timeouts,
          // A client that opens TCP and never finishes the TLS handshake (node's default: 120 s).
          handshakeTimeout: headersTimeout,
          cert: readFileSync(config.tls.cert),
          key: readFileSync(config.tls.key),
        },
        handlers.request,
      )
    : createPlainServer(timeouts, handlers.request);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.on('upgrade', handlers.upgrade);
  server.on('clientError', answerClientError);
  return server;
}

/** A request node's parser refused, a request timeout, or a failed TLS handshake. */
function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
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
}
