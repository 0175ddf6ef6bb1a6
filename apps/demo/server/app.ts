import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LOBBY_CHANNEL, NotificationType, type SessionReplacedPayload, userChannel } from '../shared/names';
import { Broadcaster, type ReverbConnection, socketIdOrUndefined } from './broadcaster';
import { expiredCookie, HttpError, parseCookies, readFields, sendJson, sessionCookie } from './http';
import { type BroadcastNotification, broadcastNotification, NotificationInbox } from './notifications';
import { type Session, SessionStore, socketSessionId } from './sessions';
import { serveStatic } from './static-files';
import type { PublicUser, UserDirectory } from './users';

export const SESSION_COOKIE = 'demo_session';

/**
 * Who tells a user's older devices that they were signed in elsewhere:
 * - `server`: the reverb server's single session (`single_session` in reverb.json, docs/protocol.md
 *   §11.2). The backend signs `session_id` with each socket sign-in; the new device's sign-in closes the
 *   other sessions' connections, on every node. "Sign out other sessions" calls `end_other_sessions`.
 * - `broadcast`: for servers without it (Laravel Reverb, soketi, Pusher): the backend broadcasts its own
 *   `session.replaced` on the user's private channel with `toOthers()`, then `terminate_connections`.
 * The front end is the same for both (`useSessionReplaced` with the broadcast as its fallback).
 */
export type KickMode = 'server' | 'broadcast';

export interface DemoBackendOptions {
  readonly users: UserDirectory;
  /** How the backend reaches the reverb server's HTTP API (the `REVERB_*` settings). */
  readonly reverb: ReverbConnection;
  /** How browsers reach the reverb server, when not the same host/port (Laravel's `VITE_REVERB_*`). */
  readonly publicReverb?: { readonly host: string; readonly port: number; readonly scheme: 'http' | 'https' };
  /** Serve the built front end from here (production style); the Vite dev server proxies otherwise. */
  readonly staticDir?: string;
  /** Default `server`. */
  readonly kick?: KickMode;
  /** Send every signed-in user a reminder notification this often; 0 or absent: never. */
  readonly reminderIntervalMs?: number;
  readonly log?: (line: string) => void;
}

