/**
 * History of one node, in memory (docs/protocol.md §11.1; the LocalAdapter's store). Per stream: a
 * random epoch made on first use (lost with the process: a restart changes every epoch), contiguous
 * offsets, the events kept within the app's `maxEvents` and `ttlMs`, and the node's memory budget.
 *
 * Memory accounting (no RSS involved, so it is exact and testable): every kept event costs the bytes
 * of its frame and excluded socket id (1 per UTF-16 unit, 2 when the string holds a character above
 * U+00FF: how V8 stores strings) plus {@link ENTRY_OVERHEAD_BYTES}; every stream costs
 * {@link STREAM_OVERHEAD_BYTES} plus the bytes of its key (app id and channel name). Those overheads
 * cover what the layout keeps: per stream a ring of its events (event-ring.ts: no object per event,
 * nothing moved when the oldest goes) and a place in a list by last publish (no map operation per
 * append). tests/stress/history-accounting.test.ts holds them against the real heap.
 *
 * Over the budget, eviction drops, in this order: the metadata of streams that keep no event (the
 * longest empty first), then the oldest events of the least recently published streams, then (only
 * with an absurdly small budget) metadata, least recently published first. The stream being published
 * to or read loses its metadata last, so a fresh subscriber's epoch is not forgotten at once.
 *
 * A stream remembers why its oldest kept offset last moved (count limit, ttl or budget), so a recovery
 * from before it names that reason. Its epoch and top outlive its events: a client whose position is
 * the top recovers with nothing missed even after the events expired. The metadata itself goes after
 * `metadataTtlMs` (a day) without a publish; a later read or publish starts a new epoch.
 *
 * `sweep(now)` (the shared ticker, about once a second) drops expired events and stale metadata; it
 * visits every stream. Reads and appends also drop what expired in the stream they touch.
 */

import type { StreamPosition } from '@react-reverb/core/protocol';
import { EventRing } from './event-ring';
import {
  type AppendOptions,
  answerRead,
  epochSource,
  HISTORY_DEFAULTS,
  type HistoryRead,
  type HistoryStats,
  type HistoryStore,
  type KeptEvent,
  type ReadRequest,
  replayAfter,
  type TrimReason,
} from './history';

/**
 * What one kept event costs beyond its frame's characters, measured on Node 20 (x64, no pointer
 * compression): the frame's string header and its three slots in its stream's ring (event-ring.ts),
 * plus as many again for the room the ring may keep (at most twice the events plus one). See
 * docs/history.md for the measurement.
 */
export const ENTRY_OVERHEAD_BYTES = 72;
/** What one stream costs beyond its key's characters: the stream object, its ring, its epoch and map entry. */
export const STREAM_OVERHEAD_BYTES = 400;

export interface MemoryHistoryOptions {
  /** Bytes of history this node keeps (REVERB_HISTORY_MEMORY_BUDGET). */
  readonly memoryBudgetBytes?: number;
  /** How long a stream's epoch and top survive without a publish. */
  readonly metadataTtlMs?: number;
  /** The clock, in milliseconds (injected by tests). */
  readonly now?: () => number;
  readonly newEpoch?: () => string;
}

export type MemoryHistoryStats = HistoryStats;

/**
 * One stream: its kept events are the ring's, with the offsets `top - count + 1 … top` (contiguous).
 * Streams form a list from the least to the most recently published, for eviction.
 */
interface Stream {
  readonly appId: string;
  readonly channel: string;
  readonly epoch: string;
  top: number;
  readonly ring: EventRing;
  trimReason: TrimReason | undefined;
  /** Last publish, or creation by a read: what metadata expiry and eviction order go by. */
  lastTouchMs: number;
  topPublishedAtMs: number | undefined;
  /** The limits of the last append, for `sweep`. */
  ttlMs: number;
  readonly bytes: number;
  older: Stream | undefined;
  newer: Stream | undefined;
}

const WIDE_CHARACTER = /[\u0100-\uffff]/;

/**
 * Bytes V8 spends on a string's characters. Cheap for the usual frame: on a string V8 stores with one
 * byte per character the expression cannot match, and V8 answers without scanning it.
 */
