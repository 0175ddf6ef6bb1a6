/**
 * One write per socket per turn of the event loop (docs/architecture.md §7). Most of what a delivery
 * costs is the kernel's `write` per socket; when several frames leave for one socket within a turn (a
 * `batch_events` of 10 events on one channel, a burst of triggers read in one poll, the broadcasts of
 * one relayed batch, a recovery replay), each frame would be a system call of its own. Instead, the
 * first frame of a turn corks the socket, and `setImmediate` (the check phase, right after the poll
 * phase that read the turn's requests) uncorks every socket corked in the turn: Node hands each
 * socket's frames to the kernel together, one `writev`.
 *
 * Why the check phase and not `process.nextTick`: a burst of `POST /events` arrives as several
 * requests that one poll phase reads, each in a callback of its own; released at each callback's end,
 * their frames would still take a write each. Measured at 5,000 subscribers (bench `fanout-frames`),
 * bursts of 10 cost 0.44× the CPU per delivery released in the check phase, and about 1× released
 * per callback; a single frame per turn costs the same either way.
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

/** Counters, so tests can see that frames were held together. */
export const turnWriteStats = { corked: 0, releasedEarly: 0 };

/** Turns write coalescing on or off (tests and benchmarks measure both). */
export function setWriteCoalescing(on: boolean): void {
  enabled = on;
}

export function isWriteCoalescing(): boolean {
  return enabled;
}

function releaseTurn(): void {
  scheduled = false;
  // Uncorking writes; a write that fails emits its error later, and anything written meanwhile starts
  // a new list for the next turn's end.
  const sockets = held;
  held = [];
  for (const socket of sockets) socket.uncork();
}

/**
 * Corks `socket` until the end of this turn, unless it is corked already (by this turn, or by a
 * writer that uncorks before returning, as ws does around a two-part frame).
 */
export function holdForTurn(socket: Duplex): void {
  if (!enabled || socket.writableCorked !== 0) return;
  socket.cork();
  held.push(socket);
  turnWriteStats.corked++;
  if (!scheduled) {
    scheduled = true;
    setImmediate(releaseTurn);
  }
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
