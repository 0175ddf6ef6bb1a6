/**
 * Liveness of the cluster's nodes, and resynchronization after Redis trouble
 * (packages/server/docs/scaling.md).
 *
 * Every `heartbeatMs` (2 s) a node records itself in the `nodes` sorted set on the Redis clock; a node
 * silent for `missedHeartbeats` (3) intervals is dead. The first node to notice purges it atomically
 * and sends `member_removed` (and watchlist `offline`) for the users only it held. Bound: a SIGKILLed
 * node's members and counts leave every node within heartbeatMs × (missedHeartbeats + 1) = 8 s (last
 * heartbeat up to one interval before the kill, plus the dead-after window, detected at the next
 * heartbeat of a survivor) plus one Redis round trip.
 *
 * The first heartbeat after a lost connection, a failed write, or finding itself unlisted
 * resynchronizes: Redis is made to agree with the node's record (RESYNC script), and members that
 * joined or left cluster-wide meanwhile are announced to the other nodes. If Redis restarted empty (new
 * epoch), the record is written back silently: what changed during the outage is not announced (their
 * clients may keep a member that left meanwhile until they resubscribe).
 */
import { randomUUID } from 'node:crypto';
import type { UserInfo } from '@react-reverb/core/protocol';
import { type AdapterMessage, membershipMessage } from './adapter';
import type { keyNames } from './cluster-messages';
import { type MemoryClusterState, ONLINE_SET } from './cluster-state';
import type { AdapterLogger, RedisLink } from './redis-connection';
import { HEARTBEAT, PURGE, RESYNC, runScript } from './redis-scripts';

export const DEFAULT_HEARTBEAT_MS = 2_000;
export const DEFAULT_MISSED_HEARTBEATS = 3;

export interface RedisLivenessOptions {
  readonly nodeId: string;
  /** The app ids this node serves: their counts are written back on a resync. */
  readonly apps: readonly string[];
  readonly link: RedisLink;
  readonly keys: ReturnType<typeof keyNames>;
  /** This node's own record of members and counts (redis-cluster-state.ts). */
  readonly local: MemoryClusterState;
  readonly logger: AdapterLogger;
  readonly heartbeatMs: number;
  readonly missedHeartbeats: number;
  /** Delivers to this node's sockets and every other node's. */
  readonly publish: (message: AdapterMessage) => Promise<void>;
  /** Delivers to the other nodes only. */
  readonly publishRemote: (message: AdapterMessage) => Promise<void>;
  /** This node purged a dead node. */
  readonly peerDown: (nodeId: string) => void;
  /** A member of a dead node left its presence channel (this node sent `member_removed`). */
  readonly memberPurged: (removed: { appId: string; channel: string; userId: string }) => void;
}

export class RedisLiveness {
  private livePeers = new Set<string>();
  private readonly deadAfterMs: number;
  private readonly timer: NodeJS.Timeout;
  private heartbeating = false;
  private stopped = false;
  /** The current Redis lifetime's random id: a new one means Redis restarted empty. */
  private epoch: string | undefined;

  constructor(private readonly options: RedisLivenessOptions) {
    this.deadAfterMs = options.heartbeatMs * options.missedHeartbeats;
    this.timer = setInterval(() => void this.heartbeat(), options.heartbeatMs);
    this.timer.unref();
  }

  /** Live nodes other than this one, as of the last heartbeat. */
  get peers(): ReadonlySet<string> {
    return this.livePeers;
  }

  /** Records this node alive; resynchronizes when needed and purges the nodes found dead. */
  async heartbeat(): Promise<void> {
    const { link, keys, nodeId } = this.options;
    if (this.heartbeating || this.stopped || !link.ready) return;
    this.heartbeating = true;
    try {
      const reply = await runScript(
        link.pub,
        HEARTBEAT,
        [keys.nodes, keys.epoch],
        [nodeId, this.deadAfterMs, randomUUID()],
      );
      const [added, dead, live, epoch] = parseHeartbeat(reply);
      // A new epoch: Redis restarted empty, and the other nodes' clients already know our members.
      const redisRestarted = this.epoch !== undefined && epoch !== this.epoch;
      this.epoch = epoch;
      if (added || link.needsResync) {
        link.needsResync = false;
        await this.resync(!redisRestarted);
      }
      this.livePeers = new Set(live.filter((id) => id !== nodeId));
      for (const deadNode of dead) if (deadNode !== nodeId) await this.purge(deadNode);
    } catch (error) {
      link.needsResync = true;
      link.fail('heartbeat', error);
    } finally {
      this.heartbeating = false;
    }
  }

  /** Redis is unreachable: no node counts as a peer until the next heartbeat. */
  forgetPeers(): void {
    this.livePeers = new Set();
  }

  /** Stops the heartbeat. */
  stop(): void {
    this.stopped = true;
    clearInterval(this.timer);
  }

