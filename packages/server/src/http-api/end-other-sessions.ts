/**
 * `POST /apps/{id}/users/{user_id}/end_other_sessions` (docs/protocol.md §11.2, ours): the app ends
 * every session of a user but one, e.g. on Laravel's `logoutOtherDevices`. Body `{"session_id": S}`.
 * S becomes the user's current session, whether or not it was seen or replaced before; the session that
 * was current is replaced (a device returning with it is refused); every connection of the user with
 * another session, or with none, is closed with the replaced event and 4010, on every node. Works
 * whether or not the app has `single_session` on.
 */
import { Limits } from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import type { Adapter } from '../scaling/adapter';
import type { EndOthersResult } from '../scaling/sessions';
import { HttpError } from '../shared/errors';
import type { ReverbEvents } from '../shared/hooks';
import { isRecord } from '../shared/is-record';

const SESSION_ID_RULE = `session_id must be a string of 1 to ${Limits.MAX_SESSION_ID_LENGTH} characters`;

/** The body's `session_id`, or a 400 naming it. */
export function readKeptSessionId(body: string): string {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch {
    throw new HttpError(400, `Invalid JSON body: expected {"session_id": "..."}`);
  }
  if (!isRecord(value)) throw new HttpError(400, `Invalid body: expected {"session_id": "..."}`);
  const sessionId = value.session_id;
  if (sessionId === undefined) throw new HttpError(400, `Missing session_id: ${SESSION_ID_RULE}`);
  if (typeof sessionId !== 'string' || sessionId === '' || sessionId.length > Limits.MAX_SESSION_ID_LENGTH) {
    throw new HttpError(400, `Invalid session_id: ${SESSION_ID_RULE}`);
  }
  return sessionId;
}

export async function endOtherSessions(
  app: AppConfig,
  userId: string,
  body: string,
  adapter: Adapter,
  events: ReverbEvents,
): Promise<Record<string, never>> {
  if (userId === '') throw new HttpError(400, 'Missing user id');
  const keep = readKeptSessionId(body);
  let result: EndOthersResult;
  try {
    result = await adapter.sessions.endOthers(app.id, userId, keep, app.singleSessionMemory * 1000);
  } catch {
    // Already counted and logged by the adapter (Redis unreachable); nothing was ended.
    throw new HttpError(503, 'Session state unavailable (Redis): no session was ended, try again');
  }
  await adapter.publish({
    type: 'session_replaced',
    appId: app.id,
    userId,
    keepSessionId: keep,
    order: result.order,
    closeSessionless: true,
  });
  for (const replaced of result.replaced) {
    events.emit('session_replaced', { appId: app.id, userId, sessionId: replaced, replacedBy: keep });
  }
  return {};
}
