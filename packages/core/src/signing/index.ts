/**
 * `@react-reverb/core/signing`: every HMAC of the Pusher protocol (docs/protocol.md §6–§8), on
 * node:crypto. Server and app-server code only; browsers never hold the secret.
 */

export type { ChannelAuthInput } from './channel-auth';
export { channelAuthString, signChannel, verifyChannelAuth } from './channel-auth';
export { encryptedSharedSecret } from './encrypted';
export { hmacSha256Hex, md5Hex, timingSafeEqualHex } from './hmac';
export type {
  HttpParams,
  HttpVerification,
  SignHttpRequestInput,
  VerifyHttpRequestInput,
} from './http-api';
export {
  httpSigningString,
  parseQueryString,
  signHttpRequest,
  verifyHttpRequest,
} from './http-api';
export type { UserAuthInput } from './user-auth';
export { signUser, userAuthString, verifyUserAuth } from './user-auth';
export { signWebhook, verifyWebhook } from './webhooks';
