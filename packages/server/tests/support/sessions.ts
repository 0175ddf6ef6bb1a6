/**
 * Single session (docs/protocol.md §11.2) as the tests drive it: sign-ins that carry a signed
 * `session_id`, pusher-js clients whose user-auth endpoint signs one, and what a replaced connection
 * must have received.
 */
import { DEMO_APP_CONFIG, waitFor } from '@react-reverb/test-helpers';
import Pusher from 'pusher-js';
import { expect } from 'vitest';
import { type AppBackend, bearer, SESSION_HEADER } from './app-backend';
import { type SigningTarget, sdkFor } from './auth';
import { pusherJsOptions } from './pusher-js-clients';
import type { ReceivedFrames } from './raw-client';
import type { Target } from './target';

/** The demo app with single session on. */
export const SINGLE_SESSION_APP = { ...DEMO_APP_CONFIG, single_session: true } as const;

/** The literal frames of §11.2 a replaced connection gets, in this order, before the close 4010. */
export const REPLACED_FRAME = '{"event":"reverb:session_replaced","data":"{}"}';
export const REPLACED_ERROR_FRAME =
  '{"event":"pusher:error","data":{"code":4010,"message":"Session replaced by a newer sign-in"}}';
export const REPLACED_REASON = 'Session replaced by a newer sign-in';

/** Sends a correctly signed `pusher:signin` as `userId`, with `sessionId` when given. */
export function sendSignin(
  t: SigningTarget,
  c: ReceivedFrames,
  userId: string,
  sessionId?: string,
  extra: Record<string, unknown> = {},
): void {
  const user = { id: userId, ...extra, ...(sessionId === undefined ? {} : { session_id: sessionId }) };
  c.send({ event: 'pusher:signin', data: sdkFor(t).authenticateUser(c.socketId, user) });
}

/** Signs in with a session and waits for `pusher:signin_success`. */
export async function signInSession(
  t: SigningTarget,
  c: ReceivedFrames,
  userId: string,
  sessionId?: string,
): Promise<void> {
  sendSignin(t, c, userId, sessionId);
  await c.nextEvent('pusher:signin_success');
}

/** Waits for the close and checks it is §11.2's: the event, `pusher:error` 4010, then the close 4010. */
export async function expectReplaced(c: ReceivedFrames, timeoutMs = 8000): Promise<void> {
  const closed = await c.closed(timeoutMs);
  expect(closed).toEqual({ code: 4010, reason: REPLACED_REASON });
  expect(c.raw.slice(-2)).toEqual([REPLACED_FRAME, REPLACED_ERROR_FRAME]);
}

/** Whether `c` got `pusher:signin_success` and is still open. */
export function signedInAndOpen(c: ReceivedFrames): boolean {
  return c.closeCode === undefined && c.all('pusher:signin_success').length > 0;
}

/**
 * A pusher-js client as a browser tab of the browser session `session` would be: the app's user-auth
 * endpoint signs `session_id` for it. Still connecting; `disconnect()` it after the test.
 */
export function pusherJsInSession(
  target: Target,
  backend: AppBackend,
  userId: string,
  session: string,
): Pusher {
  const options = pusherJsOptions(target, backend, userId);
  return new Pusher(target.app.key, {
    ...options,
    userAuthentication: {
      endpoint: backend.userAuthEndpoint,
      transport: 'ajax',
      headers: { ...bearer(userId), [SESSION_HEADER]: session },
    },
  });
}

/** Every message pusher-js received (its connection's `message` events), event names in order. */
export function recordMessages(client: Pusher): { event: string; data: unknown }[] {
  const messages: { event: string; data: unknown }[] = [];
  client.connection.bind('message', (message: { event: string; data: unknown }) => messages.push(message));
  return messages;
}

/** Waits until `check` holds, then checks it still holds after `quietMs` (nothing late undoes it). */
export async function settles(check: () => boolean, what: string, quietMs = 400, timeoutMs = 10_000) {
  await waitFor(check, timeoutMs, what);
  await new Promise((resolve) => setTimeout(resolve, quietMs));
  expect(check(), `${what}, still ${quietMs} ms later`).toBe(true);
}
