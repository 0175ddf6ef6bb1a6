/**
 * The public contract of the client core (`@react-reverb/core`). Every stateful part is an
 * external store React can read with `useSyncExternalStore`: `subscribe(listener) → unsubscribe`,
 * `getSnapshot()` returning the same reference until something changes, `getServerSnapshot()`
 * returning the idle snapshot (SSR).
 */
import type { StreamRecovery, UserInfo } from '../protocol/messages';

// The §11.1 shapes a client reads, so apps import them from `@react-reverb/core` with the rest.
export type { RecoveryReason, StreamPosition, StreamRecovery } from '../protocol/messages';

export interface ExternalStore<T> {
  subscribe(listener: () => void): () => void;
  getSnapshot(): T;
  getServerSnapshot(): T;
}

export type ConnectionStatus =
  | 'initialized'
  | 'connecting'
  | 'connected'
  | 'unavailable'
  | 'reconnecting'
  | 'disconnected'
  | 'failed'
  /**
   * Terminal, like `failed` (no reconnect): a newer sign-in of the same user replaced this session
   * (docs/protocol.md §11.2). `lastError` is `{code: 4010, message}`. `connect()` starts over (a new sign-in).
   */
  | 'replaced';

export interface ConnectionError {
  readonly code: number | null;
  readonly message: string;
}

export interface ConnectionSnapshot {
  readonly state: ConnectionStatus;
  readonly socketId: string | null;
  /** Reconnect attempts since the last successful connection. */
  readonly attempt: number;
  /** Epoch ms of the next scheduled attempt, or null. */
  readonly nextRetryAt: number | null;
  readonly lastError: ConnectionError | null;
}

export type ChannelStatus = 'idle' | 'subscribing' | 'subscribed' | 'error';

export interface ChannelSnapshot {
  readonly name: string;
  readonly status: ChannelStatus;
  readonly error: ChannelError | null;
  /** subscription_count when the server sends it (opt-in per app), else null. */
  readonly subscriptionCount: number | null;
  /**
   * docs/protocol.md §11.1: what the server said of the last recovery (or `rewind`), else null. A gap is
   * `recovered: false` with its `reason`: events were lost, refetch. Also set, with reason
   * `epoch_changed`, when the channel's stream was reset while subscribed. Always null on servers
   * without the extension.
   */
  readonly recovery: StreamRecovery | null;
}

export interface ChannelError {
  readonly type: 'AuthError' | 'SubscriptionError' | 'ClientEventError';
  readonly message: string;
  readonly status: number | null;
}

export interface PresenceMember<Info = UserInfo> {
  readonly id: string;
  readonly info: Info;
}

export interface PresenceSnapshot<Info = UserInfo> {
  /** Members in join order. */
  readonly members: ReadonlyArray<PresenceMember<Info>>;
  readonly me: PresenceMember<Info> | null;
  readonly myId: string | null;
  readonly count: number;
  /** True while reconnecting: the list is the last one known. */
  readonly stale: boolean;
}

/** Metadata passed with every event. */
export interface EventMeta {
  readonly event: string;
  readonly channel: string;
  /** Set for whispers on presence channels. */
  readonly userId?: string;
  /**
   * True for an event replayed after a (re)subscribe (docs/protocol.md §11.1): missed while the socket
   * was down, or asked for with `rewind`. Replayed events come in order, before any live one.
   */
  readonly replayed?: true;
}

export type EventListener<D = unknown> = (data: D, meta: EventMeta) => void;

export interface Channel extends ExternalStore<ChannelSnapshot> {
  readonly name: string;
  /**
   * Bind a listener to one event name (as it is on the wire). Returns the unbind function. Names
   * declared in `ReverbEvents` get their payload type without a type argument.
   */
  bind<E extends keyof ReverbEvents & string>(event: E, listener: EventListener<ReverbEvents[E]>): () => void;
  bind<D = unknown>(event: string, listener: EventListener<D>): () => void;
  /** Bind to every app event of the channel. */
  bindAll(listener: EventListener): () => void;
  /**
   * Send a client event (whisper). `event` gets the `client-` prefix when missing. Queued until
   * subscribed, throttled under 10/s; throws a `ClientEventError` on public and encrypted channels.
   */
  whisper(event: string, data: unknown): void;
}

