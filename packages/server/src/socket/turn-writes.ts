/**
 * One write per socket per turn of the event loop, or two (docs/architecture.md §7). Most of what a
 * delivery costs is the kernel's `write` per socket; when several frames leave for one socket within
 * a turn (a `batch_events` of 10 events on one channel, a burst of triggers read in one poll, the
 * broadcasts of one relayed batch, a recovery replay), each frame would be a system call of its own.
 * The first frame of a turn goes to the kernel at once, as any single frame does; a second one corks
 * the socket, and `setImmediate` (the check phase, right after the poll phase that read the turn's
 * requests) uncorks every socket corked in the turn: Node hands the rest of each socket's frames to
 * the kernel together, one `writev`.
 *
 * Why not cork at the first frame: a socket that gets one frame per turn, the common fan-out, then
 * pays for buffering and a second pass over every socket, and measured 1.1–1.2× the CPU per delivery
 * at 5,000 subscribers (bench `fanout-single-5k`). Why the check phase and not `process.nextTick`: a
 * burst of `POST /events` arrives as several requests that one poll phase reads, each in a callback
 * of its own; released at each callback's end, their frames would still take a write each (bench
 * `fanout-burst-5k`: about 1× the CPU per delivery, against 0.4× released in the check phase).
 *
 * Order is the stream's: everything written to a corked socket (frames, pings, the close frame) waits
 * in its write buffer in order. Held bytes are not a slow reader's backlog: `releaseNow` hands them to
 * the kernel before a buffer budget judges the socket (broadcast.ts), and a socket holding more than
 * `HOLD_LIMIT_BYTES` is released at once, so a turn never keeps much per socket back.
 */
import type { Duplex } from 'node:stream';

/** Beyond this many held bytes a socket is written at once: one system call is then cheap per byte. */
export const HOLD_LIMIT_BYTES = 64 * 1024;

let enabled = process.env.REVERB_WRITE_COALESCING !== 'false';

/** Sockets corked in this turn; a socket released early and corked again is listed twice (harmless). */
let held: Duplex[] = [];
let scheduled = false;
/** The current turn: it changes when a turn's held frames are released. */
let turn = 1;

/** Counters, so tests can see that frames were held together. */
export const turnWriteStats = { corked: 0, releasedEarly: 0 };

/** The writer of one socket (its connection): the turn of its last frame. */
export interface TurnStamped {
  writeTurn: number;
}

/** Turns write coalescing on or off (tests and benchmarks measure both). */
export function setWriteCoalescing(on: boolean): void {
  enabled = on;
}

export function isWriteCoalescing(): boolean {
  return enabled;
}

function releaseTurn(): void {
  scheduled = false;
  turn++;
  // Uncorking writes; a write that fails emits its error later.
  const sockets = held;
  held = [];
  for (const socket of sockets) socket.uncork();
}

/**
 * Before a frame is written to `socket` (`writer`'s): the first of the turn goes at once; from the
 * second on, the socket is corked until the turn ends. Every turn that writes ends with a release
 * scheduled, so a stamp of the current turn always has one pending.
 */
export function beforeWrite(writer: TurnStamped, socket: Duplex): void {
  if (!enabled) return;
  if (writer.writeTurn !== turn) {
    writer.writeTurn = turn;
    if (!scheduled) {
      scheduled = true;
      setImmediate(releaseTurn);
    }
    return;
  }
  // Already corked (by this turn, or by a writer that uncorks before it returns, as ws does).
  if (socket.writableCorked !== 0) return;
  socket.cork();
  held.push(socket);
  turnWriteStats.corked++;
}

/** After a write: a socket holding more than `HOLD_LIMIT_BYTES` goes to the kernel now. */
export function releaseIfLarge(socket: Duplex): void {
  if (socket.writableCorked !== 0 && socket.writableLength > HOLD_LIMIT_BYTES) releaseNow(socket);
}

/**
 * Hands what `socket` holds for this turn to the kernel now; true when it held anything. Later
 * frames of the turn cork it again.
 */
export function releaseNow(socket: Duplex): boolean {
  if (socket.writableCorked === 0) return false;
  turnWriteStats.releasedEarly++;
  // This module's one `cork` (ws uncorks its own before it returns).
  socket.uncork();
  return true;
}
