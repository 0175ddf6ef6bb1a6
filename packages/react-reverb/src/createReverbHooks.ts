import type { EventListener } from '@react-reverb/core';
import type { UseEventOptions } from './useEvent';
import { useEvent } from './useEvent';
import { useListenForWhisper } from './useListenForWhisper';
import { type UsePresenceOptions, type UsePresenceResult, usePresence } from './usePresence';
import { type UseWhisperOptions, useWhisper } from './useWhisper';

/**
 * The shape of a schema (an interface of this shape works too): channel name patterns → event names → payloads. Template keys match concrete names:
 * `{ [k: `private-orders.${number}`]: { OrderShipped: { id: number } } }` covers `private-orders.7`.
 * Whispers are listed with their wire name (`'client-typing'`) and may be used without the prefix.
 */
export type ChannelSchema = Record<string, Record<string, unknown>>;

/** The events of every pattern in `S` that the channel name `C` matches. */
export type EventsOf<S, C extends string> = {
  [K in keyof S & string]: C extends K ? S[K] : never;
}[keyof S & string];

/** Event names of channel `C`; none (a type error) when `C` matches no pattern. */
type EventNames<S, C extends string> = [EventsOf<S, C>] extends [never]
  ? never
  : keyof EventsOf<S, C> & string;

type ClientName<K> = K extends `client-${infer Short}` ? K | Short : never;
type WhisperPayload<Events, E extends string> = E extends keyof Events
  ? Events[E]
  : `client-${E}` extends keyof Events
    ? Events[`client-${E}`]
    : never;

export interface TypedReverbHooks<S> {
  useEvent<C extends string, E extends EventNames<S, C>>(
    channelName: C | null | undefined,
    event: E,
    callback: EventListener<EventsOf<S, C>[E]>,
    options?: UseEventOptions,
  ): void;
  useWhisper<C extends string, E extends ClientName<EventNames<S, C>>>(
    channelName: C | null | undefined,
    event: E,
    options?: UseWhisperOptions,
  ): (data: WhisperPayload<EventsOf<S, C>, E>) => void;
  useListenForWhisper<C extends string, E extends ClientName<EventNames<S, C>>>(
    channelName: C | null | undefined,
    event: E,
    callback: EventListener<WhisperPayload<EventsOf<S, C>, E>>,
    options?: UseEventOptions,
  ): void;
  usePresence<Info>(
    name: string | null | undefined,
    options?: UsePresenceOptions<Info>,
  ): UsePresenceResult<Info>;
}

/**
 * The event hooks, typed by a schema: `const { useEvent } = createReverbHooks<AppChannels>()`.
 * Types only: it returns the very same hooks, so it costs nothing at run time.
 */
export function createReverbHooks<S extends object>(): TypedReverbHooks<S> {
  return { useEvent, useWhisper, useListenForWhisper, usePresence } as unknown as TypedReverbHooks<S>;
}
