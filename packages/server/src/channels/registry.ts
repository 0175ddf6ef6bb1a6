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
 *
 * On a channel that keeps history (docs/protocol.md §11.1) a subscribe is answered from the history:
 * the connection is held, its live frames kept aside, until `subscription_succeeded` and the replay
 * are sent (recovery.ts says why); broadcasts carry their stream position on every frame.
 */
import {
  channelTraits,
  encodeServerMessage,
  type HistoryRequest,
  InternalEvent,
  type PresenceChannelData,
  PusherEvent,
  positionFrame,
  RECOVERY_NOT_KEPT,
  type StreamPosition,
  streamAnswer,
} from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import { keepsHistory } from '../config/history-channels';
import type { Adapter, AdapterMessage, AdapterQueryResults, QueryOf } from '../scaling/adapter';
import type { CachedEvent, PresenceMembers } from '../scaling/cluster-state';
import type { ReverbEvents } from '../shared/hooks';
import { broadcastFrame } from '../socket/broadcast';
import type { Connection } from '../socket/connection';
import { answerChannelQuery, Channel } from './channel';
import { AppliedPositions, type HeldFrame, Hold } from './recovery';
import { SubscriptionCounts } from './subscription-counts';
import { AppUsers } from './users';

export interface RegistryStats {
  readonly connections: number;
  readonly channels: number;
  readonly subscriptions: number;
  readonly presenceMembers: number;
  readonly users: number;
  readonly watchers: number;
  /** Users whose newest session (docs/protocol.md §11.2) this node records, or with a claim in flight. */
  readonly sessionUsers: number;
  /** Subscriptions being answered from the history right now (§11.1). */
  readonly held: number;
}

export class AppRegistry {
  readonly connections = new Set<Connection>();
  private readonly bySocketId = new Map<string, Connection>();
  private readonly channels = new Map<string, Channel>();
  /** Signed-in users and watchlists. */
  readonly users: AppUsers;
  /** §3.14: counts after each subscribe and unsubscribe. */
  private readonly counts: SubscriptionCounts;
  /** §11.1: the last position applied per channel, for subscribes that wait for one (recovery.ts). */
  private readonly applied = new AppliedPositions();

