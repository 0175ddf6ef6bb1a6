/**
 * The only seam for scale-out (docs/architecture.md §6). Every broadcast and every question the HTTP API asks
 * goes through an `Adapter`, and so does the state a cluster shares (its `state`, cluster-state.ts:
 * presence members, signed-in users, connection counts, cache channels). `LocalAdapter` serves one node;
 * `RedisAdapter` (redis-adapter.ts) publishes to the other nodes too and merges their answers, which is
 * why everything here returns a Promise. Both pass tests/scaling/adapter-contract.test.ts.
 */
import {
  encodeServerMessage,
  InternalEvent,
  type StreamPosition,
  type UserInfo,
} from '@react-reverb/core/protocol';
import { type ClusterState, MemoryClusterState, ONLINE_SET } from './cluster-state';
import type { HistoryStore } from './history';
import { MemoryHistory } from './memory-history';
import { MemorySessionState, type SessionState } from './sessions';

/** A message every node applies to its local sockets. `frame` is already encoded: nodes only frame it. */
export type AdapterMessage =
  | {
      readonly type: 'broadcast';
      readonly appId: string;
      readonly channel: string;
      readonly frame: string;
      /** The socket that must not receive it (HTTP `socket_id`, or the sender of a client event). */
      readonly exceptSocketId?: string | undefined;
      /** Set for HTTP triggers on cache channels: the adapter keeps it, cluster-wide, as the channel's last event. */
      readonly cache?: { readonly data: string; readonly ttlSeconds: number } | undefined;
      /**
       * Set by the HTTP API for triggers on a channel that keeps history (docs/protocol.md §11.1): the
       * adapter appends the event to the channel's stream, with the app's limits, before delivering it.
       */
      readonly history?: { readonly maxEvents: number; readonly ttlMs: number } | undefined;
      /**
       * The event's place in its channel's stream, set by the adapter once the history assigned it:
       * every node sends `positionFrame(frame, position)` (the same position on every node).
       */
      readonly position?: StreamPosition | undefined;
    }
  | { readonly type: 'terminate_user'; readonly appId: string; readonly userId: string }
  /** A signed-in user came online on its first connection anywhere, or went offline after its last. */
  | {
      readonly type: 'user_status';
      readonly appId: string;
      readonly userId: string;
      readonly online: boolean;
    }
  /**
   * Single session (packages/server/docs/single-session.md): `keepSessionId` is the user's current
   * session as of `order`. Each node closes the user's connections of other sessions with a lower
   * order (session-verdict.ts); `closeSessionless` (HTTP `end_other_sessions` only) closes the ones
   * signed in without a session too.
   */
  | {
      readonly type: 'session_replaced';
      readonly appId: string;
      readonly userId: string;
      readonly keepSessionId: string;
      readonly order: number;
      readonly closeSessionless?: boolean | undefined;
    };

export interface ChannelSnapshot {
  readonly subscriptionCount: number;
  /** Distinct users, presence channels only. */
  readonly userCount?: number;
}

export interface CacheSnapshot {
  readonly data: string;
  readonly ttl: number;
}

export type AdapterQuery =
  | { readonly type: 'channels'; readonly appId: string; readonly prefix?: string | undefined }
  | { readonly type: 'channel'; readonly appId: string; readonly channel: string }
  | { readonly type: 'users'; readonly appId: string; readonly channel: string }
  | { readonly type: 'cache'; readonly appId: string; readonly channel: string };

export interface AdapterQueryResults {
  /** Occupied channels only. */
  channels: Record<string, ChannelSnapshot>;
  channel: ChannelSnapshot;
  /** Distinct user ids in join order. */
  users: string[];
  cache: CacheSnapshot | null;
}

export type QueryOf<T extends AdapterQuery['type']> = Extract<AdapterQuery, { type: T }>;

/** What a node offers its adapter: apply a message locally, answer a question from local state. */
export interface LocalNode {
  apply(message: AdapterMessage): void;
  answer<T extends AdapterQuery['type']>(query: QueryOf<T>): AdapterQueryResults[T];
}

export interface Adapter {
  /** The state the cluster shares: presence members, signed-in users, quotas, counts, cache entries. */
  readonly state: ClusterState;
  /** Single session (packages/server/docs/single-session.md): each user's current and replaced sessions. */
  readonly sessions: SessionState;
  /**
   * Channel history for recovery (docs/protocol.md §11.1): the node's own (`MemoryHistory`) or the
   * cluster's (`RedisHistory`). `publish` appends to it; a subscribe reads from it.
   */
  readonly history: HistoryStore;
  /**
   * Delivers to this node's sockets and, in a cluster, to every other node's. A broadcast carrying
   * `history` is first appended to its stream and delivered with its `position`; the messages of one
   * stream are applied on every node in offset order.
   */
  publish(message: AdapterMessage): Promise<void>;
  /** Answers for the whole cluster. */
  query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]>;
  close(): Promise<void>;
  /** Resolves once the other nodes are reachable (absent: a single node, always ready). */
  ready?(): Promise<void>;
  /**
   * Resolves once no state call is waiting for an answer (absent: answers come at once). A stopping
   * server waits for it before flushing webhooks, since a leave in flight may end in `member_removed`.
   */
  settled?(): Promise<void>;
}

