/**
 * Scale-out over Redis (DESIGN.md §3, issue 4). Several nodes act as one server:
 *
 * - Broadcasts: the origin applies a message to its own sockets, then publishes the already-encoded
 *   frame on `${prefix}#${appId}`, stamped with its node id. Every other node serving the app applies
 *   it once; each node drops its own. One publishing connection per node keeps one node's messages in
 *   order. Pub/sub is at-most-once: what is published while Redis is down is lost for other nodes.
 * - Questions (HTTP API channel lists and counts): request/response over pub/sub with a request id;
 *   the asker waits for every live node, at most `queryTimeoutMs` (1 s), answers with what arrived
 *   and logs the missing nodes. Presence members, user counts and cache entries are read from Redis.
 * - Shared state (cluster-state.ts): presence members, signed-in users and connection counts live in
 *   Redis hashes updated by Lua scripts (redis-scripts.ts), one entry per user with the set of nodes
 *   holding it, so `member_added`/`member_removed` go out on the first/last connection anywhere.
 * - Liveness: every `heartbeatMs` (2 s) a node records itself in the `nodes` sorted set on the Redis
 *   clock; a node silent for `missedHeartbeats` (3) intervals is dead. The first node to notice purges
 *   it atomically and sends `member_removed` (and watchlist `offline`) for the users only it held.
 *   Bound: a SIGKILLed node's members and counts leave every node within
 *   heartbeatMs × (missedHeartbeats + 1) = 8 s (last heartbeat up to one interval before the kill,
 *   plus the dead-after window, detected at the next heartbeat of a survivor) plus one Redis round trip.
 * - Failures: Redis unreachable never crashes the node. Commands fail fast (no offline queue), every
 *   failure is counted, emitted (`failure`) and logged (warn once per outage, then debug); the node
 *   keeps serving its own sockets from its own record (`MemoryClusterState`). ioredis reconnects by
 *   itself and the subscriber re-subscribes, so cross-node delivery resumes. The first heartbeat after
 *   a lost connection, a failed write, or finding itself unlisted resynchronizes: Redis is made to agree
 *   with the node's record (RESYNC script), and members that joined or left cluster-wide meanwhile are
 *   announced to the other nodes. If Redis restarted empty (new epoch), the record is written back
 *   silently: what changed during the outage is not announced (their clients may keep a member that
 *   left meanwhile until they resubscribe), and broadcasts published during the outage are lost.
 */

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { encodeServerMessage, InternalEvent, type UserInfo } from '@react-reverb/core/protocol';
import { Redis, type RedisOptions } from 'ioredis';
import type { RedisConfig } from '../config/config';
import type { ReverbLogger } from '../shared/logger';
import type {
  Adapter,
  AdapterMessage,
  AdapterQuery,
  AdapterQueryResults,
  ChannelSnapshot,
  LocalNode,
  QueryOf,
} from './adapter';
import {
  channelNames,
  decodeMessageEnvelope,
  decodeRequestEnvelope,
  decodeResponseEnvelope,
  keyNames,
} from './cluster-messages';
import {
  type CachedEvent,
  type JoinOutcome,
  type LeaveOutcome,
  MemoryClusterState,
  ONLINE_SET,
  type PresenceMembers,
} from './cluster-state';
import { mergeChannel, mergeChannels } from './query-merge';
import { COUNT, HEARTBEAT, JOIN, LEAVE, PURGE, RELEASE, RESERVE, RESYNC, runScript } from './redis-scripts';

export const DEFAULT_HEARTBEAT_MS = 2_000;
export const DEFAULT_MISSED_HEARTBEATS = 3;
export const DEFAULT_QUERY_TIMEOUT_MS = 1_000;
/** How long one attempt to reach Redis may take; a starting node waits this long for Redis at most. */
export const REDIS_CONNECT_TIMEOUT_MS = 5_000;

