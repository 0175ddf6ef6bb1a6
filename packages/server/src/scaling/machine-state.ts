/**
 * The shared state of one machine running `reverb start --workers N`, kept by the primary process
 * (docs/architecture.md §6.4): the machine's `MemoryClusterState`, exactly what one node keeps, plus
 * each worker's share of it in a `MemoryClusterState` of its own, the way a Redis node keeps its own
 * record. Every change a worker asks for is applied to both; when a worker dies, its share is taken
 * out of the machine's state at once and `purge` says what that ended: the members and signed-in users
 * only it held, and the channels whose subscription count changed.
 */
import type { UserInfo } from '@react-reverb/core/protocol';
import {
  type CachedEvent,
  type ClusterState,
  type JoinOutcome,
  type LeaveOutcome,
  MemoryClusterState,
  ONLINE_SET,
  type PresenceMembers,
} from './cluster-state';

/** A membership (presence member, signed-in user, or any other set) that ended with a purge. */
export interface EndedMembership {
  readonly appId: string;
  /** A presence channel, {@link ONLINE_SET}, or another set name (webhook occupancy). */
  readonly set: string;
  readonly userId: string;
}

export interface PurgeResult {
  readonly ended: readonly EndedMembership[];
  /** Channels the worker had subscriptions on, with the machine's count after the purge. */
  readonly counts: ReadonlyArray<{
    readonly appId: string;
    readonly channel: string;
    readonly total: number;
  }>;
}

export class MachineState {
  /** The whole machine's state: what every answer is read from. */
  readonly machine: MemoryClusterState;
  private readonly shares = new Map<number, MemoryClusterState>();

  constructor(private readonly now: () => number = Date.now) {
    this.machine = new MemoryClusterState(now);
  }

  /** The `ClusterState` worker `workerId` talks to: machine-wide answers, changes recorded in its share. */
  forWorker(workerId: number): ClusterState {
    let share = this.shares.get(workerId);
    if (!share) {
      share = new MemoryClusterState(this.now);
      this.shares.set(workerId, share);
    }
    return new WorkerView(this.machine, share);
  }

  /** Takes a dead worker's share out of the machine's state. */
  purge(workerId: number): PurgeResult {
    const share = this.shares.get(workerId);
    this.shares.delete(workerId);
    if (!share) return { ended: [], counts: [] };
    const { machine } = this;
    const ended: EndedMembership[] = [];
    for (const { appId, set, userId, connections } of share.memberships()) {
      for (let i = 0; i < connections; i++) {
        if (machine.leaveSync(appId, set, userId) === 'last') ended.push({ appId, set, userId });
      }
    }
    for (const [appId, count] of share.connectionCounts()) {
      for (let i = 0; i < count; i++) machine.releaseSync(appId);
    }
    const counts: { appId: string; channel: string; total: number }[] = [];
    for (const appId of share.subscribedApps()) {
      for (const [channel, count] of share.subscriptionCounts(appId)) {
        let total = 0;
        for (let i = 0; i < count; i++) total = machine.countSubscriptionSync(appId, channel, -1);
        counts.push({ appId, channel, total });
      }
    }
    return { ended, counts };
  }
}

/**
 * One worker's view: the outcome is the machine's (first connection anywhere on the machine, last one
 * gone), and the worker's share records what it holds so a purge can take exactly that out.
 */
class WorkerView implements ClusterState {
  constructor(
    private readonly machine: MemoryClusterState,
    private readonly share: MemoryClusterState,
  ) {}

  async joinPresence(
    appId: string,
    channel: string,
    userId: string,
    info: UserInfo | undefined,
    maxMembers: number | null,
  ): Promise<JoinOutcome> {
    return this.join(appId, channel, userId, info, maxMembers);
  }

  async leavePresence(appId: string, channel: string, userId: string): Promise<LeaveOutcome> {
    return this.leave(appId, channel, userId);
  }

  async presenceMembers(appId: string, channel: string): Promise<PresenceMembers> {
    return this.machine.membersSync(appId, channel);
  }

  async userOnline(appId: string, userId: string): Promise<'first' | 'again'> {
    return this.join(appId, ONLINE_SET, userId, undefined, null) === 'first' ? 'first' : 'again';
  }

  async userOffline(appId: string, userId: string): Promise<LeaveOutcome> {
    return this.leave(appId, ONLINE_SET, userId);
  }

  async onlineUsers(appId: string, userIds: readonly string[]): Promise<Set<string>> {
    return this.machine.onlineUsers(appId, userIds);
  }

  async reserveConnection(appId: string, max: number | null): Promise<boolean> {
    if (!this.machine.reserveSync(appId, max)) return false;
    this.share.reserveSync(appId, null);
    return true;
  }

  async releaseConnection(appId: string): Promise<void> {
    // Never below what this worker holds: a release it did not reserve would free another's slot.
    if (this.share.connectionCount(appId) === 0) return;
    this.share.releaseSync(appId);
    this.machine.releaseSync(appId);
  }

  async openConnections(appId: string): Promise<number> {
    return this.machine.connectionCount(appId);
  }

  async cachedEvent(appId: string, channel: string): Promise<CachedEvent | null> {
    return this.machine.cachedEventSync(appId, channel);
  }

  async countSubscription(appId: string, channel: string, delta: 1 | -1): Promise<number> {
    const own = this.share.subscriptionCounts(appId).get(channel) ?? 0;
    if (delta === -1 && own === 0) return this.machine.subscriptionCounts(appId).get(channel) ?? 0;
    this.share.countSubscriptionSync(appId, channel, delta);
    return this.machine.countSubscriptionSync(appId, channel, delta);
  }

  private join(
    appId: string,
    set: string,
    userId: string,
    info: UserInfo | undefined,
    max: number | null,
  ): JoinOutcome {
    const outcome = this.machine.joinSync(appId, set, userId, info, max);
    if (outcome !== 'full') this.share.joinSync(appId, set, userId, info, null);
    return outcome;
  }

  private leave(appId: string, set: string, userId: string): LeaveOutcome {
    // A leave without a join here (a join the machine refused as full) changes nothing.
    if (!this.share.has(appId, set, userId)) return 'remaining';
    this.share.leaveSync(appId, set, userId);
    return this.machine.leaveSync(appId, set, userId);
  }
}
