/**
 * User sign-in (protocol.md §3.11–§3.12): authenticate, `pusher:signin`, then listen on
 * `#server-to-user-{id}` and keep the watchlist. A sign-in lasts one socket, so it is redone after
 * every reconnect while the user has asked to be signed in.
 */
import { serverToUserChannel } from '../protocol/channel-names';
import { encodeClientMessage, isProtocolEvent } from '../protocol/codec';
import { ERROR, SIGNIN, SIGNIN_SUCCESS, SUBSCRIBE, WATCHLIST_EVENTS } from '../protocol/events';
import type {
  ChannelEventMessage,
  ErrorMessage,
  ServerMessage,
  SigninSuccessMessage,
  SigninUserData,
  WatchlistEventsMessage,
} from '../protocol/messages';
import { authenticateUser } from './auth';
import { eventMeta, Listeners } from './listeners';
import { Store } from './store';
import type { EventListener, ReverbClientOptions, UserSnapshot, UserStore } from './types';

export const SIGNED_OUT: UserSnapshot = {
  status: 'signed-out',
  id: null,
  info: null,
  error: null,
  watchlist: {},
};

export interface UserContext {
  readonly options: ReverbClientOptions;
  send(frame: string): boolean;
}

/** The user is its own snapshot store (`subscribe`, `getSnapshot`, `getServerSnapshot`). */
export class ReverbUser extends Store<UserSnapshot> implements UserStore {
  #listeners = new Listeners();
  /** `signin()` was called: sign in on every socket from now on. */
  #wanted = false;
  #socketId: string | null = null;
  #generation = 0;
  /** `pusher:signin` is out and unanswered: a channel-less `pusher:error` now is about it. */
  #awaitingReply = false;

  readonly #context: UserContext;

  constructor(context: UserContext) {
    super(SIGNED_OUT);
    this.#context = context;
  }

  signin(): void {
    const { status } = this.getSnapshot();
    if (this.#wanted && (status === 'signed-in' || status === 'signing-in')) return;
    this.#wanted = true;
    void this.#start();
  }

  bind<D = unknown>(event: string, listener: EventListener<D>): () => void {
    return this.#listeners.add(event, listener as EventListener);
  }

  connected(socketId: string): void {
    this.#socketId = socketId;
    if (this.#wanted) void this.#start();
  }

  disconnected(): void {
    this.#socketId = null;
    this.#generation++;
    this.#awaitingReply = false;
    if (this.#wanted) this.update({ status: 'signing-in' });
  }

  handle(message: ServerMessage): void {
    switch (message.event) {
      case SIGNIN_SUCCESS:
        this.#signedIn((message as SigninSuccessMessage).data.user_data);
        return;
      case WATCHLIST_EVENTS: {
        const watchlist = { ...this.getSnapshot().watchlist };
        for (const { name, user_ids } of (message as WatchlistEventsMessage).data.events ?? []) {
          for (const id of user_ids) watchlist[id] = name === 'online';
        }
        this.update({ watchlist });
        return;
      }
      case ERROR:
        if (this.#awaitingReply) this.#failed((message as ErrorMessage).data.message);
        return;
    }
    const { event, channel, data } = message as ChannelEventMessage;
    if (!isProtocolEvent(event) && channel === this.#channelName()) {
      this.#listeners.emit(data, eventMeta(event, channel, undefined));
    }
  }

  #channelName(): string | undefined {
    const { id } = this.getSnapshot();
    return id === null ? undefined : serverToUserChannel(id);
  }

  async #start(): Promise<void> {
    this.update({ status: 'signing-in', error: null });
    const socketId = this.#socketId;
    if (socketId === null) return;
    const generation = ++this.#generation;
    try {
      const { auth, user_data } = await authenticateUser(this.#context.options, socketId);
      if (generation !== this.#generation) return;
      this.#awaitingReply = this.#context.send(
        encodeClientMessage({ event: SIGNIN, data: { auth, user_data } }),
      );
    } catch (error) {
      if (generation === this.#generation) this.#failed((error as Error).message);
    }
  }

  #signedIn(userData: string): void {
    this.#awaitingReply = false;
    // The server verified this exact string against its signature before answering; we only read it.
    let data: Partial<SigninUserData> | undefined;
    try {
      data = JSON.parse(userData);
    } catch {}
    const id = data?.id;
    if (typeof id !== 'string' || id === '') {
      this.#failed('signin_success without a user id');
      return;
    }
    const info = data?.user_info ?? null;
    this.update({ status: 'signed-in', id, info, error: null });
    this.#context.send(
      encodeClientMessage({
        event: SUBSCRIBE,
        data: { channel: serverToUserChannel(id), auth: '' },
      }),
    );
  }

  #failed(message: string): void {
    this.#awaitingReply = false;
    this.update({ status: 'error', error: { code: null, message } });
  }
}