export interface DemoBackend {
  readonly server: Server;
  readonly sessions: SessionStore;
  /** Resolves with the base URL. */
  listen(port: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

interface Context {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  readonly url: URL;
}

interface Authenticated {
  readonly session: Session;
  readonly user: PublicUser;
}

type Handler = (context: Context) => Promise<void>;

/** The demo's Laravel-like backend: sessions, broadcasting auth and notifications, all in memory. */
export function createDemoBackend(options: DemoBackendOptions): DemoBackend {
  const { users } = options;
  const log = options.log ?? ((line: string) => console.log(`[backend] ${line}`));
  const sessions = new SessionStore();
  const inbox = new NotificationInbox();
  const broadcaster = new Broadcaster(options.reverb);
  const publicReverb = options.publicReverb ?? options.reverb;
  const kick = options.kick ?? 'server';

  function authenticated(req: IncomingMessage): Authenticated | undefined {
    const session = sessions.get(parseCookies(req.headers.cookie)[SESSION_COOKIE]);
    const user = session ? users.find(session.userId) : undefined;
    return session && user ? { session, user } : undefined;
  }

  function requireUser(req: IncomingMessage): Authenticated {
    const auth = authenticated(req);
    if (!auth) throw new HttpError(401, 'Unauthenticated.');
    return auth;
  }

  /** Realtime side effects must not fail the HTTP request that caused them; they are logged. */
  async function realtime(what: string, action: () => Promise<void>): Promise<boolean> {
    try {
      await action();
      return true;
    } catch (error) {
      log(`realtime ${what} failed: ${error instanceof Error ? error.message : String(error)}`);
      return false;
    }
  }

  /** `$user->notify()` with the `database` and `broadcast` channels: kept in the inbox, then broadcast. */
  function notify(userId: string, notification: BroadcastNotification): Promise<boolean> {
    inbox.add(userId, notification);
    return realtime('notify', () => broadcaster.notify(userId, notification));
  }

  /** `kick: 'broadcast'`: the app's own `session.replaced` to the user's other sockets. */
  function broadcastReplaced(
    userId: string,
    reason: SessionReplacedPayload['reason'],
    keepSocketId: string | undefined,
  ): Promise<boolean> {
    return realtime('session.replaced', () => broadcaster.sessionReplaced(userId, reason, keepSocketId));
  }

  const routes: Record<string, Handler> = {
    'GET /up': async ({ res }) => sendJson(res, 200, { ok: true }),

    'GET /api/config': async ({ res }) =>
      sendJson(res, 200, {
        reverb: {
          key: options.reverb.key,
          host: publicReverb.host,
          port: publicReverb.port,
          forceTLS: publicReverb.scheme === 'https',
        },
        lobbyChannel: LOBBY_CHANNEL,
      }),

    'POST /api/login': async ({ req, res }) => {
      const { email = '', password = '' } = await readFields(req);
      const user = await users.attempt(email, password);
      if (!user) {
        sendJson(res, 422, { message: 'These credentials do not match our records.' });
        return;
      }
      // The older session ends here for the app's own API (its calls get 401). Its sockets: with
      // `kick: 'server'` the reverb server closes them when this device signs in on the socket.
      const { session, replaced } = sessions.start(user.id);
      log(`user ${user.id} signed in${replaced ? ' (older session replaced)' : ''}`);
      if (replaced && kick === 'broadcast') {
        await broadcastReplaced(
          user.id,
          'signed-in-elsewhere',
          socketIdOrUndefined(req.headers['x-socket-id']),
        );
        await realtime('terminate_connections', () => broadcaster.terminateConnections(user.id));
      }
      sendJson(res, 200, { user }, { 'set-cookie': sessionCookie(SESSION_COOKIE, session.id, false) });
    },

    'POST /api/logout': async ({ req, res }) => {
      const auth = authenticated(req);
      if (auth) sessions.end(auth.session.id);
      sendJson(res, 200, {}, { 'set-cookie': expiredCookie(SESSION_COOKIE) });
    },

    'GET /api/me': async ({ req, res }) => sendJson(res, 200, { user: requireUser(req).user }),

    'GET /api/users': async ({ req, res }) => {
      requireUser(req);
      sendJson(res, 200, { users: users.all() });
    },

    /**
     * Laravel's `logoutOtherDevices()`: this session stays (and so do this browser's tabs), every other
     * connection of the user is closed: those of older sessions, and those signed in without one.
     */
    'POST /api/sessions/logout-others': async ({ req, res }) => {
      const { session, user } = requireUser(req);
      const done =
        kick === 'server'
          ? await realtime('end_other_sessions', () =>
              broadcaster.endOtherSessions(user.id, socketSessionId(session)),
            )
          : // Without the server's help this cannot tell this browser's other tabs from other devices:
            // they get the event too (apps/demo/README.md). No terminate_connections: it would close ours.
            await broadcastReplaced(
              user.id,
              'signed-out-by-user',
              socketIdOrUndefined(req.headers['x-socket-id']),
            );
      sendJson(res, done ? 200 : 503, { user });
    },

    /** `$user->notifications`: what the front end refetches after a gap in its live notifications. */
    'GET /api/notifications': async ({ req, res }) =>
      sendJson(res, 200, { notifications: inbox.recent(requireUser(req).user.id) }),

    'POST /api/messages': async ({ req, res }) => {
      const { user } = requireUser(req);
      const { to = '', text = '' } = await readFields(req);
      const recipient = users.find(to);
      const body = text.trim();
      if (!recipient || body === '' || body.length > 500) {
        sendJson(res, 422, { message: 'Pick a recipient and write 1 to 500 characters.' });
        return;
      }
      const notification = broadcastNotification(NotificationType.messageReceived, {
        title: `Message from ${user.name}`,
        body,
        from: { id: user.id, name: user.name },
      });
      const delivered = await notify(recipient.id, notification);
      sendJson(res, delivered ? 200 : 503, { notification, delivered });
    },

    'POST /api/nudges': async ({ req, res }) => {
      const { user } = requireUser(req);
      const { to = '' } = await readFields(req);
      const recipient = users.find(to);
      if (!recipient || recipient.id === user.id) {
        sendJson(res, 422, { message: 'Pick someone else to nudge.' });
        return;
      }
      const notification = broadcastNotification(NotificationType.nudged, {
        title: `${user.name} nudged you`,
        body: 'Say hi back?',
        from: { id: user.id, name: user.name },
      });
      const delivered = await notify(recipient.id, notification);
      sendJson(res, delivered ? 200 : 503, { notification, delivered });
    },

    'POST /api/orders/ship': async ({ req, res }) => {
      const { user } = requireUser(req);
      const orderId = 1000 + Math.floor(Math.random() * 9000);
      const notification = broadcastNotification(NotificationType.orderShipped, {
        title: `Order #${orderId} shipped`,
        body: 'Your parcel is on its way.',
        order_id: orderId,
      });
      const delivered = await notify(user.id, notification);
      sendJson(res, delivered ? 200 : 503, { notification, delivered });
    },

    /** Laravel's `Broadcast::channel()` callbacks, signed with the pusher SDK. */
    'POST /broadcasting/auth': async ({ req, res }) => {
      const auth = authenticated(req);
      const { socket_id: socketId = '', channel_name: channel = '' } = await readFields(req);
      if (!auth) throw new HttpError(403, 'Unauthenticated.');
      if (!socketIdOrUndefined(socketId)) throw new HttpError(400, 'socket_id is missing or malformed');
      if (channel === userChannel(auth.user.id)) {
        sendJson(res, 200, broadcaster.authorizePrivate(socketId, channel));
      } else if (channel === LOBBY_CHANNEL) {
        sendJson(res, 200, broadcaster.authorizePresence(socketId, channel, auth.user));
      } else {
        throw new HttpError(403, `Not allowed on ${channel || 'that channel'}`);
      }
    },

    'POST /broadcasting/user-auth': async ({ req, res }) => {
      const auth = authenticated(req);
      const { socket_id: socketId = '' } = await readFields(req);
      if (!auth) throw new HttpError(403, 'Unauthenticated.');
      if (!socketIdOrUndefined(socketId)) throw new HttpError(400, 'socket_id is missing or malformed');
      sendJson(res, 200, broadcaster.authenticateUser(socketId, auth.user, socketSessionId(auth.session)));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://backend.invalid');
    const handler = routes[`${req.method} ${url.pathname}`];
    try {
      if (handler) {
        await handler({ req, res, url });
        return;
      }
      const isApi = url.pathname.startsWith('/api/') || url.pathname.startsWith('/broadcasting/');
      if (!isApi && req.method === 'GET' && options.staticDir) {
        if (await serveStatic(options.staticDir, url.pathname, res)) return;
      }
      throw new HttpError(404, 'Not found');
    } catch (error) {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      if (error instanceof HttpError) {
        sendJson(res, error.status, { message: error.message });
      } else {
        log(
          `error on ${req.method} ${url.pathname}: ${error instanceof Error ? error.message : String(error)}`,
        );
        sendJson(res, 500, { message: 'Server error' });
      }
    }
  }

  const server = createServer((req, res) => void handle(req, res));
  let reminder: ReturnType<typeof setInterval> | undefined;

  function startReminders(): void {
    const every = options.reminderIntervalMs ?? 0;
    if (every <= 0) return;
    reminder = setInterval(() => {
      for (const userId of sessions.activeUserIds()) {
        const notification = broadcastNotification(NotificationType.reminder, {
          title: 'Stand-up in 5 minutes',
          body: 'Sent by the backend timer.',
        });
        void notify(userId, notification);
      }
    }, every);
    reminder.unref();
  }

  return {
    server,
    sessions,
    listen(port, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => {
          server.off('error', reject);
          startReminders();
          const address = server.address() as AddressInfo;
          resolve(`http://${host}:${address.port}`);
        });
      });
    },
    close() {
      if (reminder) clearInterval(reminder);
      return new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}
