/**
 * The state a cluster shares beyond broadcasts: presence members (one member per user across every
 * node), signed-in users (for watchlists), connection counts (for quotas) and the last event of each
 * cache channel. Nodes keep their own sockets; only these counts and members are shared.
 *
 * `MemoryClusterState` is the one-node implementation. The Redis adapter also keeps one as the record of
 * its own node's contribution: it answers from it while Redis is unreachable and writes it back to Redis
 * when Redis returns empty (restart) or when this node was wrongly declared dead.
 */
import type { UserInfo } from '@react-reverb/core/protocol';

/** `first`: the user's first connection anywhere; `again`: already a member; `full`: member limit reached. */
export type JoinOutcome = 'first' | 'again' | 'full';
/** `last`: the user's last connection anywhere is gone; `remaining`: still connected somewhere. */
export type LeaveOutcome = 'last' | 'remaining';

export interface PresenceMembers {
  /** Distinct user ids in join order. */
  readonly ids: string[];
  /** `user_info` per id, `null` when the member gave none (docs/protocol.md §3.5). */
  readonly hash: Record<string, UserInfo>;
}

export interface CachedEvent {
  /** The encoded channel event, replayed as is. */
  readonly frame: string;
  readonly data: string;
  /** Seconds left, at least 1. */
  readonly ttl: number;
}

export interface ClusterState {
  /** Records one more connection of `userId` on presence `channel`; `maxMembers` null = unlimited. */
  joinPresence(
    appId: string,
    channel: string,
    userId: string,
    info: UserInfo | undefined,
    maxMembers: number | null,
  ): Promise<JoinOutcome>;
  leavePresence(appId: string, channel: string, userId: string): Promise<LeaveOutcome>;
  presenceMembers(appId: string, channel: string): Promise<PresenceMembers>;
  /** One more connection signed in as `userId`; `first` means the user just came online. */
  userOnline(appId: string, userId: string): Promise<'first' | 'again'>;
  userOffline(appId: string, userId: string): Promise<LeaveOutcome>;
  /** Which of `userIds` are signed in somewhere. */
  onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>>;
  /** Counts a new connection unless the app already has `max` (null = unlimited); false = over quota. */
  reserveConnection(appId: string, max: number | null): Promise<boolean>;
  releaseConnection(appId: string): Promise<void>;
  /** The app's open connections over every node (`GET /apps/{id}/connections`). */
  openConnections(appId: string): Promise<number>;
  /** The last event triggered over HTTP on a cache channel, while its TTL lasts. */
  cachedEvent(appId: string, channel: string): Promise<CachedEvent | null>;
  /** One subscription more (+1) or less (-1) on `channel`; resolves with the count over every node. */
  countSubscription(appId: string, channel: string, delta: 1 | -1): Promise<number>;
}

/** The set name signed-in users are counted under; no presence channel can have it. */
export const ONLINE_SET = '#online';

interface Membership {
  readonly info: UserInfo | undefined;
  connections: number;
}

interface CacheEntry {
  readonly frame: string;
  readonly data: string;
  readonly expiresAtMs: number;
}

/** Membership sets keyed by app, then set name (a presence channel or {@link ONLINE_SET}). */
type Sets = Map<string, Map<string, Map<string, Membership>>>;

export interface LocalMembership {
  readonly appId: string;
  readonly set: string;
  readonly userId: string;
  readonly info: UserInfo | undefined;
  readonly connections: number;
}

export class MemoryClusterState implements ClusterState {
  private readonly sets: Sets = new Map();
  private readonly connections = new Map<string, number>();
  private readonly cache = new Map<string, CacheEntry>();
  /** Subscriptions per app, then channel (§3.14 counts). */
  private readonly subscriptions = new Map<string, Map<string, number>>();

  constructor(private readonly now: () => number = Date.now) {}

  // Synchronous forms, used by the Redis adapter for its local record.

  joinSync(
    appId: string,
    set: string,
    userId: string,
    info: UserInfo | undefined,
    max: number | null,
  ): JoinOutcome {
    const members = this.members(appId, set, true);
    const existing = members.get(userId);
    if (existing) {
      existing.connections++;
      return 'again';
    }
    if (max !== null && members.size >= max) return 'full';
    members.set(userId, { info, connections: 1 });
    return 'first';
  }

  leaveSync(appId: string, set: string, userId: string): LeaveOutcome {
    const members = this.members(appId, set, false);
    const member = members?.get(userId);
    // Not a member (a join refused as full): there is nothing to announce.
    if (!members || !member) return 'remaining';
    if (--member.connections > 0) return 'remaining';
    members.delete(userId);
    if (members.size === 0) this.sets.get(appId)?.delete(set);
    return 'last';
  }

  has(appId: string, set: string, userId: string): boolean {
    return this.members(appId, set, false)?.has(userId) ?? false;
  }

