/**
 * One JSON-lines logger (pino) for the whole server; every line carries the `serverId`.
 * Secrets never reach it: apps are logged as `{id, key}` only, and frames only at debug level,
 * where sign-in and subscription auth strings are redacted.
 */
import { type DestinationStream, type Logger, pino } from 'pino';

export type ReverbLogger = Logger;

export interface LoggerOptions {
  readonly serverId: string;
  readonly debug?: boolean;
  /** 'silent' for embedded use and tests. */
  readonly level?: 'silent' | 'error' | 'warn' | 'info' | 'debug';
  readonly destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): ReverbLogger {
  const level = options.level ?? (options.debug ? 'debug' : 'info');
  const settings = {
    level,
    base: { serverId: options.serverId },
    // Belt and braces: should an object with a secret ever be logged, pino masks it.
    redact: { paths: ['secret', '*.secret', 'apps[*].secret', 'auth', '*.auth'], censor: '[redacted]' },
  };
  return options.destination ? pino(settings, options.destination) : pino(settings);
}

const AUTH_FIELD = /("(?:auth|auth_signature)"\s*:\s*")[^"]*(")/g;

/** A frame as it may appear in a debug log: auth signatures masked, long frames cut. */
export function frameForLog(frame: string): string {
  const masked = frame.replace(AUTH_FIELD, '$1[redacted]$2');
  return masked.length > 2000 ? `${masked.slice(0, 2000)}…(${masked.length} chars)` : masked;
}
