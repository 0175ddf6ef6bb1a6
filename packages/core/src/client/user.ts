/**
 * User sign-in (docs/protocol.md §3.11–§3.12): authenticate, `pusher:signin`, then listen on
 * `#server-to-user-{id}` and keep the watchlist. A sign-in lasts one socket, so it is redone after
 * every reconnect while the user has asked to be signed in.
 */
import { serverToUserChannel } from '../protocol/channel-names';
import { encodeClientFrame } from '../protocol/codec';
import {
  ERROR,
  isReservedEventName,
  SIGNIN,
  SIGNIN_SUCCESS,
  SUBSCRIBE,
  WATCHLIST_EVENTS,
} from '../protocol/events';
import type {
  ChannelEventMessage,
  ErrorMessage,
  ServerMessage,
  SigninSuccessMessage,
  SigninUserData,
  WatchlistEventsMessage,
} from '../protocol/messages';
import { authenticateUser } from './auth';
import { createListeners, eventMeta } from './listeners';
import { createStore } from './store';
import type { EventListener, ReverbClientOptions, UserSnapshot, UserStore } from './types';

export const SIGNED_OUT: UserSnapshot = {
  status: 'signed-out',
  id: null,
  info: null,
  error: null,
  watchlist: {},
};

/** The user store plus what the client drives. */
export interface ReverbUser extends UserStore {
  connected(socketId: string): void;
  disconnected(): void;
  handle(message: ServerMessage): void;
}

export function createUser(options: ReverbClientOptions, send: (frame: string) => boolean): ReverbUser {
  const store = createStore<UserSnapshot>(SIGNED_OUT);
  const { update, getSnapshot } = store;
  const listeners = createListeners();
  /** `signin()` was called: sign in on every socket from now on. */
  let wanted = false;
  let socketId: string | null = null;
  let generation = 0;
  /** `pusher:signin` is out and unanswered: a channel-less `pusher:error` now is about it. */
  let awaitingReply = false;

  const failed = (message: string) => {
    awaitingReply = false;
    update({ status: 'error', error: { code: null, message } });
  };

  async function start(): Promise<void> {
    update({ status: 'signing-in', error: null });
    const id = socketId;
    if (id === null) return;
    const current = ++generation;
    try {
      const { auth, user_data } = await authenticateUser(options, id);
      if (current !== generation) return;
      awaitingReply = send(encodeClientFrame({ event: SIGNIN, data: { auth, user_data } }));
    } catch (error) {
      if (current === generation) failed((error as Error).message);
    }
  }

  function signedIn(userData: string): void {
    awaitingReply = false;
    // The server verified this exact string against its signature before answering; we only read it.
    let data: Partial<SigninUserData> | undefined;
    try {
      data = JSON.parse(userData);
    } catch {}
    const id = data?.id;
    if (!id || typeof id !== 'string') {
      failed('signin_success without a user id');
      return;
    }
    update({ status: 'signed-in', id, info: data?.user_info ?? null, error: null });
    send(encodeClientFrame({ event: SUBSCRIBE, data: { channel: serverToUserChannel(id), auth: '' } }));
  }

  return {
    ...store,
    signin() {
      const { status } = getSnapshot();
      if (wanted && (status === 'signed-in' || status === 'signing-in')) return;
      wanted = true;
      void start();
    },
    bind: (event: string, listener: EventListener) => listeners.add(event, listener),
    connected(id) {
      socketId = id;
      if (wanted) void start();
    },
    disconnected() {
      socketId = null;
      generation++;
      awaitingReply = false;
      if (wanted) update({ status: 'signing-in' });
    },
    handle(message) {
      switch (message.event) {
        case SIGNIN_SUCCESS:
          signedIn((message as SigninSuccessMessage).data.user_data);
          return;
        case WATCHLIST_EVENTS: {
          const watchlist = { ...getSnapshot().watchlist };
          for (const { name, user_ids } of (message as WatchlistEventsMessage).data.events ?? []) {
            for (const id of user_ids) watchlist[id] = name === 'online';
          }
          update({ watchlist });
          return;
        }
        case ERROR:
          if (awaitingReply) failed((message as ErrorMessage).data.message);
          return;
      }
      const { event, channel, data } = message as ChannelEventMessage;
      const { id } = getSnapshot();
      if (!isReservedEventName(event) && id !== null && channel === serverToUserChannel(id)) {
        listeners.emit(data, eventMeta(event, channel, undefined));
      }
    },
  };
}
