/**
 * Type-level checks of the public contract (run by `tsc` in check-types; the runtime part only proves
 * the file loads). `ReverbEvents` is augmented here as an app would.
 */
import { describe, expectTypeOf, it } from 'vitest';
import {
  type Channel,
  type ConnectionSnapshot,
  createReverbClient,
  type EventMeta,
  type EventPayload,
  type PresenceSnapshot,
  type ReverbClient,
} from '../src/index';

declare module '../src/client/types' {
  interface ReverbEvents {
    '.TypesTestShipped': { readonly id: number };
  }
}

// An app's vite-env.d.ts, typing its Reverb variables as strings (the key and host set, the rest maybe not).
declare global {
  interface ImportMetaEnv {
    readonly VITE_REVERB_APP_KEY: string;
    readonly VITE_REVERB_HOST: string | undefined;
    readonly VITE_REVERB_PORT?: string;
    readonly VITE_REVERB_SCHEME?: string;
  }
  interface ImportMeta {
    readonly env: ImportMetaEnv;
  }
}

describe('types', () => {
  it('infers payloads from ReverbEvents and keeps explicit type arguments working', () => {
    const client = createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    const { channel } = client.retain('orders');
    channel.bind('.TypesTestShipped', (data, meta) => {
      expectTypeOf(data).toEqualTypeOf<{ readonly id: number }>();
      expectTypeOf(meta).toEqualTypeOf<EventMeta>();
    });
    channel.bind<{ n: number }>('anything', (data) => {
      expectTypeOf(data).toEqualTypeOf<{ n: number }>();
    });
    channel.bind('untyped', (data) => {
      expectTypeOf(data).toBeUnknown();
    });
    expectTypeOf<EventPayload<'.TypesTestShipped'>>().toEqualTypeOf<{ readonly id: number }>();
    expectTypeOf<EventPayload<'other'>>().toBeUnknown();
  });

  it('takes the options object of install:broadcasting’s echo.js as it is', () => {
    // Checked by tsc, never called: the literal is the stub's, so an unknown name would fail to compile.
    const fromEchoJs = () =>
      createReverbClient({
        broadcaster: 'reverb',
        key: import.meta.env.VITE_REVERB_APP_KEY,
        wsHost: import.meta.env.VITE_REVERB_HOST,
        wsPort: import.meta.env.VITE_REVERB_PORT ?? 80,
        wssPort: import.meta.env.VITE_REVERB_PORT ?? 443,
        forceTLS: (import.meta.env.VITE_REVERB_SCHEME ?? 'https') === 'https',
        enabledTransports: ['ws', 'wss'],
      });
    expectTypeOf(fromEchoJs).returns.toEqualTypeOf<ReverbClient>();
    // laravel-echo's other names, and pusher-js's custom handler with its callback.
    const fromEchoOptions = () =>
      createReverbClient({
        broadcaster: 'pusher',
        key: 'app-key',
        cluster: 'eu',
        forceTLS: true,
        authEndpoint: '/broadcasting/auth',
        auth: { headers: { 'X-Team': '1' } },
        bearerToken: 'token',
        csrfToken: null,
        namespace: 'App.Events',
        channelAuthorization: {
          endpoint: '/api/broadcasting/auth',
          transport: 'ajax',
          headers: {},
          customHandler: ({ socketId, channelName }, callback) => {
            expectTypeOf(socketId).toBeString();
            callback(null, { auth: `key:${channelName}` });
          },
        },
        userAuthentication: {
          endpoint: '/api/broadcasting/user-auth',
          headers: {},
          customHandler: ({ socketId }, callback) => callback(new Error(socketId), null),
        },
        withoutInterceptors: true,
        disableStats: true,
      });
    expectTypeOf(fromEchoOptions).returns.toEqualTypeOf<ReverbClient>();
    // A name Echo does not have still fails, as any excess property does.
    // @ts-expect-error: `wsHots` is a typo
    const typo = () => createReverbClient({ key: 'k', wsHots: 'h' });
    expectTypeOf(typo).toBeFunction();
  });

  it('types presence members and the stores', () => {
    const client = createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    const room = client.retainPresence<{ name: string }>('presence-room');
    expectTypeOf(room.channel.presence.getSnapshot()).toEqualTypeOf<PresenceSnapshot<{ name: string }>>();
    expectTypeOf(client.connection.getSnapshot()).toEqualTypeOf<ConnectionSnapshot>();
    expectTypeOf(client.channel('orders')).toEqualTypeOf<Channel | undefined>();
  });
});