export function stringBytes(text: string): number {
  return WIDE_CHARACTER.test(text) ? text.length * 2 : text.length;
}

function streamKey(appId: string, channel: string): string {
  return `${appId}\u0000${channel}`;
}

/** What a kept event is accounted: its characters and the overhead. */
function eventBytes(frame: string, exceptSocketId: string | undefined): number {
  return (
    ENTRY_OVERHEAD_BYTES +
    stringBytes(frame) +
    (exceptSocketId === undefined ? 0 : stringBytes(exceptSocketId))
  );
}

export class MemoryHistory implements HistoryStore {
  /** App id → channel → stream. */
  private readonly streams = new Map<string, Map<string, Stream>>();
  private streamCount = 0;
  /** The ends of the list: the least recently published stream and the most recently published. */
  private oldest: Stream | undefined;
  private newest: Stream | undefined;
  /** Streams that keep no event, in the order they became empty: their metadata goes first. */
  private readonly empty = new Set<Stream>();
  private readonly budget: number;
  private readonly metadataTtlMs: number;
  private readonly now: () => number;
  private readonly newEpoch: () => string;
  private bytes = 0;
  private events = 0;

  constructor(options: MemoryHistoryOptions = {}) {
    this.budget = options.memoryBudgetBytes ?? HISTORY_DEFAULTS.memoryBudgetBytes;
    this.metadataTtlMs = options.metadataTtlMs ?? HISTORY_DEFAULTS.metadataTtlMs;
    this.now = options.now ?? Date.now;
    this.newEpoch = options.newEpoch ?? epochSource();
  }

  append(appId: string, channel: string, frame: string, options: AppendOptions): StreamPosition {
    const now = this.now();
    const stream = this.streams.get(appId)?.get(channel) ?? this.create(appId, channel, now);
    this.moveToNewest(stream);
    stream.lastTouchMs = now;
    stream.topPublishedAtMs = now;
    stream.ttlMs = options.ttlMs;
    const { ring } = stream;
    // Room within maxEvents first: the same events go as if the limit were applied after the push.
    while (ring.count >= options.maxEvents) this.dropOldest(stream, 'too_far_behind');
    if (ring.count === 0) this.empty.delete(stream);
    const offset = ++stream.top;
    const { exceptSocketId } = options;
    ring.push(frame, exceptSocketId, now, options.maxEvents);
    this.bytes += eventBytes(frame, exceptSocketId);
    this.events++;
    this.dropExpired(stream, options.ttlMs, now);
    this.evict(stream);
    return { epoch: stream.epoch, offset };
  }

  read(appId: string, channel: string, request: ReadRequest): HistoryRead {
    const now = this.now();
    let stream = this.streams.get(appId)?.get(channel);
    if (stream) this.trim(stream, request.maxEvents, request.ttlMs, now);
    else {
      stream = this.create(appId, channel, now);
      this.empty.add(stream);
      this.evict(stream);
    }
    const { ring } = stream;
    const state = {
      epoch: stream.epoch,
      top: stream.top,
      firstKept: stream.top - ring.count + 1,
      trimReason: stream.trimReason,
      topPublishedAtMs: stream.topPublishedAtMs,
    };
    const after = replayAfter(state, request);
    const kept: KeptEvent[] = [];
    if (after !== undefined) {
      // Offsets are contiguous: the events after `after` start at a computable index.
      const start = Math.max(0, after + 1 - state.firstKept, ring.count - request.maxEvents);
      for (let i = start; i < ring.count; i++) {
        kept.push({
          offset: state.firstKept + i,
          frame: ring.frame(i),
          exceptSocketId: ring.exceptSocketId(i),
          publishedAtMs: ring.publishedAtMs(i),
        });
      }
    }
    return answerRead(state, request, after, kept, now);
  }

  /** Drops expired events and metadata idle for a day, in every stream. */
  sweep(nowMs: number): void {
    for (let stream = this.oldest; stream !== undefined; ) {
      const next = stream.newer;
      if (stream.lastTouchMs <= nowMs - this.metadataTtlMs) this.drop(stream);
      else this.dropExpired(stream, stream.ttlMs, nowMs);
      stream = next;
    }
  }

