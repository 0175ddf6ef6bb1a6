/**
 * The registry of one app: channels → subscribers, with the reverse index kept on each connection
 * (`connection.subscriptions`) so a disconnect costs O(its channels). Presence is keyed by user: a
 * member counts its connections, `member_added` goes out on the first and `member_removed` after the
 * last. The signed-in users (terminate and watchlists) are `users` (users.ts).
 *
 * What the whole cluster shares goes through the adapter (scaling/cluster-state.ts): presence members
 * (`member_added`/`member_removed` on the user's first/last connection anywhere, the member list in
 * `subscription_succeeded`), who is signed in (watchlists) and the last event of cache channels. The
 * local `members` map only counts this node's connections, for stats and local answers.
 */
import {
  type ChannelTraits,
  channelTraits,
  encodeServerMessage,
  InternalEvent,
  type PresenceChannelData,
  PusherEvent,
} from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import type {
  Adapter,
  AdapterMessage,
  AdapterQueryResults,
  ChannelSnapshot,
  QueryOf,
} from '../scaling/adapter';
import type { ReverbEvents } from '../shared/hooks';
import { broadcastFrame } from '../socket/broadcast';
import type { Connection, PresenceMember, SubscribedChannel } from '../socket/connection';
import { AppUsers } from './users';

/** Above this many subscribers, subscription counts go out at most every {@link COUNT_THROTTLE_MS}. */
const COUNT_THROTTLE_ABOVE = 100;
const COUNT_THROTTLE_MS = 5_000;

export class Channel implements SubscribedChannel {
  readonly subscribers = new Set<Connection>();
  /** Presence only: user id → member, in join order. */
  readonly members: Map<string, PresenceMember> | undefined;

  constructor(
    readonly name: string,
    readonly traits: ChannelTraits,
  ) {
    this.members = traits.isPresence ? new Map() : undefined;
  }
}

export interface RegistryStats {
  readonly connections: number;
  readonly channels: number;
  readonly subscriptions: number;
  readonly presenceMembers: number;
  readonly users: number;
  readonly watchers: number;
  /** Users whose newest session (docs/protocol.md §11.2) this node records, or with a claim in flight. */
  readonly sessionUsers: number;
}

export class AppRegistry {
  readonly connections = new Set<Connection>();
  private readonly bySocketId = new Map<string, Connection>();
  private readonly channels = new Map<string, Channel>();
  /** Signed-in users and watchlists. */
  readonly users: AppUsers;
  /**
   * §3.14 throttling, by channel name: when this node last sent a count, and the newest count it is
   * holding back. Counts are cluster-wide (the adapter adds up every node's subscriptions).
   */
  private readonly counts = new Map<string, { lastSentMs: number; pending: number | undefined }>();

