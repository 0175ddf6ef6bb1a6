import type { Channel, PresenceChannel, PresenceMember, ReverbClient } from '@react-reverb/core';
import { CLIENT_EVENT_PREFIX } from '@react-reverb/core';
import { BROADCAST_NOTIFICATION_EVENT } from '../notifications';
import type { EchoPresenceChannel } from './types';

type Callback = (...args: unknown[]) => unknown;
const call = (callback: CallableFunction, ...args: unknown[]) => (callback as Callback)(...args);

/** An Echo channel object plus what its holder needs: `dispose()` unbinds all it bound. */
export interface EchoChannelHandle extends EchoPresenceChannel {
  dispose(): void;
}

/** Kinds of callbacks fired on subscription changes rather than on events. */
type Watch = 'subscribed' | 'here' | 'error';

/**
 * laravel-echo's channel API (`listen`, `whisper`, `here`, …) over one of our channels. Each holder gets
 * its own object, so `stopListening(event)` without a callback and `dispose()` touch only what this
 * holder bound; `unsubscribe()` is the holder's own leave.
 */
export function createEchoChannel(
  client: ReverbClient,
  channel: Channel,
  unsubscribe: () => void,
): EchoChannelHandle {
  const presence = 'onJoin' in channel ? (channel as PresenceChannel) : undefined;
  /** [event key, callback, unbind]; keys are wire names, '*' for listenToAll, ':join'/':leave'. */
  const bindings = new Set<readonly [string, CallableFunction, () => void]>();
  const watches = new Set<readonly [Watch, CallableFunction]>();
  let unwatch: (() => void) | undefined;
  /** `subscribed`/`here` fired for the current subscription. */
  let announced = false;
  let failed = false;

  const add = (key: string, callback: CallableFunction, unbind: () => void) => {
    bindings.add([key, callback, unbind]);
    return self;
  };
  const remove = (key: string, callback?: CallableFunction) => {
    for (const binding of bindings) {
      if (binding[0] !== key || (callback && binding[1] !== callback)) continue;
      binding[2]();
      bindings.delete(binding);
    }
    return self;
  };
  const bind = (wire: string, callback: CallableFunction) =>
    add(
      wire,
      callback,
      channel.bind(wire, (data, meta) => call(callback, data, meta)),
    );
  const members = () => presence?.presence.getSnapshot().members.map((m) => m.info) ?? [];
  const fire = (kind: Watch, callback: CallableFunction) => {
    if (kind === 'here') call(callback, members());
    else if (kind === 'subscribed') call(callback);
    else {
      const { error } = channel.getSnapshot();
      call(callback, {
        type: error?.type ?? 'SubscriptionError',
        error: error?.message ?? '',
        status: error?.status ?? null,
      });
    }
  };
  /** Subscribed and, on presence channels, the fresh member list is in (the core sets them one by one). */
  const ready = () => {
    const list = presence?.presence.getSnapshot();
    return !list || (!list.stale && list.members.length > 0);
  };
  const check = () => {
    const status = channel.getSnapshot().status;
    const justFailed = status === 'error' && !failed;
    const wasAnnounced = announced;
    failed = status === 'error';
    announced = status === 'subscribed' && (announced || ready());
    const fresh = announced && !wasAnnounced;
    for (const [kind, callback] of [...watches]) {
      if (kind === 'error' ? justFailed : fresh) fire(kind, callback);
    }
  };
  const watch = (kind: Watch, callback: CallableFunction) => {
    if (!unwatch) {
      const offs = [channel.subscribe(check), presence?.presence.subscribe(check)];
      unwatch = () => {
        for (const off of offs) off?.();
      };
      check();
    }
    watches.add([kind, callback]);
    if (kind === 'error' ? failed : announced) fire(kind, callback);
    return self;
  };
  const onMember = (key: ':join' | ':leave', callback: CallableFunction) => {
    if (!presence) return self;
    const listener = (member: PresenceMember) => call(callback, member.info);
    return add(key, callback, key === ':join' ? presence.onJoin(listener) : presence.onLeave(listener));
  };
  const whisperName = (event: string) => CLIENT_EVENT_PREFIX + event;
  // The namespace Echo strips in listenToAll: `App\Events\` (or '' without one).
  const namespace = client.formatEventName('_').slice(0, -1);

  const self: EchoChannelHandle = {
    name: channel.name,
    listen: (event, callback) => bind(client.formatEventName(event), callback),
    stopListening: (event, callback) => remove(client.formatEventName(event), callback),
    listenToAll: (callback) =>
      add(
        '*',
        callback,
        channel.bindAll((data, meta) => {
          const { event } = meta;
          const short =
            namespace && event.startsWith(namespace) ? event.slice(namespace.length) : `.${event}`;
          call(callback, short, data);
        }),
      ),
    stopListeningToAll: (callback) => remove('*', callback),
    notification: (callback) => bind(BROADCAST_NOTIFICATION_EVENT, callback),
    stopListeningForNotification: (callback) => remove(BROADCAST_NOTIFICATION_EVENT, callback),
    listenForWhisper: (event, callback) => bind(whisperName(event), callback),
    stopListeningForWhisper: (event, callback) => remove(whisperName(event), callback),
    subscribed: (callback) => watch('subscribed', callback),
    error: (callback) => watch('error', callback),
    on: bind,
    whisper(event, data) {
      channel.whisper(event, data);
      return self;
    },
    here: (callback) => (presence ? watch('here', callback) : self),
    joining: (callback) => onMember(':join', callback),
    leaving: (callback) => onMember(':leave', callback),
    unsubscribe,
    dispose() {
      for (const [, , unbind] of bindings) unbind();
      bindings.clear();
      watches.clear();
      unwatch?.();
      unwatch = undefined;
    },
  };
  return self;
}

/** A hold on `name` with an Echo channel over it; `release()` unbinds what that channel bound, then lets go. */
export interface EchoHold {
  readonly channel: Channel;
  readonly handle: EchoChannelHandle;
  release(): void;
}

/**
 * Holds `name` in the client's ref-counted registry (a presence name holds a presence channel: what
 * `retainPresence` would add is only its name check) and puts an Echo channel over it.
 */
export function holdEchoChannel(client: ReverbClient, name: string, unsubscribe: () => void): EchoHold {
  const { channel, release } = client.retain(name);
  const handle = createEchoChannel(client, channel, unsubscribe);
  return {
    channel,
    handle,
    release() {
      handle.dispose();
      release();
    },
  };
}