  membersSync(appId: string, set: string): PresenceMembers {
    const ids: string[] = [];
    const hash: Record<string, UserInfo> = {};
    for (const [id, member] of this.members(appId, set, false) ?? []) {
      ids.push(id);
      hash[id] = member.info ?? null;
    }
    return { ids, hash };
  }

  connectionCount(appId: string): number {
    return this.connections.get(appId) ?? 0;
  }

  reserveSync(appId: string, max: number | null): boolean {
    const count = this.connectionCount(appId);
    if (max !== null && count >= max) return false;
    this.connections.set(appId, count + 1);
    return true;
  }

  releaseSync(appId: string): void {
    const count = this.connectionCount(appId) - 1;
    if (count > 0) this.connections.set(appId, count);
    else this.connections.delete(appId);
  }

  countSubscriptionSync(appId: string, channel: string, delta: 1 | -1): number {
    let channels = this.subscriptions.get(appId);
    if (!channels) {
      channels = new Map();
      this.subscriptions.set(appId, channels);
    }
    const count = Math.max(0, (channels.get(channel) ?? 0) + delta);
    if (count > 0) channels.set(channel, count);
    else channels.delete(channel);
    if (channels.size === 0) this.subscriptions.delete(appId);
    return count;
  }

  /** The apps with counted subscriptions. */
  subscribedApps(): Iterable<string> {
    return this.subscriptions.keys();
  }

  /** Subscription counts of one app, by channel (only channels with subscribers). */
  subscriptionCounts(appId: string): ReadonlyMap<string, number> {
    return this.subscriptions.get(appId) ?? new Map();
  }

  storeCache(appId: string, channel: string, frame: string, data: string, ttlSeconds: number): void {
    this.cache.set(cacheId(appId, channel), { frame, data, expiresAtMs: this.now() + ttlSeconds * 1000 });
  }

  cachedEventSync(appId: string, channel: string): CachedEvent | null {
    const id = cacheId(appId, channel);
    const entry = this.cache.get(id);
    if (!entry) return null;
    const leftMs = entry.expiresAtMs - this.now();
    if (leftMs <= 0) {
      this.cache.delete(id);
      return null;
    }
    return { frame: entry.frame, data: entry.data, ttl: Math.max(1, Math.ceil(leftMs / 1000)) };
  }

  /** Everything this node holds, to write back to a shared store. */
  *memberships(): Generator<LocalMembership> {
    for (const [appId, sets] of this.sets) {
      for (const [set, members] of sets) {
        for (const [userId, m] of members)
          yield { appId, set, userId, info: m.info, connections: m.connections };
      }
    }
  }

  connectionCounts(): ReadonlyMap<string, number> {
    return this.connections;
  }

  // ClusterState (one node: the local record is the whole cluster).

  async joinPresence(
    appId: string,
    channel: string,
    userId: string,
    info: UserInfo | undefined,
    maxMembers: number | null,
  ): Promise<JoinOutcome> {
    return this.joinSync(appId, channel, userId, info, maxMembers);
  }

  async leavePresence(appId: string, channel: string, userId: string): Promise<LeaveOutcome> {
    return this.leaveSync(appId, channel, userId);
  }

  async presenceMembers(appId: string, channel: string): Promise<PresenceMembers> {
    return this.membersSync(appId, channel);
  }

  async userOnline(appId: string, userId: string): Promise<'first' | 'again'> {
    return this.joinSync(appId, ONLINE_SET, userId, undefined, null) === 'first' ? 'first' : 'again';
  }

  async userOffline(appId: string, userId: string): Promise<LeaveOutcome> {
    return this.leaveSync(appId, ONLINE_SET, userId);
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    return new Set(userIds.filter((id) => this.has(appId, ONLINE_SET, id)));
  }

  async reserveConnection(appId: string, max: number | null): Promise<boolean> {
    return this.reserveSync(appId, max);
  }

  async releaseConnection(appId: string): Promise<void> {
    this.releaseSync(appId);
  }

  async openConnections(appId: string): Promise<number> {
    return this.connectionCount(appId);
  }

  async cachedEvent(appId: string, channel: string): Promise<CachedEvent | null> {
    return this.cachedEventSync(appId, channel);
  }

  async countSubscription(appId: string, channel: string, delta: 1 | -1): Promise<number> {
    return this.countSubscriptionSync(appId, channel, delta);
  }

  private members(appId: string, set: string, create: true): Map<string, Membership>;
  private members(appId: string, set: string, create: false): Map<string, Membership> | undefined;
  private members(appId: string, set: string, create: boolean): Map<string, Membership> | undefined {
    let sets = this.sets.get(appId);
    if (!sets) {
      if (!create) return undefined;
      sets = new Map();
      this.sets.set(appId, sets);
    }
    let members = sets.get(set);
    if (!members && create) {
      members = new Map();
      sets.set(set, members);
    }
    return members;
  }
}

function cacheId(appId: string, channel: string): string {
  return `${appId}\n${channel}`;
}