  stats(): MemoryHistoryStats {
    return { streams: this.streamCount, events: this.events, bytes: this.bytes };
  }

  /** A new stream, in the map and at the most recent end of the list. */
  private create(appId: string, channel: string, now: number): Stream {
    const bytes = STREAM_OVERHEAD_BYTES + stringBytes(streamKey(appId, channel));
    this.bytes += bytes;
    const stream: Stream = {
      appId,
      channel,
      epoch: this.newEpoch(),
      top: 0,
      ring: new EventRing(),
      trimReason: undefined,
      lastTouchMs: now,
      topPublishedAtMs: undefined,
      ttlMs: HISTORY_DEFAULTS.ttlMs,
      bytes,
      older: undefined,
      newer: undefined,
    };
    let byChannel = this.streams.get(appId);
    if (!byChannel) {
      byChannel = new Map();
      this.streams.set(appId, byChannel);
    }
    byChannel.set(channel, stream);
    this.streamCount++;
    this.link(stream);
    return stream;
  }

  private trim(stream: Stream, maxEvents: number, ttlMs: number, now: number): void {
    while (stream.ring.count > maxEvents) this.dropOldest(stream, 'too_far_behind');
    this.dropExpired(stream, ttlMs, now);
  }

  private dropExpired(stream: Stream, ttlMs: number, now: number): void {
    const cutoff = now - ttlMs;
    const { ring } = stream;
    while (ring.count > 0 && ring.publishedAtMs(0) <= cutoff) this.dropOldest(stream, 'expired');
  }

  private dropOldest(stream: Stream, reason: TrimReason): void {
    const { ring } = stream;
    if (ring.count === 0) return;
    this.bytes -= eventBytes(ring.frame(0), ring.exceptSocketId(0));
    this.events--;
    ring.shift();
    stream.trimReason = reason;
    if (ring.count === 0) this.empty.add(stream);
  }

  /** Forgets a stream entirely: its next use starts a new epoch. */
  private drop(stream: Stream): void {
    const byChannel = this.streams.get(stream.appId);
    if (byChannel?.get(stream.channel) !== stream) return;
    byChannel.delete(stream.channel);
    if (byChannel.size === 0) this.streams.delete(stream.appId);
    this.streamCount--;
    this.unlink(stream);
    this.empty.delete(stream);
    const { ring } = stream;
    for (let i = 0; i < ring.count; i++) this.bytes -= eventBytes(ring.frame(i), ring.exceptSocketId(i));
    this.events -= ring.count;
    this.bytes -= stream.bytes;
  }

  /** Brings the bytes back within the budget; `touched` (the stream in use) loses its metadata last. */
  private evict(touched: Stream): void {
    if (this.bytes <= this.budget) return;
    for (const stream of this.empty) {
      if (stream === touched) continue;
      this.drop(stream);
      if (this.bytes <= this.budget) return;
    }
    for (let stream = this.oldest; stream !== undefined; stream = stream.newer) {
      while (stream.ring.count > 0) {
        this.dropOldest(stream, 'evicted');
        if (this.bytes <= this.budget) return;
      }
    }
    for (let stream = this.oldest; stream !== undefined; ) {
      const next = stream.newer;
      if (stream !== touched) {
        this.drop(stream);
        if (this.bytes <= this.budget) return;
      }
      stream = next;
    }
    this.drop(touched);
  }

  // ───────────── the list, least recently published first ─────────────

  private link(stream: Stream): void {
    stream.older = this.newest;
    stream.newer = undefined;
    if (this.newest) this.newest.newer = stream;
    else this.oldest = stream;
    this.newest = stream;
  }

  private unlink(stream: Stream): void {
    const { older, newer } = stream;
    if (older) older.newer = newer;
    else this.oldest = newer;
    if (newer) newer.older = older;
    else this.newest = older;
    stream.older = undefined;
    stream.newer = undefined;
  }

  /** A publish makes its stream the most recent (no map operation: this runs on every publish). */
  private moveToNewest(stream: Stream): void {
    if (this.newest === stream) return;
    this.unlink(stream);
    this.link(stream);
  }
}
