import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type Pusher from 'pusher';
import { sdkFor } from './auth';
import type { Target } from './target';

/** A user of the pretend Laravel app; clients name themselves with `Authorization: Bearer <id>`. */
export interface BackendUser {
  readonly id: string;
  readonly name: string;
  readonly avatar?: string;
  readonly watchlist?: readonly string[];
  /** Sign this user's presence and sign-in data as pusher-http-php does (PHP-encoded JSON). */
  readonly php?: boolean;
}

export interface AuthRequestRecord {
  readonly path: string;
  readonly userId: string | null;
  readonly socketId: string;
  readonly channelName: string | null;
  readonly status: number;
}

export interface AppBackend {
  /** Base URL, e.g. http://127.0.0.1:PORT */
  readonly url: string;
  /** Laravel's `Broadcast::routes()` paths. */
  readonly channelAuthEndpoint: string;
  readonly userAuthEndpoint: string;
  /** The official `pusher` SDK pointed at the target, as Laravel's `pusher` broadcaster builds it. */
  readonly pusher: Pusher;
  readonly encryptionMasterKeyBase64: string;
  /** Every auth request answered so far, in order. */
  readonly requests: readonly AuthRequestRecord[];
  close(): Promise<void>;
}

export const DEFAULT_USERS: readonly BackendUser[] = [
  { id: '1', name: 'Taylor', watchlist: ['2', '3'] },
  { id: '2', name: 'Abigail', watchlist: ['1'] },
  { id: '3', name: 'James' },
  // Answered the way pusher-http-php encodes (see phpJsonEncode): a name and a URL that PHP escapes.
  { id: '4', name: 'José Müller 🚀', avatar: 'https://example.com/avatars/4.png', php: true },
];

/**
 * PHP's `json_encode` with default flags: `/` becomes `\/` and every non-ASCII UTF-16 unit becomes
 * `\uXXXX`. Laravel's broadcaster sends `channel_data`/`user_data` encoded like this, and the server
 * must verify the signature over these exact bytes (docs/protocol.md §6.1).
 */
export function phpJsonEncode(value: unknown): string {
  return JSON.stringify(value)
    .replace(/\//g, '\\/')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** pusher-http-php's `authorizePresenceChannel` / `authenticateUser`: HMAC over the PHP-encoded data. */
function phpSigned(secret: string, key: string, signed: string): string {
  return `${key}:${createHmac('sha256', secret).update(signed).digest('hex')}`;
}

/** Authorization header value that makes the backend treat a request as coming from `userId`. */
export function bearer(userId: string): Record<string, string> {
  return { Authorization: `Bearer ${userId}` };
}

/**
 * Names the browser session a request comes from, as a session cookie would for a real app: with it,
 * the user-auth answer carries `session_id`, the SHA-256 of the session (docs/protocol.md §11.2).
 */
export const SESSION_HEADER = 'X-Test-Session';

/** The `session_id` the backend signs for a browser session named `session`. */
export function sessionIdOf(session: string): string {
  return createHash('sha256').update(session).digest('hex');
}

/**
 * A small stand-in for a Laravel app's broadcasting routes, signing with the official `pusher` SDK
 * (`authorizeChannel` / `authenticateUser`) exactly as `PusherBroadcaster` does. Its channel rules,
 * like a `routes/channels.php`:
 *
 * - guests (no known bearer user) get 403;
 * - `private-App.Models.User.{id}` (and the encrypted variant) only for user `{id}`;
 * - a name containing `forbidden` is refused with 403 (a channel callback returning false);
 * - a name containing `forged` gets 200 with a signature made with the wrong secret, so the
 *   *WebSocket server* is the one that has to refuse it;
 * - `presence-*` gets `channel_data` `{"user_id":id,"user_info":{"name":…}}`;
 * - everything else is allowed;
 * - a user-auth request with the {@link SESSION_HEADER} signs its `session_id` too.
 */
export async function startAppBackend(
  target: Target,
  options: { users?: readonly BackendUser[] } = {},
): Promise<AppBackend> {
  const users = new Map((options.users ?? DEFAULT_USERS).map((u) => [u.id, u]));
  const encryptionMasterKeyBase64 = randomBytes(32).toString('base64');
  const pusher = sdkFor(target, { encryptionMasterKeyBase64 });
  const forger = sdkFor(target, { encryptionMasterKeyBase64, secret: `${target.app.secret}-not` });
  const requests: AuthRequestRecord[] = [];

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://backend').pathname;
    const form = new URLSearchParams(await readBody(req));
    const socketId = form.get('socket_id') ?? '';
    const channelName = form.get('channel_name');
    const userId = /^Bearer (.+)$/.exec(req.headers.authorization ?? '')?.[1] ?? null;
    const user = userId ? users.get(userId) : undefined;
    const answer = (status: number, body: unknown) => {
      requests.push({ path, userId, socketId, channelName, status });
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST') return answer(405, { message: 'POST only' });
    if (path === '/broadcasting/auth') {
      if (!user || !channelName) return answer(403, { message: 'Unauthenticated.' });
      if (!mayJoin(user, channelName)) return answer(403, { message: 'This action is unauthorized.' });
      const signer = channelName.includes('forged') ? forger : pusher;
      const presence = channelName.startsWith('presence-')
        ? { user_id: user.id, user_info: userInfo(user) }
        : undefined;
      if (presence && user.php) {
        const channelData = phpJsonEncode(presence);
        const auth = phpSigned(
          target.app.secret,
          target.app.key,
          `${socketId}:${channelName}:${channelData}`,
        );
        return answer(200, { auth, channel_data: channelData });
      }
      return answer(200, signer.authorizeChannel(socketId, channelName, presence));
    }
    if (path === '/broadcasting/user-auth') {
      if (!user) return answer(403, { message: 'Unauthenticated.' });
      const session = req.headers[SESSION_HEADER.toLowerCase()];
      const userData = {
        id: user.id,
        user_info: userInfo(user),
        ...(user.watchlist ? { watchlist: [...user.watchlist] } : {}),
        ...(typeof session === 'string' ? { session_id: sessionIdOf(session) } : {}),
      };
      if (user.php) {
        const encoded = phpJsonEncode(userData);
        const auth = phpSigned(target.app.secret, target.app.key, `${socketId}::user::${encoded}`);
        return answer(200, { auth, user_data: encoded });
      }
      return answer(200, pusher.authenticateUser(socketId, userData));
    }
    return answer(404, { message: 'Not Found' });
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(String(error));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    channelAuthEndpoint: `${url}/broadcasting/auth`,
    userAuthEndpoint: `${url}/broadcasting/user-auth`,
    pusher,
    encryptionMasterKeyBase64,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** The public profile a presence member or signed-in user carries. */
export function userInfo(user: BackendUser): Record<string, string> {
  return user.avatar ? { name: user.name, avatar: user.avatar } : { name: user.name };
}

function mayJoin(user: BackendUser, channel: string): boolean {
  if (channel.includes('forbidden')) return false;
  const owner = /^private-(?:encrypted-)?App\.Models\.User\.(.+)$/.exec(channel)?.[1];
  return owner === undefined || owner === user.id;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => resolve(body));
    req.on('error', reject);
  });
}
