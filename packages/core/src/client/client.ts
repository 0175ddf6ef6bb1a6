/**
 * `createReverbClient(options)`: wires the connection, the ref-counted channel registry, the user and
 * the whisper outbox together. Nothing here touches `window` at module scope, so importing it is safe
 * in Node, SSR and workers; until `connect()` every store shows its idle snapshot.
 */
import { channelNameProblem, channelTraits, SERVER_TO_USER_PREFIX } from '../protocol/channel-names';
import { ReverbError } from '../protocol/errors';
import { PROTOCOL_VERSION } from '../protocol/limits';
import type { ServerMessage, UserInfo } from '../protocol/messages';
import { type ChannelContext, ReverbChannel } from './channel';
import {
  Connection,
  DEFAULT_ACTIVITY_TIMEOUT_MS,
  DEFAULT_PONG_TIMEOUT_MS,
  type WebSocketConstructor,
} from './connection';
import { formatEventName } from './event-name';
import { ReverbPresenceChannel } from './presence-channel';
import { platformTimers } from './timers';
import type {
  Channel,
  Decryptor,
  PresenceChannel,
  RetainedChannel,
  ReverbClient,
  ReverbClientOptions,
} from './types';
import { ReverbUser } from './user';
import { WhisperOutbox } from './whisper-outbox';

/** Sent as `version` in the socket URL. */
export const CLIENT_VERSION = '0.1.0';

interface Hold {
  readonly channel: ReverbChannel;
  count: number;
  /** The deferred wire unsubscribe, pending while the count is 0. */
  releaseTimer: unknown;
}

function optionsError(message: string): ReverbError {
  return new ReverbError('REVERB_ERR_OPTIONS', message);
}

/** The socket URL of protocol.md §1. */
function socketUrl(options: ReverbClientOptions, tls: boolean): string {
  const base = options.url
    ? options.url.replace(/\/+$/, '').replace(/^ws:/, tls ? 'wss:' : 'ws:')
    : `${tls ? 'wss' : 'ws'}://${options.host}:${options.port ?? (tls ? 443 : 80)}`;
  return `${base}${options.wsPath ?? ''}/app/${encodeURIComponent(options.key)}?protocol=${PROTOCOL_VERSION}&client=react-reverb&version=${CLIENT_VERSION}`;
}

/** Browsers and workers connect at creation by default; Node and SSR wait for `connect()`. */
function isInteractivePlatform(): boolean {
  return typeof document !== 'undefined' || 'WorkerGlobalScope' in globalThis;
}

export function createReverbClient(options: ReverbClientOptions): ReverbClient {
  if (typeof options.key !== 'string' || options.key === '')
    throw optionsError('options.key (the app key) is required');
  if (!options.url && !options.host) throw optionsError('options.url or options.host is required');
  const timers = options.timers ?? platformTimers;
  const holds = new Map<string, Hold>();
  const socketId = () => connection.store.getSnapshot().socketId;

  const connection: Connection = new Connection(
    {
      url: (tls) => socketUrl(options, tls),
      tls: options.forceTLS ?? (options.url ? options.url.startsWith('wss:') : options.port === 443),
      WebSocket: (options.WebSocket ?? globalThis.WebSocket) as WebSocketConstructor | undefined,
      timers,
      activityTimeout: options.activityTimeout ?? DEFAULT_ACTIVITY_TIMEOUT_MS,
      pongTimeout: options.pongTimeout ?? DEFAULT_PONG_TIMEOUT_MS,
    },
    {
      onConnected(id) {
        for (const hold of holds.values()) void hold.channel.join(id);
        user.connected(id);
      },
      onDisconnected() {
        for (const hold of holds.values()) hold.channel.suspend();
        user.disconnected();
      },
      onMessage: route,
    },
  );
  const send = (frame: string) => connection.send(frame);
  const outbox = new WhisperOutbox(timers, send);
  const user = new ReverbUser({ options, send });
  let decryptor: Promise<Decryptor> | undefined;
  const context: ChannelContext = {
    options,
    send,
    whisper: (source, frame) => outbox.push(source, frame),
    // Loaded on the first encrypted channel, so tweetnacl stays out of the main bundle.
    decryptor: () => {
      const { encryption } = options;
      decryptor ??= !encryption
        ? Promise.reject(
            new ReverbError(
              'REVERB_ERR_NO_ENCRYPTION',
              "Encrypted channels need options.encryption: () => import('@react-reverb/core/encrypted')",
            ),
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
    const channel = 'channel' in message ? message.channel : undefined;
    // Channel-less frames (sign-in, watchlist, errors) and user events belong to the user.
    if (!channel || channel.startsWith(SERVER_TO_USER_PREFIX)) user.handle(message);
    else holds.get(channel)?.channel.handle(message);
  }

  function retain(name: string): RetainedChannel {
    const problem = channelNameProblem(name);
    if (problem !== undefined || name.startsWith(SERVER_TO_USER_PREFIX)) {
      throw new ReverbError(
        'REVERB_ERR_CHANNEL_NAME',
        `Cannot subscribe to "${name}": ${problem ?? 'reserved for user events (use client.user)'}`,
      );
    }
    let hold = holds.get(name);
    if (hold === undefined) {
      const channel = channelTraits(name).isPresence
        ? new ReverbPresenceChannel(name, context)
        : new ReverbChannel(name, context);
      hold = { channel, count: 0, releaseTimer: null };
      holds.set(name, hold);
      void channel.join(socketId());
    }
    const current = hold;
    if (current.releaseTimer !== null) {
      timers.clearTimeout(current.releaseTimer);
      current.releaseTimer = null;
    }
    current.count++;
    let released = false;
    return {
      channel: current.channel,
      release() {
        if (released) return;
        released = true;
        if (--current.count > 0) return;
        // Deferred to the next macrotask: a StrictMode remount or route swap re-retains before it runs.
        current.releaseTimer = timers.setTimeout(() => {
          current.releaseTimer = null;
          if (current.count > 0 || holds.get(name) !== current) return;
          holds.delete(name);
          current.channel.leave();
        }, 0);
      },
    };
  }

  if (options.autoConnect ?? isInteractivePlatform()) connection.connect();
  return {
    options,
    connection: connection.store,
    user,
    connect: () => connection.connect(),
    disconnect: () => connection.disconnect(),
    retain,
    retainPresence<Info = UserInfo>(name: string) {
      if (!channelTraits(name).isPresence) {
        throw new ReverbError('REVERB_ERR_NOT_PRESENCE', `${name} is not a presence channel`);
      }
      return retain(name) as unknown as RetainedChannel<PresenceChannel<Info>>;
    },
    channel: (name): Channel | undefined => holds.get(name)?.channel,
    formatEventName: (event) => formatEventName(event, options.namespace),
  };
}
