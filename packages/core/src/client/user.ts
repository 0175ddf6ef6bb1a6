/**
 * User sign-in (docs/protocol.md §3.11–§3.12): authenticate, `pusher:signin`, then listen on
 * `#server-to-user-{id}` and keep the watchlist. A sign-in lasts one socket, so it is redone after
 * every reconnect while the user has asked to be signed in. The user's channel is a channel like the
 * held ones (`channel.ts`), so it recovers what it missed the same way (docs/protocol.md §11.1).
 */
import { serverToUserChannel } from '../protocol/channel-names';
import { encodeClientFrame, parseData } from '../protocol/codec';
import { ERROR, SIGNIN, SIGNIN_SUCCESS, WATCHLIST_EVENTS } from '../protocol/events';
import type {
  ErrorMessage,
  ServerMessage,
  SigninSuccessMessage,
  SigninUserData,
  WatchlistEventsMessage,
} from '../protocol/messages';
import { authenticateUser } from './auth';
import { type ChannelContext, createChannel, type ReverbChannel } from './channel';
import { createListeners } from './listeners';
import { createStore } from './store';
import type { UserSnapshot, UserStore } from './types';

export const SIGNED_OUT: UserSnapshot = {
  status: 'signed-out',
  id: null,
  info: null,
  error: null,
  watchlist: {},
  recovery: null,
};

/** The user store plus what the client drives. */
export interface ReverbUser extends UserStore {
  connected(socketId: string): void;
  disconnected(): void;
  handle(message: ServerMessage): void;
}

export function createUser(context: ChannelContext): ReverbUser {
  const { options, send } = context;
  const store = createStore<UserSnapshot>(SIGNED_OUT);
  const { update, getSnapshot } = store;
  const listeners = createListeners();
  /** `#server-to-user-{id}` of the signed-in user; a new one when another user signs in. */
  let channel: ReverbChannel | undefined;
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
    if (!id) return;
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
    // The server verified this exact string against its signature before answering; we only read it
    // (`Object()`: what is not a JSON object has no id).
    const data: Partial<SigninUserData> = Object(parseData(userData));
    const { id } = data;
    if (!id || typeof id !== 'string') {
      failed('signin_success without a user id');
      return;
    }
    update({ status: 'signed-in', id, info: data.user_info ?? null, error: null });
    const name = serverToUserChannel(id);
    if (channel?.name !== name) {
      channel?.leave();
      const created = createChannel(name, context);
      created.bindAll(listeners.emit);
      created.subscribe(() => update({ recovery: created.getSnapshot().recovery }));
      // Its first update (`join` below) puts its recovery, null, in the user snapshot.
      channel = created;
    }
    channel.join(socketId);
  }

  return {
    ...store,
    signin() {
      const { status } = getSnapshot();
      if (wanted && (status === 'signed-in' || status === 'signing-in')) return;
      wanted = true;
      void start();
    },
    bind: listeners.add as UserStore['bind'],
    connected(id) {
      socketId = id;
      if (wanted) void start();
    },
    disconnected() {
      socketId = null;
      generation++;
      awaitingReply = false;
      channel?.suspend();
      if (wanted) update({ status: 'signing-in' });
    },
    handle(message) {
      switch (message.event) {
        case SIGNIN_SUCCESS:
          signedIn((message as SigninSuccessMessage).data.user_data);
          return;
        case WATCHLIST_EVENTS: {
          const watchlist = { ...getSnapshot().watchlist };
          for (const { name, user_ids } of (message as WatchlistEventsMessage).data.events) {
            for (const id of user_ids) watchlist[id] = name === 'online';
          }
          update({ watchlist });
          return;
        }
        case ERROR:
          if (awaitingReply) failed((message as ErrorMessage).data.message);
          return;
      }
      // Events of another user's channel (a late frame after a new sign-in) are dropped.
      if ((message as { channel?: string }).channel === channel?.name) channel?.handle(message);
    },
  };
}
