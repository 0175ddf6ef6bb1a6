/**
 * The primary's side of the in-machine adapter (`reverb start --workers N` without Redis,
 * docs/architecture.md §6.4). The primary holds no client; it is the machine's bus and its shared state:
 *
 * - **Broadcasts.** A worker applies its own broadcast to its sockets, then sends it here; the hub
 *   relays it to every other worker (and keeps the last event of a cache channel). A broadcast on a
 *   history channel is appended here first and goes, with its position, to every worker, its origin
 *   included: every worker applies a stream's events in offset order (docs/protocol.md §11.1).
 * - **Shared state.** Workers call the machine's stores by name (`call`: target, method, arguments):
 *   `state` (presence members, signed-in users, quotas, subscription counts and cache entries, in the
 *   same `MemoryClusterState` one node keeps, with each worker's share recorded: machine-state.ts),
 *   `history` (one `MemoryHistory` for the machine, swept here) and `sessions` (one
 *   `MemorySessionState`).
 * - **Questions.** Channel lists and counts are asked of every worker and added up (query-merge.ts);
 *   user counts, member lists and cache entries come from the state.
 * - **A worker that dies** (`detach`) has its share purged at once: `member_removed` (and watchlist
 *   `offline`) go to the other workers for the users only it held, one worker is told to fire the
 *   webhooks for them, and channels whose subscription count changed get the new count.
 *
 * Nothing here knows about processes: the supervisor attaches each worker with a function that sends
 * it a batch, and hands its incoming batches to `receive` (machine-peer.ts).
 */
import { encodeServerMessage, InternalEvent } from '@react-reverb/core/protocol';
import {
  type AdapterMessage,
  type AdapterQuery,
  type ChannelSnapshot,
  keepInMemory,
  membershipMessage,
} from './adapter';
import { ONLINE_SET } from './cluster-state';
import { type Envelope, MachineLinkError, MachinePeer, type Transmit } from './machine-peer';
import { MachineState } from './machine-state';
import { MemoryHistory } from './memory-history';
import { mergeChannel, mergeChannels } from './query-merge';
import { MemorySessionState } from './sessions';

/** A worker waits this long for the others' answers to a channel question, like a Redis node does. */
export const MACHINE_QUERY_TIMEOUT_MS = 1_000;

/** What a worker may call on the primary, by target: nothing else is reachable through `call`. */
export const CALLABLE = {
  state: [
    'joinPresence',
    'leavePresence',
    'presenceMembers',
    'userOnline',
    'userOffline',
    'onlineUsers',
    'reserveConnection',
    'releaseConnection',
    'openConnections',
    'cachedEvent',
    'countSubscription',
  ],
  history: ['append', 'read'],
  sessions: ['claim', 'endOthers', 'peek'],
} as const;

export type CallTarget = keyof typeof CALLABLE;

export interface CallRequest {
  readonly target: CallTarget;
  readonly method: string;
  readonly args: readonly unknown[];
}

/** A membership that ended because its worker died: the worker told of it fires the webhooks. */
export interface PurgedMember {
  readonly appId: string;
  readonly channel: string;
  readonly userId: string;
}

/** Topics on the link; the worker's side is machine-adapter.ts. */
export const Topic = {
  /** worker → primary, request: `CallRequest` → the method's result. */
  call: 'call',
  /** worker → primary, message: an `AdapterMessage` the worker published. */
  publish: 'publish',
  /** worker → primary, request: an `AdapterQuery` → the machine's answer. */
  query: 'query',
  /** primary → worker, message: an `AdapterMessage` to apply to its sockets. */
  deliver: 'deliver',
  /** primary → worker, request: an `AdapterQuery` → the worker's own answer (`LocalNode.answer`). */
  answer: 'answer',
  /** primary → worker, message: `PurgedMember[]` left with a dead worker (webhooks). */
  purged: 'purged',
  /**
   * primary → worker, message `{nodeId}`: with Redis, a worker (a node of the cluster) died; the one
   * told purges it at once instead of after its heartbeats lapse.
   */
  nodeGone: 'node-gone',
} as const;

