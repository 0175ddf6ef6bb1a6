/** Signs subscriptions and sign-ins like an app server would (the official `pusher` SDK). */
import Pusher from 'pusher';
import type { TestServer } from './server';

export function sdkFor(t: TestServer, app = t.app): Pusher {
  return new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(t.port),
    useTLS: false,
    // 32 × 0x07, the vector of protocol.md §6.4: encrypted channels need a master key on the app side.
    encryptionMasterKeyBase64: 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=',
  });
}

export function privateAuth(t: TestServer, socketId: string, channel: string): string {
  return sdkFor(t).authorizeChannel(socketId, channel).auth;
}

export function presenceAuth(
  t: TestServer,
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
  t: TestServer,
  socketId: string,
  user: { id: string; user_info?: Record<string, unknown>; watchlist?: string[] },
): { auth: string; user_data: string } {
  const result = sdkFor(t).authenticateUser(socketId, user);
  return { auth: result.auth, user_data: result.user_data };
}
