/**
 * The registry of one app: channels → subscribers, with the reverse index kept on each connection
 * (`connection.subscriptions`) so a disconnect costs O(its channels). Presence is keyed by user: a
 * member counts its connections, `member_added` goes out on the first and `member_removed` after the
 * last. Also the signed-in users (for `#server-to-user-`, terminate and watchlists) and the last event
 * of each cache channel.
 */
import {
  type ChannelTraits,
  channelTraits,
  encodeServerMessage,
  InternalEvent,
  Limits,
  type PresenceChannelData,
  PusherEvent,
  type UserInfo,
  type WatchlistEvent,
} from '@react-reverb/core/protocol';
import { broadcastFrame } from './broadcast';
import type { AppConfig } from './config';
import type { Connection } from './connection';
import type { ReverbEvents } from './hooks';
import type { AdapterMessage, AdapterQueryResults, ChannelSnapshot, QueryOf } from './scaling/adapter';

/** Above this many subscribers, subscription counts go out at most every {@link COUNT_THROTTLE_MS}. */
const COUNT_THROTTLE_ABOVE = 100;
const COUNT_THROTTLE_MS = 5_000;

interface Member {
  readonly info: UserInfo | undefined;
  connections: number;
}

export class Channel {
  readonly subscribers = new Set<Connection>();
  /** Presence only: user id → member, in join order. */
  readonly members: Map<string, Member> | undefined;
  lastCountSentMs = 0;

  constructor(
    readonly name: string,
    readonly traits: ChannelTraits,
  ) {
    this.members = traits.isPresence ? new Map() : undefined;
  }
}

interface CacheEntry {
  readonly frame: string;
  readonly data: string;
  readonly expiresAtMs: number;
}

export interface RegistryStats {
  readonly connections: number;
  readonly channels: number;
  readonly subscriptions: number;
  readonly presenceMembers: number;
  readonly users: number;
  readonly watchers: number;
}

export class AppRegistry {
  readonly connections = new Set<Connection>();
  private readonly bySocketId = new Map<string, Connection>();
  private readonly channels = new Map<string, Channel>();
  /** Signed-in users → their connections. */
  private readonly users = new Map<string, Set<Connection>>();
  /** Watched user id → connections watching it. */
  private readonly watchers = new Map<string, Set<Connection>>();
  private readonly cache = new Map<string, CacheEntry>();
  /** Channels whose throttled subscription count still has to go out. */
  private readonly pendingCounts = new Set<Channel>();

  constructor(
    readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly maxBufferedBytes: number,
  ) {}

  // ───────────── connections ─────────────

  addConnection(conn: Connection): void {
    this.connections.add(conn);
    this.bySocketId.set(conn.socketId, conn);
  }

  /** Undoes everything the connection did; safe to call twice. */
  removeConnection(conn: Connection): void {
    if (!this.connections.delete(conn)) return;
    this.bySocketId.delete(conn.socketId);
    for (const name of [...conn.subscriptions.keys()]) this.leave(conn, name);
    this.signOut(conn);
  }

  // ───────────── channels ─────────────

  /** Whether `userId` may join presence channel `name` without going over the member limit. */
  hasRoomFor(name: string, userId: string): boolean {
    const members = this.channels.get(name)?.members;
    if (!members || members.has(userId)) return true;
    return members.size < this.app.limits.maxPresenceMembers;
  }

  /** Records the subscription and answers it (§3.4 steps 5–6). The caller has checked everything. */
  join(conn: Connection, name: string, member?: PresenceChannelData): void {
    let channel = this.channels.get(name);
    const created = channel === undefined;
    if (!channel) {
      channel = new Channel(name, channelTraits(name));
      this.channels.set(name, channel);
    }
    channel.subscribers.add(conn);
    let firstForUser = false;
    const userId = member && channel.members ? member.user_id : undefined;
    if (member && channel.members) {
      const existing = channel.members.get(member.user_id);
      if (existing) existing.connections++;
      else {
        channel.members.set(member.user_id, { info: member.user_info, connections: 1 });
        firstForUser = true;
      }
    }
    conn.subscriptions.set(name, { channel, userId });
    if (created) this.events.emit('channel_occupied', { appId: this.app.id, channel: name });

    conn.sendMessage({
      event: InternalEvent.SubscriptionSucceeded,
      channel: name,
      data: channel.members ? { presence: presenceData(channel.members) } : {},
    });

    if (firstForUser && member) {
      this.events.emit('member_added', { appId: this.app.id, channel: name, userId: member.user_id });
      const data =
        member.user_info === undefined
          ? { user_id: member.user_id }
          : { user_id: member.user_id, user_info: member.user_info };
      const frame = encodeServerMessage({ event: InternalEvent.MemberAdded, channel: name, data });
      broadcastFrame(channel.subscribers, frame, this.maxBufferedBytes, conn);
    }

    if (channel.traits.isCache) this.replayCache(conn, name);
    this.countChanged(channel, Date.now());
  }

