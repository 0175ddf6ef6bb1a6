/**
 * The signed-in users of one app (`pusher:signin`): which connections are signed in as whom,
 * watchlists (who watches whom, `online`/`offline` events, §3.12), and terminating a user's
 * connections (§7.3). Who is signed in anywhere in the cluster is shared state (the adapter's `state`):
 * watchers everywhere hear `online` on a user's first connection anywhere and `offline` after its last.
 * Single session (docs/protocol.md §11.2), which decides whether a sign-in with a `session_id` gets
 * this far, is `sessions` (sessions.ts).
 */
import { encodeServerMessage, InternalEvent, Limits, type WatchlistEvent } from '@react-reverb/core/protocol';
import type { AppConfig } from '../config/config';
import type { Adapter } from '../scaling/adapter';
import type { ReverbEvents } from '../shared/hooks';
import { broadcastFrame } from '../socket/broadcast';
import type { Connection } from '../socket/connection';
import { AppSessions } from './sessions';

export class AppUsers {
  /** Signed-in users → their connections on this node. */
  private readonly users = new Map<string, Set<Connection>>();
  /** Watched user id → connections watching it. */
  private readonly watchers = new Map<string, Set<Connection>>();
  /** Single session: admits sign-ins with a `session_id`, closes replaced sessions. */
  readonly sessions: AppSessions;

  constructor(
    private readonly app: AppConfig,
    private readonly events: ReverbEvents,
    private readonly maxBufferedBytes: number,
    private readonly adapter: Adapter,
    /** Reports a failure in the asynchronous part of a sign-in or sign-out (never thrown). */
    private readonly onError: (error: unknown) => void,
  ) {
    this.sessions = new AppSessions(app, events, adapter, (userId) => this.users.get(userId), onError);
  }

  /** Signed-in users on this node. */
  get userCount(): number {
    return this.users.size;
  }

  /** Watched users with at least one watcher on this node. */
  get watchedCount(): number {
    return this.watchers.size;
  }

  /** Records a sign-in and starts its watchlist; returns false when the watchlist was cut to 100. */
  signIn(conn: Connection, userId: string, watchlist: readonly string[] | undefined): boolean {
    if (conn.userId !== userId) {
      conn.userId = userId;
      let connections = this.users.get(userId);
      if (!connections) {
        connections = new Set();
        this.users.set(userId, connections);
      }
      connections.add(conn);
      this.events.emit('user_signed_in', { appId: this.app.id, userId, socketId: conn.socketId });
      this.userOnline(userId).catch(this.onError);
    }
    if (!this.app.watchlist || watchlist === undefined) return true;
    this.unwatch(conn);
    const accepted = [...new Set(watchlist)].slice(0, Limits.MAX_WATCHLIST_SIZE);
    conn.watchlist = accepted;
    for (const watched of accepted) {
      let set = this.watchers.get(watched);
      if (!set) {
        set = new Set();
        this.watchers.set(watched, set);
      }
      set.add(conn);
    }
    this.sendWatchlistStatus(conn, accepted).catch(this.onError);
    return new Set(watchlist).size <= Limits.MAX_WATCHLIST_SIZE;
  }

  /** The connection is gone: it stops watching, and its user goes offline after its last connection. */
  signOut(conn: Connection): void {
    this.unwatch(conn);
    const userId = conn.userId;
    const connections = userId === undefined ? undefined : this.users.get(userId);
    if (userId !== undefined && connections?.delete(conn)) {
      if (connections.size === 0) this.users.delete(userId);
      this.userOffline(userId).catch(this.onError);
    }
    this.sessions.connectionGone(conn);
  }

  /** A user came online or went offline somewhere in the cluster: tells its watchers on this node. */
  notifyWatchers(userId: string, name: 'online' | 'offline'): void {
    const watching = this.watchers.get(userId);
    if (!watching || watching.size === 0) return;
    const frame = encodeServerMessage({
      event: InternalEvent.WatchlistEvents,
      data: { events: [{ name, user_ids: [userId] }] },
    });
    broadcastFrame(watching, frame, this.maxBufferedBytes);
  }

  /** §7.3: closes every connection signed in as the user, with 4009 (pusher-js won't reconnect). */
  terminate(userId: string): void {
    const connections = this.users.get(userId);
    if (!connections) return;
    for (const conn of [...connections]) conn.close(4009, 'Connection terminated by the application');
  }

  /** The current status of every watched user, signed in anywhere in the cluster (§3.12). */
  private async sendWatchlistStatus(conn: Connection, accepted: readonly string[]): Promise<void> {
    const signedIn = await this.adapter.state.onlineUsers(this.app.id, accepted);
    if (conn.closing || conn.watchlist !== accepted) return;
    const online = accepted.filter((id) => signedIn.has(id));
    const offline = accepted.filter((id) => !signedIn.has(id));
    const events: WatchlistEvent[] = [];
    if (online.length > 0) events.push({ name: 'online', user_ids: online });
    if (offline.length > 0) events.push({ name: 'offline', user_ids: offline });
    if (events.length > 0) conn.sendMessage({ event: InternalEvent.WatchlistEvents, data: { events } });
  }

  /** Watchers everywhere hear `online` when the user's first connection anywhere signs in. */
  private async userOnline(userId: string): Promise<void> {
    if ((await this.adapter.state.userOnline(this.app.id, userId)) !== 'first') return;
    await this.adapter.publish({ type: 'user_status', appId: this.app.id, userId, online: true });
  }

  /** …and `offline` after its last connection anywhere. */
  private async userOffline(userId: string): Promise<void> {
    if ((await this.adapter.state.userOffline(this.app.id, userId)) !== 'last') return;
    await this.adapter.publish({ type: 'user_status', appId: this.app.id, userId, online: false });
  }

  private unwatch(conn: Connection): void {
    for (const watched of conn.watchlist) {
      const set = this.watchers.get(watched);
      if (!set) continue;
      set.delete(conn);
      if (set.size === 0) this.watchers.delete(watched);
    }
    conn.watchlist = [];
  }
}