export interface PresenceChannel<Info = UserInfo> extends Channel {
  readonly presence: ExternalStore<PresenceSnapshot<Info>>;
  onJoin(listener: (member: PresenceMember<Info>) => void): () => void;
  onLeave(listener: (member: PresenceMember<Info>) => void): () => void;
}

export interface RetainOptions {
  /**
   * docs/protocol.md §11.1: on the first subscribe, replay the last `rewind` events the server kept for
   * the channel (at most its `max_events`), marked `replayed`. The first hold's value is used; servers
   * without the extension ignore it.
   */
  readonly rewind?: number;
}

export interface RetainedChannel<C extends Channel = Channel> {
  readonly channel: C;
  /** Drop this hold; the wire unsubscribe goes out (deferred) when no hold is left. */
  release(): void;
}

export type UserStatus = 'signed-out' | 'signing-in' | 'signed-in' | 'error';

export interface UserSnapshot {
  readonly status: UserStatus;
  readonly id: string | null;
  readonly info: UserInfo | null;
  readonly error: ConnectionError | null;
  /** Watchlist: user id → online. */
  readonly watchlist: Readonly<Record<string, boolean>>;
  /** The recovery state of `#server-to-user-{id}`, as `ChannelSnapshot.recovery`. */
  readonly recovery: StreamRecovery | null;
}

export interface UserStore extends ExternalStore<UserSnapshot> {
  /** Sign in through `userAuthEndpoint`/`authenticateUser`; redone after every reconnect. */
  signin(): void;
  /** Bind to events sent to this user (`#server-to-user-{id}`). */
  bind<E extends keyof ReverbEvents & string>(event: E, listener: EventListener<ReverbEvents[E]>): () => void;
  bind<D = unknown>(event: string, listener: EventListener<D>): () => void;
}

export interface AuthRequest {
  readonly socketId: string;
  readonly channelName: string;
}

export interface ChannelAuthorization {
  readonly auth: string;
  readonly channel_data?: string;
  readonly shared_secret?: string;
}

export interface UserAuthentication {
  readonly auth: string;
  readonly user_data: string;
}

/** Delivers each payload of one encrypted channel that opens, decrypted; drops the others. */
export type EncryptedPayloadOpener = (payload: unknown, deliver: (data: unknown) => void) => void;

/**
 * What `private-encrypted-` channels need (docs/protocol.md §6.4). `@react-reverb/core/encrypted`
 * (tweetnacl) provides it: the module itself is one, and so is its `encryption` export;
 * `encryptionWith(decrypt)` there makes one from a decrypt function of your own. The client keeps
 * none of this in its own bundle.
 */
export interface Encryption {
  /**
   * Called with each authorization of an encrypted channel: throws an `AuthError` without a
   * `shared_secret`, else returns the channel's opener. A payload that does not open is retried once
   * with the key of a fresh authorization from `reauthorize()` (the key may have been rotated), then
   * dropped.
   */
  encryptedChannel(
    authorization: ChannelAuthorization,
    reauthorize: () => Promise<ChannelAuthorization>,
  ): EncryptedPayloadOpener;
}

/**
 * Echo-style payload typing: augment this interface to map event names to payloads, e.g.
 * `declare module '@react-reverb/core' { interface ReverbEvents { '.OrderShipped': { id: number } } }`.
 */
// biome-ignore lint/suspicious/noEmptyInterface: an augmentation point, empty on purpose
export interface ReverbEvents {}

/** The payload type of an event name: from `ReverbEvents` when declared there, else `unknown`. */
export type EventPayload<E extends string> = E extends keyof ReverbEvents ? ReverbEvents[E] : unknown;

export interface TimerProvider {
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
  now(): number;
}

/** pusher-js's transport names, as Echo's `enabledTransports` lists them; this client speaks `ws`/`wss` only. */
export type EchoTransport = 'ws' | 'wss' | 'xhr_streaming' | 'xhr_polling' | 'sockjs';

