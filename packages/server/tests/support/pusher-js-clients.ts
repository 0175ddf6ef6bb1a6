import { waitFor } from '@react-reverb/test-helpers';
import Pusher, { type Channel, type Options } from 'pusher-js';
import type { AppBackend } from './app-backend';
import { bearer } from './app-backend';
import { EVENT_TIMEOUT_MS, firstOf, nextEvent, nextMatching, withTimeout } from './events';
import type { Target } from './target';

// The Node build of pusher-js (`dist/node/pusher.js`) already is `PusherWithEncryption` (tweetnacl
// bundled), so `import Pusher from 'pusher-js'` decrypts `private-encrypted-*` channels; the
// `pusher-js/with-encryption` entry points at the *web* build, which needs `window`.

/** pusher-js options the way a user points it at a self-hosted server, authenticating as `userId`. */
export function pusherJsOptions(target: Target, backend: AppBackend, userId?: string): Options {
  const headers = userId ? bearer(userId) : {};
  return {
    cluster: 'mt1',
    wsHost: target.host,
    wsPort: target.port,
    forceTLS: false,
    enabledTransports: ['ws'],
    disableStats: true,
    channelAuthorization: { endpoint: backend.channelAuthEndpoint, transport: 'ajax', headers },
    userAuthentication: { endpoint: backend.userAuthEndpoint, transport: 'ajax', headers },
  };
}

/** Waits until `client` is connected (or fails loudly if the connection is refused). */
export async function connected(client: Pusher, what = 'pusher-js connection'): Promise<Pusher> {
  if (client.connection.state === 'connected') return client;
  const result = await firstOf(client.connection, ['connected', 'failed', 'unavailable'], what);
  if (result.event !== 'connected') throw new Error(`${what}: ${result.event}`);
  return client;
}

/** Subscribes and waits for `pusher:subscription_succeeded`; rejects on `pusher:subscription_error`. */
export async function subscribed(client: Pusher, channelName: string): Promise<Channel> {
  const channel = client.subscribe(channelName);
  if (channel.subscribed) return channel;
  const result = await firstOf(
    channel,
    ['pusher:subscription_succeeded', 'pusher:subscription_error'],
    `subscription to ${channelName}`,
  );
  if (result.event !== 'pusher:subscription_succeeded') {
    throw new Error(`subscription to ${channelName} failed: ${JSON.stringify(result.data)}`);
  }
  return channel;
}

/** What pusher-js's `user.watchlist` emits on `online` and `offline`. */
export interface WatchlistEvent {
  name: string;
  user_ids: string[];
}

/** Matches a watchlist event about user `id`. */
export const aboutUser = (id: string) => (e: WatchlistEvent) => e.user_ids.includes(id);

/** The next `online` or `offline` event about `userId` on `client`'s watchlist; call it before the action. */
export function nextWatchlistEvent(
  client: Pusher,
  event: 'online' | 'offline',
  userId: string,
  what: string,
): Promise<WatchlistEvent> {
  return nextMatching<WatchlistEvent>(client.user.watchlist, event, aboutUser(userId), what);
}

/** Signs in and waits until the server confirmed it (`pusher.user.signinDonePromise`). */
export async function signedIn(client: Pusher): Promise<void> {
  client.signin();
  await withTimeout(client.user.signinDonePromise, 'pusher:signin_success');
  if (!client.user.user_data) throw new Error('sign-in failed');
  // The promise resolves on signin_success; pusher-js subscribes to #server-to-user-{id} only then, so
  // wait for that subscription too before anything is sent to the user.
  await waitFor(
    () => client.user.serverToUserChannel?.subscribed === true,
    EVENT_TIMEOUT_MS,
    `#server-to-user-${client.user.user_data.id} subscription`,
  );
}

/** Creates pusher-js clients and disconnects all of them in `closeAll()` (call it in afterEach). */
export function pusherJsPool(target: () => Target, backend: () => AppBackend) {
  const open: Pusher[] = [];
  return {
    /** A new pusher-js client authenticating as `userId` (a guest without one), still connecting. */
    create(userId?: string, appKey = target().app.key): Pusher {
      const client = new Pusher(appKey, pusherJsOptions(target(), backend(), userId));
      open.push(client);
      return client;
    },
    /** A new, connected pusher-js client authenticating as `userId` (a guest without one). */
    connect(userId?: string): Promise<Pusher> {
      return connected(this.create(userId));
    },
    closeAll(): void {
      for (const client of open.splice(0)) client.disconnect();
    },
  };
}

/**
 * Makes sure everything the server sent `client` on `channelName` before this call has been
 * delivered: triggers a marker event over HTTP and waits for it. The server writes to one socket in
 * order, so anything that was going to arrive (an echo, an excluded event) arrived before the marker.
 */
let markers = 0;
export async function drain(backend: AppBackend, client: Pusher, channelName: string): Promise<void> {
  const channel = client.channel(channelName);
  if (!channel) throw new Error(`drain: not subscribed to ${channelName}`);
  const name = `marker-${++markers}`;
  const arrived = nextEvent(channel, name, `marker on ${channelName}`);
  await backend.pusher.trigger(channelName, name, { marker: markers });
  await arrived;
}
