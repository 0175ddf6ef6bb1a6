/**
 * The cluster's shared state in Redis (cluster-state.ts): presence members, signed-in users,
 * connection and subscription counts, and the last event of cache channels. Members and counts live
 * in hashes updated by Lua scripts (redis-scripts.ts), one entry per user with the set of nodes holding
 * it, so `member_added`/`member_removed` go out on the first/last connection anywhere.
 *
 * Every change is recorded first in this node's own record (`local`), then in Redis. While Redis is
 * unreachable the node answers from that record, and a failed write asks the next heartbeat to
 * resynchronize (redis-liveness.ts writes the record back).
 */
import type { UserInfo } from '@react-reverb/core/protocol';
import type { AdapterMessage } from './adapter';
import type { keyNames } from './cluster-messages';
import {
  type CachedEvent,
  type ClusterState,
  type JoinOutcome,
  type LeaveOutcome,
  MemoryClusterState,
  ONLINE_SET,
  type PresenceMembers,
} from './cluster-state';
import type { RedisLink } from './redis-connection';
import { COUNT, JOIN, LEAVE, RELEASE, RESERVE, runScript } from './redis-scripts';

type CachedBroadcast = Extract<AdapterMessage, { type: 'broadcast' }> & {
  readonly cache: NonNullable<Extract<AdapterMessage, { type: 'broadcast' }>['cache']>;
};

export class RedisClusterState implements ClusterState {
  /** This node's own contribution: the fallback while Redis is down, written back when Redis lost it. */
  readonly local = new MemoryClusterState();

  constructor(
    private readonly link: RedisLink,
    private readonly keys: ReturnType<typeof keyNames>,
    private readonly nodeId: string,
  ) {}

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
      raw = await this.link.pub.hgetall(this.keys.membership(appId, channel));
    } catch (error) {
      this.link.fail('presence members', error);
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

  /** Distinct members of presence channels, cluster-wide; missing entries when Redis is down. */
  async memberCounts(appId: string, channels: readonly string[]): Promise<Map<string, number>> {
    const counts = new Map<string, number>();
    try {
      const pipeline = this.link.pub.pipeline();
      for (const channel of channels) pipeline.hlen(this.keys.membership(appId, channel));
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([error, value], i) => {
        const channel = channels[i];
        if (!error && typeof value === 'number' && channel !== undefined) counts.set(channel, value);
      });
    } catch (error) {
      this.link.fail('member count', error);
    }
    return counts;
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
      const values = await this.link.pub.hmget(this.keys.membership(appId, ONLINE_SET), ...userIds);
      values.forEach((value, i) => {
        const id = userIds[i];
        if (value !== null && id !== undefined) online.add(id);
      });
    } catch (error) {
      this.link.fail('online users', error);
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
        this.link.pub,
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
      this.link.needsResync = true;
      this.link.fail('presence join', error);
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
        this.link.pub,
        LEAVE,
        [this.keys.membership(appId, set), this.keys.nodeIndex(this.nodeId)],
        [userId, this.nodeId],
      );
      return result === 1 ? 'last' : 'remaining';
    } catch (error) {
      this.link.needsResync = true;
      this.link.fail('presence leave', error);
      return 'last';
    }
  }

  // ───────────── connection quota and subscription counts ─────────────

  async reserveConnection(appId: string, max: number | null): Promise<boolean> {
    try {
      const result = await runScript(
        this.link.pub,
        RESERVE,
        [this.keys.connections(appId), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId, max ?? 0],
      );
      if (result !== 1) return false;
      this.local.reserveSync(appId, null);
      return true;
    } catch (error) {
      this.link.needsResync = true;
      this.link.fail('connection reserve', error);
      return this.local.reserveSync(appId, max);
    }
  }

  async releaseConnection(appId: string): Promise<void> {
    this.local.releaseSync(appId);
    try {
      await runScript(
        this.link.pub,
        RELEASE,
        [this.keys.connections(appId), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId],
      );
    } catch (error) {
      this.link.needsResync = true;
      this.link.fail('connection release', error);
    }
  }

  /**
   * Every other node's count from Redis plus our own record: right even before a restarted Redis has
   * our count back. Our own count alone while Redis is unreachable.
   */
  async openConnections(appId: string): Promise<number> {
    const own = this.local.connectionCount(appId);
    try {
      const perNode = await this.link.pub.hgetall(this.keys.connections(appId));
      let others = 0;
      for (const [node, count] of Object.entries(perNode)) {
        if (node !== this.nodeId) others += Math.max(0, Number(count) || 0);
      }
      return own + others;
    } catch (error) {
      this.link.fail('connection count', error);
      return own;
    }
  }

  async countSubscription(appId: string, channel: string, delta: 1 | -1): Promise<number> {
    const own = this.local.countSubscriptionSync(appId, channel, delta);
    try {
      const total = await runScript(
        this.link.pub,
        COUNT,
        [this.keys.subscriptions(appId, channel), this.keys.nodeIndex(this.nodeId)],
        [this.nodeId, delta],
      );
      return typeof total === 'number' ? total : own;
    } catch (error) {
      this.link.needsResync = true;
      this.link.fail('subscription count', error);
      return own;
    }
  }

  // ───────────── cache channels ─────────────

  /** Keeps the last event of a cache channel, published by this node: in its record and in Redis. */
  storeCache(message: CachedBroadcast): void {
    const { data, ttlSeconds } = message.cache;
    this.local.storeCache(message.appId, message.channel, message.frame, data, ttlSeconds);
    this.link.pub
      .set(
        this.keys.cache(message.appId, message.channel),
        JSON.stringify({ frame: message.frame, data }),
        'PX',
        ttlSeconds * 1000,
      )
      .catch((error: unknown) => this.link.fail('cache write', error));
  }

  /** Keeps the last event of a cache channel, published by another node (which wrote it to Redis). */
  heardCache(message: CachedBroadcast): void {
    const { data, ttlSeconds } = message.cache;
    this.local.storeCache(message.appId, message.channel, message.frame, data, ttlSeconds);
  }

  async cachedEvent(appId: string, channel: string): Promise<CachedEvent | null> {
    const key = this.keys.cache(appId, channel);
    try {
      const [[getError, text] = [null, null], [ttlError, pttl] = [null, null]] =
        (await this.link.pub.multi().get(key).pttl(key).exec()) ?? [];
      if (getError) throw getError;
      if (ttlError) throw ttlError;
      const entry = typeof text === 'string' ? parseCacheEntry(text) : undefined;
      if (entry && typeof pttl === 'number' && pttl > 0)
        return { ...entry, ttl: Math.max(1, Math.ceil(pttl / 1000)) };
      // Redis restarted empty: what this node saw still counts.
      return this.local.cachedEventSync(appId, channel);
    } catch (error) {
      this.link.fail('cache read', error);
      return this.local.cachedEventSync(appId, channel);
    }
  }
}

/** A broadcast that carries a cache entry (an HTTP trigger on a cache channel). */
export function isCachedBroadcast(message: AdapterMessage): message is CachedBroadcast {
  return message.type === 'broadcast' && message.cache !== undefined;
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
