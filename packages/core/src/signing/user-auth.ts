import { authMatches } from './auth-string';
import { hmacSha256Hex } from './hmac';

export interface UserAuthInput {
  key: string;
  secret: string;
  socketId: string;
  /** The `user_data` JSON string exactly as sent; never re-serialized. */
  userData: string;
}

/** The string signed for `pusher:signin` (docs/protocol.md §6.1). */
export function userAuthString(socketId: string, userData: string): string {
  return `${socketId}::user::${userData}`;
}

/** `auth` for `pusher:signin`: `"{key}:{hex}"` (not the `key::user::hex` typo of the docs). */
export function signUser(o: UserAuthInput): string {
  return `${o.key}:${hmacSha256Hex(o.secret, userAuthString(o.socketId, o.userData))}`;
}

export function verifyUserAuth(o: UserAuthInput & { auth: string }): boolean {
  const expected = hmacSha256Hex(o.secret, userAuthString(o.socketId, o.userData));
  return authMatches(o.auth, o.key, expected);
}
