/**
 * Frames ⇄ messages (protocol.md §2). Decoding never throws: it returns a result or a
 * `ProtocolError` carrying the Pusher code to answer with.
 */
import { ErrorCode } from './error-codes';
import { ProtocolError } from './errors';
import { InternalEvent, isClientEventName, PusherEvent } from './events';
import { Limits } from './limits';
import type {
  ChannelEventMessage,
  ClientEventMessage,
  ClientMessage,
  ServerMessage,
  SubscribeMessage,
} from './messages';

export type DecodeResult<T> =
  | { readonly ok: true; readonly message: T }
  | { readonly ok: false; readonly error: ProtocolError };

/** The envelope every frame shares. */
export interface Envelope {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

function fail(code: string, message: string, channel?: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message, ErrorCode.ReconnectImmediately, channel) };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * The receivers' rule for `data` (§2): a string is parsed as JSON when it can be and kept raw
 * when it cannot; anything else is used as is.
 */
export function parseData(data: unknown): unknown {
  if (typeof data !== 'string') return data;
  try {
    return JSON.parse(data);
  } catch {
    return data;
  }
}

/** Parses a text frame into its envelope: a JSON object with a string `event`. */
export function decodeEnvelope(frame: string): DecodeResult<Envelope> {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return fail('REVERB_ERR_INVALID_JSON', 'Invalid message format: not JSON');
  }
  if (!isObject(value) || typeof value.event !== 'string') {
    return fail('REVERB_ERR_INVALID_ENVELOPE', 'Invalid message format: expected {"event": string, ...}');
  }
  if (value.channel !== undefined && typeof value.channel !== 'string') {
    return fail('REVERB_ERR_INVALID_ENVELOPE', 'Invalid message format: channel must be a string');
  }
  return { ok: true, message: value as unknown as Envelope };
}

/** `data` of a protocol event sent by a client: an object, or a string holding one. */
function protocolData(envelope: Envelope): Record<string, unknown> | undefined {
  const data = parseData(envelope.data);
  if (data === undefined || data === null) return {};
  return isObject(data) ? data : undefined;
}

function optionalString(value: unknown): value is string | undefined | null {
  return value === undefined || value === null || typeof value === 'string';
}

/** Decodes a frame a client sent (server side). Client-event `data` comes out as the string to forward. */
export function decodeClientMessage(frame: string): DecodeResult<ClientMessage> {
  const decoded = decodeEnvelope(frame);
  if (!decoded.ok) return decoded;
  const envelope = decoded.message;
  const { event } = envelope;

  if (isClientEventName(event)) {
    if (event.length > Limits.MAX_EVENT_NAME_LENGTH) {
      return fail(
        'REVERB_ERR_EVENT_NAME',
        `Event name longer than ${Limits.MAX_EVENT_NAME_LENGTH} characters`,
      );
    }
    if (typeof envelope.channel !== 'string' || envelope.channel === '') {
      return fail('REVERB_ERR_MISSING_CHANNEL', `Client event ${event} names no channel`);
    }
    const message: ClientEventMessage<string> = {
      event: event as `client-${string}`,
      channel: envelope.channel,
      data: encodeDataString(envelope.data),
    };
    return { ok: true, message };
  }

  const data = protocolData(envelope);
  if (data === undefined)
    return fail('REVERB_ERR_INVALID_DATA', `Invalid data for ${event}: expected an object`);

  switch (event) {
    case PusherEvent.Ping:
    case PusherEvent.Pong:
      return { ok: true, message: { event } };
    case PusherEvent.Subscribe: {
      const { channel, auth, channel_data } = data;
      if (typeof channel !== 'string' || channel === '') {
        return fail('REVERB_ERR_MISSING_CHANNEL', 'pusher:subscribe needs data.channel');
      }
      if (!optionalString(auth) || !optionalString(channel_data)) {
        return fail('REVERB_ERR_INVALID_DATA', `Invalid subscription data for channel ${channel}`, channel);
      }
      const subscribe: SubscribeMessage = {
        event,
        data: { channel, auth: auth ?? undefined, channel_data: channel_data ?? undefined },
      };
      return { ok: true, message: subscribe };
    }
    case PusherEvent.Unsubscribe: {
      const { channel } = data;
      if (typeof channel !== 'string' || channel === '') {
        return fail('REVERB_ERR_MISSING_CHANNEL', 'pusher:unsubscribe needs data.channel');
      }
      return { ok: true, message: { event, data: { channel } } };
    }
    case PusherEvent.Signin: {
      const { auth, user_data } = data;
      if (typeof auth !== 'string' || typeof user_data !== 'string') {
        return fail('REVERB_ERR_INVALID_DATA', 'pusher:signin needs string data.auth and data.user_data');
      }
      return { ok: true, message: { event, data: { auth, user_data } } };
    }
    default:
      return fail(
        'REVERB_ERR_UNKNOWN_EVENT',
        `Unknown event: ${event.slice(0, Limits.MAX_EVENT_NAME_LENGTH)}`,
      );
  }
}

