import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import Pusher from 'pusher';

export interface AuthServer {
  readonly url: string;
  readonly pusher: Pusher;
  close(): Promise<void>;
}

const USERS: Record<string, { name: string }> = { '1': { name: 'Ada' }, '2': { name: 'Bob' } };

function readBody(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/**
 * A tiny app backend, as a Laravel app would be: `/broadcasting/auth` and `/broadcasting/user-auth`
 * signed with the official `pusher` SDK. The signed-in user comes from the `X-User` header (and its
 * session from `X-Session`); user N may only open `private-App.Models.User.N`. CORS is open because the
 * test "browser" is another origin.
 */
export async function startAuthServer(app: {
  id: string;
  key: string;
  secret: string;
  port: number;
}): Promise<AuthServer> {
  const pusher = new Pusher({
    appId: app.id,
    key: app.key,
    secret: app.secret,
    host: '127.0.0.1',
    port: String(app.port),
    useTLS: false,
  });
  const server: Server = createServer(async (req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', '*');
    res.setHeader('Access-Control-Allow-Methods', 'POST, OPTIONS');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    const userId = String(req.headers['x-user'] ?? '');
    const user = USERS[userId];
    const form = await readBody(req);
    const socketId = form.get('socket_id') ?? '';
    const reply = (status: number, body: unknown) => {
      res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    };
    if (!user) return reply(403, { error: 'not signed in' });
    if (req.url === '/broadcasting/user-auth') {
      // `X-Session`: the app's (hashed) session id, for single session (docs/protocol.md §11.2).
      const session = req.headers['x-session'];
      const sessionId = typeof session === 'string' ? { session_id: session } : {};
      return reply(200, pusher.authenticateUser(socketId, { id: userId, user_info: user, ...sessionId }));
    }
    const channel = form.get('channel_name') ?? '';
    const model = /^private-App\.Models\.User\.(.+)$/.exec(channel);
    if (model && model[1] !== userId) return reply(403, { error: 'not your channel' });
    if (channel.startsWith('presence-')) {
      return reply(200, pusher.authorizeChannel(socketId, channel, { user_id: userId, user_info: user }));
    }
    return reply(200, pusher.authorizeChannel(socketId, channel));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    pusher,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
