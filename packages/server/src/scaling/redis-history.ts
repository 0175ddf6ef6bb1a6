/**
 * History of a cluster, in Redis (docs/protocol.md §11.1; the RedisAdapter's store). Positions are
 * assigned in Redis, so every node sends the same position for the same event and a client recovers on
 * any node. Per stream a meta hash (epoch, top, why the oldest kept event moved, when the top was
 * published; it expires a day after the last publish) and a Redis Stream of the kept events (entry id
 * `<offset>-0`, `MAXLEN maxEvents`, expiring `ttl` after the last publish). Key layout:
 * cluster-messages.ts `keyNames`; the scripts: redis-history-scripts.ts.
 *
 * - `append` is ONE script: next offset, epoch created when missing, entry added and trimmed, and the
 *   cluster message published with the position, so a publish costs one round trip and every node
 *   (the origin included, when its message comes back) applies the events of a stream in offset order.
 *   The appends of one turn of the event loop share one script call (`flush`).
 * - `read` is ONE script: meta, the entries to replay and the Redis clock.
 * - Redis unreachable: `append` rejects (the caller delivers locally without a position) and `read`
 *   answers `unavailable`. A stream whose append failed is marked: its next append or read starts a new
 *   epoch, because an event then went out that the history does not hold (clients get a gap, never a
 *   silent loss). Redis lost the meta (restart without persistence, a day idle): a new epoch too.
 */
import { RECOVERY_UNAVAILABLE, type StreamPosition, type StreamRecovery } from '@react-reverb/core/protocol';
import type { Redis } from 'ioredis';
import type { AdapterMessage } from './adapter';
import { channelNames, keyNames, positionedEnvelopeHead } from './cluster-messages';
import {
  type AppendOptions,
  answerRead,
  asksRecovery,
  epochSource,
  HISTORY_DEFAULTS,
  type HistoryRead,
  type HistoryStore,
  type KeptEvent,
  type ReadRequest,
  type TrimReason,
} from './history';
import { APPEND, READ } from './redis-history-scripts';
import { runScript } from './redis-scripts';

/** How many streams whose append failed a node remembers (the oldest are forgotten beyond it). */
export const MAX_LOST_STREAMS = 10_000;

export interface RedisHistoryOptions {
  /**
   * The adapter's command connection, which also publishes its other broadcasts: one connection keeps
   * one node's messages in order. It should fail fast (no offline queue), as the adapter's does.
   */
  readonly redis: Redis;
  /** This node's id, stamped on the messages it publishes. */
  readonly nodeId: string;
  /** REVERB_SCALING_CHANNEL: prefix of every key and pub/sub channel. */
  readonly prefix?: string;
  readonly metadataTtlMs?: number;
  readonly newEpoch?: () => string;
}

export interface RedisAppendOptions extends AppendOptions {
  /** Carried to the other nodes with the broadcast (cache channels keep their last event on every node). */
  readonly cache?: { readonly data: string; readonly ttlSeconds: number } | undefined;
}

/** At most this many appends go in one script call; a busier turn sends several. */
export const MAX_APPEND_BATCH = 128;

/** An append waiting for its turn's script call: its keys, its APPEND arguments, and its caller. */
interface QueuedAppend {
  readonly meta: string;
  readonly events: string;
  readonly args: readonly (string | number)[];
  readonly resolve: (position: StreamPosition) => void;
  readonly reject: (error: unknown) => void;
}

const TRIM_REASONS: ReadonlySet<string> = new Set<TrimReason>(['too_far_behind', 'expired', 'evicted']);

export class RedisHistory implements HistoryStore {
  private readonly redis: Redis;
  private readonly nodeId: string;
  private readonly keys: ReturnType<typeof keyNames>;
  private readonly channels: ReturnType<typeof channelNames>;
  private readonly metadataTtlMs: number;
  private readonly newEpoch: () => string;
  /** Meta keys of streams whose append failed: their next use starts a new epoch. */
  private readonly lost = new Set<string>();
  /** Appends of this turn of the event loop, sent together by `flush`. */
  private queue: QueuedAppend[] = [];

