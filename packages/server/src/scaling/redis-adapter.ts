/**
 * Scale-out over Redis (packages/server/docs/scaling.md). Several nodes act as one server. This
 * module composes the parts, one job each:
 *
 * - Broadcasts (here): the origin applies a message to its own sockets, then publishes the
 *   already-encoded frame on `${prefix}#${appId}`, stamped with its node id. Every other node serving
 *   the app applies it once; each node drops its own. One publishing connection per node keeps one
 *   node's messages in order. Pub/sub is at-most-once: what is published while Redis is down is lost
 *   for other nodes.
 * - History broadcasts (docs/protocol.md §11.1; redis-history.ts): one script assigns the event its
 *   offset, keeps it and publishes it with its position. The origin does NOT apply it at once: it
 *   applies it when its own message comes back, like every other node, so every node applies a
 *   stream's events in offset order (a hold at subscribe relies on it).
 * - Connections and failures (redis-connection.ts): Redis unreachable never crashes the node; it keeps
 *   serving its own sockets from its own record until Redis is back.
 * - Questions (redis-queries.ts): HTTP API channel lists and counts, asked of every live node.
 * - Shared state (redis-cluster-state.ts, the adapter's `state`): presence members, signed-in users,
 *   quotas, subscription counts and cache entries, in Redis hashes updated by Lua scripts.
 * - Liveness (redis-liveness.ts): heartbeats, purging dead nodes, resynchronizing after an outage.
 *
 * What nodes say to each other, and under which channel and key names, is in cluster-messages.ts.
 */

import { EventEmitter } from 'node:events';
import type { RedisConfig } from '../config/config';
import type {
  Adapter,
  AdapterMessage,
  AdapterQuery,
  AdapterQueryResults,
  LocalNode,
  QueryOf,
} from './adapter';
import { channelNames, decodeMessageEnvelope, keyNames } from './cluster-messages';
import { isCachedBroadcast, RedisClusterState } from './redis-cluster-state';
import { type AdapterLogger, RedisLink } from './redis-connection';
import { RedisHistory } from './redis-history';
import { DEFAULT_HEARTBEAT_MS, DEFAULT_MISSED_HEARTBEATS, RedisLiveness } from './redis-liveness';
import { DEFAULT_QUERY_TIMEOUT_MS, RedisQueries } from './redis-queries';
import { RedisSessionState } from './redis-sessions';

/** Part of the adapter's options: named here with them, defined with the connections that log. */
export type { AdapterLogger } from './redis-connection';

export interface RedisAdapterOptions {
  /** This node's id (the server's `serverId`). */
  readonly nodeId: string;
  /** Where to connect: a `redis://` or `rediss://` (TLS) URL, or host/port/credentials. */
  readonly redis: RedisConfig;
  /** REVERB_SCALING_CHANNEL: prefix of every pub/sub channel and key. */
  readonly prefix?: string;
  /** The app ids this node serves: it only listens to their broadcasts. */
  readonly apps: readonly string[];
  readonly logger: AdapterLogger;
  readonly heartbeatMs?: number;
  readonly missedHeartbeats?: number;
  readonly queryTimeoutMs?: number;
}

export interface RedisAdapterEventMap {
  /** A Redis command or connection failed. */
  failure: { op: string; error: unknown };
  connected: Record<string, never>;
  disconnected: Record<string, never>;
  /** A dead node was purged by this node. */
  peer_down: { nodeId: string };
  /** A member of a dead node left its presence channel (this node sent `member_removed`). */
  member_purged: { appId: string; channel: string; userId: string };
}

export interface RedisAdapterStats {
  readonly connected: boolean;
  readonly failures: number;
  /** Live nodes other than this one, as of the last heartbeat. */
  readonly peers: readonly string[];
  readonly queryTimeouts: number;
}

