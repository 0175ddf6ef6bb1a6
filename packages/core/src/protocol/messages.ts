/**
 * Every message of the Pusher Channels protocol 7 (docs/protocol.md §3), in its decoded form.
 * These types are the documentation of the wire: `codec.ts` turns them into frames and back.
 */
import type { InternalEvent, PusherEvent, SESSION_REPLACED } from './events';

type Ev = typeof PusherEvent;
type In = typeof InternalEvent;

/** Arbitrary JSON value, as `JSON.parse` returns it. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A presence member's `user_info`: whatever the app server signed, or null when absent. */
export type UserInfo = Json;

// ───────────────────────── client → server ─────────────────────────

/** §3.3 — `{"event":"pusher:ping","data":{}}` */
export interface PingMessage {
  readonly event: Ev['Ping'];
  readonly data?: Record<string, never> | undefined;
}

/** §3.3 — `{"event":"pusher:pong","data":{}}` (either direction) */
export interface PongMessage {
  readonly event: Ev['Pong'];
  readonly data?: Record<string, never> | undefined;
}

/** §3.4 — public channels send `auth: ""` and no `channel_data`. */
export interface SubscribeMessage {
  readonly event: Ev['Subscribe'];
  readonly data: {
    readonly channel: string;
    readonly auth?: string | undefined;
    /** Presence only: the JSON string the app server signed, kept byte for byte. */
    readonly channel_data?: string | undefined;
    /** §11.1 — what the subscribe asked of the channel's history (`recover` or `rewind`), decoded. */
    readonly history?: HistoryRequest | undefined;
  };
}

// ───────────────────────── §11.1 recovery (extension) ─────────────────────────

/**
 * §11.1 — a place in a channel's stream: `epoch` (opaque, at most 32 characters, changes whenever the
 * history may have been lost) and `offset` (1 for the first event of an epoch, +1 per event; 0 =
 * before the first). On the wire an event carries them as `"offset":N,"epoch":"E"` after its Pusher
 * fields; `subscription_succeeded` carries `"stream":{"epoch":"E","offset":N}`.
 */
export interface StreamPosition {
  readonly epoch: string;
  readonly offset: number;
}

/** §11.1 — `recover` of `pusher:subscribe`: the last position the client saw, and its previous socket ids. */
export interface RecoverRequest extends StreamPosition {
  /** Oldest first, at most 5; events triggered with one of them as `socket_id` are not replayed. */
  readonly socketIds: readonly string[];
}

/** Why a subscribe's `recover` or `rewind` could not be used as sent (the subscription still proceeds). */
export type MalformedHistoryRequest = 'invalid_position' | 'invalid_rewind';

/**
 * §11.1 — a decoded `recover` / `rewind`. `recover` wins over `rewind` when both are sent. A malformed
 * value never refuses the subscription: it comes out as `invalid` and the answer says so.
 */
export interface HistoryRequest {
  readonly recover?: RecoverRequest;
  /** Positive integer: replay the last `rewind` retained events (first subscribe, no `recover`). */
  readonly rewind?: number;
  readonly invalid?: MalformedHistoryRequest;
}

/** §11.1 — every `recovery.reason`. */
export type RecoveryReason =
  | 'epoch_changed'
  | 'expired'
  | 'evicted'
  | 'too_far_behind'
  | 'unavailable'
  | MalformedHistoryRequest
  | 'rewind_limit'
  | 'not_kept';

/** §11.1 — `recovery` of `subscription_succeeded`: sent when `recover` or `rewind` was asked. */
export interface StreamRecovery {
  /** True when every event after the client's position was replayed (or there were none). */
  readonly recovered: boolean;
  /** How many replayed events follow `subscription_succeeded`. */
  readonly replayed: number;
  /** Set when `recovered` is false. */
  readonly reason?: RecoveryReason;
}

/** §3.7 */
export interface UnsubscribeMessage {
  readonly event: Ev['Unsubscribe'];
  readonly data: { readonly channel: string };
}

/** §3.11 */
export interface SigninMessage {
  readonly event: Ev['Signin'];
  readonly data: {
    readonly auth: string;
    /** The JSON string the app server signed, kept byte for byte. */
    readonly user_data: string;
  };
}

/**
 * §3.10 — a whisper. Decoded on the server with `data` normalized to the string it forwards
 * (a string passes through, anything else is JSON-encoded once).
 */
export interface ClientEventMessage<D = unknown> {
  readonly event: `client-${string}`;
  readonly channel: string;
  readonly data: D;
}

export type ClientMessage =
  | PingMessage
  | PongMessage
  | SubscribeMessage
  | UnsubscribeMessage
  | SigninMessage
  | ClientEventMessage;

// ───────────────────────── server → client ─────────────────────────

