/**
 * The worker's side of the in-machine adapter (`reverb start --workers N` without Redis,
 * docs/architecture.md §6.4): an `Adapter` whose other nodes are the machine's other workers, reached
 * through the primary (machine-hub.ts) over one link (machine-peer.ts).
 *
 * - `publish` applies to this worker's sockets, then sends the message to the primary, which relays it
 *   to every other worker: the same order of events as a Redis node, without Redis. A broadcast on a
 *   history channel is applied when it comes back from the primary with its position, like every
 *   other worker's copy, so each stream's events are applied in offset order.
 * - `state`, `history` and `sessions` are the machine's, held by the primary: each method is a request
 *   naming the target and method (`call`), so every first/last answer, position and session verdict
 *   is decided in one place.
 * - `query` asks the primary, which asks every worker and merges.
 * - The primary asks this worker for its own answers (`answer`), hands it the other workers' messages
 *   (`deliver`), and tells it which members left with a dead worker (`purged`), to fire their webhooks.
 */
import type {
  Adapter,
  AdapterMessage,
  AdapterQuery,
  AdapterQueryResults,
  LocalNode,
  QueryOf,
} from './adapter';
import type { ClusterState } from './cluster-state';
import type { HistoryStore } from './history';
import { CALLABLE, type CallRequest, type CallTarget, type PurgedMember, Topic } from './machine-hub';
import type { MachinePeer } from './machine-peer';
import type { SessionState } from './sessions';

/** A worker's place in the machine: its link to the primary, and its slot (1…N, kept across restarts). */
export interface WorkerLink {
  readonly peer: MachinePeer;
  readonly slot: number;
  /** Bind the port with `SO_REUSEPORT` (supervisor/worker-control.ts), not through the primary. */
  readonly reusePort?: boolean;
}

export interface MachineAdapterOptions {
  /** A member held only by a dead worker left (member_removed went out already): fire its webhooks. */
  readonly onPurged?: (member: PurgedMember) => void;
  /** Applying a message from another worker failed. */
  readonly onApplyError?: (error: unknown, message: AdapterMessage) => void;
}

/** The drain waits at most this long for the answers of state calls still in flight. */
const SETTLE_TIMEOUT_MS = 2_000;

export class MachineAdapter implements Adapter {
  readonly state: ClusterState;
  /** Read here, appended in the primary; swept there too (no `sweep` or `stats` in the worker). */
  readonly history: HistoryStore;
  readonly sessions: SessionState;

  constructor(
    private readonly node: LocalNode,
    private readonly peer: MachinePeer,
    private readonly options: MachineAdapterOptions = {},
  ) {
    this.state = remoteObject<ClusterState>(peer, 'state');
    this.history = remoteObject<HistoryStore>(peer, 'history');
    this.sessions = remoteObject<SessionState>(peer, 'sessions');
    peer.listen(Topic.deliver, (body) => this.applyLocally(body as AdapterMessage));
    peer.handle(Topic.answer, (body) => node.answer(body as AdapterQuery));
    peer.listen(Topic.purged, (body) => {
      for (const member of body as PurgedMember[]) options.onPurged?.(member);
    });
  }

  async publish(message: AdapterMessage): Promise<void> {
    if (message.type !== 'broadcast' || !message.history) this.applyLocally(message);
    this.peer.send(Topic.publish, message);
  }

  query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    return this.peer.request<AdapterQueryResults[T]>(Topic.query, query);
  }

  /**
   * Resolves once no state call is waiting for the primary (bounded): a leave still in flight at
   * shutdown may yet end in a `member_removed`, whose webhook the drain must not miss.
   */
  async settled(): Promise<void> {
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    while (this.peer.inFlight > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    // What those answers started (an event, a publish) runs in the turns right after them.
    await new Promise((resolve) => setImmediate(resolve));
  }

  async close(): Promise<void> {
    this.peer.flush();
  }

  private applyLocally(message: AdapterMessage): void {
    try {
      this.node.apply(message);
    } catch (error) {
      this.options.onApplyError?.(error, message);
    }
  }
}

/**
 * An object whose methods (those `CALLABLE` lists for `target`) are requests to the primary, which
 * calls the same method of its own object and answers with the result.
 */
function remoteObject<T extends object>(peer: MachinePeer, target: CallTarget): T {
  const object: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const method of CALLABLE[target]) {
    object[method] = (...args: unknown[]) => {
      const call: CallRequest = { target, method, args };
      return peer.request(Topic.call, call);
    };
  }
  return object as unknown as T;
}
