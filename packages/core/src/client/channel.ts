/**
 * One channel held by the client: its subscription on the current socket (authorize, subscribe,
 * status), its listeners, its whisper queue, the presence part for `presence-` channels and, for
 * `private-encrypted-` channels, decryption. The registry in `client.ts` decides when it joins and
 * leaves; this module only does it. Closures, not classes, so the private state minifies.
 */
import { clientChannelTraits } from '../protocol/channel-names';
import { encodeClientFrame } from '../protocol/codec';
import { ReverbError } from '../protocol/errors';
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
  SubscriptionCountMessage,
  SubscriptionErrorMessage,
  SubscriptionSucceededMessage,
} from '../protocol/messages';
import { authorizeChannel } from './auth';
import { AuthError, ClientEventError } from './errors';
import { createListeners, eventMeta } from './listeners';
import { createPresence } from './presence-channel';
import { createStore } from './store';
import type {
  Channel,
  ChannelAuthorization,
  ChannelSnapshot,
  Decryptor,
  EventListener,
  ReverbClientOptions,
} from './types';
import type { WhisperOutbox } from './whisper-outbox';

/** What a channel needs from its client. */
export interface ChannelContext {
  readonly options: ReverbClientOptions;
  send(frame: string): boolean;
  /** The connection-wide throttled whisper outbox. */
  readonly whisper: WhisperOutbox;
  /** The decryptor for encrypted channels, loaded on first use. */
  decryptor(): Promise<Decryptor>;
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

export function createChannel(name: string, context: ChannelContext): ReverbChannel {
  const traits = clientChannelTraits(name);
  const store = createStore<ChannelSnapshot>({ name, status: 'idle', error: null, subscriptionCount: null });
  const { update, getSnapshot, getServerSnapshot } = store;
  const listeners = createListeners();
  const presence = traits.isPresence ? createPresence(name) : undefined;
  /** Whispers waiting for `subscription_succeeded`. */
  let pending: string[] = [];
  /** Bumped on every join/leave/suspend so late auth answers for an old socket are dropped. */
  let generation = 0;
  let socketId: string | null = null;
  /** `pusher:subscribe` went out on the current socket. */
  let onWire = false;
  let sharedSecret: string | undefined;
  let decryptor: Decryptor | undefined;

  const isSubscribed = () => getSnapshot().status === 'subscribed';
  const requeue = (frame: string) => {
    if (getSnapshot().status !== 'idle') pending.push(frame);
  };
  const toOutbox = (frame: string) => context.whisper(frame, isSubscribed, requeue);
  /** Drops what belonged to the socket we had: late auth answers, the wire flag, the socket id. */
  const detach = () => {
    generation++;
    onWire = false;
    socketId = null;
  };
  const authorize = (id: string) => authorizeChannel(context.options, id, name);
  const fail = (auth: boolean, message: string, status: unknown) =>
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
    socketId = id;
    onWire = false;
    update({ status: 'subscribing', error: null });
    if (id === null) return;
    try {
      const authorization = traits.requiresAuth ? await authorizeFor(id) : undefined;
      if (current !== generation) return;
      onWire = context.send(
        encodeClientFrame({
          event: SUBSCRIBE,
          data: { channel: name, auth: authorization?.auth ?? '', channel_data: authorization?.channel_data },
        }),
      );
    } catch (error) {
      if (current !== generation) return;
      // Anything the authorizer threw is an auth failure; our own other errors (no decryptor) are not.
      fail(
        error instanceof AuthError || !(error instanceof ReverbError),
        (error as Error).message,
        (error as Partial<AuthError>).status,
      );
    }
  }

  async function authorizeFor(id: string): Promise<ChannelAuthorization> {
    const [authorization, loaded] = await Promise.all([
      authorize(id),
      traits.isEncrypted ? context.decryptor() : undefined,
    ]);
    const secret = authorization?.shared_secret;
    if (typeof authorization?.auth !== 'string' || (traits.isEncrypted && typeof secret !== 'string')) {
      throw new AuthError(`Authorization for ${name} without "auth" (or "shared_secret")`);
    }
    // Both undefined but on encrypted channels.
    sharedSecret = secret;
    decryptor = loaded;
    presence?.authorized(authorization);
    return authorization;
  }

  function handle(message: ServerMessage): void {
    switch (message.event) {
      case SUBSCRIPTION_SUCCEEDED: {
        update({ status: 'subscribed', error: null });
        presence?.succeeded((message as SubscriptionSucceededMessage).data);
        const queued = pending;
        pending = [];
        for (const frame of queued) toOutbox(frame);
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
    const emit = (payload: unknown) => listeners.emit(payload, eventMeta(event, name, userId));
    if (!traits.isEncrypted || event.startsWith(PUSHER_EVENT_PREFIX)) {
      emit(data);
      return;
    }
    // `decrypt` throws when the payload does not open (nothing is emitted then).
    const open = () => emit(decryptor!.decrypt(sharedSecret!, data));
    try {
      open();
    } catch {
      // The key may have been rotated: authorize once more for a fresh shared secret and try again,
      // then drop the event (pusher-js does the same).
      const current = generation;
      authorizeFor(socketId!)
        .then(() => current === generation && open())
        .catch(() => {});
    }
  }

  return {
    ...store,
    ...presence?.api,
    name,
    bind: (event: string, listener: EventListener) => listeners.add(event, listener),
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