export type AdapterLogger = Pick<ReverbLogger, 'debug' | 'info' | 'warn' | 'error'>;

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

interface PendingQuery {
  readonly waiting: Set<string>;
  readonly answers: unknown[];
  readonly finish: () => void;
}

export class RedisAdapter extends EventEmitter implements Adapter {
  private readonly nodeId: string;
  private readonly logger: AdapterLogger;
  private readonly channels: ReturnType<typeof channelNames>;
  private readonly keys: ReturnType<typeof keyNames>;
  private readonly pub: Redis;
  private readonly sub: Redis;
  /** This node's own contribution: the fallback while Redis is down, written back when Redis lost it. */
  private readonly local = new MemoryClusterState();
  private readonly pending = new Map<string, PendingQuery>();
  private readonly heartbeatMs: number;
  private readonly deadAfterMs: number;
  private readonly queryTimeoutMs: number;
  private readonly heartbeatTimer: NodeJS.Timeout;
  private peers = new Set<string>();
  private failures = 0;
  private queryTimeouts = 0;
  private healthy = false;
  private heartbeating = false;
  /** Set when a state write may not have reached Redis: the next heartbeat resynchronizes. */
  private needsResync = false;
  private epoch: string | undefined;
  private readonly apps: readonly string[];
  private closed = false;
  private readonly readyPromise: Promise<void>;

  constructor(
    private readonly node: LocalNode,
    options: RedisAdapterOptions,
  ) {
    super();
    this.nodeId = options.nodeId;
    this.apps = options.apps;
    this.logger = options.logger;
    const prefix = options.prefix ?? 'reverb';
    this.channels = channelNames(prefix);
    this.keys = keyNames(prefix);
    this.heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
    this.deadAfterMs = this.heartbeatMs * (options.missedHeartbeats ?? DEFAULT_MISSED_HEARTBEATS);
    this.queryTimeoutMs = options.queryTimeoutMs ?? DEFAULT_QUERY_TIMEOUT_MS;

    this.pub = connect(options.redis, {}, `reverb-${this.nodeId}`);
    // The subscriber queues its SUBSCRIBE until connected and re-subscribes after every reconnect.
    this.sub = connect(
      options.redis,
      { enableOfflineQueue: true, maxRetriesPerRequest: null, autoResubscribe: true },
      `reverb-sub-${this.nodeId}`,
    );
    this.pub.on('error', (error) => this.fail('connection', error));
    this.sub.on('error', (error) => this.fail('subscriber connection', error));
    this.pub.on('close', () => this.markDown());
    this.pub.on('ready', () => {
      this.markUp();
      void this.heartbeat();
    });
    this.sub.on('message', (channel: string, text: string) => this.onPubSub(channel, text));

    const subscribed = this.sub
      .subscribe(
        ...options.apps.map((id) => this.channels.app(id)),
        this.channels.requests,
        this.channels.responses(this.nodeId),
      )
      .then(() => undefined)
      .catch((error: unknown) => this.fail('subscribe', error));
    const connected = new Promise<void>((resolve) => {
      if (this.pub.status === 'ready') resolve();
      else this.pub.once('ready', () => resolve());
    });
    this.readyPromise = Promise.all([subscribed, connected]).then(() => undefined);

    this.heartbeatTimer = setInterval(() => void this.heartbeat(), this.heartbeatMs);
    this.heartbeatTimer.unref();
  }

  /** Resolves once both connections are up and subscribed (waits for Redis, however long it takes). */
  ready(): Promise<void> {
    return this.readyPromise;
  }

