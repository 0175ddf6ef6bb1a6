/**
 * Channel history for recovery (docs/protocol.md §11.1): per app and history channel a stream of the
 * events published on it, each at a position (epoch, offset). A store assigns positions as events are
 * published and answers a subscribe's `recover` / `rewind` with the events to replay and the
 * `recovery` verdict. Two stores: `MemoryHistory` (memory-history.ts, one node) and `RedisHistory`
 * (redis-history.ts, a cluster: positions are assigned in Redis, so every node agrees).
 *
 * What a read answers, whatever the store (the contract suite tests/scaling/history-contract.test.ts
 * runs the same cases on both):
 * - `stream`: the stream's top (epoch, offset) at read time: where the client stands once the replay is
 *   done. It equals the last replayed offset except when the client's own events (excluded by socket
 *   id) are the newest: they are skipped, not missed.
 * - `replay`: the events after the client's position (or the last `rewind` ones), oldest first, at most
 *   `maxEvents`, already positioned, without those triggered by one of the client's socket ids.
 * - `recovery` when `recover`, `rewind` or a malformed one was asked: `recovered` true when nothing
 *   after the position is missing; otherwise the reason of §11.1.
 * Reading a stream that does not exist yet creates its epoch, so a fresh subscriber gets a stable
 * `{epoch, offset: 0}` it can recover from later.
 */
import { randomBytes } from 'node:crypto';
import {
  type MalformedHistoryRequest,
  positionFrame,
  RECOVERY_EPOCH_CHANGED,
  RECOVERY_INVALID_POSITION,
  RECOVERY_REWIND_LIMIT,
  RECOVERY_TOO_FAR_BEHIND,
  type RecoverRequest,
  type RecoveryReason,
  type StreamPosition,
  type StreamRecovery,
} from '@react-reverb/core/protocol';

/** Defaults of the §11.1 settings (per app, except the memory budget). */
export const HISTORY_DEFAULTS = {
  maxEvents: 100,
  ttlMs: 300_000,
  /** Per node, for `MemoryHistory`. */
  memoryBudgetBytes: 128 * 1024 * 1024,
  /** A stream's epoch and top are forgotten after this long without a publish. */
  metadataTtlMs: 24 * 60 * 60 * 1000,
} as const;

export interface AppendOptions {
  /** The HTTP trigger's `socket_id`: that socket gets no live copy and no replay of the event. */
  readonly exceptSocketId?: string | undefined;
  /** The app's `history.max_events`. */
  readonly maxEvents: number;
  /** The app's `history.ttl`, in milliseconds. */
  readonly ttlMs: number;
}

export interface ReadRequest {
  readonly recover?: RecoverRequest | undefined;
  readonly rewind?: number | undefined;
  /** A malformed `recover` / `rewind`: nothing is replayed and the answer names it. */
  readonly invalid?: MalformedHistoryRequest | undefined;
  /** The subscribing socket: its own events are not replayed to it either. */
  readonly currentSocketId: string;
  readonly maxEvents: number;
  readonly ttlMs: number;
}

/** One event to send after `subscription_succeeded`: the frame already carries its position. */
export interface ReplayedEvent {
  readonly offset: number;
  readonly frame: string;
}

export interface HistoryRead {
  /**
   * Where the client stands once the replay is done. Absent only when the store could not be read
   * and the client named no position (with `recover`, its own position is given back).
   */
  readonly stream?: StreamPosition | undefined;
  readonly replay: readonly ReplayedEvent[];
  /** Set when `recover` or `rewind` (or a malformed one) was asked. */
  readonly recovery?: StreamRecovery | undefined;
  /**
   * When the top event was published, on the store's clock (`nowMs`); undefined before the first
   * event. In a cluster, a top published a moment ago may still be on its way to this node.
   */
  readonly topPublishedAtMs?: number | undefined;
  /** The store's clock at read time (Redis `TIME` for the Redis store). */
  readonly nowMs: number;
}

export interface HistoryStore {
  /** Assigns the event the stream's next offset and keeps it (Redis: also publishes it to the nodes). */
  append(
    appId: string,
    channel: string,
    frame: string,
    options: AppendOptions,
  ): StreamPosition | Promise<StreamPosition>;
  read(appId: string, channel: string, request: ReadRequest): HistoryRead | Promise<HistoryRead>;
  /** Housekeeping on the shared ticker, for a store that keeps its events in this process. */
  sweep?(nowMs: number): void;
  /** What the store holds in this process, for metrics (absent: it holds nothing here). */
  stats?(): HistoryStats;
}