  constructor(
    readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly maxBufferedBytes: number,
    private readonly adapter: Adapter,
    /** Reports a failure in the asynchronous part of a join, leave or sign-in (never thrown). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.users = new AppUsers(app, events, maxBufferedBytes, adapter, onError);
  }

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
    this.users.signOut(conn);
  }

  // ───────────── channels ─────────────

  /** Whether `userId` may join presence channel `name` without going over the member limit. */
  hasRoomFor(name: string, userId: string): boolean {
    const members = this.channels.get(name)?.members;
    if (!members || members.has(userId)) return true;
    return members.size < this.app.limits.maxPresenceMembers;
  }

  /**
   * Records the subscription and answers it (§3.4 steps 5–6). The caller has checked everything but
   * the cluster-wide member limit: resolves false (nothing recorded) when the presence channel is full.
   * Never rejects.
   */
  async join(conn: Connection, name: string, member?: PresenceChannelData): Promise<boolean> {
    let channel = this.channels.get(name);
    const created = channel === undefined;
    if (!channel) {
      channel = new Channel(name, channelTraits(name));
      this.channels.set(name, channel);
    }
    channel.subscribers.add(conn);
    const userId = member && channel.members ? member.user_id : undefined;
    if (member && channel.members) {
      const existing = channel.members.get(member.user_id);
      if (existing) existing.connections++;
      else channel.members.set(member.user_id, { info: member.user_info, connections: 1 });
    }
    conn.subscriptions.set(name, { channel, userId });
    if (created) this.events.emit('channel_occupied', { appId: this.app.id, channel: name });

    if (!member || !channel.members) {
      conn.sendMessage({ event: InternalEvent.SubscriptionSucceeded, channel: name, data: {} });
      if (channel.traits.isCache) void this.replayCache(conn, name, channel);
      this.subscriptionsChanged(channel, 1);
      return true;
    }
    try {
      return await this.joinPresence(conn, channel, member);
    } catch (error) {
      this.onError(error);
      return true;
    }
  }

  /** The cluster-wide half of a presence join: member limit, member list, `member_added`. */
  private async joinPresence(
    conn: Connection,
    channel: Channel,
    member: PresenceChannelData,
  ): Promise<boolean> {
    const { name } = channel;
    const appId = this.app.id;
    const outcome = await this.adapter.state.joinPresence(
      appId,
      name,
      member.user_id,
      member.user_info,
      this.app.limits.maxPresenceMembers,
    );
    const stillSubscribed = () => conn.subscriptions.get(name)?.channel === channel;
    if (outcome === 'full') {
      if (stillSubscribed()) this.leave(conn, name, { quiet: true });
      return false;
    }
    // Told even if the connection is already gone again: its member_removed will follow.
    if (outcome === 'first') {
      this.events.emit('member_added', { appId, channel: name, userId: member.user_id });
      const data =
        member.user_info === undefined
          ? { user_id: member.user_id }
          : { user_id: member.user_id, user_info: member.user_info };
      const frame = encodeServerMessage({ event: InternalEvent.MemberAdded, channel: name, data });
      await this.adapter.publish({
        type: 'broadcast',
        appId,
        channel: name,
        frame,
        exceptSocketId: conn.socketId,
      });
    }
    if (!stillSubscribed()) return true;
    const members = await this.adapter.state.presenceMembers(appId, name);
    if (!stillSubscribed()) return true;
    conn.sendMessage({
      event: InternalEvent.SubscriptionSucceeded,
      channel: name,
      data: { presence: { ids: members.ids, hash: members.hash, count: members.ids.length } },
    });
    if (channel.traits.isCache) await this.replayCache(conn, name, channel);
    return true;
  }

  /**
   * Removes one subscription; false when there was none. `quiet` undoes a join the cluster refused:
   * the adapter already forgot the member, and nobody was told about it.
   */
  leave(conn: Connection, name: string, options: { quiet?: boolean } = {}): boolean {
    const subscription = conn.subscriptions.get(name);
    if (!subscription) return false;
    conn.subscriptions.delete(name);
    const { channel, userId } = subscription;
    channel.subscribers.delete(conn);
    if (userId !== undefined && channel.members) {
      const member = channel.members.get(userId);
      if (member && --member.connections <= 0) channel.members.delete(userId);
      if (!options.quiet) this.leavePresence(name, userId).catch(this.onError);
    }
    if (channel.subscribers.size === 0) {
      this.channels.delete(name);
      this.events.emit('channel_vacated', { appId: this.app.id, channel: name });
    }
    // Subscribers on other nodes still hear the new count when this node has none left.
    this.subscriptionsChanged(channel, -1);
    return true;
  }

  /** `member_removed` once the user's last connection anywhere in the cluster is gone. */
  private async leavePresence(name: string, userId: string): Promise<void> {
    const appId = this.app.id;
    if ((await this.adapter.state.leavePresence(appId, name, userId)) !== 'last') return;
    this.events.emit('member_removed', { appId, channel: name, userId });
    const frame = encodeServerMessage({
      event: InternalEvent.MemberRemoved,
      channel: name,
      data: { user_id: userId },
    });
    await this.adapter.publish({ type: 'broadcast', appId, channel: name, frame });
  }

  /** §3.14: the new count over every node, to every subscriber, throttled to one every 5 s above 100. */
  private subscriptionsChanged(channel: SubscribedChannel, delta: 1 | -1): void {
    if (!this.app.subscriptionCount || !channel.traits.countsSubscriptions) return;
    this.adapter.state
      .countSubscription(this.app.id, channel.name, delta)
      .then((total) => this.countChanged(channel.name, total, Date.now()))
      .catch(this.onError);
  }

  private countChanged(name: string, total: number, nowMs: number): void {
    if (total === 0) {
      this.counts.delete(name);
      return;
    }
    const state = this.counts.get(name) ?? { lastSentMs: 0, pending: undefined };
    this.counts.set(name, state);
    if (total > COUNT_THROTTLE_ABOVE && nowMs - state.lastSentMs < COUNT_THROTTLE_MS) {
      state.pending = total;
      return;
    }
    this.sendCount(name, total, nowMs);
  }

  private sendCount(name: string, subscriptionCount: number, nowMs: number): void {
    const state = this.counts.get(name);
    if (state) {
      state.lastSentMs = nowMs;
      state.pending = undefined;
    }
    const frame = encodeServerMessage({
      event: InternalEvent.SubscriptionCount,
      channel: name,
      data: { subscription_count: subscriptionCount },
    });
    this.adapter.publish({ type: 'broadcast', appId: this.app.id, channel: name, frame }).catch(this.onError);
    this.events.emit('subscription_count', { appId: this.app.id, channel: name, subscriptionCount });
  }

  // ───────────── publishing ─────────────

  /** Applies an adapter message on this node. */
  apply(message: AdapterMessage): void {
    if (message.type === 'terminate_user') {
      this.users.terminate(message.userId);
      return;
    }
    if (message.type === 'user_status') {
      this.users.notifyWatchers(message.userId, message.online ? 'online' : 'offline');
      return;
    }
    if (message.type === 'session_replaced') {
      this.users.sessions.apply(message);
      return;
    }
    const channel = this.channels.get(message.channel);
    if (!channel) return;
    const except =
      message.exceptSocketId === undefined ? undefined : this.bySocketId.get(message.exceptSocketId);
    broadcastFrame(channel.subscribers, message.frame, this.maxBufferedBytes, except);
  }

  /** §3.13: the last event, kept cluster-wide by the adapter, or `pusher:cache_miss`. */
  private async replayCache(conn: Connection, name: string, channel: Channel): Promise<void> {
    try {
      const cached = await this.adapter.state.cachedEvent(this.app.id, name);
      if (conn.subscriptions.get(name)?.channel !== channel) return;
      if (cached) {
        conn.send(cached.frame);
        return;
      }
      conn.sendMessage({ event: PusherEvent.CacheMiss, channel: name, data: {} });
      this.events.emit('cache_miss', { appId: this.app.id, channel: name });
    } catch (error) {
      this.onError(error);
    }
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
      case 'cache':
        // Cache channels are shared state: the adapter answers for them, never a single node.
        return null;
    }
  }

  /** Shared-timer work: throttled counts. */
  tick(nowMs: number): void {
    for (const [name, state] of this.counts) {
      if (state.pending !== undefined && nowMs - state.lastSentMs >= COUNT_THROTTLE_MS) {
        this.sendCount(name, state.pending, nowMs);
      }
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
      users: this.users.userCount,
      watchers: this.users.watchedCount,
      sessionUsers: this.users.sessions.trackedUsers,
    };
  }
}

function snapshot(channel: Channel): ChannelSnapshot {
  return channel.members
    ? { subscriptionCount: channel.subscribers.size, userCount: channel.members.size }
    : { subscriptionCount: channel.subscribers.size };
}
