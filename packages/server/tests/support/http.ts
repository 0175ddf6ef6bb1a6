/**
 * HTTP API requests written by hand (signed, mis-signed, malformed) over node:http, for what the `pusher`
 * SDK would not send; the SDK's own calls are in http-api.ts.
 */
import { request as httpRequest } from 'node:http';
import { signHttpRequest } from '@react-reverb/core/signing';
import type { AppCredentials } from './auth';

export interface ApiTarget {
  readonly port: number;
  readonly app: AppCredentials;
}

export interface ApiAnswer {
  readonly status: number;
  readonly text: string;
  readonly headers: Record<string, string | string[] | undefined>;
}

/** Percent-encodes every value, as the SDKs do; the server decodes before verifying. */
export function queryOf(params: Record<string, string>): string {
  return Object.entries(params)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`)
    .join('&');
}

/** Sends bytes exactly as given (path and query unescaped by us), over node:http. */
export function rawRequest(
  port: number,
  method: string,
  pathAndQuery: string,
  body?: string | Buffer,
  headers: Record<string, string> = {},
): Promise<ApiAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method,
        path: pathAndQuery,
        headers: {
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...headers,
        },
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            headers: res.headers,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

export interface SignOptions {
  readonly body?: string;
  readonly params?: Record<string, string>;
  readonly timestamp?: number;
}

/** `fullPath` (e.g. `/apps/4242/events`) with the query that signs it for `app`, as the SDKs encode it. */
export function signedPath(
  app: AppCredentials,
  method: string,
  fullPath: string,
  options: SignOptions = {},
): string {
  const params = signHttpRequest({
    method,
    path: fullPath,
    params: options.params ?? {},
    ...(options.body === undefined ? {} : { body: options.body }),
    key: app.key,
    secret: app.secret,
    ...(options.timestamp === undefined ? {} : { timestamp: options.timestamp }),
  });
  return `${fullPath}?${queryOf(params)}`;
}

/** A correctly signed request; `path` is relative to `/apps/{id}` (e.g. `/events`). */
export function signedRequest(
  t: ApiTarget,
  method: 'GET' | 'POST',
  path: string,
  options: SignOptions & { appId?: string } = {},
): Promise<ApiAnswer> {
  const fullPath = `/apps/${options.appId ?? t.app.id}${path}`;
  return rawRequest(t.port, method, signedPath(t.app, method, fullPath, options), options.body);
}

/** A 4xx answer must be JSON `{"error": "<non-empty string>"}`; returns the message. */
export function errorMessageOf(answer: ApiAnswer): string {
  const parsed = JSON.parse(answer.text) as { error?: unknown };
  if (typeof parsed.error !== 'string' || parsed.error === '') {
    throw new Error(`not a JSON error body: ${answer.status} ${answer.text}`);
  }
  return parsed.error;
}

/** A trigger still being sent: `finish()` sends the rest of its body; `response` settles after that. */
export interface InFlightTrigger {
  finish(): void;
  readonly response: Promise<{ status: number; body: string }>;
}

/**
 * A signed HTTP API trigger (`late` on `news`) whose body is sent in two parts, so it is in flight while
 * the server is told to stop: the test calls `finish()` once the stop has begun.
 */
export function slowTrigger(port: number, app: AppCredentials): InFlightTrigger {
  const body = JSON.stringify({ name: 'late', channels: ['news'], data: '{}' });
  const path = signedPath(app, 'POST', `/apps/${app.id}/events`, { body });
  let finish = () => {};
  const response = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.on('data', (chunk) => {
          text += chunk;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', reject);
    req.write(body.slice(0, 10));
    req.flushHeaders();
    finish = () => req.end(body.slice(10));
  });
  return { finish: () => finish(), response };
}