/** pusher-js's callback-style handler (`customHandler`): answer with `callback(null, data)` or `callback(error, null)`. */
export type EchoAuthHandler<Params, Data> = (
  params: Params,
  callback: (error: Error | null, data: Data | null) => void,
) => void;

/**
 * pusher-js's `channelAuthorization` / `userAuthentication`, as Echo passes them on: a form-encoded POST
 * to `endpoint` with `headers` and `params`, or the app's own `customHandler` instead of the POST.
 */
export interface EchoAuthOptions<Params, Data> {
  readonly endpoint?: string;
  readonly headers?: Record<string, string>;
  readonly params?: Record<string, string>;
  /** pusher-js's default, and what this client does: a POST (with `fetch`). */
  readonly transport?: 'ajax';
  readonly customHandler?: EchoAuthHandler<Params, Data>;
}

/**
 * The client's options: ours, and laravel-echo 2.x's for its `reverb` and `pusher` broadcasters (what
 * Echo hands to pusher-js), so the object of `resources/js/echo.js` works unchanged. Ports may be numeric
 * strings (`import.meta.env` values); `''` and `0` are unset, as pusher-js reads them.
 *
 * **One rule where names overlap: ours win over Echo's.** `url` over `host` over `wsHost` over
 * `cluster`; `port` over `wsPort`/`wssPort`; `authorize` over `channelAuthorization.customHandler`;
 * `authenticateUser` over `userAuthentication.customHandler`, `userAuthEndpoint` over
 * `userAuthentication.endpoint`. (Between two Echo names, pusher-js's rule: `channelAuthorization.endpoint`
 * over `authEndpoint`.) A custom function wins over the endpoint. An auth request's headers are, later
 * ones winning: `X-Socket-ID`, `X-CSRF-TOKEN` (`csrfToken`), `Authorization: Bearer` (`bearerToken`),
 * `auth.headers`, then `channelAuthorization.headers` or `userAuthentication.headers`; its body is
 * `auth.params`, the route's `params`, then the protocol's own fields.
 *
 * `createReverbClient` throws one `ReverbError` (`REVERB_ERR_OPTIONS`) naming the option for a value
 * that cannot work: no `key`; no `wsHost` (or `host`, `cluster`, `url`); a `port`, `wsPort` or `wssPort`
 * that is not a port number (1–65535).
 */
export interface ReverbClientOptions {
  /** App key. */
  readonly key: string;
  /** Full WebSocket base URL (`wss://host:443`); overrides every host, port and TLS option. */
  readonly url?: string;
  readonly host?: string;
  readonly port?: number | string;
  /**
   * TLS from the start (a 4000 close turns it on anyway). Unset: on with `port` 443 or a `wss:` url,
   * and for an Echo object (one with `broadcaster`), as pusher-js does. (pusher-js also forces TLS on
   * an https page; this client takes `forceTLS: false` as given.)
   */
  readonly forceTLS?: boolean | undefined;
  /** A path before `/app/{key}` (pusher-js's `wsPath`). */
  readonly wsPath?: string;
  /** Channel authorization endpoint (default Echo's `/broadcasting/auth`), POSTed form-encoded. */
  readonly authEndpoint?: string;
  /** User authentication endpoint (default Echo's `/broadcasting/user-auth`). */
  readonly userAuthEndpoint?: string;
  /** Headers and params of both auth requests (Echo's `auth.headers`; pusher-js's deprecated `auth`). */
  readonly auth?: {
    readonly headers?: Record<string, string> | (() => Record<string, string>);
    readonly params?: Record<string, string> | (() => Record<string, string>);
  };
  /**
   * Sent as `X-CSRF-TOKEN` with auth requests. (Echo also reads `<meta name="csrf-token">`; this client
   * does not: Laravel's broadcasting routes skip the CSRF check.)
   */
  readonly csrfToken?: string | null;
  /** Echo's: sent as `Authorization: Bearer …` with auth requests (Sanctum tokens). */
  readonly bearerToken?: string | null;
  /** Custom channel authorization instead of POSTing to `authEndpoint`. */
  readonly authorize?: (request: AuthRequest) => Promise<ChannelAuthorization>;
  /** Custom user authentication instead of POSTing to `userAuthEndpoint`. */
  readonly authenticateUser?: (socketId: string) => Promise<UserAuthentication>;
  /** Laravel event namespace used by `formatEventName` (default `App\\Events`, Echo's `App.Events`; false to disable). */
  readonly namespace?: string | false;

