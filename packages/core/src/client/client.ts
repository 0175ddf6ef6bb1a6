/**
 * `createReverbClient(options)`: wires the connection, the ref-counted channel registry, the user and
 * the whisper outbox together. Nothing here touches `window` at module scope, so importing it is safe
 * in Node, SSR and workers; until `connect()` every store shows its idle snapshot.
 */
import { clientChannelTraits, SERVER_TO_USER_PREFIX } from '../protocol/channel-names';
import { ReverbError } from '../protocol/errors';
import type { ServerMessage, UserInfo } from '../protocol/messages';
import { type ChannelContext, createChannel, type ReverbChannel } from './channel';
import { assertClientChannelName } from './channel-name';
import { createConnection } from './connection';
import { formatEventName } from './event-name';
import { platformTimers } from './timers';
import type {
  Channel,
  Decryptor,
  PresenceChannel,
  RetainedChannel,
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
  if (!options.key || !(options.url || options.host)) {
    throw new ReverbError('REVERB_ERR_OPTIONS', 'options.key and options.host (or url) are required');
  }
  const timers = options.timers ?? platformTimers;
  const holds = new Map<string, Hold>();
  const socketId = () => connection.store.getSnapshot().socketId;

  const connection = createConnection(
    options,
    timers,
    (id) => {
      for (const hold of holds.values()) hold.channel.join(id);
      user.connected(id);
    },
    () => {
      for (const hold of holds.values()) hold.channel.suspend();
      user.disconnected();
    },
    route,
  );
  const send = (frame: string) => connection.send(frame);
  const user = createUser(options, send);
  let decryptor: Promise<Decryptor> | undefined;
  const context: ChannelContext = {
    options,
    send,
    whisper: createWhisperOutbox(timers, send),
    // Loaded on the first encrypted channel, so tweetnacl stays out of the main bundle.
    decryptor: () => {
      const { encryption } = options;
      decryptor ??= !encryption
        ? Promise.reject(
            new ReverbError('REVERB_ERR_NO_ENCRYPTION', 'Encrypted channels need options.encryption'),
          )
        : Promise.resolve(typeof encryption === 'function' ? encryption() : encryption).catch((error) => {
            // A chunk that failed to load (offline) is tried again by the next encrypted subscription.
            decryptor = undefined;
            throw error;
          });
      return decryptor;
    },
  };

  function route(message: ServerMessage): void {
    const { channel } = message as { channel?: string };
    // Channel-less frames (sign-in, watchlist, errors) and user events belong to the user.
    if (!channel || channel.startsWith(SERVER_TO_USER_PREFIX)) user.handle(message);
    else holds.get(channel)?.channel.handle(message);
  }

  function retain(name: string): RetainedChannel {
    assertClientChannelName(name);
    let hold = holds.get(name);
    if (hold === undefined) {
      hold = createHold(name);
      holds.set(name, hold);
    }
    return hold.retain();
  }

  function createHold(name: string): Hold {
    const channel = createChannel(name, context);
    let count = 0;
    /** The deferred wire unsubscribe, pending while the count is 0. */
    let releaseTimer: unknown = null;
    const hold: Hold = {
      channel,
      retain() {
        if (releaseTimer !== null) timers.clearTimeout(releaseTimer);
        releaseTimer = null;
        count++;
        let released = false;
        return {
          channel,
          release() {
            if (released) return;
            released = true;
            if (--count > 0) return;
            // Deferred to the next macrotask: a StrictMode remount or route swap re-retains before it runs.
            releaseTimer = timers.setTimeout(() => {
              releaseTimer = null;
              if (count > 0 || holds.get(name) !== hold) return;
              holds.delete(name);
              channel.leave();
            }, 0);
          },
        };
      },
    };
    channel.join(socketId());
    return hold;
  }

  if (options.autoConnect ?? isInteractivePlatform()) connection.connect();
  return {
    options,
    connection: connection.store,
    user,
    connect: connection.connect,
    disconnect: connection.disconnect,
    retain,
    retainPresence<Info = UserInfo>(name: string) {
      if (!clientChannelTraits(name).isPresence) {
        throw new ReverbError('REVERB_ERR_NOT_PRESENCE', `${name} is not a presence channel`);
      }
      return retain(name) as unknown as RetainedChannel<PresenceChannel<Info>>;
    },
    channel: (name): Channel | undefined => holds.get(name)?.channel,
    formatEventName: (event) => formatEventName(event, options.namespace),
  };
}
