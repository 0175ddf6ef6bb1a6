import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  readonly id: string;
  readonly userId: string;
  readonly createdAt: number;
}

/**
 * The session's identity on the socket (`session_id` in `user_data`, docs/protocol.md §11.2): Laravel's
 * `hash('sha256', $request->session()->getId())`. The id itself is the cookie's value and must never
 * reach the browser's JavaScript; its hash cannot be turned back into it.
 */
export function socketSessionId(session: Session): string {
  return createHash('sha256').update(session.id).digest('hex');
}

/**
 * Sessions in memory, at most one per user: starting a session ends the user's previous one
 * (single-session login). Lost on restart; a Laravel app would keep them in its session store.
 */
export class SessionStore {
  private readonly byId = new Map<string, Session>();
  private readonly byUser = new Map<string, string>();

  /** Starts a session for `userId`; returns it and the session it replaced, if any. */
  start(userId: string): { session: Session; replaced: Session | undefined } {
    const previousId = this.byUser.get(userId);
    const replaced = previousId ? this.byId.get(previousId) : undefined;
    if (previousId) this.byId.delete(previousId);
    const session: Session = { id: randomBytes(32).toString('base64url'), userId, createdAt: Date.now() };
    this.byId.set(session.id, session);
    this.byUser.set(userId, session.id);
    return { session, replaced };
  }

  get(id: string | undefined): Session | undefined {
    return id ? this.byId.get(id) : undefined;
  }

  end(id: string): void {
    const session = this.byId.get(id);
    if (!session) return;
    this.byId.delete(id);
    if (this.byUser.get(session.userId) === id) this.byUser.delete(session.userId);
  }

  /** Users with a live session (who the backend timer notifies). */
  activeUserIds(): string[] {
    return [...this.byUser.keys()];
  }
}
