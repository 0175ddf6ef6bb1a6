/**
 * History of one node, in memory (docs/protocol.md §11.1; the LocalAdapter's store). Per stream: a
 * random epoch made on first use (lost with the process: a restart changes every epoch), contiguous
 * offsets, the events kept within the app's `maxEvents` and `ttlMs`, and the node's memory budget.
 *
 * Memory accounting (no RSS involved, so it is exact and testable): every kept event costs the bytes
 * of its frame and excluded socket id (1 per UTF-16 unit, 2 when the string holds a character above
 * U+00FF: how V8 stores strings) plus {@link ENTRY_OVERHEAD_BYTES}; every stream costs
 * {@link STREAM_OVERHEAD_BYTES} plus the bytes of its key (app id and channel name).
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
 * What one kept event costs beyond its frame, measured on Node 20 (x64, no pointer compression): the
 * entry object with its 5 fields, its slot in the stream's array, the string header of the frame and
 * the heap number of its publish time. See docs/history.md for the measurement.
 */
export const ENTRY_OVERHEAD_BYTES = 120;
/** What one stream costs beyond its key's characters: the map entry, the stream object, its array and epoch. */
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

interface Entry extends KeptEvent {
  readonly bytes: number;
}

interface Stream {
  readonly key: string;
  readonly epoch: string;
  top: number;
  readonly entries: Entry[];
  trimReason: TrimReason | undefined;
  /** Last publish, or creation by a read: what metadata expiry and eviction order go by. */
  lastTouchMs: number;
  topPublishedAtMs: number | undefined;
  /** The limits of the last append, for `sweep`. */
  ttlMs: number;
  readonly bytes: number;
}

const WIDE_CHARACTER = /[\u0100-\uffff]/;

/** Bytes V8 spends on a string's characters. */
export function stringBytes(text: string): number {
  return WIDE_CHARACTER.test(text) ? text.length * 2 : text.length;
}

function streamKey(appId: string, channel: string): string {
  return `${appId}\u0000${channel}`;
}

export class MemoryHistory implements HistoryStore {
  /** Least recently published first: a publish moves its stream to the end. */
  private readonly streams = new Map<string, Stream>();
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
    const key = streamKey(appId, channel);
    const stream = this.streams.get(key) ?? this.create(key, now);
    // Most recently published goes last.
    this.streams.delete(key);
    this.streams.set(key, stream);
    this.empty.delete(stream);
    stream.lastTouchMs = now;
    stream.topPublishedAtMs = now;
    stream.ttlMs = options.ttlMs;
    const offset = ++stream.top;
    const { exceptSocketId } = options;
    const bytes =
      ENTRY_OVERHEAD_BYTES +
      stringBytes(frame) +
      (exceptSocketId === undefined ? 0 : stringBytes(exceptSocketId));
    stream.entries.push({ offset, frame, exceptSocketId, publishedAtMs: now, bytes });
    this.bytes += bytes;
    this.events++;
    this.trim(stream, options.maxEvents, options.ttlMs, now);
    this.evict(stream);
    return { epoch: stream.epoch, offset };
  }

  read(appId: string, channel: string, request: ReadRequest): HistoryRead {
    const now = this.now();
    const key = streamKey(appId, channel);
    let stream = this.streams.get(key);
    if (stream) this.trim(stream, request.maxEvents, request.ttlMs, now);
    else {
      stream = this.create(key, now);
      this.streams.set(key, stream);
      this.empty.add(stream);
      this.evict(stream);
    }
    const { entries } = stream;
    const state = {
      epoch: stream.epoch,
      top: stream.top,
      firstKept: entries[0]?.offset ?? stream.top + 1,
      trimReason: stream.trimReason,
      topPublishedAtMs: stream.topPublishedAtMs,
    };
    const after = replayAfter(state, request);
    const kept: Entry[] = [];
    if (after !== undefined) {
      // Entries are contiguous: the ones after `after` start at a computable index.
      const start = Math.max(0, after + 1 - state.firstKept, entries.length - request.maxEvents);
      for (let i = start; i < entries.length; i++) kept.push(entries[i] as Entry);
    }
    return answerRead(state, request, after, kept, now);
  }

  /** Drops expired events and metadata idle for a day, in every stream. */
  sweep(nowMs: number): void {
    for (const stream of this.streams.values()) {
      if (stream.lastTouchMs <= nowMs - this.metadataTtlMs) this.drop(stream);
      else this.dropExpired(stream, stream.ttlMs, nowMs);
    }
  }

  stats(): MemoryHistoryStats {
    return { streams: this.streams.size, events: this.events, bytes: this.bytes };
  }

  private create(key: string, now: number): Stream {
    const bytes = STREAM_OVERHEAD_BYTES + stringBytes(key);
    this.bytes += bytes;
    return {
      key,
      epoch: this.newEpoch(),
      top: 0,
      entries: [],
      trimReason: undefined,
      lastTouchMs: now,
      topPublishedAtMs: undefined,
      ttlMs: HISTORY_DEFAULTS.ttlMs,
      bytes,
    };
  }

  private trim(stream: Stream, maxEvents: number, ttlMs: number, now: number): void {
    while (stream.entries.length > maxEvents) this.dropOldest(stream, 'too_far_behind');
    this.dropExpired(stream, ttlMs, now);
  }

  private dropExpired(stream: Stream, ttlMs: number, now: number): void {
    const cutoff = now - ttlMs;
    while ((stream.entries[0]?.publishedAtMs ?? Number.POSITIVE_INFINITY) <= cutoff) {
      this.dropOldest(stream, 'expired');
    }
  }

  private dropOldest(stream: Stream, reason: TrimReason): void {
    const entry = stream.entries.shift();
    if (!entry) return;
    this.bytes -= entry.bytes;
    this.events--;
    stream.trimReason = reason;
    if (stream.entries.length === 0) this.empty.add(stream);
  }

  /** Forgets a stream entirely: its next use starts a new epoch. */
  private drop(stream: Stream): void {
    if (this.streams.get(stream.key) !== stream) return;
    this.streams.delete(stream.key);
    this.empty.delete(stream);
    for (const entry of stream.entries) this.bytes -= entry.bytes;
    this.events -= stream.entries.length;
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
    for (const stream of this.streams.values()) {
      while (stream.entries.length > 0) {
        this.dropOldest(stream, 'evicted');
        if (this.bytes <= this.budget) return;
      }
    }
    for (const stream of this.streams.values()) {
      if (stream === touched) continue;
      this.drop(stream);
      if (this.bytes <= this.budget) return;
    }
    this.drop(touched);
  }
}
