import Pusher from 'pusher';
import {
  NOTIFICATION_EVENT,
  SESSION_REPLACED_EVENT,
  type SessionReplacedPayload,
  userChannel,
} from '../shared/names';
import type { BroadcastNotification } from './notifications';
import type { PublicUser } from './users';

export interface ReverbConnection {
  readonly appId: string;
  readonly key: string;
  readonly secret: string;
  readonly host: string;
  readonly port: number;
  readonly scheme: 'http' | 'https';
}

const SOCKET_ID = /^\d+\.\d+$/;

/** A socket id worth passing on (Echo's `X-Socket-ID`), or undefined. */
export function socketIdOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' && SOCKET_ID.test(value) ? value : undefined;
}

/** What `channel_data.user_info` and `user_data.user_info` carry: enough for an avatar. */
export function userInfo(user: PublicUser): { name: string; initials: string; color: string } {
  return { name: user.name, initials: user.initials, color: user.color };
}

/**
 * Laravel's Pusher broadcaster, in Node: the official `pusher` SDK (as pusher-http-php for Laravel)
 * signs auth responses and calls the server's HTTP API.
 */
export class Broadcaster {
  private readonly pusher: Pusher;

  constructor(reverb: ReverbConnection) {
    this.pusher = new Pusher({
      appId: reverb.appId,
      key: reverb.key,
      secret: reverb.secret,
      host: reverb.host,
      port: String(reverb.port),
      useTLS: reverb.scheme === 'https',
      timeout: 5_000,
    });
  }

  /** `Broadcast::channel` auth for a private channel: `{auth}`. */
  authorizePrivate(socketId: string, channel: string): { auth: string } {
    return this.pusher.authorizeChannel(socketId, channel);
  }

  /** Presence auth: `{auth, channel_data}` with the user id as a string. */
  authorizePresence(
    socketId: string,
    channel: string,
    user: PublicUser,
  ): { auth: string; channel_data?: string } {
    return this.pusher.authorizeChannel(socketId, channel, { user_id: user.id, user_info: userInfo(user) });
  }

  /**
   * `/broadcasting/user-auth`: `{auth, user_data}`. `session_id` is what the server's single session
   * tells devices apart by (docs/protocol.md §11.2): a hash of the session id, never the cookie itself,
   * since `user_data` travels to the browser. Tabs of one browser share it, so they do not kick each other.
   */
  authenticateUser(
    socketId: string,
    user: PublicUser,
    sessionId: string,
  ): { auth: string; user_data: string } {
    return this.pusher.authenticateUser(socketId, {
      id: user.id,
      user_info: userInfo(user),
      session_id: sessionId,
    });
  }

  /** `$user->notify(new X)`: one event on the user's private channel. */
  async notify(userId: string, notification: BroadcastNotification, exceptSocketId?: string): Promise<void> {
    await this.pusher.trigger(
      userChannel(userId),
      NOTIFICATION_EVENT,
      notification,
      exceptSocketId ? { socket_id: exceptSocketId } : undefined,
    );
  }

  /** Tells the user's older devices they were replaced; `toOthers()` skips the new device's socket. */
  async sessionReplaced(
    userId: string,
    reason: SessionReplacedPayload['reason'],
    exceptSocketId?: string,
  ): Promise<void> {
    const payload: SessionReplacedPayload = { reason, at: new Date().toISOString() };
    await this.pusher.trigger(
      userChannel(userId),
      SESSION_REPLACED_EVENT,
      payload,
      exceptSocketId ? { socket_id: exceptSocketId } : undefined,
    );
  }

  /**
   * Laravel's `logoutOtherDevices()` on the socket side: the server closes every connection of the user
   * but those of `keepSessionId` (docs/protocol.md §11.2, `end_other_sessions`).
   */
  async endOtherSessions(userId: string, keepSessionId: string): Promise<void> {
    // The SDK rejects on a 4xx/5xx answer, and JSON-encodes `body` itself (its type says string: a
    // string would be encoded twice).
    await this.pusher.post({
      path: `/users/${encodeURIComponent(userId)}/end_other_sessions`,
      body: { session_id: keepSessionId } as unknown as string,
    });
  }

  /** Closes every connection signed in as the user (`terminate_connections`). */
  async terminateConnections(userId: string): Promise<void> {
    await this.pusher.terminateUserConnections(userId);
  }
}
