/**
 * What the server does with each decoded client frame (docs/protocol.md §3): subscribe, unsubscribe,
 * sign-in, client events, ping/pong. Every refusal is a coded `pusher:error` (plus
 * `pusher:subscription_error` for subscriptions, §3.6) and the connection stays open.
 */
import {
  type ClientEventMessage,
  type ClientMessage,
  channelNameProblem,
  channelTraits,
  channelType,
  decodeClientMessage,
  ErrorCode,
  encodeChannelEvent,
  Limits,
  PusherEvent,
  parsePresenceChannelData,
  parseSigninUserData,
  type SigninMessage,
  type SubscribeMessage,
  serverToUserId,
  utf8Length,
} from '@react-reverb/core/protocol';
import { channelAuthString, verifyChannelAuth, verifyUserAuth } from '@react-reverb/core/signing';
import type { Adapter } from '../scaling/adapter';
import type { ReverbEvents } from '../shared/hooks';
import type { Connection } from '../socket/connection';
import { admitMessage } from '../socket/rate-limiter';
import type { AppRegistry } from './registry';

export interface DispatchContext {
  readonly registry: AppRegistry;
  readonly adapter: Adapter;
  readonly events: ReverbEvents;
  /** Reports a failed adapter publish (never thrown into the socket handler). */
  readonly onAdapterError: (error: unknown) => void;
  /** Non-fatal notices (e.g. a channel name over the documented 164 characters). */
  readonly warn: (details: Record<string, unknown>, message: string) => void;
}

/** Handles one text frame. Never throws for bad input. */
export function handleFrame(conn: Connection, frame: string, context: DispatchContext): void {
  // Reverb's rate limiter counts every message, before it is even read (§3.16).
  if (!admitMessage(conn)) return;
  const size = Buffer.byteLength(frame, 'utf8');
  if (size > conn.app.maxMessageSize) {
    conn.sendError(
      ErrorCode.ReconnectImmediately,
      `Message too large: ${size} bytes, at most ${conn.app.maxMessageSize} allowed`,
    );
    return;
  }
  const decoded = decodeClientMessage(frame);
  if (!decoded.ok) {
    conn.sendError(decoded.error.pusherCode, decoded.error.message);
    return;
  }
  dispatch(conn, decoded.message, context);
}

function dispatch(conn: Connection, message: ClientMessage, context: DispatchContext): void {
  switch (message.event) {
    case PusherEvent.Ping:
      conn.sendMessage({ event: PusherEvent.Pong, data: {} });
      return;
    case PusherEvent.Pong:
      return; // activity already recorded
    case PusherEvent.Subscribe:
      subscribe(conn, message as SubscribeMessage, context);
      return;
    case PusherEvent.Unsubscribe:
      // Unsubscribing from a channel we don't have is harmless: no reply (§3.7).
      context.registry.leave(conn, (message as { data: { channel: string } }).data.channel);
      return;
    case PusherEvent.Signin:
      signin(conn, message as SigninMessage, context);
      return;
    default:
      clientEvent(conn, message as ClientEventMessage<string>, context);
  }
}

/** §3.6: `pusher:error` for hosted parity, then the channel-bound frame Echo's `.error()` hears. */
function refuseSubscription(
  conn: Connection,
  channel: string,
  error: string,
  status: number,
  type = 'AuthError',
): void {
  conn.sendError(ErrorCode.Unauthorized, error);
  conn.sendMessage({ event: PusherEvent.SubscriptionError, channel, data: { type, error, status } });
}

function subscribe(conn: Connection, message: SubscribeMessage, context: DispatchContext): void {
  const { registry } = context;
  const { channel, auth, channel_data: channelData, history } = message.data;
  const problem = channelNameProblem(channel);
  if (problem) {
    const shown = channel.slice(0, Limits.MAX_CHANNEL_NAME_LENGTH);
    refuseSubscription(conn, shown, `Invalid channel name ${shown} (${problem})`, 400, 'InvalidChannelName');
    return;
  }
  if (channel.length > Limits.DOCUMENTED_CHANNEL_NAME_LENGTH) {
    // §5, Decision: accepted up to 200 (what the SDKs allow), but hosted Pusher documents 164.
    context.warn({ appId: conn.app.id, channel }, 'channel name longer than the documented 164 characters');
  }
  if (conn.subscriptions.has(channel)) {
    conn.sendError(ErrorCode.Unauthorized, `Existing subscription to channel ${channel}`);
    return;
  }
  const { maxChannelsPerConnection } = conn.app.limits;
  if (conn.subscriptions.size >= maxChannelsPerConnection) {
    refuseSubscription(
      conn,
      channel,
      `Subscription to ${channel} refused: at most ${maxChannelsPerConnection} channels per connection`,
      403,
      'LimitReached',
    );
    return;
  }
  const traits = channelTraits(channel);
  if (channelType(channel) === 'server-to-user') {
    const userId = serverToUserId(channel);
    if (conn.userId === undefined || conn.userId !== userId) {
      refuseSubscription(
        conn,
        channel,
        `Subscription to ${channel} refused: not signed in as that user`,
        403,
      );
      return;
    }
    void registry.join(conn, channel, undefined, history);
    return;
  }
  if (!traits.requiresAuth) {
    void registry.join(conn, channel, undefined, history);
    return;
  }
  const authString = auth ?? '';
  const separator = authString.indexOf(':');
  const authKey = separator < 0 ? authString : authString.slice(0, separator);
  if (authKey !== conn.app.key) {
    refuseSubscription(conn, channel, `Invalid key in subscription auth data: '${authKey}'`, 401);
    return;
  }
  const signedData = traits.isPresence ? (channelData ?? '') : undefined;
  const valid = verifyChannelAuth({
    key: conn.app.key,
    secret: conn.app.secret,
    socketId: conn.socketId,
    channel,
    auth: authString,
    ...(signedData === undefined ? {} : { channelData: signedData }),
  });
  if (!valid) {
    const signed = channelAuthString(conn.socketId, channel, signedData);
    const got = authString.slice(separator + 1);
    refuseSubscription(
      conn,
      channel,
      `Invalid signature: Expected HMAC SHA256 hex digest of ${signed}, but got ${got}`,
      401,
    );
    return;
  }
  if (!traits.isPresence) {
    void registry.join(conn, channel, undefined, history);
    return;
  }
  const member = parsePresenceChannelData(channelData, channel, {
    maxUserIdLength: Limits.MAX_PRESENCE_USER_ID_LENGTH,
    maxUserInfoBytes: conn.app.limits.maxPresenceUserInfoBytes,
  });
  if (!member.ok) {
    refuseSubscription(conn, channel, member.error.message, 400, 'InvalidChannelData');
    return;
  }
  const refuseFull = () =>
    refuseSubscription(
      conn,
      channel,
      `Presence channel ${channel} is full: at most ${conn.app.limits.maxPresenceMembers} members`,
      403,
      'LimitReached',
    );
  if (!registry.hasRoomFor(channel, member.value.user_id)) {
    refuseFull();
    return;
  }
  // The registry checks the limit again over the whole cluster.
  void registry.join(conn, channel, member.value, history).then((joined) => {
    if (!joined) refuseFull();
  });
}

