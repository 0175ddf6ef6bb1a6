/**
 * The HTTP API's bodies and answers (docs/protocol.md §7.3). The server validates requests against
 * these; SDK-compatible clients build them.
 */

import { channelNameProblem } from './channel-names';
import { isReservedEventName } from './events';
import { Limits } from './limits';
import { utf8Length } from './validate';

/** `POST /apps/{id}/events` — PHP sends `channel` (singular) for one channel; `channels` wins. */
export interface TriggerRequest {
  readonly name: string;
  readonly data: string;
  readonly channels?: readonly string[];
  readonly channel?: string;
  readonly socket_id?: string;
  /** Comma list: `user_count`, `subscription_count`. */
  readonly info?: string;
}

/** `POST /apps/{id}/batch_events` */
export interface BatchRequest {
  readonly batch: ReadonlyArray<{
    readonly name: string;
    readonly channel: string;
    readonly data: string;
    readonly socket_id?: string;
    readonly info?: string;
  }>;
}

export interface ChannelInfoAttributes {
  readonly user_count?: number;
  readonly subscription_count?: number;
}

/** `{}` or, with `info`, the attributes per channel. */
export interface TriggerResponse {
  readonly channels?: Readonly<Record<string, ChannelInfoAttributes>>;
}

export interface BatchResponse {
  readonly batch?: readonly ChannelInfoAttributes[];
}

/** `GET /apps/{id}/channels` — maps are objects, never `[]`. */
export interface ChannelsResponse {
  readonly channels: Readonly<Record<string, ChannelInfoAttributes>>;
}

/** `GET /apps/{id}/channels/{name}` */
export interface ChannelResponse {
  readonly occupied: boolean;
  readonly user_count?: number;
  readonly subscription_count?: number;
  readonly cache?: { readonly data: string; readonly ttl: number } | null;
}

/** `GET /apps/{id}/channels/{name}/users` */
export interface UsersResponse {
  readonly users: ReadonlyArray<{ readonly id: string }>;
}

/** Every HTTP error body: JSON `{"error": "..."}`. */
export interface HttpErrorBody {
  readonly error: string;
}

/** One event to publish, normalized from either endpoint. */
export interface PublishableEvent {
  readonly name: string;
  readonly channels: readonly string[];
  readonly data: string;
  readonly socketId: string | undefined;
  readonly info: readonly string[];
}

export type HttpValidation<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: 400 | 413; readonly error: string };

export interface EventLimits {
  readonly maxEventDataBytes: number;
  readonly maxChannelsPerTrigger: number;
  readonly maxEventsPerBatch: number;
}

export const DEFAULT_EVENT_LIMITS: EventLimits = {
  maxEventDataBytes: Limits.MAX_EVENT_DATA_BYTES,
  maxChannelsPerTrigger: Limits.MAX_CHANNELS_PER_TRIGGER,
  maxEventsPerBatch: Limits.MAX_EVENTS_PER_BATCH,
};

function bad(error: string): { ok: false; status: 400; error: string } {
  return { ok: false, status: 400, error };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function parseInfo(info: unknown): string[] | undefined {
  if (info === undefined || info === null || info === '') return [];
  if (typeof info !== 'string') return undefined;
  return info
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function validateOne(
  body: Record<string, unknown>,
  channels: unknown,
  limits: EventLimits,
): HttpValidation<PublishableEvent> {
  const { name, data, socket_id: socketId } = body;
  if (typeof name !== 'string' || name === '') return bad('Missing event name');
  if (name.length > Limits.MAX_EVENT_NAME_LENGTH) {
    return bad(`Event name longer than ${Limits.MAX_EVENT_NAME_LENGTH} characters`);
  }
  if (isReservedEventName(name)) return bad(`Event name ${name} is reserved for the protocol`);
  if (typeof data !== 'string') return bad('Missing data: a string is required');
  if (!Array.isArray(channels) || channels.length === 0) return bad('Missing channels');
  if (channels.length > limits.maxChannelsPerTrigger) {
    return bad(`Too many channels: at most ${limits.maxChannelsPerTrigger} per event`);
  }
  for (const channel of channels) {
    if (typeof channel !== 'string' || channelNameProblem(channel) !== undefined) {
      return bad(`Invalid channel name: ${String(channel).slice(0, Limits.MAX_CHANNEL_NAME_LENGTH)}`);
    }
  }
  if (socketId !== undefined && socketId !== null && typeof socketId !== 'string') {
    return bad('socket_id must be a string');
  }
  const info = parseInfo(body.info);
  if (!info) return bad('info must be a comma-separated string');
  if (utf8Length(data) > limits.maxEventDataBytes) {
    return {
      ok: false,
      status: 413,
      error: `The data content of this event exceeds the allowed maximum (${limits.maxEventDataBytes} bytes).`,
    };
  }
  return {
    ok: true,
    value: { name, channels: channels as string[], data, socketId: socketId ?? undefined, info },
  };
}

/** Validates a parsed `POST /events` body. */
export function validateTriggerRequest(
  body: unknown,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
): HttpValidation<PublishableEvent> {
  if (!isRecord(body)) return bad('Expected a JSON object');
  const channels = body.channels ?? (body.channel === undefined ? undefined : [body.channel]);
  return validateOne(body, channels, limits);
}

/** Validates a parsed `POST /batch_events` body. */
export function validateBatchRequest(
  body: unknown,
  limits: EventLimits = DEFAULT_EVENT_LIMITS,
): HttpValidation<PublishableEvent[]> {
  if (!isRecord(body) || !Array.isArray(body.batch)) return bad('Expected {"batch": [...]}');
  if (body.batch.length === 0) return bad('Empty batch');
  if (body.batch.length > limits.maxEventsPerBatch) {
    return bad(`Too many events in batch: at most ${limits.maxEventsPerBatch}`);
  }
  const events: PublishableEvent[] = [];
  for (const item of body.batch) {
    if (!isRecord(item)) return bad('Each batch entry must be an object');
    const result = validateOne(item, item.channel === undefined ? item.channels : [item.channel], limits);
    if (!result.ok) return result;
    events.push(result.value);
  }
  return { ok: true, value: events };
}