/** §3.1 — `activity_timeout` in seconds. */
export interface ConnectionEstablishedMessage {
  readonly event: Ev['ConnectionEstablished'];
  readonly data: { readonly socket_id: string; readonly activity_timeout: number };
}

/** §3.2 — `code` is null on hosted Pusher for some errors; ours always carry a number. */
export interface ErrorMessage {
  readonly event: Ev['Error'];
  readonly data: { readonly code: number | null; readonly message: string };
}

export interface PresenceData {
  /** Distinct user ids in join order. */
  readonly ids: readonly string[];
  /** user id → user_info (null when the member gave none). */
  readonly hash: Readonly<Record<string, UserInfo>>;
  readonly count: number;
}

/**
 * §3.5 — `data` is `{}` except on presence channels. §11.1: on a channel that keeps history it also
 * carries `stream` (where the client stands once the replay that follows is done), and `recovery` when
 * `recover` or `rewind` was asked.
 */
export interface SubscriptionSucceededMessage {
  readonly event: In['SubscriptionSucceeded'];
  readonly channel: string;
  readonly data: {
    readonly presence?: PresenceData;
    readonly stream?: StreamPosition;
    readonly recovery?: StreamRecovery;
  };
}

/** §3.6 — soketi's channel-bound frame, which Echo's `.error()` hears. */
export interface SubscriptionErrorMessage {
  readonly event: Ev['SubscriptionError'];
  readonly channel: string;
  readonly data: { readonly type: string; readonly error: string; readonly status: number };
}

/** §3.8 */
export interface MemberAddedMessage {
  readonly event: In['MemberAdded'];
  readonly channel: string;
  readonly data: { readonly user_id: string; readonly user_info?: UserInfo };
}

/** §3.8 */
export interface MemberRemovedMessage {
  readonly event: In['MemberRemoved'];
  readonly channel: string;
  readonly data: { readonly user_id: string };
}

/** §3.14 */
export interface SubscriptionCountMessage {
  readonly event: In['SubscriptionCount'];
  readonly channel: string;
  readonly data: { readonly subscription_count: number };
}

export interface WatchlistEvent {
  readonly name: 'online' | 'offline';
  readonly user_ids: readonly string[];
}

/** §3.12 — no channel. */
export interface WatchlistEventsMessage {
  readonly event: In['WatchlistEvents'];
  readonly data: { readonly events: readonly WatchlistEvent[] };
}

/** §3.11 — `data` is an object on the wire. */
export interface SigninSuccessMessage {
  readonly event: Ev['SigninSuccess'];
  readonly data: { readonly user_data: string };
}

/** §3.13 */
export interface CacheMissMessage {
  readonly event: Ev['CacheMiss'];
  readonly channel: string;
  readonly data: Record<string, never>;
}

/**
 * §3.9 and §3.10 — an app event (triggered over HTTP) or a forwarded whisper.
 * Decoded by clients: `data` is the parsed JSON, or the raw string when it is not JSON.
 * `user_id` is set on whispers forwarded on presence channels.
 */
export interface ChannelEventMessage<D = unknown> {
  readonly event: string;
  readonly channel: string;
  readonly data: D;
  readonly user_id?: string;
}

/** §11.1 — an event of a channel that keeps history, as sent: the Pusher fields, then its position. */
export type PositionedChannelEvent<D = unknown> = ChannelEventMessage<D> & StreamPosition;

/**
 * docs/protocol.md §11.2 (ours) — no channel, `data` `"{}"` on the wire, followed by the close 4010:
 * `{"event":"reverb:session_replaced","data":"{}"}`.
 */
export interface SessionReplacedMessage {
  readonly event: typeof SESSION_REPLACED;
  readonly data: Record<string, never>;
}

export type ServerProtocolMessage =
  | ConnectionEstablishedMessage
  | ErrorMessage
  | PingMessage
  | PongMessage
  | SubscriptionSucceededMessage
  | SubscriptionErrorMessage
  | MemberAddedMessage
  | MemberRemovedMessage
  | SubscriptionCountMessage
  | WatchlistEventsMessage
  | SigninSuccessMessage
  | CacheMissMessage
  | SessionReplacedMessage;

export type ServerMessage = ServerProtocolMessage | ChannelEventMessage;

/** Fields of a presence `channel_data` (§3.4). */
export interface PresenceChannelData {
  readonly user_id: string;
  readonly user_info?: UserInfo;
}

/** Fields of a sign-in `user_data` (§3.11). */
export interface SigninUserData {
  readonly id: string;
  readonly user_info?: UserInfo;
  readonly watchlist?: readonly string[];
  /**
   * docs/protocol.md §11.2 (ours): the app's session, e.g. a hash of its session id; tabs of one browser
   * share it. Without it the sign-in is not subject to single-session enforcement.
   */
  readonly session_id?: string;
}
