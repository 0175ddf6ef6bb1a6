import Echo from 'laravel-echo';
import PusherJs from 'pusher-js';
import type { AppBackend } from './app-backend';
import { bearer } from './app-backend';
import { withTimeout } from './events';
import { connected } from './pusher-js-clients';
import type { Target } from './target';

export type EchoClient = Echo<'reverb'> | Echo<'pusher'>;

/** What Echo channels of both drivers share, for the helpers below. */
interface EchoChannelLike {
  subscribed(callback: CallableFunction): unknown;
  error(callback: CallableFunction): unknown;
}

/**
 * Echo configured as Laravel's `resources/js/echo.js` stub does for Reverb (`broadcaster: 'reverb'`), or
 * for Pusher with a custom host (`broadcaster: 'pusher'`). Each client gets its own `auth` and
 * `userAuthentication` objects: Echo's defaults are one object shared by every instance, so a
 * `bearerToken` set on one Echo would leak into the others in the same process.
 */
export function createEcho(
  target: Target,
  backend: AppBackend,
  userId: string | undefined,
  broadcaster: 'reverb' | 'pusher',
): EchoClient {
  const headers = userId ? bearer(userId) : {};
  const common = {
    key: target.app.key,
    wsHost: target.host,
    wsPort: target.port,
    wssPort: target.port,
    forceTLS: false,
    disableStats: true,
    authEndpoint: backend.channelAuthEndpoint,
    auth: { headers },
    userAuthentication: { endpoint: backend.userAuthEndpoint, headers, transport: 'ajax' as const },
    Pusher: PusherJs,
    withoutInterceptors: true,
  };
  if (broadcaster === 'reverb') {
    return new Echo({ ...common, broadcaster: 'reverb', enabledTransports: ['ws', 'wss'] });
  }
  return new Echo({ ...common, broadcaster: 'pusher', cluster: 'mt1', enabledTransports: ['ws'] });
}

/** Creates Echo clients and disconnects them all in `closeAll()` (call it in afterEach). */
export function echoPool(target: () => Target, backend: () => AppBackend) {
  const open: EchoClient[] = [];
  return {
    async connect(userId?: string, broadcaster: 'reverb' | 'pusher' = 'reverb'): Promise<EchoClient> {
      const echo = createEcho(target(), backend(), userId, broadcaster);
      open.push(echo);
      await connected(echo.connector.pusher, `Echo (${broadcaster}) connection`);
      return echo;
    },
    closeAll(): void {
      for (const echo of open.splice(0)) echo.disconnect();
    },
  };
}

/** Resolves when Echo's `.subscribed()` fires; rejects with the payload `.error()` got. */
export function echoSubscribed<C extends EchoChannelLike>(channel: C, what: string): Promise<C> {
  return withTimeout(
    new Promise<C>((resolve, reject) => {
      channel.subscribed(() => resolve(channel));
      channel.error((error: unknown) => reject(new Error(`${what}: ${JSON.stringify(error)}`)));
    }),
    `subscription (${what})`,
  );
}

/** Resolves with the payload of Echo's `.error()` callback. */
export function echoError(channel: EchoChannelLike, what: string): Promise<unknown> {
  return withTimeout(new Promise((resolve) => channel.error(resolve)), `.error() (${what})`);
}

/** Resolves with the first payload handed to `register`'s callback (listen, here, joining...). */
export function firstCall<T = unknown>(
  register: (cb: (value: T) => void) => unknown,
  what: string,
): Promise<T> {
  return withTimeout(
    new Promise<T>((resolve) => {
      let done = false;
      register((value) => {
        if (done) return;
        done = true;
        resolve(value);
      });
    }),
    what,
  );
}
