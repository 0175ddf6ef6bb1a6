/**
 * One channel held by the client: its subscription on the current socket (authorize, subscribe,
 * status), its listeners, its whisper queue and, for `private-encrypted-` channels, decryption.
 * The registry in `client.ts` decides when it joins and leaves; this class only does it.
 */
import { type ChannelTraits, channelTraits, channelType } from '../protocol/channel-names';
import { encodeClientMessage } from '../protocol/codec';
import { ReverbError } from '../protocol/errors';
import {
  CLIENT_EVENT_PREFIX,
  INTERNAL_EVENT_PREFIX,
  isClientEventName,
  MEMBER_ADDED,
  MEMBER_REMOVED,
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
import { eventMeta, Listeners } from './listeners';
import { Store } from './store';
import type {
  Channel,
  ChannelAuthorization,
  ChannelSnapshot,
  Decryptor,
  EventListener,
  ReverbClientOptions,
} from './types';
import type { WhisperSource } from './whisper-outbox';

/** What a channel needs from its client. */
export interface ChannelContext {
  readonly options: ReverbClientOptions;
  send(frame: string): boolean;
  /** Hands a whisper to the connection-wide throttled outbox. */
  whisper(source: WhisperSource, frame: string): void;
  /** The decryptor for encrypted channels, loaded on first use. */
  decryptor(): Promise<Decryptor>;
}

/** The channel is its own snapshot store (`subscribe`, `getSnapshot`, `getServerSnapshot`). */
export class ReverbChannel extends Store<ChannelSnapshot> implements Channel, WhisperSource {
  readonly traits: ChannelTraits;
  readonly #context: ChannelContext;
  #listeners = new Listeners();
  /** Whispers waiting for `subscription_succeeded`. */
  #pending: string[] = [];
  /** Bumped on every join/leave/suspend so late auth answers for an old socket are dropped. */
  #generation = 0;
  #socketId: string | null = null;
  /** `pusher:subscribe` went out on the current socket. */
  #onWire = false;
  #sharedSecret: string | undefined;
  #decryptor: Decryptor | undefined;

  constructor(
    readonly name: string,
    context: ChannelContext,
  ) {
    super({ name, status: 'idle', error: null, subscriptionCount: null });
    this.#context = context;
    this.traits = channelTraits(name);
  }

  bind<D = unknown>(event: string, listener: EventListener<D>): () => void {
    return this.#listeners.add(event, listener as EventListener);
  }

  bindAll(listener: EventListener): () => void {
    return this.#listeners.add(null, listener);
  }

  whisper(event: string, data: unknown): void {
    if (!this.traits.allowsClientEvents) {
      throw new ClientEventError(
        'REVERB_ERR_CLIENT_EVENT_CHANNEL',
        `Whispers need a private or presence channel; ${this.name} is ${channelType(this.name)}`,
      );
    }
    const name = (isClientEventName(event) ? event : CLIENT_EVENT_PREFIX + event) as `client-${string}`;
    const frame = encodeClientMessage({ event: name, channel: this.name, data });
    if (this.isSubscribed()) this.#context.whisper(this, frame);
    else this.#pending.push(frame);
  }

  isSubscribed(): boolean {
    return this.getSnapshot().status === 'subscribed';
  }

  requeue(frame: string): void {
    if (this.getSnapshot().status !== 'idle') this.#pending.push(frame);
  }

  /** Subscribes on the wire for `socketId` (authorizing first), or waits for a socket when null. */
  async join(socketId: string | null): Promise<void> {
    const generation = ++this.#generation;
    this.#socketId = socketId;
    this.#onWire = false;
    this.update({ status: 'subscribing', error: null });
    if (socketId === null) return;
    try {
      const authorization = this.traits.requiresAuth ? await this.#authorize(socketId) : undefined;
      if (generation !== this.#generation) return;
      this.#onWire = this.#context.send(
        encodeClientMessage({
          event: SUBSCRIBE,
          data: {
            channel: this.name,
            auth: authorization?.auth,
            channel_data: authorization?.channel_data,
          },
        }),
      );
    } catch (error) {
      if (generation !== this.#generation) return;
      this.update({
        status: 'error',
        error: {
          // Anything the authorizer threw is an auth failure; our own other errors (no decryptor) are not.
          type:
            error instanceof ReverbError && !(error instanceof AuthError) ? 'SubscriptionError' : 'AuthError',
          message: (error as Error).message,
          status: error instanceof AuthError ? error.status : null,
        },
      });
    }
  }

  /** No hold is left: unsubscribe on the wire and forget the queue. */
  leave(): void {
    this.#generation++;
    this.#pending = [];
    if (this.#onWire) {
      this.#context.send(encodeClientMessage({ event: UNSUBSCRIBE, data: { channel: this.name } }));
    }
    this.#onWire = false;
    this.#socketId = null;
    this.update({ status: 'idle', error: null, subscriptionCount: null });
  }

  /** The socket is gone: wait for the next one (the registry calls `join` again). */
  suspend(): void {
    this.#generation++;
    this.#onWire = false;
    this.#socketId = null;
    this.update({ status: 'subscribing' });
  }

  handle(message: ServerMessage): void {
    switch (message.event) {
      case SUBSCRIPTION_SUCCEEDED: {
        this.update({ status: 'subscribed', error: null });
        this.succeeded((message as SubscriptionSucceededMessage).data);
        const queued = this.#pending;
        this.#pending = [];
        for (const frame of queued) this.#context.whisper(this, frame);
        return;
      }
      case SUBSCRIPTION_ERROR: {
        const { type, error, status } = (message as SubscriptionErrorMessage).data;
        this.#onWire = false;
        this.update({
          status: 'error',
          error: {
            type: type === 'AuthError' ? 'AuthError' : 'SubscriptionError',
            message: String(error),
            status: typeof status === 'number' ? status : null,
          },
        });
        return;
      }
      case SUBSCRIPTION_COUNT:
        this.update({
          subscriptionCount: (message as SubscriptionCountMessage).data.subscription_count,
        });
        return;
      case MEMBER_ADDED:
      case MEMBER_REMOVED:
        this.member(message);
        return;
    }
    const { event, data, user_id: userId } = message as ChannelEventMessage;
    if (event.startsWith(INTERNAL_EVENT_PREFIX)) return;
    if (this.traits.isEncrypted && !event.startsWith('pusher:')) this.#decryptAndEmit(event, data, userId);
    else this.#listeners.emit(data, eventMeta(event, this.name, userId));
  }

  /** Presence channels override these two. */
  protected succeeded(_data: SubscriptionSucceededMessage['data']): void {}
  protected member(_message: ServerMessage): void {}
  protected authorized(_authorization: ChannelAuthorization): void {}

  async #authorize(socketId: string): Promise<ChannelAuthorization> {
    const [authorization, decryptor] = await Promise.all([
      authorizeChannel(this.#context.options, socketId, this.name),
      this.traits.isEncrypted ? this.#context.decryptor() : undefined,
    ]);
    if (typeof authorization?.auth !== 'string') throw new AuthError('Authorization has no "auth" string');
    if (this.traits.isEncrypted) {
      if (typeof authorization.shared_secret !== 'string') {
        throw new AuthError(`Authorization for ${this.name} has no shared_secret`);
      }
      this.#sharedSecret = authorization.shared_secret;
      this.#decryptor = decryptor;
    }
    this.authorized(authorization);
    return authorization;
  }

  /**
   * Opens an encrypted payload. When it does not open, the key may have been rotated: authorize once
   * more for a fresh shared secret and try again, then drop the event (pusher-js does the same).
   */
  #decryptAndEmit(event: string, payload: unknown, userId: string | undefined, retried = false): void {
    const meta = eventMeta(event, this.name, userId);
    try {
      this.#listeners.emit(this.#decryptor!.decrypt(this.#sharedSecret!, payload), meta);
      return;
    } catch {
      if (retried || this.#socketId === null) return;
    }
    const generation = this.#generation;
    authorizeChannel(this.#context.options, this.#socketId, this.name).then(
      (authorization) => {
        if (generation !== this.#generation || typeof authorization.shared_secret !== 'string') return;
        this.#sharedSecret = authorization.shared_secret;
        this.#decryptAndEmit(event, payload, userId, true);
      },
      () => {},
    );
  }
}