export interface LocalAdapterOptions {
  /** REVERB_HISTORY_MEMORY_BUDGET: bytes of channel history this node keeps. */
  readonly memoryBudgetBytes?: number;
}

/**
 * One node: publish applies locally, channel questions read the local registry, and the shared state
 * is a `MemoryClusterState`. Presence user counts and member lists come from that state, exactly as
 * the Redis adapter takes them from Redis. History lives in this node's memory.
 */
export class LocalAdapter implements Adapter {
  readonly state = new MemoryClusterState();
  readonly sessions = new MemorySessionState();
  readonly history: MemoryHistory;

  constructor(
    private readonly node: LocalNode,
    options: LocalAdapterOptions = {},
  ) {
    this.history = new MemoryHistory(
      options.memoryBudgetBytes === undefined ? {} : { memoryBudgetBytes: options.memoryBudgetBytes },
    );
  }

  async publish(message: AdapterMessage): Promise<void> {
    if (message.type !== 'broadcast') {
      this.node.apply(message);
      return;
    }
    // Append and apply with nothing in between: the order of application is the order of offsets.
    this.node.apply(keepInMemory(this.state, this.history, message));
  }

  async query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return this.answer(query as AdapterQuery) as AdapterQueryResults[T];
  }

  private answer(query: AdapterQuery): unknown {
    switch (query.type) {
      case 'users':
        return this.state.membersSync(query.appId, query.channel).ids;
      case 'cache': {
        const cached = this.state.cachedEventSync(query.appId, query.channel);
        return cached ? { data: cached.data, ttl: cached.ttl } : null;
      }
      case 'channel':
        return this.withUserCount(query.appId, query.channel, this.node.answer(query));
      case 'channels': {
        const result: Record<string, ChannelSnapshot> = {};
        for (const [name, snapshot] of Object.entries(this.node.answer(query))) {
          result[name] = this.withUserCount(query.appId, name, snapshot);
        }
        return result;
      }
    }
  }

  private withUserCount(appId: string, channel: string, snapshot: ChannelSnapshot): ChannelSnapshot {
    if (snapshot.userCount === undefined) return snapshot;
    return { ...snapshot, userCount: this.state.membersSync(appId, channel).ids.length };
  }

  async close(): Promise<void> {}
}

export type AdapterFactory = (node: LocalNode) => Adapter;

type Broadcast = Extract<AdapterMessage, { type: 'broadcast' }>;

/**
 * The broadcast as the nodes apply it once the history gave it its place: every field but `history`
 * (the limits are the appending store's business), and `position`. Written out field by field: an
 * object rest (`{ history, ...broadcast }`) is a slow generic copy, and this runs on every publish
 * to a history channel (LocalAdapter, and the primary of `--workers N`).
 */
function positioned(message: Broadcast, position: StreamPosition): Broadcast {
  return {
    type: 'broadcast',
    appId: message.appId,
    channel: message.channel,
    frame: message.frame,
    exceptSocketId: message.exceptSocketId,
    cache: message.cache,
    position,
  };
}

/**
 * A broadcast kept in this process's memory (LocalAdapter, and the primary of `--workers N`): a
 * cache channel's event becomes its last event, and an event on a history channel is appended to its
 * stream. Returns the broadcast to apply: `positioned` when it was appended, else `message` itself.
 * Plain literals, no rest or spread: this runs for every trigger on a history channel.
 */
export function keepInMemory(state: MemoryClusterState, store: MemoryHistory, message: Broadcast): Broadcast {
  const { appId, channel, frame, exceptSocketId, cache, history } = message;
  if (cache) state.storeCache(appId, channel, frame, cache.data, cache.ttlSeconds);
  if (!history) return message;
  const { maxEvents, ttlMs } = history;
  const position = store.append(appId, channel, frame, { exceptSocketId, maxEvents, ttlMs });
  return positioned(message, position);
}

/**
 * What every node applies when a membership of `set` (a presence channel, or {@link ONLINE_SET} for
 * signed-in users) began or ended cluster-wide without a join or leave of this node's own: a resync
 * after a Redis outage, a dead node or worker purged. `user_status` for a signed-in user,
 * `member_added`/`member_removed` for a presence member.
 */
export function membershipMessage(
  appId: string,
  set: string,
  userId: string,
  joined: boolean,
  info?: UserInfo,
): AdapterMessage {
  if (set === ONLINE_SET) return { type: 'user_status', appId, userId, online: joined };
  const frame = joined
    ? encodeServerMessage({
        event: InternalEvent.MemberAdded,
        channel: set,
        data: info === undefined ? { user_id: userId } : { user_id: userId, user_info: info },
      })
    : encodeServerMessage({
        event: InternalEvent.MemberRemoved,
        channel: set,
        data: { user_id: userId },
      });
  return { type: 'broadcast', appId, channel: set, frame };
}
