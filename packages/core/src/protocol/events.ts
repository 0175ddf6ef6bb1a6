/**
 * Wire event names of the Pusher Channels protocol 7, verbatim (docs/protocol.md §3).
 * `pusher:*` are protocol events either side may send; `pusher_internal:*` only the server sends.
 *
 * Each name is also its own constant: a bundler drops the ones a client does not use, while an
 * object such as `PusherEvent` is kept whole once any of its properties is read.
 */
export const PUSHER_EVENT_PREFIX = 'pusher:';
export const INTERNAL_EVENT_PREFIX = 'pusher_internal:';
/** Our own server events (docs/protocol.md §11): only the server sends them. */
export const REVERB_EVENT_PREFIX = 'reverb:';
/** Prefix every client event (whisper) name must carry. */
export const CLIENT_EVENT_PREFIX = 'client-';

export const CONNECTION_ESTABLISHED = 'pusher:connection_established';
export const ERROR = 'pusher:error';
export const PING = 'pusher:ping';
export const PONG = 'pusher:pong';
export const SUBSCRIBE = 'pusher:subscribe';
export const UNSUBSCRIBE = 'pusher:unsubscribe';
export const SIGNIN = 'pusher:signin';
export const SIGNIN_SUCCESS = 'pusher:signin_success';
export const SUBSCRIPTION_ERROR = 'pusher:subscription_error';
export const CACHE_MISS = 'pusher:cache_miss';

export const SUBSCRIPTION_SUCCEEDED = 'pusher_internal:subscription_succeeded';
export const MEMBER_ADDED = 'pusher_internal:member_added';
export const MEMBER_REMOVED = 'pusher_internal:member_removed';
export const SUBSCRIPTION_COUNT = 'pusher_internal:subscription_count';
export const WATCHLIST_EVENTS = 'pusher_internal:watchlist_events';

/**
 * Our extension (docs/protocol.md §11.2), sent without a channel just before the close 4010: another
 * sign-in of the same user replaced this connection's session. pusher-js emits it on its global emitter.
 */
export const SESSION_REPLACED = 'reverb:session_replaced';

export const PusherEvent = {
  ConnectionEstablished: CONNECTION_ESTABLISHED,
  Error: ERROR,
  Ping: PING,
  Pong: PONG,
  Subscribe: SUBSCRIBE,
  Unsubscribe: UNSUBSCRIBE,
  Signin: SIGNIN,
  SigninSuccess: SIGNIN_SUCCESS,
  SubscriptionError: SUBSCRIPTION_ERROR,
  CacheMiss: CACHE_MISS,
} as const;

export const InternalEvent = {
  SubscriptionSucceeded: SUBSCRIPTION_SUCCEEDED,
  MemberAdded: MEMBER_ADDED,
  MemberRemoved: MEMBER_REMOVED,
  SubscriptionCount: SUBSCRIPTION_COUNT,
  WatchlistEvents: WATCHLIST_EVENTS,
} as const;

export type PusherEventName = (typeof PusherEvent)[keyof typeof PusherEvent];
export type InternalEventName = (typeof InternalEvent)[keyof typeof InternalEvent];

export function isClientEventName(event: string): boolean {
  return event.startsWith(CLIENT_EVENT_PREFIX);
}

/**
 * Names reserved for the protocol and our extensions: an HTTP trigger may not use them (docs/protocol.md
 * §5, Decision), so only the server can send `reverb:session_replaced` (§11.2).
 */
export function isReservedEventName(event: string): boolean {
  return (
    event.startsWith(PUSHER_EVENT_PREFIX) ||
    event.startsWith(INTERNAL_EVENT_PREFIX) ||
    event.startsWith(REVERB_EVENT_PREFIX)
  );
}