  stats(): RedisAdapterStats {
    return {
      connected: this.healthy,
      failures: this.failures,
      peers: [...this.peers],
      queryTimeouts: this.queryTimeouts,
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
    this.applyLocally(message);
    if (message.type === 'broadcast' && message.cache) {
      const { data, ttlSeconds } = message.cache;
      this.local.storeCache(message.appId, message.channel, message.frame, data, ttlSeconds);
      this.pub
        .set(
          this.keys.cache(message.appId, message.channel),
          JSON.stringify({ frame: message.frame, data }),
          'PX',
          ttlSeconds * 1000,
        )
        .catch((error: unknown) => this.fail('cache write', error));
    }
    await this.publishRemote(message);
  }

  /** Sends to the other nodes only. */
  private async publishRemote(message: AdapterMessage): Promise<void> {
    try {
      await this.pub.publish(
        this.channels.app(message.appId),
        JSON.stringify({ node: this.nodeId, message }),
      );
    } catch (error) {
      this.fail('publish', error);
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
      this.onRequest(text);
      return;
    }
    if (channel === this.channels.responses(this.nodeId)) {
      this.onResponse(text);
      return;
    }
    const envelope = decodeMessageEnvelope(text);
    if (!envelope) {
      this.logger.warn({ channel }, 'dropped a malformed cluster message');
      return;
    }
    // Our own messages were applied when published.
    if (envelope.node === this.nodeId) return;
    if (envelope.message.type === 'broadcast' && envelope.message.cache) {
      const m = envelope.message;
      if (m.cache) this.local.storeCache(m.appId, m.channel, m.frame, m.cache.data, m.cache.ttlSeconds);
    }
    this.applyLocally(envelope.message);
  }

  // ───────────── questions ─────────────

  async query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return (await this.answerAny(query as AdapterQuery)) as AdapterQueryResults[T];
  }

  private async answerAny(query: AdapterQuery): Promise<unknown> {
    switch (query.type) {
      case 'users':
        return (await this.presenceMembers(query.appId, query.channel)).ids;
      case 'cache': {
        const cached = await this.cachedEvent(query.appId, query.channel);
        return cached ? { data: cached.data, ttl: cached.ttl } : null;
      }
      case 'channel': {
        const answers = await this.ask(query);
        const merged = mergeChannel(answers) ?? { subscriptionCount: 0 };
        if (merged.userCount === undefined) return merged;
        const counts = await this.memberCounts(query.appId, [query.channel]);
        return { ...merged, userCount: counts.get(query.channel) ?? merged.userCount };
      }
      case 'channels': {
        const merged = mergeChannels(await this.ask(query));
        const presence = Object.keys(merged).filter((name) => merged[name]?.userCount !== undefined);
        if (presence.length === 0) return merged;
        const counts = await this.memberCounts(query.appId, presence);
        const result: Record<string, ChannelSnapshot> = {};
        for (const [name, snapshot] of Object.entries(merged)) {
          const userCount = counts.get(name);
          result[name] = userCount === undefined ? snapshot : { ...snapshot, userCount };
        }
        return result;
      }
    }
  }

  /** This node's answer plus every live peer's, waiting at most `queryTimeoutMs`. */
  private async ask(query: AdapterQuery): Promise<unknown[]> {
    const answers: unknown[] = [];
    try {
      answers.push(this.node.answer(query));
    } catch (error) {
      this.logger.debug({ err: error, appId: query.appId }, 'no local answer');
    }
    const peers = [...this.peers];
    if (peers.length === 0 || !this.healthy) return answers;
    const id = randomUUID();
    const remote = await new Promise<unknown[]>((resolve) => {
      const collected: unknown[] = [];
      const waiting = new Set(peers);
      const timer = setTimeout(() => {
        this.queryTimeouts++;
        this.logger.warn(
          { query: query.type, appId: query.appId, missing: [...waiting] },
          'cluster query timed out; answering with the nodes that replied',
        );
        finish();
      }, this.queryTimeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.pending.delete(id);
        resolve(collected);
      };
      this.pending.set(id, { waiting, answers: collected, finish });
      this.pub
        .publish(this.channels.requests, JSON.stringify({ node: this.nodeId, id, query }))
        .catch((error: unknown) => {
          this.fail('query publish', error);
          finish();
        });
    });
    return answers.concat(remote);
  }

