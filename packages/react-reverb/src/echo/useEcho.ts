import type { EventMeta, ReverbClient } from '@react-reverb/core';
import { type DependencyList, useEffect, useMemo, useRef } from 'react';
import { useLatest } from '../internal/useLatest';
import { type EchoChannelHandle, type EchoHold, holdEchoChannel } from './channel';
import { useEchoClient } from './config';
import { echoFor } from './facade';
import type {
  BroadcastDriver,
  ChannelReturnType,
  ChannelVisibility,
  EchoCallback,
  EventName,
  InferEventPayload,
  ModelEvents,
  ModelPayload,
  UseChannelResult,
  UseEchoResult,
} from './types';

/** One hook's hold on one channel, and its listeners; what the functions useEcho returns act on. */
interface Holder {
  listen(): void;
  stopListening(): void;
  leaveChannel(): void;
  leave(): void;
  channel(): EchoChannelHandle | null;
}

const toArray = <T>(item: T | readonly T[]): readonly T[] => (Array.isArray(item) ? item : [item as T]);

function createHolder(
  client: ReverbClient,
  name: string,
  visibility: ChannelVisibility,
  events: readonly string[],
  listener: (data: unknown, meta: EventMeta) => void,
): Holder {
  const wire = visibility === 'public' ? name : `${visibility}-${name}`;
  let held: EchoHold | null = null;
  let unbinds: Array<() => void> | null = null;
  const holder: Holder = {
    listen() {
      held ??= holdEchoChannel(client, wire, holder.leaveChannel);
      const { channel } = held;
      unbinds ??= events.map((event) => channel.bind(client.formatEventName(event), listener));
    },
    stopListening() {
      for (const unbind of unbinds ?? []) unbind();
      unbinds = null;
    },
    leaveChannel() {
      holder.stopListening();
      held?.release();
      held = null;
    },
    leave() {
      holder.leaveChannel();
      echoFor(client).leave(name);
    },
    channel: () => held?.handle ?? null,
  };
  return holder;
}

/**
 * The hold behind every hook of this entry. Each mounted hook holds its channel once in the client's
 * ref-counted registry (StrictMode's remount and many components cost one subscription), binds each
 * event once to a listener that calls the latest callback (no dependency array: an inline callback
 * neither rebinds nor resubscribes), and lets go on unmount or `leaveChannel()`, only of its own hold.
 * A change of channel, visibility or event list moves the hold; the registry keeps the wire still.
 */
export function useHolder<TDriver extends BroadcastDriver, V extends ChannelVisibility>(
  channelName: string,
  visibility: V,
  event: string | readonly string[],
  callback: (data: unknown, meta: EventMeta) => void,
): UseEchoResult<TDriver, V> {
  const client = useEchoClient();
  const latest = useLatest(callback);
  const current = useRef<Holder | null>(null);
  const eventsKey = JSON.stringify(toArray(event));
  useEffect(() => {
    const events = JSON.parse(eventsKey) as string[];
    const holder = createHolder(client, channelName, visibility, events, (data, meta) =>
      latest.current(data, meta),
    );
    current.current = holder;
    holder.listen();
    return () => {
      holder.leaveChannel();
      if (current.current === holder) current.current = null;
    };
  }, [client, channelName, visibility, eventsKey, latest]);
  return useMemo(
    () => ({
      leaveChannel: (leaveAll = false) =>
        leaveAll ? current.current?.leave() : current.current?.leaveChannel(),
      leave: () => current.current?.leave(),
      stopListening: () => current.current?.stopListening(),
      listen: () => current.current?.listen(),
      channel: () => (current.current?.channel() ?? null) as ChannelReturnType<TDriver, V> | null,
    }),
    [],
  );
}

// echo-react's three overloads, with its type parameters. `dependencies` is accepted and ignored: the
// latest callback is always called (echo-react's default `[]` freezes the first one, and a change
// re-subscribes and re-authorizes, laravel/echo PR #539).

export function useEcho<
  TEvent extends EventName = EventName,
  TDriver extends BroadcastDriver = BroadcastDriver,
  TVisibility extends ChannelVisibility = 'private',
>(
  channelName: string,
  event: TEvent,
  callback: EchoCallback<InferEventPayload<TEvent>>,
  dependencies?: DependencyList,
  visibility?: TVisibility,
): UseEchoResult<TDriver, TVisibility>;
export function useEcho<
  TEvent extends EventName = EventName,
  TDriver extends BroadcastDriver = BroadcastDriver,
  TVisibility extends ChannelVisibility = 'private',