function signin(conn: Connection, message: SigninMessage, context: DispatchContext): void {
  const { users } = context.registry;
  const { auth, user_data: userData } = message.data;
  if (!conn.app.userAuthentication) {
    conn.sendError(ErrorCode.Unauthorized, 'User authentication is disabled for this app');
    return;
  }
  const valid = verifyUserAuth({
    key: conn.app.key,
    secret: conn.app.secret,
    socketId: conn.socketId,
    userData,
    auth,
  });
  if (!valid) {
    conn.sendError(ErrorCode.Unauthorized, 'Invalid signature for pusher:signin');
    return;
  }
  const parsed = parseSigninUserData(userData);
  if (!parsed.ok) {
    conn.sendError(ErrorCode.Unauthorized, parsed.error.message);
    return;
  }
  const { id, watchlist, session_id: sessionId } = parsed.value;
  if (conn.userId !== undefined && conn.userId !== id) {
    conn.sendError(ErrorCode.Unauthorized, `Already signed in as another user on this connection`);
    return;
  }
  const refusal = users.sessions.refusal(conn, sessionId);
  if (refusal !== undefined) {
    conn.sendError(ErrorCode.Unauthorized, refusal);
    return;
  }
  // docs/protocol.md §11.2: a sign-in with a session_id is answered once its session may sign in.
  const accept = () => {
    conn.sendMessage({ event: PusherEvent.SigninSuccess, data: { user_data: userData } });
    const complete = users.signIn(conn, id, watchlist);
    if (!complete) {
      conn.sendError(
        ErrorCode.WatchlistTruncated,
        `Watchlist limit exceeded: only the first ${Limits.MAX_WATCHLIST_SIZE} ids are watched`,
      );
    }
  };
  users.sessions.admit(conn, id, sessionId, accept, context.warn);
}

/** §3.10: every rule, in order; a refusal is a `pusher:error` and the event goes nowhere. */
function clientEvent(conn: Connection, message: ClientEventMessage<string>, context: DispatchContext): void {
  const { event, channel, data } = message;
  const app = conn.app;
  if (!app.clientEvents) {
    conn.sendError(ErrorCode.Unauthorized, `Client events are disabled for this app (event ${event})`);
    return;
  }
  if (!channelTraits(channel).allowsClientEvents) {
    conn.sendError(
      ErrorCode.Unauthorized,
      `Client event ${event} rejected: only private and presence channels accept client events (channel ${channel})`,
    );
    return;
  }
  const subscription = conn.subscriptions.get(channel);
  if (!subscription && app.clientEventsFrom === 'members') {
    conn.sendError(
      ErrorCode.Unauthorized,
      `Cannot broadcast client event (connection not subscribed to channel ${channel})`,
    );
    return;
  }
  if (utf8Length(data) > Limits.MAX_EVENT_DATA_BYTES) {
    conn.sendError(
      ErrorCode.Unauthorized,
      `Client event ${event} rejected: data over ${Limits.MAX_EVENT_DATA_BYTES} bytes`,
    );
    return;
  }
  if (!conn.clientEventRate.take(Date.now())) {
    conn.sendError(ErrorCode.ClientEventRateLimit, 'Client event rejected due to rate limit');
    return;
  }
  const userId = subscription?.userId;
  const frame = encodeChannelEvent(event, channel, data, userId);
  context.events.emit('client_event', {
    appId: app.id,
    channel,
    event,
    data,
    socketId: conn.socketId,
    ...(userId === undefined ? {} : { userId }),
  });
  context.adapter
    .publish({ type: 'broadcast', appId: app.id, channel, frame, exceptSocketId: conn.socketId })
    .catch(context.onAdapterError);
}
