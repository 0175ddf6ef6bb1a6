/**
 * Single session (docs/protocol.md §11.2, packages/server/docs/single-session.md): per app and user, the
 * current session and the recently replaced ones. A sign-in with a `session_id` claims it; the state
 * answers whether it is a tab or reconnect of the current session, a session replaced earlier (refused),
 * or a new one, which becomes current with a cluster-wide order number.
 *
 * `MemorySessionState` serves one node (the LocalAdapter); `RedisSessionState` (redis-sessions.ts) the
 * cluster. Both pass tests/scaling/sessions-contract.test.ts.
 *
 * Memory is bounded: a user's record (current session and replaced ones) is forgotten `rememberMs`
 * after the last claim of its current session, each replaced session `rememberMs` after it was
 * replaced, and at most {@link MAX_REPLACED_SESSIONS} replaced sessions are kept per user (the oldest
 * go first).
 */

/** Replaced sessions remembered per user: a returning device beyond these is not refused. */
export const MAX_REPLACED_SESSIONS = 32;

/**
 * - `current`: the session is the user's current one (another tab, a reconnect); nothing changes.
 * - `replaced`: the session was replaced earlier; the sign-in is refused and nothing changes.
 * - `new`: the session became current; the previous one, if any, is now replaced.
 */
export type ClaimOutcome = 'current' | 'replaced' | 'new';

export interface ClaimResult {
  readonly outcome: ClaimOutcome;
  /** The order of the session that is current after the claim: higher is newer, cluster-wide. */
  readonly order: number;
  /** The session that is current after the claim: the claimed one unless `outcome` is `replaced`. */
  readonly current: string;
  /** `new` only: the session this claim replaced (for the webhook); absent when the user had none. */
  readonly previous?: string;
}

export interface EndOthersResult {
  /** The order of the kept session, now current. */
  readonly order: number;
  /** The sessions this call replaced (for the webhook); empty when the kept one was current already. */
  readonly replaced: readonly string[];
}

/**
 * What a sign-in would be, without claiming (apps that end sessions through the HTTP API without
 * `single_session`): `order` is the session's order when it is current, else 0.
 */
export interface PeekResult {
  readonly outcome: 'current' | 'replaced' | 'unknown';
  readonly order: number;
}

export interface SessionState {
  /** A sign-in of `userId` with `sessionId`; see {@link ClaimOutcome}. */
  claim(appId: string, userId: string, sessionId: string, rememberMs: number): Promise<ClaimResult>;
  /**
   * The HTTP API's `end_other_sessions`: `keepSessionId` becomes current, even if it was never seen
   * or was replaced before, and the current session, if another one, is replaced.
   */
  endOthers(
    appId: string,
    userId: string,
    keepSessionId: string,
    rememberMs: number,
  ): Promise<EndOthersResult>;
  /** Whether `sessionId` is current or replaced; changes nothing (not even the memory's expiry). */
  peek(appId: string, userId: string, sessionId: string): Promise<PeekResult>;
}

/** A setting error, not a runtime condition: the configuration checks `single_session_memory`. */
export function checkRememberMs(rememberMs: number): void {
  if (!Number.isSafeInteger(rememberMs) || rememberMs <= 0) {
    throw new RangeError(`rememberMs must be a positive integer number of milliseconds, got ${rememberMs}`);
  }
}

interface UserSessions {
  current: string;
  order: number;
  /** The whole record is forgotten then, unless the current session is claimed again. */
  expiresAtMs: number;
  /** Replaced session → when it is forgotten; in the order they were replaced, oldest first. */
  readonly replaced: Map<string, number>;
}

/**
 * One node. The clock is injected so tests can move time. Records live in one map per app, in the
 * order they were last written, so the ones to forget are always at the front: each call drops the
 * expired front entries (amortized O(1), no timer).
 */
export class MemorySessionState implements SessionState {
  private readonly apps = new Map<string, Map<string, UserSessions>>();
  private lastOrder = 0;

  constructor(private readonly now: () => number = Date.now) {}

