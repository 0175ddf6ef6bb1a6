/**
 * Frames ⇄ messages (docs/protocol.md §2). Decoding never throws: it returns a result or a
 * `ProtocolError` carrying the Pusher code to answer with.
 */
import { RECONNECT_IMMEDIATELY } from './error-codes';
import { ProtocolError } from './errors';
import {
  CACHE_MISS,
  CONNECTION_ESTABLISHED,
  ERROR,
  isClientEventName,
  isReservedEventName,
  MEMBER_ADDED,
  MEMBER_REMOVED,
  PING,
  PONG,
  SIGNIN,
  SIGNIN_SUCCESS,
  SUBSCRIBE,
  SUBSCRIPTION_COUNT,
  SUBSCRIPTION_ERROR,
  SUBSCRIPTION_SUCCEEDED,
  UNSUBSCRIBE,
  WATCHLIST_EVENTS,
} from './events';
import { Limits } from './limits';
import type {
  ChannelEventMessage,
  ClientEventMessage,
  ClientMessage,
  ServerMessage,
  SubscribeMessage,
} from './messages';
import { readHistoryRequest, readStreamPosition } from './stream';

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
  return { ok: false, error: new ProtocolError(code, message, RECONNECT_IMMEDIATELY, channel) };
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

/**
 * Why a frame was refused, as a short key: the readers below return it, and only the `decode*`
 * functions turn it into a `ProtocolError` with a message, so a client that only needs "usable or
 * not" (`readServerMessage`) carries none of the message texts.
 */
type Refusal = 'json' | 'envelope' | 'channel' | 'handshake' | 'member' | 'data';

interface Refused {
  readonly refused: Refusal;
  readonly event?: string;
  readonly channel?: string | undefined;
}

function readEnvelope(frame: string): Envelope | Refused {
  let value: unknown;
  try {
    value = JSON.parse(frame);
  } catch {
    return { refused: 'json' };
  }
  if (!isObject(value) || typeof value.event !== 'string') return { refused: 'envelope' };
  if (value.channel !== undefined && typeof value.channel !== 'string') return { refused: 'channel' };
  return value as unknown as Envelope;
}

function refusalError({ refused, event, channel }: Refused): { ok: false; error: ProtocolError } {
  switch (refused) {
    case 'json':
      return fail('REVERB_ERR_INVALID_JSON', 'Invalid message format: not JSON');
    case 'envelope':
      return fail('REVERB_ERR_INVALID_ENVELOPE', 'Invalid message format: expected {"event": string, ...}');
    case 'channel':
      return fail('REVERB_ERR_INVALID_ENVELOPE', 'Invalid message format: channel must be a string');
    case 'handshake':
      return fail('REVERB_ERR_INVALID_DATA', 'connection_established needs socket_id and activity_timeout');
    case 'member':
      return fail('REVERB_ERR_INVALID_DATA', `${event} needs data.user_id`, channel);
    case 'data':
      return fail('REVERB_ERR_INVALID_DATA', `${event} needs object data`, channel);
  }
}

function isRefused(value: object): value is Refused {
  return 'refused' in value;
}