  /** Removes one subscription; false when there was none. */
  leave(conn: Connection, name: string): boolean {
    const subscription = conn.subscriptions.get(name);
    if (!subscription) return false;
    conn.subscriptions.delete(name);
    const { channel, userId } = subscription;
    channel.subscribers.delete(conn);
    if (userId !== undefined && channel.members) {
      const member = channel.members.get(userId);
      if (member && --member.connections <= 0) {
        channel.members.delete(userId);
        this.events.emit('member_removed', { appId: this.app.id, channel: name, userId });
        const frame = encodeServerMessage({
          event: InternalEvent.MemberRemoved,
          channel: name,
          data: { user_id: userId },
        });
        broadcastFrame(channel.subscribers, frame, this.maxBufferedBytes);
      }
    }
    if (channel.subscribers.size === 0) {
      this.channels.delete(name);
      this.pendingCounts.delete(channel);
      this.events.emit('channel_vacated', { appId: this.app.id, channel: name });
    } else {
      this.countChanged(channel, Date.now());
    }
    return true;
  }

  /** §3.14: on each change, throttled to one every 5 s above 100 subscribers. */
  private countChanged(channel: Channel, nowMs: number): void {
    if (!this.app.subscriptionCount || !channel.traits.countsSubscriptions) return;
    if (
      channel.subscribers.size > COUNT_THROTTLE_ABOVE &&
      nowMs - channel.lastCountSentMs < COUNT_THROTTLE_MS
    ) {
      this.pendingCounts.add(channel);
      return;
    }
    this.sendCount(channel, nowMs);
  }

  private sendCount(channel: Channel, nowMs: number): void {
    channel.lastCountSentMs = nowMs;
    this.pendingCounts.delete(channel);
    const subscriptionCount = channel.subscribers.size;
    const frame = encodeServerMessage({
      event: InternalEvent.SubscriptionCount,
      channel: channel.name,
      data: { subscription_count: subscriptionCount },
    });
    broadcastFrame(channel.subscribers, frame, this.maxBufferedBytes);
    this.events.emit('subscription_count', { appId: this.app.id, channel: channel.name, subscriptionCount });
  }

  // ───────────── publishing ─────────────

  /** Applies an adapter message on this node. */
  apply(message: AdapterMessage): void {
    if (message.type === 'terminate_user') {
      this.terminateUser(message.userId);
      return;
    }
    if (message.cache) {
      this.cache.set(message.channel, {
        frame: message.frame,
        data: message.cache.data,
        expiresAtMs: Date.now() + message.cache.ttlSeconds * 1000,
      });
    }
    const channel = this.channels.get(message.channel);
    if (!channel) return;
    const except =
      message.exceptSocketId === undefined ? undefined : this.bySocketId.get(message.exceptSocketId);
    broadcastFrame(channel.subscribers, message.frame, this.maxBufferedBytes, except);
  }

  private replayCache(conn: Connection, name: string): void {
    const entry = this.cache.get(name);
    if (entry && entry.expiresAtMs > Date.now()) {
      conn.send(entry.frame);
      return;
    }
    if (entry) this.cache.delete(name);
    conn.sendMessage({ event: PusherEvent.CacheMiss, channel: name, data: {} });
    this.events.emit('cache_miss', { appId: this.app.id, channel: name });
  }

  // ───────────── users ─────────────

  /** Records a sign-in and starts its watchlist; returns false when the watchlist was cut to 100. */
  signIn(conn: Connection, userId: string, watchlist: readonly string[] | undefined): boolean {
    if (conn.userId !== userId) {
      conn.userId = userId;
      let connections = this.users.get(userId);
      const cameOnline = connections === undefined;
      if (!connections) {
        connections = new Set();
        this.users.set(userId, connections);
      }
      connections.add(conn);
      this.events.emit('user_signed_in', { appId: this.app.id, userId, socketId: conn.socketId });
      if (cameOnline) this.notifyWatchers(userId, 'online');
    }
    if (!this.app.watchlist || watchlist === undefined) return true;
    this.unwatch(conn);
    const accepted = [...new Set(watchlist)].slice(0, Limits.MAX_WATCHLIST_SIZE);
    conn.watchlist = accepted;
    for (const watched of accepted) {
      let set = this.watchers.get(watched);
      if (!set) {
        set = new Set();
        this.watchers.set(watched, set);
      }
      set.add(conn);
    }
    const online = accepted.filter((id) => this.users.has(id));
    const offline = accepted.filter((id) => !this.users.has(id));
    const events: WatchlistEvent[] = [];
    if (online.length > 0) events.push({ name: 'online', user_ids: online });
    if (offline.length > 0) events.push({ name: 'offline', user_ids: offline });
    if (events.length > 0) conn.sendMessage({ event: InternalEvent.WatchlistEvents, data: { events } });
    return new Set(watchlist).size <= Limits.MAX_WATCHLIST_SIZE;
  }