  constructor(options: RedisHistoryOptions) {
    this.redis = options.redis;
    this.nodeId = options.nodeId;
    const prefix = options.prefix ?? 'reverb';
    this.keys = keyNames(prefix);
    this.channels = channelNames(prefix);
    this.metadataTtlMs = options.metadataTtlMs ?? HISTORY_DEFAULTS.metadataTtlMs;
    this.newEpoch = options.newEpoch ?? epochSource();
  }

  /**
   * Rejects when Redis could not be reached: nothing was published then, unless the reply alone was lost.
   * Queued and sent with the other appends of this turn of the event loop in one script call (`flush`).
   */
  append(
    appId: string,
    channel: string,
    frame: string,
    options: RedisAppendOptions,
  ): Promise<StreamPosition> {
    const [meta, events] = this.keys.historyKeys(appId, channel);
    const { exceptSocketId, cache } = options;
    // Undefined fields are left out of the envelope by JSON.stringify: no spread needed.
    const message: Extract<AdapterMessage, { type: 'broadcast' }> = {
      type: 'broadcast',
      appId,
      channel,
      frame,
      exceptSocketId,
      cache,
    };
    // The first append after a failed one starts a new epoch; should it fail too, the stream is marked again.
    const reset = this.lost.delete(meta);
    // APPEND_ARGS_PER_EVENT (redis-history-scripts.ts) of them, in the script's order.
    const args = [
      this.newEpoch(),
      reset ? '1' : '0',
      frame,
      exceptSocketId ?? '',
      options.maxEvents,
      options.ttlMs,
      this.channels.app(appId),
      positionedEnvelopeHead(this.nodeId, message),
    ];
    return new Promise((resolve, reject) => {
      this.queue.push({ meta, events, args, resolve, reject });
      if (this.queue.length >= MAX_APPEND_BATCH) this.flush();
      // The first of a batch schedules its flush (a flush of an already sent batch is a no-op).
      else if (this.queue.length === 1) setImmediate(() => this.flush());
    });
  }