/** Parses a text frame into its envelope: a JSON object with a string `event`. */
export function decodeEnvelope(frame: string): DecodeResult<Envelope> {
  const envelope = readEnvelope(frame);
  return isRefused(envelope) ? refusalError(envelope) : { ok: true, message: envelope };
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
  const envelope = readEnvelope(frame);
  if (isRefused(envelope)) return refusalError(envelope);
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
    case PING:
    case PONG:
      return { ok: true, message: { event } };
    case SUBSCRIBE: {
      const { channel, auth, channel_data } = data;
      if (typeof channel !== 'string' || channel === '') {
        return fail('REVERB_ERR_MISSING_CHANNEL', 'pusher:subscribe needs data.channel');
      }
      if (!optionalString(auth) || !optionalString(channel_data)) {
        return fail('REVERB_ERR_INVALID_DATA', `Invalid subscription data for channel ${channel}`, channel);
      }
      // §11.1: `recover` / `rewind` never refuse a subscription; a malformed one comes out as `invalid`.
      const history = readHistoryRequest(data);
      const subscribe: SubscribeMessage = {
        event,
        data: {
          channel,
          auth: auth ?? undefined,
          channel_data: channel_data ?? undefined,
          ...(history ? { history } : {}),
        },
      };
      return { ok: true, message: subscribe };
    }
    case UNSUBSCRIBE: {
      const { channel } = data;
      if (typeof channel !== 'string' || channel === '') {
        return fail('REVERB_ERR_MISSING_CHANNEL', 'pusher:unsubscribe needs data.channel');
      }
      return { ok: true, message: { event, data: { channel } } };
    }
    case SIGNIN: {
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

/**
 * Encodes a frame a client sends: protocol `data` goes as an object (what pusher-js does). A
 * `pusher:subscribe` without `channel_data` gets `auth: ''` when it has none (a public channel).
 */
export function encodeClientMessage(message: ClientMessage): string {
  if (message.event === SUBSCRIBE) {
    const { channel, auth, channel_data } = message.data;
    const data = channel_data === undefined ? { channel, auth: auth ?? '' } : { channel, auth, channel_data };
    return encodeClientFrame({ event: message.event, data });
  }
  return encodeClientFrame(message);
}

/**
 * `encodeClientMessage` without the subscribe defaults, for a client that always sends `auth` (ours):
 * the message as it is, with `data` as `{}` when absent.
 */
export function encodeClientFrame(message: ClientMessage): string {
  return JSON.stringify({
    event: message.event,
    data: message.data ?? {},
    channel: (message as Envelope).channel,
  });
}

/** Events whose `data` goes as an object, not a JSON string (§2 table). */
const OBJECT_DATA_EVENTS: ReadonlySet<string> = /*#__PURE__*/ new Set([
  ERROR,
  SIGNIN_SUCCESS,
  SUBSCRIPTION_ERROR,
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

const INTERNAL_EVENTS: ReadonlySet<string> = /*#__PURE__*/ new Set([
  CONNECTION_ESTABLISHED,
  ERROR,
  PING,
  PONG,
  SIGNIN_SUCCESS,
  SUBSCRIPTION_ERROR,
  CACHE_MISS,
  SUBSCRIPTION_SUCCEEDED,
  MEMBER_ADDED,
  MEMBER_REMOVED,
  SUBSCRIPTION_COUNT,
  WATCHLIST_EVENTS,
]);

/** True for protocol events, false for app events and whispers. */
export function isProtocolEvent(event: string): boolean {
  return INTERNAL_EVENTS.has(event);
}

/**
 * Reads a frame the server sent (client side), applying the receivers' rule to `data`.
 * Checks the fields a client acts on: the handshake's socket id and activity timeout, and the
 * ids in presence frames.
 */
function readServerFrame(frame: string): ServerMessage | Refused {
  const envelope = readEnvelope(frame);
  if (isRefused(envelope)) return envelope;
  const { event, channel } = envelope;
  // Reverb omits `data` on cache_miss (and older releases on subscription_succeeded): read it as {}.
  const rawData = envelope.data;
  const data =
    (rawData === undefined || rawData === null) && isProtocolEvent(event) ? {} : parseData(rawData);
  const record = isObject(data) ? data : undefined;
  // Servers that forward a numeric presence user_id (Reverb passes channel_data through) get a string.
  const rawUserId: unknown = envelope.user_id;
  const user_id =
    typeof rawUserId === 'string' || typeof rawUserId === 'number' ? String(rawUserId) : undefined;

  switch (event) {
    case CONNECTION_ESTABLISHED: {
      if (!record || typeof record.socket_id !== 'string' || typeof record.activity_timeout !== 'number') {
        return { refused: 'handshake' };
      }
      break;
    }
    case MEMBER_ADDED:
    case MEMBER_REMOVED: {
      if (!record || record.user_id === undefined || record.user_id === null) {
        return { refused: 'member', event, channel };
      }
      const message = { event, channel: channel ?? '', data: { ...record, user_id: String(record.user_id) } };
      return message as ServerMessage;
    }
    default:
      if (isProtocolEvent(event) && event !== PING && event !== PONG && !record) {
        return { refused: 'data', event, channel };
      }
  }
  const message: ChannelEventMessage =
    user_id === undefined
      ? { event, channel: channel as string, data }
      : { event, channel: channel as string, data, user_id };
  return message as ServerMessage;
}

/** Decodes a frame the server sent (client side); see `readServerFrame` for what is checked. */
export function decodeServerMessage(frame: string): DecodeResult<ServerMessage> {
  const message = readServerFrame(frame);
  return isRefused(message) ? refusalError(message) : { ok: true, message };
}

/** `decodeServerMessage` for a client that drops what it cannot use: the message, or undefined. */
export function readServerMessage(frame: string): ServerMessage | undefined {
  const message = readServerFrame(frame);
  return isRefused(message) ? undefined : message;
}

/**
 * A lighter `readServerMessage` for a client that checks the fields it reads itself: a JSON object
 * with a string `event`, or undefined. `data`
 * follows the receivers' rule and is an object for protocol events (`{}` when absent or not an
 * object); `channel` is a string or undefined; a `user_id` other than null becomes a string; a valid
 * §11.1 position (`epoch`, `offset`) is kept. Nothing in `data` is checked, so every field a handler
 * reads from it must be treated as unknown.
 */
export function readServerMessageLoosely(frame: string): ServerMessage | undefined {
  try {
    const { event, channel, data, user_id, epoch, offset } = JSON.parse(frame);
    if (typeof event !== 'string') return undefined;
    const value = parseData(data);
    return {
      event,
      channel: typeof channel === 'string' ? channel : undefined,
      data: !isReservedEventName(event) || value instanceof Object ? value : {},
      user_id: user_id == null ? undefined : String(user_id),
      // An invalid position is left out: the event is still delivered, as other clients deliver it.
      ...readStreamPosition({ epoch, offset }),
    } as ServerMessage;
  } catch {
    return undefined;
  }
}