  private signOut(conn: Connection): void {
    this.unwatch(conn);
    const userId = conn.userId;
    if (userId === undefined) return;
    const connections = this.users.get(userId);
    if (!connections) return;
    connections.delete(conn);
    if (connections.size === 0) {
      this.users.delete(userId);
      this.notifyWatchers(userId, 'offline');
    }
  }

  private unwatch(conn: Connection): void {
    for (const watched of conn.watchlist) {
      const set = this.watchers.get(watched);
      if (!set) continue;
      set.delete(conn);
      if (set.size === 0) this.watchers.delete(watched);
    }
    conn.watchlist = [];
  }

  private notifyWatchers(userId: string, name: 'online' | 'offline'): void {
    const watching = this.watchers.get(userId);
    if (!watching || watching.size === 0) return;
    const frame = encodeServerMessage({
      event: InternalEvent.WatchlistEvents,
      data: { events: [{ name, user_ids: [userId] }] },
    });
    broadcastFrame(watching, frame, this.maxBufferedBytes);
  }

  /** §7.3: closes every connection signed in as the user, with 4009 (pusher-js won't reconnect). */
  terminateUser(userId: string): void {
    const connections = this.users.get(userId);
    if (!connections) return;
    for (const conn of [...connections]) conn.close(4009, 'Connection terminated by the application');
  }

  // ───────────── queries ─────────────

  answer<T extends 'channels' | 'channel' | 'users' | 'cache'>(query: QueryOf<T>): AdapterQueryResults[T] {
    return this.answerAny(query) as AdapterQueryResults[T];
  }

  private answerAny(query: QueryOf<'channels' | 'channel' | 'users' | 'cache'>): unknown {
    switch (query.type) {
      case 'channels': {
        const result: Record<string, ChannelSnapshot> = {};
        const prefix = query.prefix ?? '';
        for (const [name, channel] of this.channels) {
          if (!name.startsWith(prefix)) continue;
          // Internal per-user channels are listed only when asked for by prefix.
          if (name.startsWith('#') && !prefix.startsWith('#')) continue;
          result[name] = snapshot(channel);
        }
        return result;
      }
      case 'channel': {
        const channel = this.channels.get(query.channel);
        return channel
          ? snapshot(channel)
          : { subscriptionCount: 0, ...(channelTraits(query.channel).isPresence ? { userCount: 0 } : {}) };
      }
      case 'users':
        return [...(this.channels.get(query.channel)?.members?.keys() ?? [])];
      case 'cache': {
        const entry = this.cache.get(query.channel);
        const now = Date.now();
        if (!entry || entry.expiresAtMs <= now) return null;
        return { data: entry.data, ttl: Math.max(1, Math.ceil((entry.expiresAtMs - now) / 1000)) };
      }
    }
  }

  /** Shared-timer work: throttled counts and cache expiry. */
  tick(nowMs: number): void {
    for (const channel of this.pendingCounts) {
      if (nowMs - channel.lastCountSentMs >= COUNT_THROTTLE_MS) this.sendCount(channel, nowMs);
    }
    for (const [name, entry] of this.cache) {
      if (entry.expiresAtMs <= nowMs) this.cache.delete(name);
    }
  }

  stats(): RegistryStats {
    let subscriptions = 0;
    let presenceMembers = 0;
    for (const channel of this.channels.values()) {
      subscriptions += channel.subscribers.size;
      presenceMembers += channel.members?.size ?? 0;
    }
    return {
      connections: this.connections.size,
      channels: this.channels.size,
      subscriptions,
      presenceMembers,
      users: this.users.size,
      watchers: this.watchers.size,
    };
  }
}

function snapshot(channel: Channel): ChannelSnapshot {
  return channel.members
    ? { subscriptionCount: channel.subscribers.size, userCount: channel.members.size }
    : { subscriptionCount: channel.subscribers.size };
}

function presenceData(members: Map<string, Member>) {
  const ids: string[] = [];
  const hash: Record<string, UserInfo> = {};
  for (const [id, member] of members) {
    ids.push(id);
    hash[id] = member.info ?? null;
  }
  return { ids, hash, count: ids.length };
}