  /**
   * Sends the queued appends now, in one script call. The adapter calls it before it publishes any
   * other cluster message, so a node's broadcasts and membership messages still reach Redis in the
   * order it published them (channel questions and their answers need no order with them); a busy
   * node's appends of one turn cost one command instead of one each.
   */
  flush(): void {
    if (this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    void this.send(batch);
  }

  private async send(batch: readonly QueuedAppend[]): Promise<void> {
    const keys: string[] = [];
    const args: (string | number)[] = [this.metadataTtlMs];
    for (const queued of batch) {
      keys.push(queued.meta, queued.events);
      args.push(...queued.args);
    }
    let reply: unknown;
    try {
      reply = await runScript(this.redis, APPEND, keys, args);
    } catch (error) {
      for (const queued of batch) {
        this.markLost(queued.meta);
        queued.reject(error);
      }
      return;
    }
    const values = Array.isArray(reply) ? (reply as unknown[]) : [];
    batch.forEach((queued, i) => {
      const epoch = values[2 * i];
      const offset = values[2 * i + 1];
      if (typeof epoch === 'string' && epoch !== '' && typeof offset === 'number') {
        queued.resolve({ epoch, offset });
        return;
      }
      this.markLost(queued.meta);
      queued.reject(
        new Error(
          epoch === ''
            ? `the history append script failed: ${String(offset)}`
            : `unexpected reply from the history append script: ${JSON.stringify(reply)}`,
        ),
      );
    });
  }

  /** Never rejects: Redis unreachable answers `unavailable` (with the client's own position, if any). */
  async read(appId: string, channel: string, request: ReadRequest): Promise<HistoryRead> {
    const [meta, events] = this.keys.historyKeys(appId, channel);
    const reset = this.lost.has(meta);
    const { recover, rewind, maxEvents } = request;
    const mode =
      request.invalid !== undefined ? 'none' : recover ? 'recover' : rewind !== undefined ? 'rewind' : 'none';
    let reply: unknown;
    try {
      reply = await runScript(
        this.redis,
        READ,
        [meta, events],
        [
          this.newEpoch(),
          reset ? '1' : '0',
          this.metadataTtlMs,
          mode,
          recover?.epoch ?? '',
          recover?.offset ?? 0,
          Math.min(rewind ?? 0, maxEvents),
          maxEvents,
        ],
      );
    } catch {
      return unavailable(request);
    }
    if (reset) this.lost.delete(meta);
    const parsed = parseReadReply(reply);
    if (!parsed) return unavailable(request);
    const { epoch, top, storedReason, topPublishedAtMs, nowMs, length, after } = parsed;
    // Entries the script returned but whose ttl has passed since the last append (no append trimmed them).
    const cutoff = nowMs - request.ttlMs;
    const kept = parsed.entries.filter((event) => event.publishedAtMs > cutoff);
    const expiredOnRead = kept.length < parsed.entries.length;
    let firstKept = length > 0 ? top - length + 1 : top + 1;
    let trimReason = TRIM_REASONS.has(storedReason) ? (storedReason as TrimReason) : undefined;
    if (expiredOnRead) {
      firstKept = Math.max(firstKept, kept[0]?.offset ?? top + 1);
      trimReason = 'expired';
    } else if (length === 0 && top > 0) {
      // The events key expired as a whole (no publish for `ttl`): the last thing that dropped events.
      trimReason = 'expired';
    }
    const state = { epoch, top, firstKept, trimReason, topPublishedAtMs };
    return answerRead(state, request, after, kept, nowMs);
  }

  private markLost(meta: string): void {
    this.lost.delete(meta);
    this.lost.add(meta);
    if (this.lost.size > MAX_LOST_STREAMS) {
      const oldest = this.lost.values().next().value;
      if (oldest !== undefined) this.lost.delete(oldest);
    }
  }
}

function unavailable(request: ReadRequest): HistoryRead {
  const { recover } = request;
  const recovery: StreamRecovery | undefined = asksRecovery(request)
    ? { recovered: false, replayed: 0, reason: request.invalid ?? RECOVERY_UNAVAILABLE }
    : undefined;
  return {
    ...(recover ? { stream: { epoch: recover.epoch, offset: recover.offset } } : {}),
    replay: [],
    recovery,
    nowMs: Date.now(),
  };
}

interface ReadReply {
  readonly epoch: string;
  readonly top: number;
  readonly storedReason: string;
  readonly topPublishedAtMs: number | undefined;
  readonly nowMs: number;
  readonly length: number;
  readonly after: number | undefined;
  /** Oldest first. */
  readonly entries: KeptEvent[];
}

function parseReadReply(reply: unknown): ReadReply | undefined {
  if (!Array.isArray(reply) || reply.length !== 8) return undefined;
  const [epoch, top, storedReason, published, now, length, after, rawEntries] = reply as unknown[];
  if (
    typeof epoch !== 'string' ||
    typeof top !== 'number' ||
    typeof storedReason !== 'string' ||
    typeof published !== 'string' ||
    typeof now !== 'string' ||
    typeof length !== 'number' ||
    typeof after !== 'number' ||
    !Array.isArray(rawEntries)
  ) {
    return undefined;
  }
  const entries: KeptEvent[] = [];
  // XREVRANGE gives the newest first.
  for (let i = rawEntries.length - 1; i >= 0; i--) {
    const entry = parseEntry(rawEntries[i]);
    if (entry) entries.push(entry);
  }
  return {
    epoch,
    top,
    storedReason,
    topPublishedAtMs: published === '' ? undefined : Number(published),
    nowMs: Number(now),
    length,
    after: after < 0 ? undefined : after,
    entries,
  };
}

/** `[id, [field, value, …]]` with id `<offset>-0` and fields t, f and maybe x. */
function parseEntry(raw: unknown): KeptEvent | undefined {
  if (!Array.isArray(raw) || typeof raw[0] !== 'string' || !Array.isArray(raw[1])) return undefined;
  const offset = Number.parseInt(raw[0], 10);
  const fields = raw[1] as unknown[];
  let frame: string | undefined;
  let exceptSocketId: string | undefined;
  let publishedAtMs = Number.NaN;
  for (let i = 0; i + 1 < fields.length; i += 2) {
    const value = fields[i + 1];
    if (typeof value !== 'string') continue;
    if (fields[i] === 'f') frame = value;
    else if (fields[i] === 'x') exceptSocketId = value;
    else if (fields[i] === 't') publishedAtMs = Number(value);
  }
  if (frame === undefined || !Number.isSafeInteger(offset) || Number.isNaN(publishedAtMs)) return undefined;
  return { offset, frame, exceptSocketId, publishedAtMs };
}
