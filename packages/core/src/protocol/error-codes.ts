/**
 * Pusher error and close codes (docs/protocol.md §4) with what a client should do on each.
 * One table: the server takes messages from it, the client takes the reconnect policy.
 */
export type ReconnectPolicy =
  /** Don't reconnect unchanged (4000–4099, and ≥ 4300 as pusher-js does). */
  | 'stop'
  /** Back off, then reconnect (4100–4199, 1002–1004). */
  | 'backoff'
  /** Reconnect at once (4200–4299). */
  | 'now'
  /** Reconnect after a short delay (other codes below 4000). */
  | 'retry';

// The codes the client acts on are their own constants too, so a bundle keeps them without the tables.
export const SSL_ONLY = 4000;
export const RECONNECT_IMMEDIATELY = 4200;
export const PONG_NOT_RECEIVED = 4201;
/** Our extension (docs/protocol.md §11.2): a newer sign-in of the same user replaced this session. */
export const SESSION_REPLACED_CODE = 4010;

export const ErrorCode = {
  SslOnly: SSL_ONLY,
  AppNotFound: 4001,
  AppDisabled: 4003,
  OverConnectionQuota: 4004,
  PathNotFound: 4005,
  InvalidVersionString: 4006,
  UnsupportedProtocol: 4007,
  NoProtocol: 4008,
  Unauthorized: 4009,
  SessionReplaced: SESSION_REPLACED_CODE,
  OverCapacity: 4100,
  ReconnectImmediately: RECONNECT_IMMEDIATELY,
  PongNotReceived: PONG_NOT_RECEIVED,
  ClosedAfterInactivity: 4202,
  ClientEventRateLimit: 4301,
  WatchlistTruncated: 4302,
} as const;

export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

export interface ErrorCodeInfo {
  readonly code: ErrorCodeValue;
  readonly message: string;
  readonly policy: ReconnectPolicy;
  /** True when the code is meant as a close code; false for `pusher:error` only (43xx). */
  readonly closes: boolean;
}

export const ERROR_CODES: Readonly<Record<ErrorCodeValue, ErrorCodeInfo>> = {
  4000: {
    code: 4000,
    message: 'Application only accepts SSL connections, reconnect using wss://',
    policy: 'now',
    closes: true,
  },
  4001: { code: 4001, message: 'Application does not exist', policy: 'stop', closes: true },
  4003: { code: 4003, message: 'Application disabled', policy: 'stop', closes: true },
  4004: { code: 4004, message: 'Application is over connection quota', policy: 'stop', closes: true },
  4005: { code: 4005, message: 'Path not found', policy: 'stop', closes: true },
  4006: { code: 4006, message: 'Invalid version string format', policy: 'stop', closes: true },
  4007: { code: 4007, message: 'Unsupported protocol version', policy: 'stop', closes: true },
  4008: { code: 4008, message: 'No protocol version supplied', policy: 'stop', closes: true },
  4009: { code: 4009, message: 'Connection is unauthorized', policy: 'stop', closes: true },
  4010: { code: 4010, message: 'Session replaced by a newer sign-in', policy: 'stop', closes: true },
  4100: { code: 4100, message: 'Over capacity', policy: 'backoff', closes: true },
  4200: { code: 4200, message: 'Generic reconnect immediately', policy: 'now', closes: true },
  4201: { code: 4201, message: 'Pong reply not received', policy: 'now', closes: true },
  4202: { code: 4202, message: 'Closed after inactivity', policy: 'now', closes: true },
  4301: { code: 4301, message: 'Client event rejected due to rate limit', policy: 'stop', closes: false },
  4302: {
    code: 4302,
    message: 'Watchlist limit exceeded, first 100 ids accepted',
    policy: 'stop',
    closes: false,
  },
};

/**
 * What a client does when the socket closes with `code` (docs/protocol.md §4 ranges, pusher-js specifics):
 * 4000–4099 stop (4000 reconnects now over TLS), 4100–4199 back off, 4200–4299 now, ≥ 4300 stop,
 * 1002–1004 back off, anything else retry shortly.
 */
export function reconnectPolicyFor(code: number): ReconnectPolicy {
  if (code === SSL_ONLY) return 'now';
  if (code >= 4000 && code <= 4099) return 'stop';
  if (code >= 4100 && code <= 4199) return 'backoff';
  if (code >= 4200 && code <= 4299) return 'now';
  if (code >= 4300) return 'stop';
  if (code >= 1002 && code <= 1004) return 'backoff';
  return 'retry';
}

export function errorMessageFor(code: ErrorCodeValue): string {
  return ERROR_CODES[code].message;
}