/** A whisper's or trigger's `data` as the string that goes on the wire (§2). */
export function encodeDataString(data: unknown): string {
  if (typeof data === 'string') return data;
  if (data === undefined) return '{}';
  return JSON.stringify(data);
}

/** Encodes a frame a client sends: protocol `data` goes as an object (what pusher-js does). */
export function encodeClientMessage(message: ClientMessage): string {
  if (message.event === PusherEvent.Subscribe) {
    const { channel, auth, channel_data } = message.data;
    const data = channel_data === undefined ? { channel, auth: auth ?? '' } : { channel, auth, channel_data };
    return JSON.stringify({ event: message.event, data });
  }
  return JSON.stringify({
    event: message.event,
    data: message.data ?? {},
    channel: (message as Envelope).channel,
  });
}

/** Events whose `data` goes as an object, not a JSON string (§2 table). */
const OBJECT_DATA_EVENTS: ReadonlySet<string> = new Set([
  PusherEvent.Error,
  PusherEvent.SigninSuccess,
  PusherEvent.SubscriptionError,
]);

/**
 * Encodes a frame the server sends (§2): `data` is always present, a JSON string except for
 * `pusher:error`, `pusher:signin_success` and `pusher:subscription_error`; a channel event's
 * string `data` passes byte for byte.
 */
export function encodeServerMessage(message: ServerMessage): string {
  const { event } = message;
  const data = OBJECT_DATA_EVENTS.has(event) ? message.data : encodeDataString(message.data);
  const channel = 'channel' in message ? message.channel : undefined;
  const userId = 'user_id' in message ? message.user_id : undefined;
  return JSON.stringify({ event, channel, data, user_id: userId });
}

/**
 * The hot path of a broadcast: one channel event frame, built once and written to every subscriber.
 * `data` is the string from the trigger (or the normalized whisper) and passes unchanged.
 */
export function encodeChannelEvent(event: string, channel: string, data: string, userId?: string): string {
  return userId === undefined
    ? JSON.stringify({ event, channel, data })
    : JSON.stringify({ event, channel, data, user_id: userId });
}

const INTERNAL_EVENTS: ReadonlySet<string> = new Set([
  PusherEvent.ConnectionEstablished,
  PusherEvent.Error,
  PusherEvent.Ping,
  PusherEvent.Pong,
  PusherEvent.SigninSuccess,
  PusherEvent.SubscriptionError,
  PusherEvent.CacheMiss,
  InternalEvent.SubscriptionSucceeded,
  InternalEvent.MemberAdded,
  InternalEvent.MemberRemoved,
  InternalEvent.SubscriptionCount,
  InternalEvent.WatchlistEvents,
]);

/** True for protocol events, false for app events and whispers. */
export function isProtocolEvent(event: string): boolean {
  return INTERNAL_EVENTS.has(event);
}

/**
 * Decodes a frame the server sent (client side), applying the receivers' rule to `data`.
 * Checks the fields a client acts on: the handshake's socket id and activity timeout, and the
 * ids in presence frames.
 */
export function decodeServerMessage(frame: string): DecodeResult<ServerMessage> {
  const decoded = decodeEnvelope(frame);
  if (!decoded.ok) return decoded;
  const { event, channel } = decoded.message;
  // Reverb omits `data` on cache_miss (and older releases on subscription_succeeded): read it as {}.
  const rawData = decoded.message.data;
  const data =
    (rawData === undefined || rawData === null) && isProtocolEvent(event) ? {} : parseData(rawData);
  const record = isObject(data) ? data : undefined;
  // Servers that forward a numeric presence user_id (Reverb passes channel_data through) get a string.
  const rawUserId: unknown = decoded.message.user_id;
  const user_id =
    typeof rawUserId === 'string' || typeof rawUserId === 'number' ? String(rawUserId) : undefined;

  switch (event) {
    case PusherEvent.ConnectionEstablished: {
      if (!record || typeof record.socket_id !== 'string' || typeof record.activity_timeout !== 'number') {
        return fail('REVERB_ERR_INVALID_DATA', 'connection_established needs socket_id and activity_timeout');
      }
      break;
    }
    case InternalEvent.MemberAdded:
    case InternalEvent.MemberRemoved: {
      if (!record || record.user_id === undefined || record.user_id === null) {
        return fail('REVERB_ERR_INVALID_DATA', `${event} needs data.user_id`, channel);
      }
      const message = { event, channel: channel ?? '', data: { ...record, user_id: String(record.user_id) } };
      return { ok: true, message: message as ServerMessage };
    }
    default:
      if (isProtocolEvent(event) && event !== PusherEvent.Ping && event !== PusherEvent.Pong && !record) {
        return fail('REVERB_ERR_INVALID_DATA', `${event} needs object data`, channel);
      }
  }
  const message: ChannelEventMessage =
    user_id === undefined
      ? { event, channel: channel as string, data }
      : { event, channel: channel as string, data, user_id };
  return { ok: true, message: message as ServerMessage };
}
