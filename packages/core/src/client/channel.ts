/**
 * One channel held by the client (or the signed-in user's `#server-to-user-` channel): its subscription
 * on the current socket (authorize, subscribe, status), its place in the channel's stream (recovery,
 * docs/protocol.md §11.1), its listeners, its whisper queue, the presence part for `presence-` channels
 * and, for `private-encrypted-` channels, the opener `options.encryption` gives. The registry in
 * `client.ts` decides when it joins and leaves; this module only does it. Closures, not classes, so
 * the private state minifies.
 */
import { clientChannelTraits } from '../protocol/channel-names';
import { encodeClientFrame } from '../protocol/codec';
import {
  CLIENT_EVENT_PREFIX,
  INTERNAL_EVENT_PREFIX,
  isClientEventName,
  MEMBER_ADDED,
  MEMBER_REMOVED,
  PUSHER_EVENT_PREFIX,
  SUBSCRIBE,
  SUBSCRIPTION_COUNT,
  SUBSCRIPTION_ERROR,
  SUBSCRIPTION_SUCCEEDED,
  UNSUBSCRIBE,
} from '../protocol/events';
import type {
  ChannelEventMessage,
  ServerMessage,
  StreamPosition,
  SubscriptionCountMessage,
  SubscriptionErrorMessage,
  SubscriptionSucceededMessage,
} from '../protocol/messages';
import { RECOVERY_EPOCH_CHANGED, readStreamPosition } from '../protocol/stream';
import { authorizeChannel } from './auth';
import { AuthError, ClientEventError } from './errors';
import { createListeners } from './listeners';
import { createPresence } from './presence-channel';
import { createStore } from './store';
import type {
  Channel,
  ChannelAuthorization,
  ChannelSnapshot,
  EncryptedPayloadOpener,
  RetainOptions,
  ReverbClientOptions,
} from './types';
import type { WhisperOutbox } from './whisper-outbox';

/** What a channel needs from its client. */
export interface ChannelContext {
  readonly options: ReverbClientOptions;
  send(frame: string): boolean;
  /** The connection-wide throttled whisper outbox. */
  readonly whisper: WhisperOutbox;
  /** This client's socket ids, oldest first: the current one last, up to 5 before it (§11.1 `recover`). */
  readonly socketIds: readonly string[];
}

/** The public channel (a `PresenceChannel` for presence names) plus what the registry drives. */
export interface ReverbChannel extends Channel {
  /** Subscribes on the wire for `socketId` (authorizing first), or waits for a socket when null. */
  join(socketId: string | null): void;
  /** No hold is left: unsubscribe on the wire and forget the queue. */
  leave(): void;
  /** The socket is gone: wait for the next one (the registry calls `join` again). */
  suspend(): void;
  handle(message: ServerMessage): void;
}

