/**
 * Validation of the JSON strings that ride inside messages: presence `channel_data` (§3.4)
 * and sign-in `user_data` (§3.11). Parse once, check every field, return a value or a coded error.
 */
import { ErrorCode } from './error-codes';
import { ProtocolError } from './errors';
import { Limits } from './limits';
import type { PresenceChannelData, SigninUserData, UserInfo } from './messages';

export type Validated<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: ProtocolError };

function refuse(code: string, message: string, channel?: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(code, message, ErrorCode.Unauthorized, channel) };
}

function parseObject(raw: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(raw);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** UTF-8 byte length without `Buffer` or `TextEncoder` allocation (protocol stays DOM- and node-free). */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      // A proper pair is one 4-byte code point; a lone surrogate is encoded as U+FFFD (3 bytes).
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

export interface PresenceLimits {
  readonly maxUserIdLength: number;
  readonly maxUserInfoBytes: number;
}

const DEFAULT_PRESENCE_LIMITS: PresenceLimits = {
  maxUserIdLength: Limits.MAX_PRESENCE_USER_ID_LENGTH,
  maxUserInfoBytes: Limits.MAX_PRESENCE_USER_INFO_BYTES,
};

/** Parses presence `channel_data`: `user_id` required (numbers stringified), `user_info` optional. */
export function parsePresenceChannelData(
  raw: string | undefined,
  channel: string,
  limits: PresenceLimits = DEFAULT_PRESENCE_LIMITS,
): Validated<PresenceChannelData> {
  if (raw === undefined || raw === '') {
    return refuse('REVERB_ERR_PRESENCE_DATA', `Presence channel ${channel} needs channel_data`, channel);
  }
  const data = parseObject(raw);
  if (!data)
    return refuse(
      'REVERB_ERR_PRESENCE_DATA',
      `Invalid channel_data for ${channel}: not a JSON object`,
      channel,
    );
  const { user_id: rawId, user_info: userInfo } = data;
  const userId = typeof rawId === 'number' && Number.isFinite(rawId) ? String(rawId) : rawId;
  if (typeof userId !== 'string' || userId === '') {
    return refuse('REVERB_ERR_PRESENCE_DATA', `channel_data for ${channel} needs a user_id`, channel);
  }
  if (userId.length > limits.maxUserIdLength) {
    return refuse(
      'REVERB_ERR_PRESENCE_DATA',
      `user_id longer than ${limits.maxUserIdLength} characters`,
      channel,
    );
  }
  if (userInfo !== undefined && utf8Length(JSON.stringify(userInfo)) > limits.maxUserInfoBytes) {
    return refuse(
      'REVERB_ERR_PRESENCE_DATA',
      `user_info larger than ${limits.maxUserInfoBytes} bytes`,
      channel,
    );
  }
  const value: PresenceChannelData =
    userInfo === undefined ? { user_id: userId } : { user_id: userId, user_info: userInfo as UserInfo };
  return { ok: true, value };
}

/**
 * Parses sign-in `user_data`: `id` a non-empty string, optional `user_info`, `watchlist` of strings
 * and `session_id` (docs/protocol.md §11.2: 1..128 characters; present but invalid refuses the sign-in
 * whether or not the app enforces single sessions, so a broken app notices before it turns it on).
 */
export function parseSigninUserData(raw: string): Validated<SigninUserData> {
  const data = parseObject(raw);
  if (!data) return refuse('REVERB_ERR_USER_DATA', 'Invalid user_data: not a JSON object');
  const { id, user_info: userInfo, watchlist, session_id: sessionId } = data;
  if (typeof id !== 'string' || id === '') {
    return refuse('REVERB_ERR_USER_DATA', 'user_data needs a non-empty string id');
  }
  if (
    watchlist !== undefined &&
    (!Array.isArray(watchlist) || !watchlist.every((w) => typeof w === 'string'))
  ) {
    return refuse('REVERB_ERR_USER_DATA', 'user_data.watchlist must be an array of user ids');
  }
  if (
    sessionId !== undefined &&
    (typeof sessionId !== 'string' || sessionId === '' || sessionId.length > Limits.MAX_SESSION_ID_LENGTH)
  ) {
    return refuse(
      'REVERB_ERR_USER_DATA',
      `user_data.session_id must be a string of 1 to ${Limits.MAX_SESSION_ID_LENGTH} characters`,
    );
  }
  const value: SigninUserData = {
    id,
    ...(userInfo === undefined ? {} : { user_info: userInfo as UserInfo }),
    ...(watchlist === undefined ? {} : { watchlist: watchlist as string[] }),
    ...(sessionId === undefined ? {} : { session_id: sessionId }),
  };
  return { ok: true, value };
}
