/**
 * Single session on one node (docs/protocol.md §11.2; the design and the race argument are in
 * packages/server/docs/single-session.md): sign-ins that carry a `session_id` are claimed in the
 * adapter's `sessions` state before `pusher:signin_success`, and this node closes its connections of a
 * user whose session was replaced, whichever node or HTTP call replaced it.
 *
 * A node hears which session is current from two places that race: its own claims' replies and the
 * `session_replaced` messages of other nodes' claims. It keeps, per user it holds, the newest current
 * session heard of (`NewestSessions`) and judges every connection against that, never against one
 * message (scaling/session-verdict.ts). "Holds" means a connection of the user signed in with a
 * session, or a claim pending: only then are messages about the user recorded, which keeps the record
 * as small as the node's own users.
 */
import { ErrorCode, errorMessageFor, SESSION_REPLACED } from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import type { Adapter, AdapterMessage } from '../scaling/adapter';
import {
  type ConnectionSession,
  type CurrentSession,
  claimVerdict,
  currentOf,
  NewestSessions,
  sessionVerdict,
} from '../scaling/session-verdict';
import type { ClaimResult } from '../scaling/sessions';
import type { ReverbEvents } from '../shared/hooks';
import type { Connection } from '../socket/connection';

type SessionReplacedMessage = Extract<AdapterMessage, { type: 'session_replaced' }>;

const NO_SESSION: ConnectionSession = { sessionId: undefined, order: undefined };

/** The order a connection is accepted with when the state could not say: any newer session closes it. */
const UNKNOWN_ORDER = 0;

export type Warn = (details: Record<string, unknown>, message: string) => void;

export class AppSessions {
  private readonly newest = new NewestSessions();
  /** Connections whose claim (or peek) is in flight → the user they sign in as. */
  private readonly pendingUser = new Map<Connection, string>();
  /** User → how many of its claims are in flight on this node. */
  private readonly pendingCount = new Map<string, number>();
  private warnedMissing = false;

  constructor(
    private readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly adapter: Adapter,
    /** The user's signed-in connections on this node. */
    private readonly connectionsOf: (userId: string) => ReadonlySet<Connection> | undefined,
    /** Reports a failure in the asynchronous part of a sign-in (never thrown). */
    private readonly onError: (error: unknown) => void,
  ) {}

  /** Users whose newest session this node records, plus users with a claim in flight (leak checks). */
  get trackedUsers(): number {
    let pendingOnly = 0;
    for (const userId of this.pendingCount.keys()) if (this.newest.get(userId) === undefined) pendingOnly++;
    return this.newest.size + pendingOnly;
  }

  /**
   * Why `conn` may not sign in with `sessionId` now, or undefined. One connection is one session: it
   * may sign in again (the same user, the same session) but not switch, and not while a claim of its
   * own is still in flight.
   */
  refusal(conn: Connection, sessionId: string | undefined): string | undefined {
    if (this.pendingUser.has(conn)) return 'A sign-in is already in progress on this connection';
    if (conn.userId !== undefined && conn.session?.sessionId !== sessionId) {
      return 'Already signed in with another session on this connection';
    }
    return undefined;
  }

  /**
   * Lets the sign-in through (`accept` sends `signin_success` and records it) when its session may sign
   * in: at once without a `session_id`; after the claim with `single_session`; after a peek without it
   * (a session ended by the HTTP API's `end_other_sessions` stays refused). A refused connection gets
   * the replaced event and the close 4010 instead, never `signin_success`.
   */
  admit(
    conn: Connection,
    userId: string,
    sessionId: string | undefined,
    accept: () => void,
    warn: Warn,
  ): void {
    if (sessionId === undefined) {
      if (this.app.singleSession && !this.warnedMissing) {
        this.warnedMissing = true;
        warn(
          { appId: this.app.id },
          'single_session is on but a sign-in has no user_data.session_id: such sign-ins neither replace nor are replaced (docs/protocol.md §11.2)',
        );
      }
      accept();
      return;
    }
    // Pending BEFORE the claim is sent: from now on this user's messages are recorded, so a session
    // made current by a claim Redis orders before ours cannot slip past (single-session.md).
    conn.session = { sessionId, order: undefined };
    this.pendingUser.set(conn, userId);
    this.pendingCount.set(userId, (this.pendingCount.get(userId) ?? 0) + 1);
    const decided = this.app.singleSession
      ? this.claim(conn, userId, sessionId, accept)
      : this.peek(conn, userId, sessionId, accept);
    decided.catch(this.onError).finally(() => this.forgetIfIdle(userId));
  }

  /** A `session_replaced` message (this node's or another's): closes the user's outdated connections. */
  apply(message: SessionReplacedMessage): void {
    const { userId, keepSessionId, order, closeSessionless = false } = message;
    const connections = this.connectionsOf(userId);
    const seen: CurrentSession = { sessionId: keepSessionId, order };
    // A user this node does not hold is not recorded: no connection to judge, no claim to race with.
    const newest = this.holds(userId) ? this.newest.observe(userId, seen) : seen;
    if (connections) this.judge(connections, newest, closeSessionless);
  }