  constructor(
    readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly maxBufferedBytes: number,
    private readonly adapter: Adapter,
    /** Reports a failure in the asynchronous part of a join, leave or sign-in (never thrown). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.users = new AppUsers(app, events, maxBufferedBytes, adapter, onError);
    this.counts = new SubscriptionCounts(app, events, adapter, onError);
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
   * Records the subscription and answers it (§3.4 steps 5–6; on a channel that keeps history, §11.1
   * with `request`, the subscribe's `recover` / `rewind`). The caller has checked everything but the
   * cluster-wide member limit: resolves false (nothing recorded) when the presence channel is full.
   * Never rejects.
   */
  async join(
    conn: Connection,
    name: string,
    member?: PresenceChannelData,
    request?: HistoryRequest,
  ): Promise<boolean> {
    let channel = this.channels.get(name);
    const created = channel === undefined;
    if (!channel) {
      channel = new Channel(name, channelTraits(name));
      this.channels.set(name, channel);
    }
    // On a history channel the connection gets live frames only after its replay (recovery.ts).
    const hold = keepsHistory(this.app, name) ? new Hold() : undefined;
    if (hold) channel.holding.set(conn, hold);
    else channel.subscribers.add(conn);
    const userId = member && channel.members ? member.user_id : undefined;
    if (member && channel.members) {
      const existing = channel.members.get(member.user_id);
      if (existing) existing.connections++;
      else channel.members.set(member.user_id, { info: member.user_info, connections: 1 });
    }
    conn.subscriptions.set(name, { channel, userId });
    if (created) this.events.emit('channel_occupied', { appId: this.app.id, channel: name });

    if (!member || !channel.members) {
      if (hold) {
        this.counts.changed(channel, 1);
        await this.answerFromHistory(conn, channel, hold, request, false);
        return true;
      }
      conn.sendMessage({
        event: InternalEvent.SubscriptionSucceeded,
        channel: name,
        data: request ? NOT_KEPT : {},
      });
      if (channel.traits.isCache) void this.replayCache(conn, name, channel);
      this.counts.changed(channel, 1);
      return true;
    }
    try {
      return await this.joinPresence(conn, channel, member, hold, request);
    } catch (error) {
      this.onError(error);
      if (hold) this.release(conn, channel, hold, undefined);
      return true;
    }
  }

  /** The cluster-wide half of a presence join: member limit, member list, `member_added`. */
  private async joinPresence(
    conn: Connection,
    channel: Channel,
    member: PresenceChannelData,
    hold: Hold | undefined,
    request: HistoryRequest | undefined,
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
    if (hold) {
      await this.answerFromHistory(conn, channel, hold, request, true);
      return true;
    }
    const members = await this.adapter.state.presenceMembers(appId, name);
    if (!stillSubscribed()) return true;
    conn.sendMessage({
      event: InternalEvent.SubscriptionSucceeded,
      channel: name,
      data: { presence: presenceData(members), ...(request ? NOT_KEPT : {}) },
    });
    if (channel.traits.isCache) await this.replayCache(conn, name, channel);
    return true;
  }

  /**
   * §11.1, for every subscribe on a history channel (asked or not, so no live event overtakes the
   * `stream` it answers): reads the history (with the member list on presence channels and the cached
   * event on cache channels), waits for a top still on its way to this node (recovery.ts), then sends
   * `subscription_succeeded` with `stream` (and `recovery` when asked), the replayed events, the cached
   * event unless a complete recovery made it needless, and the live frames held meanwhile. Only then is
   * the connection a subscriber.
   */
  private async answerFromHistory(
    conn: Connection,
    channel: Channel,
    hold: Hold,
    request: HistoryRequest | undefined,
    presence: boolean,
  ): Promise<void> {
    const { name } = channel;
    const appId = this.app.id;
    let stream: StreamPosition | undefined;
    try {
      const [read, members, cached] = await Promise.all([
        this.adapter.history.read(appId, name, {
          ...request,
          currentSocketId: conn.socketId,
          maxEvents: this.app.history.maxEvents,
          ttlMs: this.app.history.ttlMs,
        }),
        presence ? this.adapter.state.presenceMembers(appId, name) : undefined,
        channel.traits.isCache ? this.cachedEvent(name) : undefined,
      ]);
      await this.applied.untilApplied(name, read);
      // Left (or left and came back) meanwhile: that subscription's answer is not this one.
      if (channel.holding.get(conn) !== hold) return;
      stream = read.stream;
      conn.sendMessage({
        event: InternalEvent.SubscriptionSucceeded,
        channel: name,
        data: {
          ...(members ? { presence: presenceData(members) } : {}),
          ...streamAnswer(read.stream, read.recovery),
        },
      });
      for (const event of read.replay) conn.send(event.frame);
      const recovered = request?.recover !== undefined && read.recovery?.recovered === true;
      if (cached !== undefined && !recovered) this.sendCached(conn, name, cached);
    } catch (error) {
      this.onError(error);
    } finally {
      this.release(conn, channel, hold, stream);
    }
  }

  /** Ends a hold: the held frames the replay did not cover go out, and the connection subscribes. */
  private release(conn: Connection, channel: Channel, hold: Hold, stream: StreamPosition | undefined): void {
    if (channel.holding.get(conn) !== hold) return;
    channel.holding.delete(conn);
    for (const frame of hold.after(stream)) conn.send(frame);
    channel.subscribers.add(conn);
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
    channel.holding.delete(conn);
    if (userId !== undefined && channel.members) {
      const member = channel.members.get(userId);
      if (member && --member.connections <= 0) channel.members.delete(userId);
      if (!options.quiet) this.leavePresence(name, userId).catch(this.onError);
    }
    if (channel.subscribers.size === 0 && channel.holding.size === 0) {
      this.channels.delete(name);
      this.events.emit('channel_vacated', { appId: this.app.id, channel: name });
    }
    // Subscribers on other nodes still hear the new count when this node has none left.
    this.counts.changed(channel, -1);
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
    const { position } = message;
    // Remembered even with no subscriber here: a subscribe may be about to wait for it (recovery.ts).
    if (position) this.applied.record(message.channel, position, Date.now());
    const channel = this.channels.get(message.channel);
    if (!channel) return;
    const except =
      message.exceptSocketId === undefined ? undefined : this.bySocketId.get(message.exceptSocketId);
    // §11.1: the position goes on the frame once per node, for every subscriber.
    const frame = position ? positionFrame(message.frame, position) : message.frame;
    broadcastFrame(channel.subscribers, frame, this.maxBufferedBytes, except);
    if (channel.holding.size > 0) this.holdFrame(channel, frame, position, except);
  }

  /** A live frame for the connections whose history is being read; a hold too large is a slow reader. */
  private holdFrame(
    channel: Channel,
    frame: string,
    position: StreamPosition | undefined,
    except: Connection | undefined,
  ): void {
    const held: HeldFrame = { frame, bytes: Buffer.byteLength(frame), position };
    for (const [conn, hold] of channel.holding) {
      if (conn === except || conn.closing) continue;
      if (!hold.push(held, this.maxBufferedBytes)) conn.overCapacity();
    }
  }

  /** §3.13: the last event, kept cluster-wide by the adapter, or `pusher:cache_miss`. */
  private async replayCache(conn: Connection, name: string, channel: Channel): Promise<void> {
    const cached = await this.cachedEvent(name);
    if (cached === undefined || conn.subscriptions.get(name)?.channel !== channel) return;
    this.sendCached(conn, name, cached);
  }

  /** The cached event of a cache channel, null when none; undefined when it could not be read (reported). */
  private async cachedEvent(name: string): Promise<CachedEvent | null | undefined> {
    try {
      return await this.adapter.state.cachedEvent(this.app.id, name);
    } catch (error) {
      this.onError(error);
      return undefined;
    }
  }

  private sendCached(conn: Connection, name: string, cached: CachedEvent | null): void {
    if (cached) {
      conn.send(cached.frame);
      return;
    }
    conn.sendMessage({ event: PusherEvent.CacheMiss, channel: name, data: {} });
    this.events.emit('cache_miss', { appId: this.app.id, channel: name });
  }

  // ───────────── queries ─────────────

  answer<T extends 'channels' | 'channel' | 'users' | 'cache'>(query: QueryOf<T>): AdapterQueryResults[T] {
    return answerChannelQuery(this.channels, query) as AdapterQueryResults[T];
  }

  /** Shared-timer work: the throttled subscription counts. */
  tick(nowMs: number): void {
    this.counts.tick(nowMs);
  }

  /** Shared-timer housekeeping: forgets applied positions older than `APPLIED_KEPT_MS`. */
  pruneApplied(nowMs: number): void {
    this.applied.prune(nowMs);
  }

  stats(): RegistryStats {
    let subscriptions = 0;
    let presenceMembers = 0;
    let held = 0;
    for (const channel of this.channels.values()) {
      subscriptions += channel.subscribers.size + channel.holding.size;
      presenceMembers += channel.members?.size ?? 0;
      held += channel.holding.size;
    }
    return {
      connections: this.connections.size,
      channels: this.channels.size,
      subscriptions,
      presenceMembers,
      users: this.users.userCount,
      watchers: this.users.watchedCount,
      sessionUsers: this.users.sessions.trackedUsers,
      held,
    };
  }
}

/** §3.5: the member list of `subscription_succeeded`. */
function presenceData(members: PresenceMembers) {
  return { ids: members.ids, hash: members.hash, count: members.ids.length };
}

/** §11.1: the answer on a channel that keeps no history, when the subscribe asked for some. */
const NOT_KEPT = { recovery: { recovered: false, replayed: 0, reason: RECOVERY_NOT_KEPT } } as const;