export class RedisAdapter extends EventEmitter implements Adapter {
  /** The cluster's shared state, in Redis (this node's own record while Redis is unreachable). */
  readonly state: RedisClusterState;
  /** Single session: one Lua script per claim on the command connection (failures counted like any other). */
  readonly sessions: RedisSessionState;
  /** The cluster's channel history, in Redis: positions are the same on every node. */
  readonly history: RedisHistory;
  private readonly nodeId: string;
  private readonly logger: AdapterLogger;
  private readonly channels: ReturnType<typeof channelNames>;
  private readonly link: RedisLink;
  private readonly queries: RedisQueries;
  private readonly liveness: RedisLiveness;
  private closed = false;
  private readonly readyPromise: Promise<void>;

  constructor(
    private readonly node: LocalNode,
    options: RedisAdapterOptions,
  ) {
    super();
    this.nodeId = options.nodeId;
    this.logger = options.logger;
    const prefix = options.prefix ?? 'reverb';
    this.channels = channelNames(prefix);
    const keys = keyNames(prefix);

    this.link = new RedisLink(options.redis, this.nodeId, this.logger, {
      failed: (op, error) => this.emit('failure', { op, error }),
      up: () => this.emit('connected', {}),
      ready: () => void this.liveness.heartbeat(),
      down: () => {
        this.liveness.forgetPeers();
        this.queries.finishAll();
        this.emit('disconnected', {});
      },
    });
    this.state = new RedisClusterState(this.link, keys, this.nodeId);
    this.sessions = new RedisSessionState(this.link.pub, prefix, (op, error) => this.link.fail(op, error));
    // On the publishing connection: the append script publishes, in order with this node's other messages.
    this.history = new RedisHistory({ redis: this.link.pub, nodeId: this.nodeId, prefix });
    this.liveness = new RedisLiveness({
      nodeId: this.nodeId,
      apps: options.apps,
      link: this.link,
      keys,
      local: this.state.local,
      logger: this.logger,
      heartbeatMs: options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS,
      missedHeartbeats: options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS,
      publish: (message) => this.publish(message),
      publishRemote: (message) => this.publishRemote(message),
      peerDown: (nodeId) => this.emit('peer_down', { nodeId }),
      memberPurged: (removed) => this.emit('member_purged', removed),
    });
    this.queries = new RedisQueries({
      nodeId: this.nodeId,
      node,
      link: this.link,
      channels: this.channels,
      state: this.state,
      logger: this.logger,
      peers: () => this.liveness.peers,
      queryTimeoutMs: options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS,
    });

    const { pub, sub } = this.link;
    sub.on('message', (channel: string, text: string) => this.onPubSub(channel, text));
    const subscribed = sub
      .subscribe(
        ...options.apps.map((id) => this.channels.app(id)),
        this.channels.requests,
        this.channels.responses(this.nodeId),
      )
      .then(() => undefined)
      .catch((error: unknown) => this.link.fail('subscribe', error));
    const connected = new Promise<void>((resolve) => {
      if (pub.status === 'ready') resolve();
      else pub.once('ready', () => resolve());
    });
    this.readyPromise = Promise.all([subscribed, connected]).then(() => undefined);
  }

  /** Resolves once both connections are up and subscribed (waits for Redis, however long it takes). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  /** Purges `nodeId` now: it is known to be dead (a worker of `--workers N` that exited). */
  purgeDeadNode(nodeId: string): Promise<void> {
    return this.liveness.purgeDead(nodeId);
  }

  stats(): RedisAdapterStats {
    return {
      connected: this.link.healthy,
      failures: this.link.failures,
      peers: [...this.liveness.peers],
      queryTimeouts: this.queries.timeouts,
    };
  }

  override emit<K extends keyof RedisAdapterEventMap>(name: K, payload: RedisAdapterEventMap[K]): boolean {
    return super.emit(name, payload);
  }

  override on<K extends keyof RedisAdapterEventMap>(
    name: K,
    listener: (payload: RedisAdapterEventMap[K]) => void,
  ): this {
    return super.on(name, listener);
  }

  override once<K extends keyof RedisAdapterEventMap>(
    name: K,
    listener: (payload: RedisAdapterEventMap[K]) => void,
  ): this {
    return super.once(name, listener);
  }

