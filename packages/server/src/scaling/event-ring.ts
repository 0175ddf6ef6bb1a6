/**
 * The kept events of one stream of `MemoryHistory` (memory-history.ts), oldest first, in a ring:
 * frames and excluded socket ids in one array (two slots per event), publish times in another (a
 * double array, so no heap number per event). A kept event adds nothing to the heap but its frame,
 * and dropping the oldest moves nothing; offsets are the store's business (they are contiguous).
 *
 * The capacity grows by half when full (never beyond the stream's `maxEvents`, so a stream kept at its
 * limit has no spare slot) and shrinks once fewer than half the slots are used, so it is never more
 * than twice the events plus one: what the store's per-event overhead counts (docs/history.md). Each
 * resize copies the kept events once, after at least a quarter of them were added or dropped, so the
 * copies stay O(1) per event.
 */

export class EventRing {
  private entries: (string | undefined)[] = [];
  private times: number[] = [];
  private capacity = 0;
  /** Where the oldest kept event is. */
  private first = 0;
  /** How many events are kept. */
  count = 0;

  /** Adds the newest event. The caller keeps `count` below `maxEvents` first. */
  push(frame: string, exceptSocketId: string | undefined, publishedAtMs: number, maxEvents: number): void {
    if (this.count === this.capacity) {
      this.resize(Math.max(this.count + 1, Math.min(maxEvents, this.capacity + (this.capacity >> 1) + 1)));
    }
    const at = this.place(this.count);
    this.entries[2 * at] = frame;
    this.entries[2 * at + 1] = exceptSocketId;
    this.times[at] = publishedAtMs;
    this.count++;
  }

  /** The frame of the `i`-th kept event (0 is the oldest). */
  frame(i: number): string {
    return this.entries[2 * this.place(i)] as string;
  }

  exceptSocketId(i: number): string | undefined {
    return this.entries[2 * this.place(i) + 1];
  }

  publishedAtMs(i: number): number {
    return this.times[this.place(i)] as number;
  }

  /** Drops the oldest kept event (read it first). */
  shift(): void {
    if (this.count === 0) return;
    const at = this.first;
    // Released at once: a dropped frame must not stay reachable.
    this.entries[2 * at] = undefined;
    this.entries[2 * at + 1] = undefined;
    this.first = at + 1 === this.capacity ? 0 : at + 1;
    this.count--;
    if (this.count === 0) this.release();
    else if (this.count * 2 < this.capacity) this.resize(this.count + (this.count >> 1) + 1);
  }

  private place(i: number): number {
    const at = this.first + i;
    return at < this.capacity ? at : at - this.capacity;
  }

  private resize(capacity: number): void {
    const entries = new Array<string | undefined>(2 * capacity);
    const times = new Array<number>(capacity);
    for (let i = 0; i < this.count; i++) {
      const at = this.place(i);
      entries[2 * i] = this.entries[2 * at];
      entries[2 * i + 1] = this.entries[2 * at + 1];
      times[i] = this.times[at] as number;
    }
    this.entries = entries;
    this.times = times;
    this.capacity = capacity;
    this.first = 0;
  }

  private release(): void {
    this.entries = [];
    this.times = [];
    this.capacity = 0;
    this.first = 0;
  }
}
