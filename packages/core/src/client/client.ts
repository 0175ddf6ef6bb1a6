/**
 * `createReverbClient(options)`: wires the connection, the ref-counted channel registry, the user and
 * the whisper outbox together. Nothing here touches `window` at module scope, so importing it is safe
 * in Node, SSR and workers; until `connect()` every store shows its idle snapshot.
 */
import { clientChannelTraits, SERVER_TO_USER_PREFIX } from '../protocol/channel-names';
import { ReverbError } from '../protocol/errors';
import { MAX_RECOVER_SOCKET_IDS } from '../protocol/limits';
import type { ServerMessage, UserInfo } from '../protocol/messages';
import { type ChannelContext, createChannel, type ReverbChannel } from './channel';
import { assertClientChannelName } from './channel-name';
import { createConnection } from './connection';
import { formatEventName } from './event-name';
import { checkOptions } from './options';
import { platformTimers } from './timers';
import type {
  Channel,
  PresenceChannel,
  RetainedChannel,
  RetainOptions,
  ReverbClient,
  ReverbClientOptions,
} from './types';
import { createUser } from './user';
import { createWhisperOutbox } from './whisper-outbox';

/** A channel held by the registry, and the way to hold it once more. */
interface Hold {
  readonly channel: ReverbChannel;
  retain(): RetainedChannel;
}

/** Browsers and workers connect at creation by default; Node and SSR wait for `connect()`. */
function isInteractivePlatform(): boolean {
  return typeof document !== 'undefined' || 'WorkerGlobalScope' in globalThis;
}

export function createReverbClient(options: ReverbClientOptions): ReverbClient {
  checkOptions(options);
  const timers = options.timers ?? platformTimers;
  const holds = new Map<string, Hold>();
  /** This client's socket ids, oldest first: the current one last, and up to 5 before it. */
  const socketIds: string[] = [];

  // `controls`: connect, disconnect and sessionReplaced, as the client offers them.
  const { store, send, ...controls } = createConnection(
    options,
    timers,
    (id) => {
      if (socketIds.push(id) > MAX_RECOVER_SOCKET_IDS + 1) socketIds.shift();
      for (const hold of holds.values()) hold.channel.join(id);
      user.connected(id);
    },
    () => {
      for (const hold of holds.values()) hold.channel.suspend();
      user.disconnected();
    },
    route,
  );
  const context: ChannelContext = {
    options,
    send,
    whisper: createWhisperOutbox(timers, send),
    socketIds,
  };
  const user = createUser(context);

  function route(message: ServerMessage): void {
    const { channel } = message as { channel?: string };
    // Channel-less frames (sign-in, watchlist, errors) and user events belong to the user.
    if (!channel || channel.startsWith(SERVER_TO_USER_PREFIX)) user.handle(message);
    else holds.get(channel)?.channel.handle(message);
  }

  function retain(name: string, retainOptions?: RetainOptions): RetainedChannel {
    assertClientChannelName(name);
    let hold = holds.get(name);
    if (!hold) {
      hold = createHold(name, retainOptions);
      holds.set(name, hold);
    }
    return hold.retain();
  }

  function createHold(name: string, retainOptions?: RetainOptions): Hold {
    const channel = createChannel(name, context, retainOptions);
    let count = 0;
    /** The deferred wire unsubscribe, pending while the count is 0 (clearing one that ran does nothing). */
    let releaseTimer: unknown;
    const hold: Hold = {
      channel,
      retain() {
        timers.clearTimeout(releaseTimer);
        count++;
        let released = false;
        return {
          channel,
          release() {
            if (released) return;
            released = true;
            if (--count) return;
            // Deferred to the next macrotask: a StrictMode remount or route swap re-retains before it runs.
            releaseTimer = timers.setTimeout(() => {
              if (count || holds.get(name) !== hold) return;
              holds.delete(name);
              channel.leave();
            }, 0);
          },
        };
      },
    };
    channel.join(store.getSnapshot().socketId);
    return hold;
  }

  if (options.autoConnect ?? isInteractivePlatform()) controls.connect();
  return {
    options,
    connection: store,
    user,
    ...controls,
    retain,
    retainPresence<Info = UserInfo>(name: string, retainOptions?: RetainOptions) {
      if (!clientChannelTraits(name).isPresence) {
        throw new ReverbError('REVERB_ERR_NOT_PRESENCE', `${name} is not a presence channel`);
      }
      return retain(name, retainOptions) as unknown as RetainedChannel<PresenceChannel<Info>>;
    },
    channel: (name): Channel | undefined => holds.get(name)?.channel,
    formatEventName: (event) => formatEventName(event, options.namespace),
  };
}