>(
  channelName: string,
  event: TEvent[],
  callback: EchoCallback<InferEventPayload<TEvent>>,
  dependencies?: DependencyList,
  visibility?: TVisibility,
): UseEchoResult<TDriver, TVisibility>;
export function useEcho<
  TPayload,
  TDriver extends BroadcastDriver = BroadcastDriver,
  TVisibility extends ChannelVisibility = 'private',
>(
  channelName: string,
  event?: string | string[],
  callback?: EchoCallback<TPayload>,
  dependencies?: DependencyList,
  visibility?: TVisibility,
): UseEchoResult<TDriver, TVisibility>;
/**
 * Listens to Laravel events on a channel, private unless `visibility` says otherwise (`orders.1` is
 * `private-orders.1` on the wire). Event names as Echo's `listen`: `OrderShipped` → `App\Events\OrderShipped`,
 * `.order.shipped` as is.
 */
export function useEcho(
  channelName: string,
  event: string | string[] = [],
  callback: EchoCallback<unknown> = () => {},
  _dependencies: DependencyList = [],
  visibility: ChannelVisibility = 'private',
): UseEchoResult<BroadcastDriver, ChannelVisibility> {
  return useHolder(channelName, visibility, event, callback);
}

export const useEchoPublic = <TPayload, TDriver extends BroadcastDriver = BroadcastDriver>(
  channelName: string,
  event?: string | string[],
  callback?: EchoCallback<TPayload>,
  dependencies?: DependencyList,
): UseEchoResult<TDriver, 'public'> => useEcho(channelName, event, callback, dependencies, 'public');

/**
 * A presence channel (`presence-{channelName}`). As in echo-react there is no member list in the
 * result: `channel().here(…).joining(…).leaving(…)`, or `usePresence` of `react-reverb` for a list.
 */
export const useEchoPresence = <TPayload, TDriver extends BroadcastDriver = BroadcastDriver>(
  channelName: string,
  event?: string | string[],
  callback?: EchoCallback<TPayload>,
  dependencies?: DependencyList,
): UseEchoResult<TDriver, 'presence'> => useEcho(channelName, event, callback, dependencies, 'presence');

/**
 * Laravel model broadcasting: `useEchoModel<Post, 'App.Models.Post'>('App.Models.Post', 7, ['PostUpdated',
 * 'PostDeleted'], (e) => e.model.title)` listens on `private-App.Models.Post.7` to `.PostUpdated`, ….
 */
export const useEchoModel = <
  TPayload,
  TModel extends string,
  TDriver extends BroadcastDriver = BroadcastDriver,
>(
  model: TModel,
  identifier: string | number,
  event: ModelEvents<TModel> | ModelEvents<TModel>[] = [],
  callback: EchoCallback<ModelPayload<TPayload>> = () => {},
  _dependencies: DependencyList = [],
): UseEchoResult<TDriver, 'private'> =>
  useHolder(
    `${model}.${identifier}`,
    'private',
    toArray<string>(event).map((e) => (e.startsWith('.') ? e : `.${e}`)),
    callback as EchoCallback<unknown>,
  );

/** Holds a channel without listening (echo-react's `useChannel`): `{leaveChannel, leave, channel}`. */
export function useChannel<
  TDriver extends BroadcastDriver = BroadcastDriver,
  TVisibility extends ChannelVisibility = 'private',
>(
  channelName: string,
  visibility: TVisibility = 'private' as TVisibility,
): UseChannelResult<TDriver, TVisibility> {
  const { leaveChannel, leave, channel } = useHolder<TDriver, TVisibility>(
    channelName,
    visibility,
    [],
    () => {},
  );
  return useMemo(() => ({ leaveChannel, leave, channel }), [leaveChannel, leave, channel]);
}

export const usePresenceChannel = <TDriver extends BroadcastDriver = BroadcastDriver>(
  channelName: string,
): UseChannelResult<TDriver, 'presence'> => useChannel<TDriver, 'presence'>(channelName, 'presence');

export const usePublicChannel = <TDriver extends BroadcastDriver = BroadcastDriver>(
  channelName: string,
): UseChannelResult<TDriver, 'public'> => useChannel<TDriver, 'public'>(channelName, 'public');
