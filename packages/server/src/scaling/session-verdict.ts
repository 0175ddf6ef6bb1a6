/**
 * What a node decides about its own connections under single session
 * (packages/server/docs/single-session.md).
 *
 * A node learns which session of a user is current from two places that race: the reply to its own
 * claim (on the Redis command connection) and the `session_replaced` message of another node's claim
 * (on the subscriber connection). Either may arrive first. So the node keeps, per user it holds, the
 * newest current session it has heard of ({@link NewestSessions}), and judges every connection against
 * that record, never against one message: a connection of another session whose order is lower is
 * replaced; a connection whose claim is still pending is judged when its reply arrives.
 */
import type { ClaimResult } from './sessions';

/** A session that is (or was, when a newer one is known) the user's current one, as of `order`. */
export interface CurrentSession {
  readonly sessionId: string;
  readonly order: number;
}

/**
 * A signed-in connection as single session sees it: `sessionId` undefined when it signed in without
 * one; `order` undefined while its claim is pending, else the order its claim returned.
 */
export interface ConnectionSession {
  readonly sessionId: string | undefined;
  readonly order: number | undefined;
}

/** `close`: replaced (send the event, close 4010); `wait`: decide when its claim returns. */
export type SessionVerdict = 'keep' | 'close' | 'wait';

/**
 * The decision table for one connection against the newest current session the node knows.
 * `closeSessionless` is set by the HTTP API's `end_other_sessions` only: connections that signed in
 * without a session are otherwise never judged (they neither replace nor are replaced).
 */
export function sessionVerdict(
  connection: ConnectionSession,
  newest: CurrentSession,
  closeSessionless = false,
): SessionVerdict {
  if (connection.sessionId === undefined) return closeSessionless ? 'close' : 'keep';
  if (connection.sessionId === newest.sessionId) return 'keep';
  if (connection.order === undefined) return 'wait';
  // Orders are unique per current session, so a different session never has an equal order.
  return connection.order < newest.order ? 'close' : 'keep';
}

/**
 * The decision for a connection whose claim just returned `result`, after the caller recorded what
 * the result says is current: `newest` is `NewestSessions.observe(userId, currentOf(result))`. A
 * `new` or `current` claim loses to a newer session heard of meanwhile (its message came first).
 */
export function claimVerdict(
  sessionId: string,
  result: ClaimResult,
  newest: CurrentSession,
): 'accept' | 'refuse' {
  if (result.outcome === 'replaced') return 'refuse';
  return sessionVerdict({ sessionId, order: result.order }, newest) === 'close' ? 'refuse' : 'accept';
}

/** The current session a claim's reply reports (for `NewestSessions.observe`). */
export function currentOf(result: ClaimResult): CurrentSession {
  return { sessionId: result.current, order: result.order };
}

/**
 * Per user, the newest current session this node has heard of. One per app. Bounded by the caller:
 * observe a user only while the node holds a connection of it (signed in with a session, or with a
 * claim pending), and `forget` the user when the last one goes; a message about a user the node does
 * not hold is dropped without observing (no connection to judge, no claim it could race with).
 */
export class NewestSessions {
  private readonly newest = new Map<string, CurrentSession>();

  /** Records `seen` unless a newer session is known; returns the newest. */
  observe(userId: string, seen: CurrentSession): CurrentSession {
    const known = this.newest.get(userId);
    if (known && known.order >= seen.order) return known;
    this.newest.set(userId, seen);
    return seen;
  }

  get(userId: string): CurrentSession | undefined {
    return this.newest.get(userId);
  }

  forget(userId: string): void {
    this.newest.delete(userId);
  }

  get size(): number {
    return this.newest.size;
  }
}