  async claim(appId: string, userId: string, sessionId: string, rememberMs: number): Promise<ClaimResult> {
    checkRememberMs(rememberMs);
    const now = this.now();
    const users = this.usersOf(appId, now);
    const user = this.read(users, userId, now);
    if (user?.current === sessionId) {
      this.keep(users, userId, user, now + rememberMs);
      return { outcome: 'current', order: user.order, current: sessionId };
    }
    if (user?.replaced.has(sessionId)) {
      return { outcome: 'replaced', order: user.order, current: user.current };
    }
    const previous = user?.current;
    const order = this.makeCurrent(users, userId, user, sessionId, now, rememberMs);
    return previous === undefined
      ? { outcome: 'new', order, current: sessionId }
      : { outcome: 'new', order, current: sessionId, previous };
  }

  async endOthers(
    appId: string,
    userId: string,
    keepSessionId: string,
    rememberMs: number,
  ): Promise<EndOthersResult> {
    checkRememberMs(rememberMs);
    const now = this.now();
    const users = this.usersOf(appId, now);
    const user = this.read(users, userId, now);
    if (user?.current === keepSessionId) {
      this.keep(users, userId, user, now + rememberMs);
      return { order: user.order, replaced: [] };
    }
    user?.replaced.delete(keepSessionId);
    const previous = user?.current;
    const order = this.makeCurrent(users, userId, user, keepSessionId, now, rememberMs);
    return { order, replaced: previous === undefined ? [] : [previous] };
  }

  async peek(appId: string, userId: string, sessionId: string): Promise<PeekResult> {
    const now = this.now();
    const user = this.read(this.usersOf(appId, now), userId, now);
    if (user?.current === sessionId) return { outcome: 'current', order: user.order };
    if (user?.replaced.has(sessionId)) return { outcome: 'replaced', order: 0 };
    return { outcome: 'unknown', order: 0 };
  }

  /** Users remembered over every app (for tests and metrics: shows the memory bound at work). */
  get userCount(): number {
    let count = 0;
    for (const users of this.apps.values()) count += users.size;
    return count;
  }

  private usersOf(appId: string, now: number): Map<string, UserSessions> {
    let users = this.apps.get(appId);
    if (!users) {
      users = new Map();
      this.apps.set(appId, users);
    }
    for (const [userId, user] of users) {
      if (user.expiresAtMs > now) break;
      users.delete(userId);
    }
    return users;
  }

  /** The user's live record with its expired replaced sessions dropped, or undefined. */
  private read(users: Map<string, UserSessions>, userId: string, now: number): UserSessions | undefined {
    const user = users.get(userId);
    if (!user) return undefined;
    // With a varying rememberMs the front sweep may stop early: check this one exactly.
    if (user.expiresAtMs <= now) {
      users.delete(userId);
      return undefined;
    }
    for (const [sessionId, forgetAtMs] of user.replaced) {
      if (forgetAtMs <= now) user.replaced.delete(sessionId);
    }
    return user;
  }

  private makeCurrent(
    users: Map<string, UserSessions>,
    userId: string,
    user: UserSessions | undefined,
    sessionId: string,
    now: number,
    rememberMs: number,
  ): number {
    const order = ++this.lastOrder;
    if (!user) {
      const fresh: UserSessions = { current: sessionId, order, expiresAtMs: 0, replaced: new Map() };
      this.keep(users, userId, fresh, now + rememberMs);
      return order;
    }
    user.replaced.set(user.current, now + rememberMs);
    for (const sessionId of user.replaced.keys()) {
      if (user.replaced.size <= MAX_REPLACED_SESSIONS) break;
      user.replaced.delete(sessionId);
    }
    user.current = sessionId;
    user.order = order;
    this.keep(users, userId, user, now + rememberMs);
    return order;
  }

  /** Moves the record to the back (the newest write) with its new expiry. */
  private keep(
    users: Map<string, UserSessions>,
    userId: string,
    user: UserSessions,
    expiresAtMs: number,
  ): void {
    user.expiresAtMs = expiresAtMs;
    users.delete(userId);
    users.set(userId, user);
  }
}
