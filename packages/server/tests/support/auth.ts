/**
 * Signs like an app server would, with the official `pusher` SDK: channel auth, sign-in, HTTP API
 * calls; and the subscriptions of a raw client that need a signature.
 */
import Pusher from 'pusher';
import type { ReceivedFrames } from './raw-client';

export interface AppCredentials {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

/** Whatever the SDK is pointed at: an in-process server, a CLI node, an external target. */
export interface SigningTarget {
  readonly app: AppCredentials;
  /** 127.0.0.1 unless said. */
  readonly host?: string;
  /** Absent for an SDK that only signs (channel auth, webhooks) and never calls the API. */
  readonly port?: number;
}

/** 32 × 0x07, the vector of docs/protocol.md §6.4: encrypted channels need a master key on the app side. */
export const ENCRYPTION_MASTER_KEY_BASE64 = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=';

/** The `pusher` SDK for the target's app, over plain HTTP; `secret` overrides the app's (a forger). */
export function sdkFor(
  target: SigningTarget,
  options: { secret?: string; encryptionMasterKeyBase64?: string } = {},
): Pusher {
  return new Pusher({
    appId: target.app.id,
    key: target.app.key,
    secret: options.secret ?? target.app.secret,
    host: target.host ?? '127.0.0.1',
    ...(target.port === undefined ? {} : { port: String(target.port) }),
    useTLS: false,
    encryptionMasterKeyBase64: options.encryptionMasterKeyBase64 ?? ENCRYPTION_MASTER_KEY_BASE64,
  });
}

export function privateAuth(t: SigningTarget, socketId: string, channel: string): string {
  return sdkFor(t).authorizeChannel(socketId, channel).auth;
}

export function presenceAuth(
  t: SigningTarget,
  socketId: string,
  channel: string,
  userId: string,
  userInfo?: Record<string, unknown>,
): { auth: string; channel_data: string } {
  const result = sdkFor(t).authorizeChannel(socketId, channel, {
    user_id: userId,
    ...(userInfo === undefined ? {} : { user_info: userInfo }),
  });
  return { auth: result.auth, channel_data: result.channel_data as string };
}

export function userAuth(
  t: SigningTarget,
  socketId: string,
  user: { id: string; user_info?: Record<string, unknown>; watchlist?: string[] },
): { auth: string; user_data: string } {
  const result = sdkFor(t).authenticateUser(socketId, user);
  return { auth: result.auth, user_data: result.user_data };
}

/** Signs `c` in as `user` with a valid signature and waits for signin_success. */
export async function signIn(
  t: SigningTarget,
  c: ReceivedFrames,
  user: { id: string; user_info?: Record<string, unknown>; watchlist?: string[] },
) {
  const data = userAuth(t, c.socketId, user);
  c.send({ event: 'pusher:signin', data });
  const success = await c.nextEvent('pusher:signin_success');
  return { success, data };
}

/** Subscribes `c` to a private channel with a valid signature and waits for the success. */
export async function joinPrivate(t: SigningTarget, c: ReceivedFrames, channel: string): Promise<void> {
  await c.subscribe(channel, privateAuth(t, c.socketId, channel));
}

/** Joins a presence channel as `userId` with a valid signature; resolves with subscription_succeeded. */
export function joinPresence(
  t: SigningTarget,
  c: ReceivedFrames,
  channel: string,
  userId: string,
  userInfo?: Record<string, unknown>,
) {
  const p = presenceAuth(t, c.socketId, channel, userId, userInfo);
  return c.subscribe(channel, p.auth, p.channel_data);
}
