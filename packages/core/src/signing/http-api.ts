import { Limits } from '../protocol/limits';
import { hmacSha256Hex, md5Hex, timingSafeEqualHex } from './hmac';

export type HttpParams = Record<string, string | readonly string[]>;

const AUTH_VERSION = '1.0';
const REQUIRED_AUTH_PARAMS = ['auth_key', 'auth_timestamp', 'auth_version', 'auth_signature'] as const;

function decodeComponent(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    // A malformed escape is kept as sent; the signature check then fails with a clear 401.
    return raw;
  }
}

/**
 * Parses a query string (with or without the leading '?'), percent-decoding keys and values.
 * '+' stays '+': node sends raw values and PHP's Guzzle sends `%20`, so a '+' is always literal.
 * The result has no prototype, so a `__proto__` parameter is just a key.
 */
export function parseQueryString(raw: string): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  const query = raw.startsWith('?') ? raw.slice(1) : raw;
  for (const pair of query.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decodeComponent(eq < 0 ? pair : pair.slice(0, eq));
    params[key] = eq < 0 ? '' : decodeComponent(pair.slice(eq + 1));
  }
  return params;
}

function flatten(value: string | readonly string[]): string {
  return typeof value === 'string' ? value : value.join(',');
}

/**
 * The string signed for an HTTP API request (docs/protocol.md §7.2): `METHOD\npath\nk=v&…` with every
 * parameter except `auth_signature`, keys lowercased and sorted bytewise, values NOT escaped and
 * arrays comma-joined.
 */
export function httpSigningString(method: string, path: string, params: HttpParams): string {
  const pairs: [string, string][] = [];
  for (const [key, value] of Object.entries(params)) {
    if (key === 'auth_signature') continue;
    pairs.push([key.toLowerCase(), flatten(value)]);
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const query = pairs.map(([key, value]) => `${key}=${value}`).join('&');
  return `${method.toUpperCase()}\n${path}\n${query}`;
}

export interface SignHttpRequestInput {
  method: string;
  /** Path only, e.g. `/apps/4242/events`: no host, no query. */
  path: string;
  params?: HttpParams | undefined;
  /** The exact body that will be sent; `body_md5` is added when it is non-empty. */
  body?: string | Uint8Array | undefined;
  key: string;
  secret: string;
  /** Unix seconds; defaults to now. */
  timestamp?: number | undefined;
}

/** Returns the query parameters to send: the caller's, plus every `auth_*` and `body_md5`. */
export function signHttpRequest(o: SignHttpRequestInput): Record<string, string> {
  const params: Record<string, string> = Object.create(null);
  for (const [key, value] of Object.entries(o.params ?? {})) params[key] = flatten(value);
  params.auth_key = o.key;
  params.auth_timestamp = String(o.timestamp ?? Math.floor(Date.now() / 1000));
  params.auth_version = AUTH_VERSION;
  if (o.body !== undefined && o.body.length > 0) params.body_md5 = md5Hex(o.body);
  params.auth_signature = hmacSha256Hex(o.secret, httpSigningString(o.method, o.path, params));
  return params;
}

export interface VerifyHttpRequestInput {
  method: string;
  /** The raw request path, without the query. */
  path: string;
  /** Percent-decoded query parameters (see {@link parseQueryString}). */
  params: Record<string, string>;
  body: string | Uint8Array;
  key: string;
  secret: string;
  nowSeconds?: number | undefined;
  windowSeconds?: number | undefined;
}

export type HttpVerification = { ok: true } | { ok: false; status: 401; error: string };

function reject(error: string): HttpVerification {
  return { ok: false, status: 401, error };
}

function isoSeconds(seconds: number): string {
  const date = new Date(seconds * 1000);
  return Number.isNaN(date.getTime()) ? String(seconds) : date.toISOString();
}

/**
 * Server side of docs/protocol.md §7.2. Error messages may quote what the caller sent and the string to
 * sign, never the secret or the expected signature.
 */
export function verifyHttpRequest(o: VerifyHttpRequestInput): HttpVerification {
  const params = o.params;
  const has = (name: string) => Object.hasOwn(params, name);
  const missing = REQUIRED_AUTH_PARAMS.filter((name) => !has(name));
  if (missing.length > 0) return reject(`Missing authentication parameters: ${missing.join(', ')}`);
  const authKey = params.auth_key ?? '';
  const authTimestamp = params.auth_timestamp ?? '';
  const authVersion = params.auth_version ?? '';
  const authSignature = params.auth_signature ?? '';

  if (authVersion !== AUTH_VERSION) {
    return reject(`Unsupported auth_version "${authVersion}": only ${AUTH_VERSION} is supported`);
  }
  if (authKey !== o.key) return reject(`Unknown auth_key "${authKey}" for this app`);

  const now = o.nowSeconds ?? Math.floor(Date.now() / 1000);
  const window = o.windowSeconds ?? Limits.MAX_TIMESTAMP_SKEW_SECONDS;
  if (!/^\d+$/.test(authTimestamp)) {
    return reject(`Invalid auth_timestamp "${authTimestamp}": expected Unix seconds`);
  }
  const timestamp = Number(authTimestamp);
  if (Math.abs(now - timestamp) > window) {
    return reject(
      `Timestamp expired: Given timestamp (${isoSeconds(timestamp)}) not within ${window}s of server time (${isoSeconds(now)})`,
    );
  }

  if (o.body.length > 0) {
    if (!has('body_md5')) return reject('Missing body_md5: a request with a body must sign its MD5');
    const actual = md5Hex(o.body);
    if ((params.body_md5 ?? '').toLowerCase() !== actual) {
      return reject(`body_md5 does not match the request body (its MD5 is ${actual})`);
    }
  }

  const signingString = httpSigningString(o.method, o.path, params);
  const expected = hmacSha256Hex(o.secret, signingString);
  if (!timingSafeEqualHex(authSignature.toLowerCase(), expected)) {
    return reject(
      `Invalid signature: you should have sent HmacSHA256Hex(${JSON.stringify(signingString)}, your_secret_key), but you sent "${authSignature}"`,
    );
  }
  return { ok: true };
}