  // ───────────── broadcasts ─────────────

  /** Applies locally, then publishes; a Redis failure is reported, never thrown (local delivery happened). */
  async publish(message: AdapterMessage): Promise<void> {
    if (message.type === 'broadcast' && message.history) {
      await this.publishWithHistory(message);
      return;
    }
    this.applyLocally(message);
    if (isCachedBroadcast(message)) this.state.storeCache(message);
    await this.publishRemote(message);
  }

  /**
   * Appends to the stream; the script publishes the message with its position, and this node applies
   * it when it comes back (`onPubSub`). When Redis cannot be reached the event still goes out, without
   * a position, to this node's sockets and to whichever nodes can be reached; the store resets that
   * stream's epoch on its next use, so recovering clients see a gap instead of a silent loss.
   */
  private async publishWithHistory(message: Extract<AdapterMessage, { type: 'broadcast' }>): Promise<void> {
    const { appId, channel, frame, exceptSocketId, cache, history } = message;
    if (!history) return;
    // Without `history`: the limits are this node's business, never the other nodes'.
    const broadcast = { type: 'broadcast' as const, appId, channel, frame, exceptSocketId, cache };
    if (isCachedBroadcast(broadcast)) this.state.storeCache(broadcast);
    try {
      const { maxEvents, ttlMs } = history;
      await this.history.append(appId, channel, frame, { exceptSocketId, cache, maxEvents, ttlMs });
    } catch (error) {
      this.link.fail('history append', error);
      // A timeout may come after the script ran and published: its echo delivers the event then, and
      // delivering it here too would send it twice. (If it did not run, the stream is reset anyway.)
      if (isCommandTimeout(error)) return;
      this.applyLocally(broadcast);
      await this.publishRemote(broadcast);
    }
  }

  /** Sends to the other nodes only. */
  private async publishRemote(message: AdapterMessage): Promise<void> {
    // History appends queued earlier in this turn go first: this node's messages stay in order.
    this.history.flush();
    try {
      await this.link.pub.publish(
        this.channels.app(message.appId),
        JSON.stringify({ node: this.nodeId, message }),
      );
    } catch (error) {
      this.link.fail('publish', error);
    }
  }

  private applyLocally(message: AdapterMessage): void {
    try {
      this.node.apply(message);
    } catch (error) {
      this.logger.error({ err: error, type: message.type }, 'applying a cluster message failed');
    }
  }

  private onPubSub(channel: string, text: string): void {
    if (channel === this.channels.requests) {
      this.queries.onRequest(text);
      return;
    }
    if (channel === this.channels.responses(this.nodeId)) {
      this.queries.onResponse(text);
      return;
    }
    const envelope = decodeMessageEnvelope(text);
    if (!envelope) {
      this.logger.warn({ channel }, 'dropped a malformed cluster message');
      return;
    }
    const { message } = envelope;
    if (envelope.node === this.nodeId) {
      // Our own messages were applied when published, except history broadcasts (applied now, when
      // they come back with their position, in offset order with the other nodes' ones).
      if (message.type !== 'broadcast' || message.position === undefined) return;
    } else if (isCachedBroadcast(message)) {
      this.state.heardCache(message);
    }
    this.applyLocally(message);
  }

  // ───────────── questions ─────────────

  query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return this.queries.query(query);
  }

  // ───────────── shutdown ─────────────

  /** Leaves the cluster cleanly: members only this node held are removed everywhere, with member_removed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.link.closing = true;
    this.liveness.stop();
    this.queries.finishAll();
    this.history.flush();
    if (this.link.ready) {
      try {
        await this.liveness.leave();
      } catch (error) {
        this.link.fail('leaving the cluster', error);
      }
    }
    await this.link.quit();
  }
}

/** ioredis rejects a command that got no answer within `commandTimeout` with this message. */
function isCommandTimeout(error: unknown): boolean {
  return error instanceof Error && error.message === 'Command timed out';
}
