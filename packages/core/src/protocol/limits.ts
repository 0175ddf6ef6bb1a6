// The limits the client reads are their own constants too, so a bundle keeps them without the tables.
// They come first, in a module that imports nothing: esbuild inlines a constant where it is read only
// when no code comes before it.
export const PROTOCOL_VERSION = 7;
export const MIN_PROTOCOL_VERSION = 5;
export const MAX_PROTOCOL_VERSION = 7;
export const MAX_CHANNEL_NAME_LENGTH = 200;
/** docs/protocol.md §11.1: the longest stream epoch. */
export const MAX_EPOCH_LENGTH = 32;
/** docs/protocol.md §11.1 `recover.socket_ids`: the previous sockets a client names, at most. */
export const MAX_RECOVER_SOCKET_IDS = 5;
/** A socket id is `digits.digits` (docs/protocol.md §1); longer than this is not one a server handed out. */
export const MAX_SOCKET_ID_LENGTH = 64;
export const MAX_CLIENT_EVENTS_PER_SECOND = 10;
/** How long to wait for any frame after a ping, in milliseconds. */
export const PONG_TIMEOUT_MS = 30_000;
/** pusher-js default for its own activity timeout, in milliseconds. */
export const CLIENT_ACTIVITY_TIMEOUT_MS = 120_000;

/** Limits of docs/protocol.md §7.4 (hosted Pusher defaults; the server makes them configurable). */
export const Limits = {
  /** Event `data` size, HTTP or client event, in bytes. */
  MAX_EVENT_DATA_BYTES: 10_240,
  MAX_EVENT_NAME_LENGTH: 200,
  MAX_CHANNELS_PER_TRIGGER: 100,
  MAX_EVENTS_PER_BATCH: 10,
  /** What the SDKs (and we) accept; the docs say 164 (see {@link Limits.DOCUMENTED_CHANNEL_NAME_LENGTH}). */
  MAX_CHANNEL_NAME_LENGTH,
  DOCUMENTED_CHANNEL_NAME_LENGTH: 164,
  MAX_PRESENCE_MEMBERS: 100,
  MAX_PRESENCE_USER_INFO_BYTES: 1_024,
  MAX_PRESENCE_USER_ID_LENGTH: 128,
  MAX_CLIENT_EVENTS_PER_SECOND,
  MAX_WATCHLIST_SIZE: 100,
  /** Sign-in `user_data.session_id` (docs/protocol.md §11.2, ours). */
  MAX_SESSION_ID_LENGTH: 128,
  /** HTTP API request timestamp skew, in seconds. */
  MAX_TIMESTAMP_SKEW_SECONDS: 600,
  MAX_CACHE_TTL_SECONDS: 1_800,
  /** Close reasons are limited by the WebSocket protocol. */
  MAX_CLOSE_REASON_BYTES: 123,
} as const;

/** Timing of docs/protocol.md §9. */
export const Timing = {
  /** What the server tells clients in `connection_established` by default, in seconds: Laravel Reverb's. */
  ACTIVITY_TIMEOUT_SECONDS: 30,
  PONG_TIMEOUT_MS,
  CLIENT_ACTIVITY_TIMEOUT_MS,
} as const;
