/**
 * Wire event names of the Pusher Channels protocol 7, verbatim (protocol.md §3).
 * `pusher:*` are protocol events either side may send; `pusher_internal:*` only the server sends.
 */
export const PusherEvent = {
  ConnectionEstablished: 'pusher:connection_established',
  Error: 'pusher:error',
  Ping: 'pusher:ping',
  Pong: 'pusher:pong',
  Subscribe: 'pusher:subscribe',
  Unsubscribe: 'pusher:unsubscribe',
  Signin: 'pusher:signin',
  SigninSuccess: 'pusher:signin_success',
  SubscriptionError: 'pusher:subscription_error',
  CacheMiss: 'pusher:cache_miss',
} as const;

export const InternalEvent = {
  SubscriptionSucceeded: 'pusher_internal:subscription_succeeded',
  MemberAdded: 'pusher_internal:member_added',
  MemberRemoved: 'pusher_internal:member_removed',
  SubscriptionCount: 'pusher_internal:subscription_count',
  WatchlistEvents: 'pusher_internal:watchlist_events',
} as const;

export type PusherEventName = (typeof PusherEvent)[keyof typeof PusherEvent];
export type InternalEventName = (typeof InternalEvent)[keyof typeof InternalEvent];

/** Prefix every client event (whisper) name must carry. */
export const CLIENT_EVENT_PREFIX = 'client-';
export const PUSHER_EVENT_PREFIX = 'pusher:';
export const INTERNAL_EVENT_PREFIX = 'pusher_internal:';

export function isClientEventName(event: string): boolean {
  return event.startsWith(CLIENT_EVENT_PREFIX);
}

/** Names reserved for the protocol: an HTTP trigger may not use them (protocol.md §5 [decision]). */
export function isReservedEventName(event: string): boolean {
  return event.startsWith(PUSHER_EVENT_PREFIX) || event.startsWith(INTERNAL_EVENT_PREFIX);
}