  private onRequest(text: string): void {
    const request = decodeRequestEnvelope(text);
    if (!request) {
      this.logger.warn('dropped a malformed cluster query');
      return;
    }
    if (request.node === this.nodeId) return;
    let result: unknown = null;
    try {
      result = this.node.answer(request.query);
    } catch {
      // An app this node does not serve: answer null so the asker need not wait for us.
    }
    this.pub
      .publish(
        this.channels.responses(request.node),
        JSON.stringify({ node: this.nodeId, id: request.id, result }),
      )
      .catch((error: unknown) => this.fail('query answer', error));
  }

  private onResponse(text: string): void {
    const response = decodeResponseEnvelope(text);
    if (!response) return;
    const pending = this.pending.get(response.id);
    if (!pending) return; // late: the asker already answered
    if (response.result !== null) pending.answers.push(response.result);
    pending.waiting.delete(response.node);
    if (pending.waiting.size === 0) pending.finish();
  }

  /** Distinct members of presence channels, cluster-wide; missing entries when Redis is down. */
  private async memberCounts(appId: string, channels: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    try {
      const pipeline = this.pub.pipeline();
      for (const channel of channels) pipeline.hlen(this.keys.membership(appId, channel));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], i) => {
        const channel = channels[i];
        if (!error && typeof value === 'number' && channel !== undefined) counts.set(channel, value);
      });
    } catch (error) {
      this.fail('member count', error);
    }
    return counts;
  }

  // ───────────── presence and signed-in users ─────────────

  async joinPresence(
    appId: string,
    channel: string,
    userId: string,
    info: UserInfo | undefined,
    maxMembers: number | null,
  ): Promise<JoinOutcome> {
    return this.join(appId, channel, userId, info, maxMembers);
  }

  async leavePresence(appId: string, channel: string, userId: string): Promise<LeaveOutcome> {
    return this.leave(appId, channel, userId);
  }

  async presenceMembers(appId: string, channel: string): Promise<PresenceMembers> {
    const own = this.local.membersSync(appId, channel);
    let raw: Record<string, string>;
    try {
      raw = await this.pub.hgetall(this.keys.membership(appId, channel));
    } catch (error) {
      this.fail('presence members', error);
      return own;
    }
    const entries: { id: string; order: number; info: UserInfo }[] = [];
    for (const [id, text] of Object.entries(raw)) {
      const entry = parseMembership(text);
      if (entry) entries.push({ id, ...entry });
    }
    entries.sort((a, b) => a.order - b.order);
    const ids = entries.map((e) => e.id);
    const hash: Record<string, UserInfo> = {};
    for (const e of entries) hash[e.id] = e.info;
    // Our own members are there even before a restarted Redis has them back.
    for (const id of own.ids) {
      if (id in hash) continue;
      ids.push(id);
      hash[id] = own.hash[id] ?? null;
    }
    return { ids, hash };
  }

  async userOnline(appId: string, userId: string): Promise<'first' | 'again'> {
    return (await this.join(appId, ONLINE_SET, userId, undefined, null)) === 'first' ? 'first' : 'again';
  }

  async userOffline(appId: string, userId: string): Promise<LeaveOutcome> {
    return this.leave(appId, ONLINE_SET, userId);
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    const online = new Set(userIds.filter((id) => this.local.has(appId, ONLINE_SET, id)));
    if (userIds.length === 0) return online;
    try {
      const values = await this.pub.hmget(this.keys.membership(appId, ONLINE_SET), ...userIds);
      values.forEach((value, i) => {
        const id = userIds[i];
        if (value !== null && id !== undefined) online.add(id);
      });
    } catch (error) {
      this.fail('online users', error);
    }
    return online;
  }

  /** Records locally first (so a leave issued right after sees it), then asks Redis on the node's first connection. */
  private async join(
    appId: string,
    set: string,
    userId: string,
    info: UserInfo | undefined,
    max: number | null,
  ): Promise<JoinOutcome> {
    if (this.local.joinSync(appId, set, userId, info, null) === 'again') return 'again';
    try {
      const result = await runScript(
        this.pub,
        JOIN,
        [this.keys.membership(appId, set), this.keys.nodeIndex(this.nodeId), this.keys.seq],
        [userId, this.nodeId, info === undefined ? '' : JSON.stringify(info), max ?? 0],
      );
      if (result === -1) {
        this.local.leaveSync(appId, set, userId);
        return 'full';
      }
      return result === 1 ? 'first' : 'again';
    } catch (error) {
      this.needsResync = true;
      this.fail('presence join', error);
      if (max !== null && this.local.membersSync(appId, set).ids.length > max) {
        this.local.leaveSync(appId, set, userId);
        return 'full';
      }
      return 'first';
    }
  }

  private async leave(appId: string, set: string, userId: string): Promise<LeaveOutcome> {
    if (this.local.leaveSync(appId, set, userId) === 'remaining') return 'remaining';
    try {
      const result = await runScript(
        this.pub,
        LEAVE,
        [this.keys.membership(appId, set), this.keys.nodeIndex(this.nodeId)],
        [userId, this.nodeId],
      );
      return result === 1 ? 'last' : 'remaining';
    } catch (error) {
      this.needsResync = true;
      this.fail('presence leave', error);
      return 'last';
    }
  }

  // ───────────── connection quota and cache ─────────────

  async reserveConnection(appId: string, max: number | null): Promise<boolean> {
    try {
      const result = await runScript(
        this.pub,
        RESERVE,
        [this.keys.connections(appId), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId, max ?? 0],
      );
      if (result !== 1) return false;
      this.local.reserveSync(appId, null);
      return true;
    } catch (error) {
      this.needsResync = true;
      this.fail('connection reserve', error);
      return this.local.reserveSync(appId, max);
    }
  }

  async releaseConnection(appId: string): Promise<void> {
    this.local.releaseSync(appId);
    try {
      await runScript(
        this.pub,
        RELEASE,
        [this.keys.connections(appId), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId],
      );
    } catch (error) {
      this.needsResync = true;
      this.fail('connection release', error);
    }
  }

  async countSubscription(appId: string, channel: string, delta: 1 | -1): Promise<number> {
    const own = this.local.countSubscriptionSync(appId, channel, delta);
    try {
      const total = await runScript(
        this.pub,
        COUNT,
        [this.keys.subscriptions(appId, channel), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId, delta],
      );
      return typeof total === 'number' ? total : own;
    } catch (error) {
      this.needsResync = true;
      this.fail('subscription count', error);
      return own;
    }
  }

  async cachedEvent(appId: string, channel: string): Promise<CachedEvent | null> {
    const key = this.keys.cache(appId, channel);
    try {
      const [[getError, text] = [null, null], [ttlError, pttl] = [null, null]] =
        (await this.pub.multi().get(key).pttl(key).exec()) ?? [];
      if (getError) throw getError;
      if (ttlError) throw ttlError;
      const entry = typeof text === 'string' ? parseCacheEntry(text) : undefined;
      if (entry && typeof pttl === 'number' && pttl > 0)
        return { ...entry, ttl: Math.max(1, Math.ceil(pttl / 1000)) };
      // Redis restarted empty: what this node saw still counts.
      return this.local.cachedEventSync(appId, channel);
    } catch (error) {
      this.fail('cache read', error);
      return this.local.cachedEventSync(appId, channel);
    }
  }

  // ───────────── liveness ─────────────

  private async heartbeat(): Promise<void> {
    if (this.heartbeating || this.closed || this.pub.status !== 'ready') return;
    this.heartbeating = true;
    try {
      const reply = await runScript(
        this.pub,
        HEARTBEAT,
        [this.keys.nodes, this.keys.epoch],
        [this.nodeId, this.deadAfterMs, randomUUID()],
      );
      const [added, dead, live, epoch] = parseHeartbeat(reply);
      // A new epoch: Redis restarted empty, and the other nodes' clients already know our members.
      const redisRestarted = this.epoch !== undefined && epoch !== this.epoch;
      this.epoch = epoch;
      if (added || this.needsResync) {
        this.needsResync = false;
        await this.resync(!redisRestarted);
      }
      this.peers = new Set(live.filter((id) => id !== this.nodeId));
      for (const nodeId of dead) if (nodeId !== this.nodeId) await this.purge(nodeId);
    } catch (error) {
      this.needsResync = true;
      this.fail('heartbeat', error);
    } finally {
      this.heartbeating = false;
    }
  }

  /**
   * Makes Redis agree with this node's own record: after Redis restarted empty, after this node was
   * declared dead while alive, or after a state write failed during an outage. Members that joined or
   * left cluster-wide meanwhile are announced to the other nodes (ours already heard it locally).
   */
  private async resync(announce: boolean): Promise<void> {
    const args: string[] = [this.nodeId, this.keys.countersHead];
    const infos = new Map<string, UserInfo | undefined>();
    for (const m of this.local.memberships()) {
      const key = this.keys.membership(m.appId, m.set);
      args.push(key, m.userId, m.info === undefined ? '' : JSON.stringify(m.info));
      infos.set(`${key}\u0000${m.userId}`, m.info);
    }
    const reply = await runScript(this.pub, RESYNC, [this.keys.nodeIndex(this.nodeId), this.keys.seq], args);
    await this.resyncCounters();
    const [removed, added] = Array.isArray(reply) ? (reply as unknown[]).map(strings) : [[], []];
    if (!announce) {
      this.logger.info('Redis restarted empty: wrote this node’s presence and counts back');
      return;
    }
    for (const [key, userId] of pairs(removed ?? []))
      await this.announce(key, userId, false, undefined, false);
    for (const [key, userId] of pairs(added ?? [])) {
      await this.announce(key, userId, true, infos.get(`${key}\u0000${userId}`), false);
    }
    this.logger.info(
      { left: (removed?.length ?? 0) / 2, joined: (added?.length ?? 0) / 2 },
      'resynchronized this node’s presence and counts with Redis',
    );
  }

  /** Writes this node's connection and subscription counts; drops counts of channels it has left. */
  private async resyncCounters(): Promise<void> {
    const index = this.keys.nodeIndex(this.nodeId);
    const counts = new Map<string, number>();
    for (const appId of this.apps) {
      counts.set(this.keys.connections(appId), this.local.connectionCount(appId));
      for (const [channel, count] of this.local.subscriptionCounts(appId)) {
        counts.set(this.keys.subscriptions(appId, channel), count);
      }
    }
    // Channels this node counted before the outage but no longer has.
    for (const key of await this.pub.hkeys(index)) {
      if (key.startsWith(this.keys.subscriptionsHead) && !counts.has(key)) counts.set(key, 0);
    }
    const pipeline = this.pub.pipeline();
    for (const [key, count] of counts) {
      if (count > 0) pipeline.hset(key, this.nodeId, count).hset(index, key, 1);
      else pipeline.hdel(key, this.nodeId).hdel(index, key);
    }
    await pipeline.exec();
  }

  /** Tells the nodes that a membership began or ended cluster-wide (member_added/removed, or a user status). */
  private async announce(
    key: string,
    userId: string,
    joined: boolean,
    info: UserInfo | undefined,
    includeThisNode: boolean,
  ): Promise<void> {
    const where = this.keys.parseMembership(key);
    if (!where) return;
    let message: AdapterMessage;
    if (where.set === ONLINE_SET) {
      message = { type: 'user_status', appId: where.appId, userId, online: joined };
    } else {
      const frame = joined
        ? encodeServerMessage({
            event: InternalEvent.MemberAdded,
            channel: where.set,
            data: info === undefined ? { user_id: userId } : { user_id: userId, user_info: info },
          })
        : encodeServerMessage({
            event: InternalEvent.MemberRemoved,
            channel: where.set,
            data: { user_id: userId },
          });
      message = { type: 'broadcast', appId: where.appId, channel: where.set, frame };
      // Only a purge is news to this node too (a resync reports what this node already handled).
      if (!joined && includeThisNode)
        this.emit('member_purged', { appId: where.appId, channel: where.set, userId });
    }
    if (includeThisNode) await this.publish(message);
    else await this.publishRemote(message);
  }

  /** Removes a dead node everywhere; if this node won the purge, tells every node who left. */
  private async purge(deadNodeId: string): Promise<void> {
    const reply = await runScript(
      this.pub,
      PURGE,
      [this.keys.nodes, this.keys.nodeIndex(deadNodeId)],
      [deadNodeId, this.keys.countersHead],
    );
    const flat = strings(reply);
    if (deadNodeId !== this.nodeId) {
      this.peers.delete(deadNodeId);
      this.logger.warn({ deadNode: deadNodeId, members: flat.length / 2 }, 'purged a dead node');
      this.emit('peer_down', { nodeId: deadNodeId });
    }
    for (const [key, userId] of pairs(flat)) await this.announce(key, userId, false, undefined, true);
  }

  // ───────────── failures and shutdown ─────────────

  private fail(op: string, error: unknown): void {
    this.failures++;
    if (this.healthy || this.failures === 1) {
      this.logger.warn(
        { err: error, op },
        'Redis operation failed; serving local clients only until it is back',
      );
    } else {
      this.logger.debug({ err: error, op }, 'Redis operation failed');
    }
    this.emit('failure', { op, error });
  }

  private markDown(): void {
    if (!this.healthy) return;
    this.healthy = false;
    // Writes in flight may have been lost: check our record against Redis once it is back.
    this.needsResync = true;
    this.peers = new Set();
    for (const pending of [...this.pending.values()]) pending.finish();
    if (!this.closed) this.logger.warn('Redis connection lost; reconnecting');
    this.emit('disconnected', {});
  }

  private markUp(): void {
    if (this.healthy) return;
    this.healthy = true;
    this.logger.info('Redis connection ready');
    this.emit('connected', {});
  }

  /** Leaves the cluster cleanly: members only this node held are removed everywhere, with member_removed. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    clearInterval(this.heartbeatTimer);
    for (const pending of [...this.pending.values()]) pending.finish();
    if (this.pub.status === 'ready') {
      try {
        await this.purge(this.nodeId);
      } catch (error) {
        this.fail('leaving the cluster', error);
      }
    }
    await Promise.all([quit(this.pub), quit(this.sub)]);
  }
}

async function quit(client: Redis): Promise<void> {
  try {
    if (client.status === 'ready') await client.quit();
    else client.disconnect();
  } catch {
    client.disconnect();
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function parseMembership(text: string): { order: number; info: UserInfo } | undefined {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { s, i } = value as { s?: unknown; i?: unknown };
  if (typeof s !== 'number') return undefined;
  const info = typeof i === 'string' ? (parseJson(i) as UserInfo | undefined) : undefined;
  return { order: s, info: info ?? null };
}

function parseCacheEntry(text: string): { frame: string; data: string } | undefined {
  const value = parseJson(text);
  if (typeof value !== 'object' || value === null) return undefined;
  const { frame, data } = value as { frame?: unknown; data?: unknown };
  return typeof frame === 'string' && typeof data === 'string' ? { frame, data } : undefined;
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

function parseHeartbeat(reply: unknown): [boolean, string[], string[], string | undefined] {
  if (!Array.isArray(reply)) return [false, [], [], undefined];
  const [added, dead, live, epoch] = reply as unknown[];
  return [added === 1, strings(dead), strings(live), typeof epoch === 'string' ? epoch : undefined];
}
