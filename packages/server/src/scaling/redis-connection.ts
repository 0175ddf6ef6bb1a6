/**
 * A node's two Redis connections and the health of its link to Redis (packages/server/docs/scaling.md,
 * "When Redis fails"). `pub` carries every command and publish; `sub` only listens. Commands fail fast
 * (no offline queue): the node answers from its own record instead of waiting. Every failure is
 * counted, reported and logged (warn once per outage, then debug); ioredis reconnects by itself and the
 * subscriber re-subscribes, so cross-node delivery resumes without help.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config';
import type { ReverbLogger } from '../shared/logger';

/** How long one attempt to reach Redis may take; a starting node waits this long for Redis at most. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

export type AdapterLogger = Pick<ReverbLogger, 'debug' | 'info' | 'warn' | 'error'>;

/** Connection settings for ioredis from the Reverb names; `rediss://` turns TLS on. */
export function redisConnectionOptions(config: RedisConfig): { url?: string; options: RedisOptions } {
  const base: RedisOptions = {
    // Fail fast while disconnected: the node answers from its own state instead of waiting.
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: 2_000,
    connectTimeout: REDIS_CONNECT_TIMEOUT_MS,
    retryStrategy: (times) => Math.min(100 * times, 1_000),
  };
  if (config.url !== undefined) {
    return { url: config.url, options: config.url.startsWith('rediss://') ? { ...base, tls: {} } : base };
  }
  return {
    options: {
      ...base,
      host: config.host,
      port: config.port,
      db: config.db,
      ...(config.username !== undefined ? { username: config.username } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
    },
  };
}

function connect(config: RedisConfig, overrides: RedisOptions, name: string): Redis {
  const { url, options } = redisConnectionOptions(config);
  const settings = { ...options, ...overrides, connectionName: name };
  return url === undefined ? new Redis(settings) : new Redis(url, settings);
}

async function quit(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

/** What the link tells the adapter; each is called after the link updated its own state. */
export interface RedisLinkHooks {
  /** A command or connection failed (already counted and logged). */
  failed(op: string, error: unknown): void;
  /** The publishing connection became ready after being down (or for the first time). */
  up(): void;
  /** The publishing connection is ready; fires on every (re)connection, after `up`. */
  ready(): void;
  /** The publishing connection was lost. */
  down(): void;
}

export class RedisLink {
  readonly pub: Redis;
  readonly sub: Redis;
  /** Whether the publishing connection is up. */
  healthy = false;
  failures = 0;
  /** Set when a state write may not have reached Redis: the next heartbeat resynchronizes. */
  needsResync = false;
  /** The node is leaving: a lost connection is no longer news. */
  closing = false;

  constructor(
    config: RedisConfig,
    nodeId: string,
    private readonly logger: AdapterLogger,
    private readonly hooks: RedisLinkHooks,
  ) {
    this.pub = connect(config, {}, `reverb-${nodeId}`);
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after every reconnect.
    this.sub = connect(
      config,
      { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true },
      `reverb-sub-${nodeId}`,
    );
    this.pub.on('error', (error) => this.fail('connection', error));
    this.sub.on('error', (error) => this.fail('subscriber connection', error));
    this.pub.on('close', () => this.markDown());
    this.pub.on('ready', () => {
      this.markUp();
      this.hooks.ready();
    });
  }

  /** Whether commands can be sent right now. */
  get ready(): boolean {
    return this.pub.status === 'ready';
  }

  /** Counts, logs and reports a failed command; never throws. */
  fail(op: string, error: unknown): void {
    this.failures++;
    if (this.healthy || this.failures === 1) {
      this.logger.warn(
        { err: error, op },
        'Redis operation failed; serving local clients only until it is back',
      );
    } else {
      this.logger.debug({ err: error, op }, 'Redis operation failed');
    }
    this.hooks.failed(op, error);
  }

  /** Closes both connections (politely when they are up). */
  async quit(): Promise<void> {
    await Promise.all([quit(this.pub), quit(this.sub)]);
  }

  private markDown(): void {
    if (!this.healthy) return;
    this.healthy = false;
    // Writes in flight may have been lost: check our record against Redis once it is back.
    this.needsResync = true;
    if (!this.closing) this.logger.warn('Redis connection lost; reconnecting');
    this.hooks.down();
  }

  private markUp(): void {
    if (this.healthy) return;
    this.healthy = true;
    this.logger.info('Redis connection ready');
    this.hooks.up();
  }
}
