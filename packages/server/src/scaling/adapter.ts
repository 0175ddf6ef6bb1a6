/**
 * The only seam for scale-out (DESIGN.md §3). Every broadcast and every question the HTTP API asks
 * goes through an `Adapter`. `LocalAdapter` serves one node; a Redis adapter (later issue) publishes
 * to the other nodes too and merges their answers, which is why everything here returns a Promise.
 */

/** A message every node applies to its local sockets. `frame` is already encoded: nodes only frame it. */
export type AdapterMessage =
  | {
      readonly type: 'broadcast';
      readonly appId: string;
      readonly channel: string;
      readonly frame: string;
      /** The socket that must not receive it (HTTP `socket_id`, or the sender of a client event). */
      readonly exceptSocketId?: string | undefined;
      /** Set for HTTP triggers on cache channels: every node keeps it as the channel's last event. */
      readonly cache?: { readonly data: string; readonly ttlSeconds: number } | undefined;
    }
  | { readonly type: 'terminate_user'; readonly appId: string; readonly userId: string };

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
  /** Delivers to this node's sockets and, in a cluster, to every other node's. */
  publish(message: AdapterMessage): Promise<void>;
  /** Answers for the whole cluster. */
  query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]>;
  close(): Promise<void>;
}

/** One node: publish applies locally, queries read the local registry. */
export class LocalAdapter implements Adapter {
  constructor(private readonly node: LocalNode) {}

  async publish(message: AdapterMessage): Promise<void> {
    this.node.apply(message);
  }

  async query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return this.node.answer(query);
  }

  async close(): Promise<void> {}
}

export type AdapterFactory = (node: LocalNode) => Adapter;