/** A node's history in memory: streams (with or without events), events, and their accounted bytes. */
export interface HistoryStats {
  readonly streams: number;
  readonly events: number;
  readonly bytes: number;
}

/** Why a stream's oldest kept offset last moved: the reason a recovery from before it names. */
export type TrimReason = 'too_far_behind' | 'expired' | 'evicted';

/** An event as a store keeps it: the frame without its position (added when sent). */
export interface KeptEvent {
  readonly offset: number;
  readonly frame: string;
  readonly exceptSocketId?: string | undefined;
  readonly publishedAtMs: number;
}

/** A stream at read time, after the store dropped what had expired. */
export interface StreamState {
  readonly epoch: string;
  readonly top: number;
  /** The oldest offset still kept; `top + 1` when none is. */
  readonly firstKept: number;
  readonly trimReason: TrimReason | undefined;
  readonly topPublishedAtMs: number | undefined;
}

/**
 * After which offset the replay starts (exclusive), or undefined when nothing is replayed. The Redis
 * read script (redis-history-scripts.ts) computes the same inside Redis.
 */
export function replayAfter(
  state: Pick<StreamState, 'epoch' | 'top'>,
  request: ReadRequest,
): number | undefined {
  if (request.invalid !== undefined) return undefined;
  const { recover, rewind } = request;
  if (recover) {
    if (recover.epoch !== state.epoch) return 0;
    return recover.offset < state.top ? recover.offset : undefined;
  }
  if (rewind !== undefined) return Math.max(0, state.top - Math.min(rewind, request.maxEvents));
  return undefined;
}

/** Whether the request asks for a `recovery` answer. */
export function asksRecovery(request: ReadRequest): boolean {
  return request.recover !== undefined || request.rewind !== undefined || request.invalid !== undefined;
}

/**
 * The answer to a read. `kept` holds the kept events after `after` (what `replayAfter` returned),
 * oldest first, at most `maxEvents` (the newest ones), expired ones already left out.
 */
export function answerRead(
  state: StreamState,
  request: ReadRequest,
  after: number | undefined,
  kept: readonly KeptEvent[],
  nowMs: number,
): HistoryRead {
  const stream = { epoch: state.epoch, offset: state.top };
  const base = { stream, nowMs, topPublishedAtMs: state.topPublishedAtMs };
  if (!asksRecovery(request)) return { ...base, replay: [] };
  const excluded = new Set(request.recover?.socketIds);
  excluded.add(request.currentSocketId);
  const replay: ReplayedEvent[] = [];
  if (after !== undefined) {
    for (const event of kept) {
      if (event.offset <= after) continue;
      if (event.exceptSocketId !== undefined && excluded.has(event.exceptSocketId)) continue;
      replay.push({
        offset: event.offset,
        frame: positionFrame(event.frame, { epoch: state.epoch, offset: event.offset }),
      });
    }
  }
  const reason = recoveryReason(state, request, after, kept);
  const recovery: StreamRecovery =
    reason === undefined
      ? { recovered: true, replayed: replay.length }
      : { recovered: false, replayed: replay.length, reason };
  return { ...base, replay, recovery };
}

function recoveryReason(
  state: StreamState,
  request: ReadRequest,
  after: number | undefined,
  kept: readonly KeptEvent[],
): RecoveryReason | undefined {
  if (request.invalid !== undefined) return request.invalid;
  const { recover, rewind } = request;
  if (recover && recover.epoch !== state.epoch) return RECOVERY_EPOCH_CHANGED;
  if (recover && recover.offset > state.top) return RECOVERY_INVALID_POSITION;
  if (rewind !== undefined && rewind > request.maxEvents) return RECOVERY_REWIND_LIMIT;
  if (after === undefined) return undefined;
  const firstReplayable = kept.find((event) => event.offset > after)?.offset ?? state.top + 1;
  if (firstReplayable <= after + 1) return undefined;
  // Events after the position are missing: dropped by a trim, or kept but beyond `maxEvents` now.
  return state.firstKept > after + 1
    ? (state.trimReason ?? RECOVERY_TOO_FAR_BEHIND)
    : RECOVERY_TOO_FAR_BEHIND;
}

/**
 * New epochs: a random prefix per process (so a restart changes every epoch) and a counter (so no two
 * streams of a process share one). At most 8 + 11 characters, within the 32 of §11.1.
 */
export function epochSource(): () => string {
  const prefix = randomBytes(6).toString('base64url');
  let counter = 0;
  return () => `${prefix}${(counter++).toString(36)}`;
}