  /**
   * Purges a node known to be dead without waiting for its heartbeats to lapse (the primary of
   * `--workers N` saw the worker exit). Does nothing when another node purged it first.
   */
  async purgeDead(nodeId: string): Promise<void> {
    if (nodeId === this.options.nodeId || this.stopped || !this.options.link.ready) return;
    try {
      await this.purge(nodeId);
    } catch (error) {
      this.options.link.fail('purging a dead node', error);
    }
  }

  /** Leaves the cluster cleanly: members only this node held are removed everywhere, with member_removed. */
  async leave(): Promise<void> {
    await this.purge(this.options.nodeId);
  }

  /**
   * Makes Redis agree with this node's own record: after Redis restarted empty, after this node was
   * declared dead while alive, or after a state write failed during an outage. Members that joined or
   * left cluster-wide meanwhile are announced to the other nodes (ours already heard it locally).
   */
  private async resync(announce: boolean): Promise<void> {
    const { link, keys, nodeId, local, logger } = this.options;
    const args: string[] = [nodeId, keys.countersHead];
    const infos = new Map<string, UserInfo | undefined>();
    for (const m of local.memberships()) {
      const key = keys.membership(m.appId, m.set);
      args.push(key, m.userId, m.info === undefined ? '' : JSON.stringify(m.info));
      infos.set(`${key}\u0000${m.userId}`, m.info);
    }
    const reply = await runScript(link.pub, RESYNC, [keys.nodeIndex(nodeId), keys.seq], args);
    await this.resyncCounters();
    const [removed, added] = Array.isArray(reply) ? (reply as unknown[]).map(strings) : [[], []];
    if (!announce) {
      logger.info('Redis restarted empty: wrote this node’s presence and counts back');
      return;
    }
    for (const [key, userId] of pairs(removed ?? []))
      await this.announce(key, userId, false, undefined, false);
    for (const [key, userId] of pairs(added ?? [])) {
      await this.announce(key, userId, true, infos.get(`${key}\u0000${userId}`), false);
    }
    logger.info(
      { left: (removed?.length ?? 0) / 2, joined: (added?.length ?? 0) / 2 },
      'resynchronized this node’s presence and counts with Redis',
    );
  }

  /** Writes this node's connection and subscription counts; drops counts of channels it has left. */
  private async resyncCounters(): Promise<void> {
    const { link, keys, nodeId, local, apps } = this.options;
    const index = keys.nodeIndex(nodeId);
    const counts = new Map<string, number>();
    for (const appId of apps) {
      counts.set(keys.connections(appId), local.connectionCount(appId));
      for (const [channel, count] of local.subscriptionCounts(appId)) {
        counts.set(keys.subscriptions(appId, channel), count);
      }
    }
    // Channels this node counted before the outage but no longer has.
    for (const key of await link.pub.hkeys(index)) {
      if (key.startsWith(keys.subscriptionsHead) && !counts.has(key)) counts.set(key, 0);
    }
    const pipeline = link.pub.pipeline();
    for (const [key, count] of counts) {
      if (count > 0) pipeline.hset(key, nodeId, count).hset(index, key, 1);
      else pipeline.hdel(key, nodeId).hdel(index, key);
    }
    await pipeline.exec();
  }

  /** Tells the nodes that a membership began or ended cluster-wide (member_added/removed, or a user status). */
  private async announce(
    key: string,
    userId: string,
    joined: boolean,
    info: UserInfo | undefined,
    includeThisNode: boolean,
  ): Promise<void> {
    const where = this.options.keys.parseMembership(key);
    if (!where) return;
    const message = membershipMessage(where.appId, where.set, userId, joined, info);
    // Only a purge is news to this node too (a resync reports what this node already handled).
    if (!joined && includeThisNode && where.set !== ONLINE_SET) {
      this.options.memberPurged({ appId: where.appId, channel: where.set, userId });
    }
    if (includeThisNode) await this.options.publish(message);
    else await this.options.publishRemote(message);
  }

  /** Removes a dead node everywhere; if this node won the purge, tells every node who left. */
  private async purge(deadNodeId: string): Promise<void> {
    const { link, keys, nodeId, logger } = this.options;
    const reply = await runScript(
      link.pub,
      PURGE,
      [keys.nodes, keys.nodeIndex(deadNodeId)],
      [deadNodeId, keys.countersHead],
    );
    const flat = strings(reply);
    if (deadNodeId !== nodeId) {
      this.livePeers.delete(deadNodeId);
      logger.warn({ deadNode: deadNodeId, members: flat.length / 2 }, 'purged a dead node');
      this.options.peerDown(deadNodeId);
    }
    for (const [key, userId] of pairs(flat)) await this.announce(key, userId, false, undefined, true);
  }
}

function strings(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

function* pairs(flat: readonly string[]): Generator<[string, string]> {
  for (let i = 0; i + 1 < flat.length; i += 2) yield [flat[i] as string, flat[i + 1] as string];
}

function parseHeartbeat(reply: unknown): [boolean, string[], string[], string | undefined] {
  if (!Array.isArray(reply)) return [false, [], [], undefined];
  const [added, dead, live, epoch] = reply as unknown[];
  return [added === 1, strings(dead), strings(live), typeof epoch === 'string' ? epoch : undefined];
}