  // ── laravel-echo's names (the `reverb` and `pusher` broadcasters, read as pusher-js reads them) ──
  /** `reverb` or `pusher`: both speak this protocol. */
  readonly broadcaster?: 'reverb' | 'pusher';
  /** The host (`VITE_REVERB_HOST`); `''` is unset. */
  readonly wsHost?: string | undefined;
  /** The port without TLS (`VITE_REVERB_PORT`; default 80). */
  readonly wsPort?: number | string | undefined;
  /** The port with TLS (default 443). */
  readonly wssPort?: number | string | undefined;
  /** Hosted Pusher's cluster: the host is `ws-{cluster}.pusher.com`. */
  readonly cluster?: string | undefined;
  /** Accepted as they are: this client has one transport, the WebSocket (`ws`, or `wss` with TLS). */
  readonly enabledTransports?: readonly EchoTransport[];
  readonly disabledTransports?: readonly EchoTransport[];
  /** Channel authorization, pusher-js's way. */
  readonly channelAuthorization?: EchoAuthOptions<AuthRequest, ChannelAuthorization>;
  /** User authentication (`signin()`), pusher-js's way. */
  readonly userAuthentication?: EchoAuthOptions<{ readonly socketId: string }, UserAuthentication>;
  /** Accepted from Echo objects, without effect here: Echo's request interceptors and pusher-js's stats. */
  readonly withoutInterceptors?: boolean;
  readonly enableStats?: boolean;
  readonly disableStats?: boolean;

  // ── ours ──
  /** Connect at creation (default true in browsers; call `connect()` otherwise). */
  readonly autoConnect?: boolean;
  /** Injected for Node, tests and workers. */
  readonly WebSocket?: unknown;
  readonly fetch?: typeof fetch;
  readonly timers?: TimerProvider;
  /** Our activity timeout cap in ms (default 120 000) and pong timeout (30 000), as pusher-js names them. */
  readonly activityTimeout?: number;
  readonly pongTimeout?: number;
  /**
   * Needed for `private-encrypted-` channels: `@react-reverb/core/encrypted`'s `encryption`, or a loader
   * called when an encrypted channel subscribes — `encryption: () => import('@react-reverb/core/encrypted')`
   * keeps tweetnacl in a chunk of its own that only apps using encrypted channels ever load (`import()`
   * loads it once). Without it those channels go to `error`.
   */
  readonly encryption?: Encryption | (() => Promise<Encryption>);
}

export interface ReverbClient {
  readonly options: ReverbClientOptions;
  readonly connection: ExternalStore<ConnectionSnapshot>;
  readonly user: UserStore;
  /** Connects; also after `replaced` or `failed` (e.g. once the user signed in again). */
  connect(): void;
  /** Closes the socket for good (until `connect()`); a `replaced` client stays `replaced`. */
  disconnect(): void;
  /**
   * The session was replaced, as the app learned it itself (servers without docs/protocol.md §11.2: the
   * app's own broadcast, e.g. `.session.replaced`): disconnects and enters the terminal `replaced`
   * state, as the server's `reverb:session_replaced` does. A no-op when already `replaced`.
   */
  sessionReplaced(message?: string): void;
  /** Ref-counted hold on a channel; the first hold subscribes on the wire (with its options). */
  retain(name: string, options?: RetainOptions): RetainedChannel;
  retainPresence<Info = UserInfo>(
    name: string,
    options?: RetainOptions,
  ): RetainedChannel<PresenceChannel<Info>>;
  /** The channel object if held, without holding it. */
  channel(name: string): Channel | undefined;
  /** Laravel names: `.Name` as is, `Name` → `App\Events\Name` (namespace option). */
  formatEventName(event: string): string;
}
