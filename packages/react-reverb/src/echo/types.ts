/**
 * The types of `@laravel/echo-react` 2.x (read from 2.5.0's sources), under the same names, so that code
 * written for it type-checks against `react-reverb/echo` unchanged. What differs is said where it differs.
 */
import type { EventMeta, ReverbEvents } from '@react-reverb/core';

/**
 * echo-react's connection states. Ours (`useConnectionState().state`) are finer; `toEchoStatus` in
 * ./connection.ts maps them.
 */
export type ConnectionStatus = 'connected' | 'disconnected' | 'connecting' | 'reconnecting' | 'failed';

/** laravel-echo's broadcasters. Kept as a type parameter of the hooks for source compatibility only. */
export type BroadcastDriver = 'reverb' | 'pusher' | 'ably' | 'socket.io' | 'null';

export type ChannelVisibility = 'private' | 'public' | 'presence';

export type BroadcastNotification<TPayload> = TPayload & {
  id: string;
  type: string;
};

/** The payload of Laravel's model broadcasting (`BroadcastableModelEventOccurred`). */
export type ModelPayload<T> = {
  model: T;
  connection: string | null;
  queue: string | null;
  afterCommit: boolean;
};

/** `App.Models.Post` → `Post`. */
export type ModelName<T extends string> = T extends `${string}.${infer U}` ? ModelName<U> : T;

type ModelEvent =
  | 'Retrieved'
  | 'Creating'
  | 'Created'
  | 'Updating'
  | 'Updated'
  | 'Saving'
  | 'Saved'
  | 'Deleting'
  | 'Deleted'
  | 'Trashed'
  | 'ForceDeleting'
  | 'ForceDeleted'
  | 'Restoring'
  | 'Restored'
  | 'Replicating';

/** `PostUpdated` or `.PostUpdated`, … for the model `App.Models.Post`. */
export type ModelEvents<T extends string> = `.${ModelName<T>}${ModelEvent}` | `${ModelName<T>}${ModelEvent}`;

declare global {
  /**
   * echo-react's payload typing: declare `interface Events { OrderShipped: { id: number } }` in a global
   * `.d.ts` and `useEcho('orders.1', 'OrderShipped', (e) => e.id)` infers the payload. The one interface
   * serves echo-react and this entry alike (global interfaces merge).
   */
  interface Events {}
}

/** Event names declared in `Events` (echo-react) or in the core's `ReverbEvents`. */
export type EventName = (keyof Events | keyof ReverbEvents) & string;

/** The payload of an event name: from `Events`, else from `ReverbEvents`, else `unknown`. */
export type InferEventPayload<TEvent extends string> = TEvent extends keyof Events
  ? Events[TEvent]
  : TEvent extends keyof ReverbEvents
    ? ReverbEvents[TEvent]
    : unknown;

/**
 * What echo-react's callbacks get. The second argument is ours (echo-react passes pusher-js's
 * `{user_id}` or nothing): `{event, channel, userId?, replayed?}`, so one callback for several events
 * knows which one came (laravel/echo #463).
 */
export type EchoCallback<TPayload> = (payload: TPayload, meta: EventMeta) => void;

/** The `error()` payload, shaped as pusher-js's `pusher:subscription_error`. */
export interface EchoSubscriptionError {
  readonly type: string;
  readonly error: string;
  readonly status: number | null;
}

/**
 * laravel-echo's channel object (`PusherChannel`), on a channel of our client. Listeners bound through
 * it are unbound when its holder lets go (the hook unmounts, `leaveChannel()`), so none outlives the
 * component that bound it. Callbacks are `CallableFunction`, as in laravel-echo's types.
 */
export interface EchoChannel {
  /** The wire name, with its prefix (`private-orders.1`), as in laravel-echo. */
  readonly name: string;
  /** `OrderShipped` → `App\Events\OrderShipped`; `.order.shipped` as is (Echo's event formatter). */
  listen(event: string, callback: CallableFunction): this;
  /** Every app event: `callback(name, data)`, the namespace stripped (`OrderShipped`) or a dot added (`.x`). */
  listenToAll(callback: CallableFunction): this;
  /** Without `callback`, every listener this object bound for the event. */
  stopListening(event: string, callback?: CallableFunction): this;
  stopListeningToAll(callback?: CallableFunction): this;
  notification(callback: CallableFunction): this;
  stopListeningForNotification(callback: CallableFunction): this;
  listenForWhisper(event: string, callback: CallableFunction): this;
  stopListeningForWhisper(event: string, callback?: CallableFunction): this;
  /** After every successful (re)subscription; at once when already subscribed (laravel-echo: not then). */
  subscribed(callback: CallableFunction): this;
  /** When the subscription fails (`{type: 'AuthError', error, status}`). */
  error(callback: CallableFunction): this;
  /** Binds a wire event name as it is. */
  on(event: string, callback: CallableFunction): this;
  /** Lets go of this holder's hold, as `leaveChannel()` does. */
  unsubscribe(): void;
}

export interface EchoPrivateChannel extends EchoChannel {
  /** Sends `client-{eventName}`; queued until subscribed, throttled under 10/s by the core. */
  whisper(eventName: string, data: unknown): this;
}

export interface EchoPresenceChannel extends EchoPrivateChannel {
  /** The members' `user_info` after every (re)subscription; at once when already subscribed. */
  here(callback: CallableFunction): this;
  joining(callback: CallableFunction): this;
  leaving(callback: CallableFunction): this;
}

export type ChannelReturnType<
  // biome-ignore lint/correctness/noUnusedVariables: echo-react's type parameter, kept for source compatibility
  TDriver extends BroadcastDriver,
  V extends ChannelVisibility,
> = V extends 'presence' ? EchoPresenceChannel : V extends 'private' ? EchoPrivateChannel : EchoChannel;

/** What `useChannel`, `usePublicChannel` and `usePresenceChannel` return. */
export interface UseChannelResult<TDriver extends BroadcastDriver, V extends ChannelVisibility> {
  /** Unbinds this hook's listeners and lets go of its hold; others holding the channel keep it. */
  leaveChannel: (leaveAll?: boolean) => void;
  /**
   * `leaveChannel()`, and also `echo()`'s own holds on the name's `private-`, `private-encrypted-` and
   * `presence-` variants (never another hook's: echo-react leaves those too).
   */
  leave: () => void;
  /** The channel object, null before the hook's effect ran and after `leaveChannel()`. */
  channel: () => ChannelReturnType<TDriver, V> | null;
}

/** What `useEcho` and its variants return. */
export interface UseEchoResult<TDriver extends BroadcastDriver, V extends ChannelVisibility>
  extends UseChannelResult<TDriver, V> {
  /** Unbinds the hook's events; the channel stays held. */
  stopListening: () => void;
  /** Binds them again; after `leaveChannel()`, holds the channel again first. */
  listen: () => void;
}
