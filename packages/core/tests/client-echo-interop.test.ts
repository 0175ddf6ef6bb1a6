/**
 * One echo.js-shaped options object (what `php artisan install:broadcasting` writes, plus the bearer
 * token, CSRF token and channel authorization endpoint of an app that authorizes through its API)
 * against two real servers: ours (`reverb start`) and soketi 1.6.1 (tests/support/soketi.ts installs it
 * once, about 15 s). On each, the same object connects, is authorized for a private channel by a small
 * app backend that signs with the official `pusher` SDK, and receives an event the SDK triggers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { echoJsConnection, startServer, type ViteEnv, waitFor } from '@react-reverb/test-helpers';
import Pusher from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createReverbClient, type ReverbClient, type ReverbClientOptions } from '../src/index';
import { readForm } from './support/form';
import { startSoketi } from './support/soketi';

interface App {
  readonly id: string;
  readonly key: string;
  readonly secret: string;
}

interface Peer {
  readonly port: number;
  readonly app: App;
  stop(): Promise<unknown>;
}

const TOKEN = 'sanctum-token-of-user-7';
const CSRF = 'csrf-token-1';

/**
 * The app's `POST /api/broadcasting/auth`, as Laravel with Sanctum would answer it: the bearer token
 * names the user (7), the CSRF token and the app's own header must be there, and user 7 may open
 * `private-orders.7` only. Every request it got is kept, to show what the client sent.
 */
async function startAppBackend(sdk: Pusher) {
  const requests: Array<{ headers: IncomingMessage['headers']; form: Record<string, string> }> = [];
  const server: Server = createServer(async (request, response) => {
    const form = await readForm(request);
    requests.push({ headers: request.headers, form: Object.fromEntries(form) });
    const reply = (status: number, body: unknown) =>
      response.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify(body));
    if (request.url !== '/api/broadcasting/auth') return reply(404, {});
    if (request.headers.authorization !== `Bearer ${TOKEN}`)
      return reply(401, { message: 'Unauthenticated.' });
    if (request.headers['x-csrf-token'] !== CSRF || request.headers['x-app'] !== 'echo-js') {
      return reply(419, { message: 'CSRF token mismatch.' });
    }
    const channel = form.get('channel_name') ?? '';
    if (channel !== 'private-orders.7') return reply(403, { message: 'Forbidden' });
    return reply(200, sdk.authorizeChannel(form.get('socket_id') ?? '', channel));
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise<void>((done) => server.close(() => done())),
  };
}

/** resources/js/echo.js, from the env Vite would give it (strings), with the app's auth settings. */
function echoJs<Env extends ViteEnv & { VITE_REVERB_APP_KEY: string }>(env: Env, authEndpoint: string) {
  return {
    ...echoJsConnection(env),
    bearerToken: TOKEN,
    csrfToken: CSRF,
    channelAuthorization: { endpoint: authEndpoint, headers: { 'X-App': 'echo-js' } },
    // Node 20 has no WebSocket global; a browser passes nothing here.
    WebSocket,
  } satisfies ReverbClientOptions;
}

const servers: Array<[string, () => Promise<Peer>]> = [
  ['our server', () => startServer()],
  ['soketi 1.6.1', () => startSoketi()],
];

describe.each(servers)('an echo.js options object against %s', (_name, start) => {
  let peer: Peer;
  let sdk: Pusher;
  let backend: Awaited<ReturnType<typeof startAppBackend>>;
  const clients: ReverbClient[] = [];

  beforeAll(async () => {
    peer = await start();
    sdk = new Pusher({
      appId: peer.app.id,
      key: peer.app.key,
      secret: peer.app.secret,
      host: '127.0.0.1',
      port: String(peer.port),
      useTLS: false,
    });
    backend = await startAppBackend(sdk);
  }, 300_000);

  afterAll(async () => {
    for (const client of clients) client.disconnect();
    await backend?.close();
    await peer?.stop();
  });

  function echoClient(): ReverbClient {
    const options = echoJs(
      {
        VITE_REVERB_APP_KEY: peer.app.key,
        VITE_REVERB_HOST: '127.0.0.1',
        VITE_REVERB_PORT: String(peer.port),
        VITE_REVERB_SCHEME: 'http',
      },
      `${backend.url}/api/broadcasting/auth`,
    );
    const client = createReverbClient({ ...options, autoConnect: true });
    clients.push(client);
    return client;
  }

  it('connects, is authorized for a private channel and receives an event', async () => {
    const client = echoClient();
    const { channel } = client.retain('private-orders.7');
    const received: unknown[] = [];
    channel.bind(client.formatEventName('OrderShipped'), (data) => received.push(data));
    await waitFor(() => channel.getSnapshot().status === 'subscribed', 10_000, 'private-orders.7 subscribed');
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connected', lastError: null });

    // What the client sent the app: Echo's bearer and CSRF tokens and the route's header, as a form.
    const [request] = backend.requests.slice(-1);
    expect(request?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'x-csrf-token': CSRF,
      'x-app': 'echo-js',
      'content-type': expect.stringMatching(/^application\/x-www-form-urlencoded/),
    });
    expect(request?.form).toEqual({
      socket_id: client.connection.getSnapshot().socketId,
      channel_name: 'private-orders.7',
    });

    await sdk.trigger('private-orders.7', 'App\\Events\\OrderShipped', { id: 7, status: 'shipped' });
    await waitFor(() => received.length === 1, 10_000, 'the event');
    expect(received).toEqual([{ id: 7, status: 'shipped' }]);
  });

  it('gets the app’s refusal for a channel the token does not open, and the socket stays up', async () => {
    const client = echoClient();
    const { channel } = client.retain('private-orders.8');
    await waitFor(() => channel.getSnapshot().status === 'error', 10_000, 'private-orders.8 refused');
    expect(channel.getSnapshot().error).toMatchObject({ type: 'AuthError', status: 403 });
    expect(client.connection.getSnapshot().state).toBe('connected');
  });
});