  /** The connection is gone (closed by either side): it no longer holds its user here. */
  connectionGone(conn: Connection): void {
    const pendingFor = this.pendingUser.get(conn);
    if (pendingFor !== undefined) this.endPending(conn, pendingFor);
    const userId = pendingFor ?? conn.userId;
    if (userId !== undefined) this.forgetIfIdle(userId);
  }

  // ───────────── the two ways a session is checked ─────────────

  private async claim(
    conn: Connection,
    userId: string,
    sessionId: string,
    accept: () => void,
  ): Promise<void> {
    let result: ClaimResult | undefined;
    try {
      result = await this.adapter.sessions.claim(this.app.id, userId, sessionId, this.rememberMs);
    } catch {
      // Redis unreachable (already counted and logged by the adapter): let the user in without
      // enforcement. Order 0 is below every real order, so any later news of another session closes it.
    } finally {
      this.endPending(conn, userId);
    }
    if (!result) {
      this.decide(conn, UNKNOWN_ORDER, accept);
      return;
    }
    const newest = this.newest.observe(userId, currentOf(result));
    if (conn.open) {
      if (claimVerdict(sessionId, result, newest) === 'refuse') replace(conn);
      else this.decide(conn, result.order, accept);
    }
    // A message this node missed (its subscriber was down) shows here: judge the user's other connections.
    const connections = this.connectionsOf(userId);
    if (connections) this.judge(connections, newest, false);
    // Redis's fact, whether or not this connection is still there to be accepted.
    if (result.outcome === 'new') await this.announce(userId, sessionId, result);
  }

  /**
   * Without `single_session` sign-ins change nothing: only a session the HTTP API replaced is refused.
   * Its reply alone decides (a new device signing in after `end_other_sessions` is not an old one).
   */
  private async peek(conn: Connection, userId: string, sessionId: string, accept: () => void): Promise<void> {
    let outcome: 'current' | 'replaced' | 'unknown' = 'unknown';
    let order = UNKNOWN_ORDER;
    try {
      ({ outcome, order } = await this.adapter.sessions.peek(this.app.id, userId, sessionId));
    } catch {
      // As for a claim: in without enforcement.
    } finally {
      this.endPending(conn, userId);
    }
    if (!conn.open) return;
    if (outcome === 'replaced') replace(conn);
    else this.decide(conn, order, accept);
  }

  /** Accepts a connection whose claim answered, unless it went away meanwhile. */
  private decide(conn: Connection, order: number, accept: () => void): void {
    if (!conn.open || !conn.session) return;
    conn.session.order = order;
    accept();
  }

  /** Tells every node (this one included) which session is now current, and the app which one it replaced. */
  private async announce(userId: string, sessionId: string, result: ClaimResult): Promise<void> {
    const appId = this.app.id;
    if (result.previous !== undefined) {
      this.events.emit('session_replaced', {
        appId,
        userId,
        sessionId: result.previous,
        replacedBy: sessionId,
      });
    }
    await this.adapter.publish({
      type: 'session_replaced',
      appId,
      userId,
      keepSessionId: sessionId,
      order: result.order,
    });
  }

  // ───────────── bookkeeping ─────────────

  private judge(
    connections: ReadonlySet<Connection>,
    newest: CurrentSession,
    closeSessionless: boolean,
  ): void {
    for (const conn of [...connections]) {
      if (sessionVerdict(conn.session ?? NO_SESSION, newest, closeSessionless) === 'close') replace(conn);
    }
  }

  private get rememberMs(): number {
    return this.app.singleSessionMemory * 1000;
  }

  private endPending(conn: Connection, userId: string): void {
    if (!this.pendingUser.delete(conn)) return;
    const left = (this.pendingCount.get(userId) ?? 1) - 1;
    if (left > 0) this.pendingCount.set(userId, left);
    else this.pendingCount.delete(userId);
  }

  /** Whether this node has a reason to record the user's newest session. */
  private holds(userId: string): boolean {
    if (this.pendingCount.has(userId)) return true;
    for (const conn of this.connectionsOf(userId) ?? []) {
      if (conn.session !== undefined && conn.open) return true;
    }
    return false;
  }

  private forgetIfIdle(userId: string): void {
    if (!this.holds(userId)) this.newest.forget(userId);
  }
}

/** docs/protocol.md §11.2: the replaced event, then `pusher:error` 4010 and the close 4010. */
function replace(conn: Connection): void {
  if (conn.closing) return;
  conn.traffic.sessionClosures++;
  conn.sendMessage({ event: SESSION_REPLACED, data: {} });
  conn.close(ErrorCode.SessionReplaced, errorMessageFor(ErrorCode.SessionReplaced));
}
