/**
 * The node's side of recovery on subscribe (docs/protocol.md §11.1), the parts the registry keeps per
 * app: the hold of one connection's live frames while its history is read, and the last position this
 * node applied per channel.
 *
 * Why a hold: a subscribe on a history channel reads the channel's history (a Redis round trip in a
 * cluster). A live event published meanwhile must reach the socket after the replay and only once,
 * whether or not the read saw it. So the connection is not a subscriber yet: the registry keeps the
 * channel's live frames for it, and once the replay is sent it sends those the replay did not cover
 * (a positioned frame at or below the read's top, same epoch, was covered), then makes it a subscriber.
 *
 * Why the last applied position: in a cluster, an event can be in Redis (so the read counts it) while
 * its pub/sub message is still on its way to this node. Arriving after the hold, it would be sent a
 * second time. A top published a moment ago (`IN_FLIGHT_MS`, on Redis's clock) that this node has not
 * applied yet is waited for (at most `APPLY_WAIT_MS`), still holding, so its copy lands in the hold and
 * is dropped there. With one node the append and the apply happen together: never a wait.
 */
import type { StreamPosition } from '@react-reverb/core/protocol';
import type { HistoryRead } from '../scaling/history';

/** A top published less than this long before the read (store's clock) may not have reached this node. */
export const IN_FLIGHT_MS = 2_000;
/** How long a subscribe waits for such a top to be applied here. */
export const APPLY_WAIT_MS = 1_000;
/** How long this node remembers the last position it applied on a channel. */
export const APPLIED_KEPT_MS = 5_000;

/** A live frame and its position, made once per broadcast and shared by every hold it goes into. */
export interface HeldFrame {
  readonly frame: string;
  /** The frame's UTF-8 size, what the hold's budget (the socket's buffer limit) is counted in. */
  readonly bytes: number;
  readonly position: StreamPosition | undefined;
}

/** The live frames of one channel held for one connection while its history is read. */
export class Hold {
  private readonly frames: HeldFrame[] = [];
  private bytes = 0;

  /** Keeps a frame; false once the hold is over `maxBytes` (the connection is then a slow reader). */
  push(held: HeldFrame, maxBytes: number): boolean {
    this.frames.push(held);
    this.bytes += held.bytes;
    return this.bytes <= maxBytes;
  }

  /** The held frames to send after a replay that brought the client to `stream`, in arrival order. */
  *after(stream: StreamPosition | undefined): Generator<string> {
    for (const { frame, position } of this.frames) {
      const covered =
        stream !== undefined &&
        position !== undefined &&
        position.epoch === stream.epoch &&
        position.offset <= stream.offset;
      if (!covered) yield frame;
    }
  }
}

interface Applied {
  readonly epoch: string;
  readonly offset: number;
  readonly atMs: number;
}

interface Waiter {
  readonly target: StreamPosition;
  readonly done: () => void;
}

/** Per channel, the last position this node applied (for `APPLIED_KEPT_MS`), and who waits for one. */
export class AppliedPositions {
  private readonly last = new Map<string, Applied>();
  private readonly waiters = new Map<string, Set<Waiter>>();

  record(channel: string, position: StreamPosition, nowMs: number): void {
    this.last.set(channel, { epoch: position.epoch, offset: position.offset, atMs: nowMs });
    if (this.waiters.size === 0) return;
    const waiting = this.waiters.get(channel);
    if (!waiting) return;
    for (const waiter of waiting) if (this.reached(channel, waiter.target)) waiter.done();
  }

  /** Whether this node applied `target` (or a later event of its epoch) on the channel. */
  reached(channel: string, target: StreamPosition): boolean {
    const last = this.last.get(channel);
    return last !== undefined && last.epoch === target.epoch && last.offset >= target.offset;
  }

  /**
   * Resolves once the read's top is applied here, at once when it cannot still be in flight (nothing
   * published, published `IN_FLIGHT_MS` ago or more), or after `APPLY_WAIT_MS` at most.
   */
  untilApplied(channel: string, read: HistoryRead): Promise<void> {
    const top = read.stream;
    if (top === undefined || top.offset === 0 || read.topPublishedAtMs === undefined) {
      return Promise.resolve();
    }
    if (read.nowMs - read.topPublishedAtMs >= IN_FLIGHT_MS || this.reached(channel, top)) {
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      let waiting = this.waiters.get(channel);
      if (!waiting) {
        waiting = new Set();
        this.waiters.set(channel, waiting);
      }
      const set = waiting;
      const waiter: Waiter = {
        target: top,
        done: () => {
          clearTimeout(timer);
          set.delete(waiter);
          if (set.size === 0 && this.waiters.get(channel) === set) this.waiters.delete(channel);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, APPLY_WAIT_MS);
      set.add(waiter);
    });
  }

  /** Forgets positions applied `APPLIED_KEPT_MS` ago or more (the shared ticker). */
  prune(nowMs: number): void {
    for (const [channel, applied] of this.last) {
      if (nowMs - applied.atMs >= APPLIED_KEPT_MS) this.last.delete(channel);
    }
  }

  /** Channels with a remembered position, and subscribes waiting (for stats and leak tests). */
  get size(): { channels: number; waiting: number } {
    let waiting = 0;
    for (const set of this.waiters.values()) waiting += set.size;
    return { channels: this.last.size, waiting };
  }
}