export interface MachineHubOptions {
  readonly logger: {
    warn(details: Record<string, unknown>, message: string): void;
  };
  readonly queryTimeoutMs?: number;
  /** The machine's clock (tests move it): cache TTLs, history and session memory. */
  readonly now?: () => number;
  /** REVERB_HISTORY_MEMORY_BUDGET: bytes of channel history the machine keeps (one budget for all). */
  readonly historyBudgetBytes?: number;
}

/** How often the machine's history drops expired events, as a single node's ticker does. */
const HISTORY_SWEEP_MS = 1_000;

/** What a request handler of the hub's owner (the supervisor: metrics, dashboard) receives. */
export type HubRequestHandler = (workerId: number, body: unknown) => unknown;

export class MachineHub {
  readonly state: MachineState;
  readonly history: MemoryHistory;
  readonly sessions: MemorySessionState;
  private readonly sweeper: NodeJS.Timeout;
  private readonly peers = new Map<number, MachinePeer>();
  /** Workers whose server is built and listening: only they are asked questions and told of purges. */
  private readonly listening = new Set<number>();
  private readonly extraHandlers = new Map<string, HubRequestHandler>();
  /** Webhook notices waiting for a live worker (every worker was down when they were purged). */
  private unannounced: PurgedMember[] = [];
  private readonly queryTimeoutMs: number;

  constructor(private readonly options: MachineHubOptions) {
    this.state = new MachineState(options.now);
    this.queryTimeoutMs = options.queryTimeoutMs ?? MACHINE_QUERY_TIMEOUT_MS;
    const now = options.now ?? Date.now;
    const budget = options.historyBudgetBytes;
    this.history = new MemoryHistory({ now, ...(budget === undefined ? {} : { memoryBudgetBytes: budget }) });
    this.sessions = new MemorySessionState(now);
    this.sweeper = setInterval(() => this.history.sweep(now()), HISTORY_SWEEP_MS);
    this.sweeper.unref();
  }

  /** The listening workers' ids. */
  get workerIds(): number[] {
    return [...this.listening];
  }

  /** The owner answers requests on `topic` itself (before any worker is attached). */
  handle(topic: string, handler: HubRequestHandler): void {
    this.extraHandlers.set(topic, handler);
  }

  /** A new worker: `transmit` sends it one batch. */
  attach(workerId: number, transmit: Transmit): MachinePeer {
    const peer = new MachinePeer(transmit, (error, topic) =>
      this.options.logger.warn({ err: error, topic, worker: workerId }, 'worker link problem'),
    );
    const targets = {
      state: this.state.forWorker(workerId),
      history: this.history,
      sessions: this.sessions,
    } as const;
    peer.handle(Topic.call, (body) => {
      const { target, method, args } = body as CallRequest;
      const allowed = CALLABLE[target] as readonly string[] | undefined;
      if (!allowed?.includes(method)) throw new Error(`${target}.${method} cannot be called`);
      const object = targets[target] as unknown as Record<string, (...a: unknown[]) => unknown>;
      return object[method]?.(...args);
    });
    peer.handle(Topic.query, (body) => this.query(body as AdapterQuery));
    peer.listen(Topic.publish, (body) => this.relay(workerId, body as AdapterMessage));
    for (const [topic, handler] of this.extraHandlers) {
      peer.handle(topic, (body) => handler(workerId, body));
    }
    this.peers.set(workerId, peer);
    return peer;
  }

  /**
   * The worker listens: from now on it answers questions and may fire the webhooks of a purge. (Until
   * then its requests are served, but it may not have its handlers yet.)
   */
  markListening(workerId: number): void {
    const peer = this.peers.get(workerId);
    if (!peer) return;
    this.listening.add(workerId);
    if (this.unannounced.length > 0) {
      peer.send(Topic.purged, this.unannounced);
      this.unannounced = [];
    }
  }

  /** A batch from worker `workerId`. */
  receive(workerId: number, batch: readonly Envelope[]): void {
    this.peers.get(workerId)?.receive(batch);
  }

