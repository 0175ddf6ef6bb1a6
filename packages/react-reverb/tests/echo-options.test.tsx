/**
 * `<ReverbProvider options>` with laravel-echo's options object as an app has it in resources/js/echo.js:
 * it type-checks as it is (tsc runs over this file in check-types), and it connects to our real server,
 * authorizes a private channel through the app's endpoint and delivers an event to the hooks.
 */
import { echoJsConnection, type ServerHandle, startServer, waitFor } from '@react-reverb/test-helpers';
import { render, screen } from '@testing-library/react';
import { useState } from 'react';
import { type ReverbClientOptions, ReverbProvider, useChannel, useListen } from 'react-reverb';
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import WebSocket from 'ws';
import { type AuthServer, startAuthServer } from './support/auth-server';
import { withNodeFetch } from './support/node-fetch';

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

/** Laravel's `App\Events\OrderShipped` on the user's private channel, as Echo names it. */
function Orders() {
  const [shipped, setShipped] = useState<number[]>([]);
  const { status } = useChannel('private-App.Models.User.1');
  useListen<{ id: number }>('private-App.Models.User.1', 'OrderShipped', (order) =>
    setShipped((ids) => [...ids, order.id]),
  );
  return <p data-testid="orders">{`${status}:${shipped.join(',')}`}</p>;
}

describe('<ReverbProvider options> with an Echo options object', () => {
  it('type-checks the object install:broadcasting writes, as it is', () => {
    // Checked by tsc, never rendered: the literal is the stub's, so a name the options lack fails.
    const app = () => (
      <ReverbProvider
        options={{
          broadcaster: 'reverb',
          key: import.meta.env.VITE_REVERB_APP_KEY,
          wsHost: import.meta.env.VITE_REVERB_HOST,
          wsPort: import.meta.env.VITE_REVERB_PORT ?? 80,
          wssPort: import.meta.env.VITE_REVERB_PORT ?? 443,
          forceTLS: (import.meta.env.VITE_REVERB_SCHEME ?? 'https') === 'https',
          enabledTransports: ['ws', 'wss'],
        }}
      />
    );
    expectTypeOf(app).toBeFunction();
  });

  describe('against our server', () => {
    let server: ServerHandle;
    let auth: AuthServer;

    beforeAll(async () => {
      server = await withNodeFetch(() => startServer());
      auth = await startAuthServer({ ...server.app, port: server.port });
    }, 30_000);
    afterAll(async () => {
      await auth?.close();
      await server?.stop();
    });

    it('connects, authorizes a private channel at channelAuthorization.endpoint and delivers an event', async () => {
      // echo.js as install:broadcasting writes it, from the env Vite would give it, plus the app's auth
      // route; `WebSocket` only because Node 20 has none.
      const env = {
        VITE_REVERB_APP_KEY: server.app.key,
        VITE_REVERB_HOST: '127.0.0.1',
        VITE_REVERB_PORT: String(server.port),
        VITE_REVERB_SCHEME: 'http',
      };
      const options: ReverbClientOptions = {
        ...echoJsConnection(env),
        channelAuthorization: { endpoint: `${auth.url}/broadcasting/auth`, headers: { 'X-User': '1' } },
        WebSocket,
      };
      const view = render(
        <ReverbProvider options={options}>
          <Orders />
        </ReverbProvider>,
      );
      const text = () => screen.getByTestId('orders').textContent;
      await waitFor(() => text() === 'subscribed:', 10_000, 'the private channel subscribed');
      await auth.pusher.trigger('private-App.Models.User.1', 'App\\Events\\OrderShipped', { id: 7 });
      await waitFor(() => text() === 'subscribed:7', 10_000, 'the event');
      expect(text()).toBe('subscribed:7');
      view.unmount();
    });
  });
});
