import { authMatches } from './auth-string';
import { hmacSha256Hex } from './hmac';

export interface ChannelAuthInput {
  key: string;
  secret: string;
  socketId: string;
  channel: string;
  /** Presence only: the `channel_data` JSON string exactly as sent; never re-serialized. */
  channelData?: string | undefined;
}

/** The string signed for a channel subscription (docs/protocol.md §6.1). */
export function channelAuthString(socketId: string, channel: string, channelData?: string): string {
  return channelData === undefined ? `${socketId}:${channel}` : `${socketId}:${channel}:${channelData}`;
}

/** `auth` for `pusher:subscribe`: `"{key}:{hex}"`. */
export function signChannel(o: ChannelAuthInput): string {
  return `${o.key}:${hmacSha256Hex(o.secret, channelAuthString(o.socketId, o.channel, o.channelData))}`;
}

/** Verifies the `auth` of a subscription, signing `channelData` exactly as received. */
export function verifyChannelAuth(o: ChannelAuthInput & { auth: string }): boolean {
  const expected = hmacSha256Hex(o.secret, channelAuthString(o.socketId, o.channel, o.channelData));
  return authMatches(o.auth, o.key, expected);
}