  /** The worker is gone (exited, crashed, killed): its share of the state leaves, and the others hear it. */
  detach(workerId: number): void {
    const peer = this.peers.get(workerId);
    if (!peer) return;
    this.peers.delete(workerId);
    this.listening.delete(workerId);
    peer.close('the worker exited');
    const { ended, counts } = this.state.purge(workerId);
    const purged: PurgedMember[] = [];
    for (const { appId, set, userId } of ended) {
      this.deliverToAll(membershipMessage(appId, set, userId, false));
      if (set !== ONLINE_SET) purged.push({ appId, channel: set, userId });
    }
    for (const { appId, channel, total } of counts) {
      if (total === 0) continue;
      const frame = encodeServerMessage({
        event: InternalEvent.SubscriptionCount,
        channel,
        data: { subscription_count: total },
      });
      this.deliverToAll({ type: 'broadcast', appId, channel, frame });
    }
    if (purged.length === 0) return;
    const [announcer] = this.listening;
    if (announcer !== undefined) this.peers.get(announcer)?.send(Topic.purged, purged);
    else this.unannounced.push(...purged);
  }

  /** Sends `body` on `topic` to one listening worker (none listening: dropped). */
  tellOne(topic: string, body: unknown): boolean {
    const [workerId] = this.listening;
    const peer = workerId === undefined ? undefined : this.peers.get(workerId);
    peer?.send(topic, body);
    return peer !== undefined;
  }

  /** Asks every listening worker; resolves with the answers that came within the timeout, by worker. */
  async askAll(topic: string, body: unknown): Promise<{ workerId: number; answer: unknown }[]> {
    const asked = [...this.listening].map(async (workerId) => {
      const peer = this.peers.get(workerId) as MachinePeer;
      try {
        return { workerId, answer: await peer.request(topic, body, this.queryTimeoutMs) };
      } catch (error) {
        // A worker that does not serve the app answers with an error: nothing to wait for or report.
        if (error instanceof MachineLinkError && error.reason === 'timeout') {
          this.options.logger.warn({ worker: workerId, topic }, 'a worker did not answer in time');
        }
        return { workerId, answer: undefined };
      }
    });
    return (await Promise.all(asked)).filter(({ answer }) => answer !== undefined && answer !== null);
  }

  private async answers(query: AdapterQuery): Promise<unknown[]> {
    return (await this.askAll(Topic.answer, query)).map(({ answer }) => answer);
  }

  /** Flushes every link now (before the primary exits). */
  flush(): void {
    for (const peer of this.peers.values()) peer.flush();
  }

  /** Stops the history's housekeeping (the primary is stopping). */
  close(): void {
    clearInterval(this.sweeper);
  }

  private relay(from: number, message: AdapterMessage): void {
    if (message.type !== 'broadcast') {
      this.deliverToOthers(from, message);
      return;
    }
    const kept = keepInMemory(this.state.machine, this.history, message);
    if (!message.history) {
      this.deliverToOthers(from, kept);
      return;
    }
    // Append and deliver with nothing in between: every link is in order, so every worker applies the
    // stream's events in the order of their offsets. The origin waited for its own copy.
    this.deliverToAll(kept);
  }

  private deliverToOthers(from: number, message: AdapterMessage): void {
    for (const [workerId, peer] of this.peers) {
      if (workerId !== from) peer.send(Topic.deliver, message);
    }
  }

  private deliverToAll(message: AdapterMessage): void {
    for (const peer of this.peers.values()) peer.send(Topic.deliver, message);
  }

  private async query(query: AdapterQuery): Promise<unknown> {
    const { machine } = this.state;
    switch (query.type) {
      case 'users':
        return machine.membersSync(query.appId, query.channel).ids;
      case 'cache': {
        const cached = machine.cachedEventSync(query.appId, query.channel);
        return cached ? { data: cached.data, ttl: cached.ttl } : null;
      }
      case 'channel': {
        const merged = mergeChannel(await this.answers(query)) ?? { subscriptionCount: 0 };
        return this.withUserCount(query.appId, query.channel, merged);
      }
      case 'channels': {
        const merged = mergeChannels(await this.answers(query));
        const result: Record<string, ChannelSnapshot> = {};
        for (const [name, snapshot] of Object.entries(merged)) {
          result[name] = this.withUserCount(query.appId, name, snapshot);
        }
        return result;
      }
    }
  }

  /** Presence user counts are the machine's distinct members, never a sum over workers. */
  private withUserCount(appId: string, channel: string, snapshot: ChannelSnapshot): ChannelSnapshot {
    if (snapshot.userCount === undefined) return snapshot;
    return { ...snapshot, userCount: this.state.machine.membersSync(appId, channel).ids.length };
  }
}