export function createChannel(
  name: string,
  context: ChannelContext,
  { rewind }: RetainOptions = {},
): ReverbChannel {
  const traits = clientChannelTraits(name);
  const store = createStore<ChannelSnapshot>({
    name,
    status: 'idle',
    error: null,
    subscriptionCount: null,
    recovery: null,
  });
  const { update, getSnapshot, getServerSnapshot } = store;
  const listeners = createListeners();
  const presence = traits.isPresence ? createPresence(name) : undefined;
  /** Whispers waiting for `subscription_succeeded`. */
  let pending: string[] = [];
  /** Bumped on every join/leave/suspend so late auth answers for an old socket are dropped. */
  let generation = 0;
  /** `pusher:subscribe` went out on the current socket. */
  let onWire = false;
  /** Encrypted channels: opens the payloads with the key of the last authorization. */
  let open: EncryptedPayloadOpener | undefined;
  // docs/protocol.md §11.1, the client's rules. Against a server that sends no positions both stay
  // undefined, and `pusher:subscribe` never carries `recover`.
  /** The last position seen: from `stream`, then from every positioned event. */
  let position: StreamPosition | undefined;
  /** `stream` of the last `subscription_succeeded`: the events up to it that follow are the replay. */
  let top: StreamPosition | undefined;

  const isSubscribed = () => getSnapshot().status === 'subscribed';
  const requeue = (frame: string) => {
    if (getSnapshot().status !== 'idle') pending.push(frame);
  };
  const toOutbox = (frame: string) => context.whisper(frame, isSubscribed, requeue);
  /** Drops what belonged to the socket we had: late auth answers and the wire flag. */
  const detach = () => {
    generation++;
    onWire = false;
  };
  const authorize = (id: string) => authorizeChannel(context.options, id, name);
  const fail = (auth: boolean, message: string, status?: unknown) =>
    update({
      status: 'error',
      error: {
        type: auth ? 'AuthError' : 'SubscriptionError',
        message,
        status: typeof status === 'number' ? status : null,
      },
    });

  async function join(id: string | null): Promise<void> {
    const current = ++generation;
    onWire = false;
    update({ status: 'subscribing', error: null });
    if (!id) return;
    const { encryption } = context.options;
    if (traits.isEncrypted && !encryption) {
      fail(false, 'Encrypted channels need options.encryption');
      return;
    }
    try {
      let authorization: ChannelAuthorization | undefined;
      if (traits.requiresAuth) {
        authorization = await authorize(id);
        if (typeof authorization?.auth !== 'string') {
          throw new AuthError(`Authorization for ${name} without "auth"`);
        }
        if (traits.isEncrypted) {
          // Its payloads are opened by what `encryption` gives (`import()` loads a module once), which
          // asks for a fresh key once when one does not open. A late answer still delivers: the event
          // arrived and its position is passed, so a recovery would not bring it again.
          open = (await (typeof encryption === 'function' ? encryption() : encryption!)).encryptedChannel(
            authorization,
            () => authorize(id),
          );
        }
        presence?.authorized(authorization);
      }
      if (current !== generation) return;
      onWire = context.send(
        encodeClientFrame({
          event: SUBSCRIBE,
          data: {
            channel: name,
            auth: authorization?.auth ?? '',
            channel_data: authorization?.channel_data,
            // Where to recover from, with the client's previous sockets (events they caused are not
            // replayed); `rewind` only on a first subscribe.
            ...(position
              ? { recover: { ...position, socket_ids: context.socketIds.slice(0, -1) } }
              : rewind
                ? { rewind }
                : {}),
          },
        }),
      );
    } catch (error) {
      // Whatever the authorizer (or the encryption loader) threw is an auth failure.
      if (current === generation) fail(true, (error as Error).message, (error as Partial<AuthError>).status);
    }
  }

  function handle(message: ServerMessage): void {
    switch (message.event) {
      case SUBSCRIPTION_SUCCEEDED: {
        // Older Reverb releases send it without `data`.
        const { data = {} } = message as Partial<SubscriptionSucceededMessage>;
        const { recovery } = data;
        top = readStreamPosition(data.stream);
        // Replayed events follow: start below them, from where we were in the same epoch, else from the
        // epoch's start (not `top.offset - replayed`: events the client caused itself are not replayed).
        // Nothing replayed: we stand at the top.
        position =
          top &&
          (!recovery?.replayed ? top : position?.epoch === top.epoch ? position : { ...top, offset: 0 });
        rewind = undefined;
        update({ status: 'subscribed', error: null, ...(recovery instanceof Object && { recovery }) });
        presence?.succeeded(data);
        for (const frame of pending.splice(0)) toOutbox(frame);
        return;
      }
      case SUBSCRIPTION_ERROR: {
        const { type, error, status } = (message as SubscriptionErrorMessage).data;
        onWire = false;
        fail(type === 'AuthError', String(error), status);
        return;
      }
      case SUBSCRIPTION_COUNT:
        update({ subscriptionCount: (message as SubscriptionCountMessage).data.subscription_count });
        return;
      case MEMBER_ADDED:
      case MEMBER_REMOVED:
        presence?.member(message);
        return;
    }
    const { event, data, user_id: userId } = message as ChannelEventMessage;
    if (event.startsWith(INTERNAL_EVENT_PREFIX)) return;
    const at = readStreamPosition(message);
    let replayed = false;
    if (at) {
      if (position?.epoch === at.epoch) {
        // Seen already. (A cache channel's cached event comes without a position, like a whisper.)
        if (at.offset <= position.offset) return;
      } else if (position) {
        // The stream was reset while we were subscribed (e.g. Redis restarted): events may be lost.
        update({ recovery: { recovered: false, replayed: 0, reason: RECOVERY_EPOCH_CHANGED } });
      }
      position = at;
      replayed = top?.epoch === at.epoch && at.offset <= top.offset;
    }
    const emit = (payload: unknown) =>
      listeners.emit(payload, {
        event,
        channel: name,
        // A string, as the presence member ids: Reverb passes a numeric user_id of channel_data through.
        ...(userId != null && { userId: String(userId) }),
        ...(replayed && { replayed }),
      });
    if (open && !event.startsWith(PUSHER_EVENT_PREFIX)) open(data, emit);
    else emit(data);
  }

  return {
    ...store,
    ...presence?.api,
    name,
    bind: listeners.add as Channel['bind'],
    bindAll: (listener) => listeners.add(null, listener),
    whisper(event, data) {
      if (!traits.allowsClientEvents) {
        throw new ClientEventError(
          'REVERB_ERR_CLIENT_EVENT_CHANNEL',
          `Whispers need a private or presence channel, not ${name}`,
        );
      }
      const wire = (isClientEventName(event) ? event : CLIENT_EVENT_PREFIX + event) as `client-${string}`;
      const frame = encodeClientFrame({ event: wire, channel: name, data });
      if (isSubscribed()) toOutbox(frame);
      else pending.push(frame);
    },
    join,
    leave() {
      if (onWire) context.send(encodeClientFrame({ event: UNSUBSCRIBE, data: { channel: name } }));
      detach();
      pending = [];
      update(getServerSnapshot());
      presence?.leave();
    },
    suspend() {
      detach();
      update({ status: 'subscribing' });
      presence?.suspend();
    },
    handle,
  };
}
