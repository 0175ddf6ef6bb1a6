// echo-react's README examples, as they are, type-checked against react-reverb/echo (`pnpm check-types`),
// with its `Events` augmentation; and the runtime list of exports, against the real package's.
import * as echoReact from '@laravel/echo-react';
import { cleanup, renderHook } from '@testing-library/react';
import type { ReactNode } from 'react';
import * as ours from 'react-reverb/echo';
import {
  configureEcho,
  type EchoPresenceChannel,
  type EchoPrivateChannel,
  type InferEventPayload,
  useEcho,
  useEchoModel,
  useEchoPresence,
  useEchoPublic,
} from 'react-reverb/echo';
import { createMockClient, MockReverbProvider } from 'react-reverb/testing';
import { afterEach, describe, expect, expectTypeOf, it } from 'vitest';

declare global {
  interface Events {
    OrderShipmentStatusUpdated: { order: { id: number; status: string } };
  }
}

afterEach(() => cleanup());

describe('react-reverb/echo exports', () => {
  it('every export of @laravel/echo-react 2.5.0, under the same name and kind', () => {
    const theirs = Object.keys(echoReact).sort();
    expect(theirs.length).toBeGreaterThan(10);
    for (const name of theirs) {
      expect(typeof (ours as Record<string, unknown>)[name], name).toBe(
        typeof (echoReact as Record<string, unknown>)[name],
      );
    }
  });
});

describe("echo-react's README examples type-check and run", () => {
  const wrapper = ({ children }: { children: ReactNode }) => (
    <MockReverbProvider client={createMockClient()}>{children}</MockReverbProvider>
  );

  it('infers payloads from the Events augmentation, or takes them explicitly', () => {
    const orderId = 1;
    type OrderData = { order: { id: number; user: { id: number; name: string }; created_at: string } };
    const { result } = renderHook(
      () => {
        const inferred = useEcho(`orders.${orderId}`, 'OrderShipmentStatusUpdated', (e) => {
          expectTypeOf(e.order.status).toEqualTypeOf<string>();
        });
        useEcho(`orders.${orderId}`, ['OrderShipmentStatusUpdated', 'OrderShipmentStatusUpdated'], (e) => {
          expectTypeOf(e.order.id).toEqualTypeOf<number>();
        });
        useEcho<OrderData>(`orders.${orderId}`, 'OrderShipmentStatusUpdated', (e) => {
          expectTypeOf(e.order.user.name).toEqualTypeOf<string>();
        });
        useEchoPublic('posts', 'PostPublished', (e) => {
          expectTypeOf(e).toEqualTypeOf<unknown>();
        });
        const presence = useEchoPresence('posts', 'PostPublished', () => {});
        useEchoModel('App.Models.User', 1, ['UserCreated', 'UserUpdated'], (e) => {
          expectTypeOf(e.afterCommit).toEqualTypeOf<boolean>();
        });
        return { inferred, presence };
      },
      { wrapper },
    );
    const { leaveChannel, leave, stopListening, listen, channel } = result.current.inferred;
    expectTypeOf(channel()).toEqualTypeOf<EchoPrivateChannel | null>();
    expectTypeOf(result.current.presence.channel()).toEqualTypeOf<EchoPresenceChannel | null>();
    expectTypeOf<InferEventPayload<'Unknown'>>().toEqualTypeOf<unknown>();
    stopListening();
    listen();
    leaveChannel();
    leave();
    expect(channel()).toBeNull();
  });
});

describe("configureEcho's options type-check as resources/js/echo.js writes them", () => {
  it("the core's options (Echo's names included), with echo-react's looser key and its broadcasters", () => {
    // Written out rather than test-helpers' echoJsConnection: tsc checks the literal as an app writes it.
    // Vite's env, as an app without vite-env.d.ts has it.
    const env: Record<string, string | undefined> = {};
    // Checked by tsc, never called.
    const app = () => {
      configureEcho({ broadcaster: 'reverb' });
      configureEcho({
        broadcaster: 'reverb',
        key: env.VITE_REVERB_APP_KEY,
        wsHost: env.VITE_REVERB_HOST,
        wsPort: env.VITE_REVERB_PORT ?? 80,
        wssPort: env.VITE_REVERB_PORT ?? 443,
        forceTLS: (env.VITE_REVERB_SCHEME ?? 'https') === 'https',
        enabledTransports: ['ws', 'wss'],
        bearerToken: null,
        channelAuthorization: {
          endpoint: '/api/broadcasting/auth',
          customHandler: ({ socketId, channelName }, callback) =>
            callback(null, { auth: `${socketId}:${channelName}` }),
        },
      });
      configureEcho({ broadcaster: 'pusher', key: null, cluster: 'eu', Pusher: class {} });
      configureEcho({ broadcaster: 'ably' });
      // @ts-expect-error a port is a number or a numeric string
      configureEcho({ broadcaster: 'reverb', wsPort: true });
    };
    expectTypeOf(app).toBeFunction();
  });
});
