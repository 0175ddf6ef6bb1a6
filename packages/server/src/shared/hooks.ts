/**
 * Server events for what comes later (webhooks, metrics, dashboard): the registry emits them, nothing
 * in this package listens yet. Names follow the webhook names of docs/protocol.md §8.
 */
import { EventEmitter } from 'node:events';

export interface ReverbEventMap {
  connection_opened: { appId: string; socketId: string };
  connection_closed: { appId: string; socketId: string; code: number };
  channel_occupied: { appId: string; channel: string };
  channel_vacated: { appId: string; channel: string };
  member_added: { appId: string; channel: string; userId: string };
  member_removed: { appId: string; channel: string; userId: string };
  client_event: {
    appId: string;
    channel: string;
    event: string;
    data: string;
    socketId: string;
    userId?: string;
  };
  cache_miss: { appId: string; channel: string };
  subscription_count: { appId: string; channel: string; subscriptionCount: number };
  user_signed_in: { appId: string; userId: string; socketId: string };
  http_event: { appId: string; channels: readonly string[]; event: string };
  /**
   * Single session (docs/protocol.md §11.2): `sessionId` of the user was replaced by `replacedBy`.
   * Emitted once per cluster, by the node whose claim (or HTTP `end_other_sessions`) replaced it.
   */
  session_replaced: { appId: string; userId: string; sessionId: string; replacedBy: string };
}

export type ReverbEventName = keyof ReverbEventMap;

/** A typed EventEmitter; emitting with no listener costs one map lookup. */
export class ReverbEvents extends EventEmitter {
  override emit<K extends ReverbEventName>(name: K, payload: ReverbEventMap[K]): boolean {
    return super.emit(name, payload);
  }

  override on<K extends ReverbEventName>(name: K, listener: (payload: ReverbEventMap[K]) => void): this {
    return super.on(name, listener);
  }

  override off<K extends ReverbEventName>(name: K, listener: (payload: ReverbEventMap[K]) => void): this {
    return super.off(name, listener);
  }

  override once<K extends ReverbEventName>(name: K, listener: (payload: ReverbEventMap[K]) => void): this {
    return super.once(name, listener);
  }
}
