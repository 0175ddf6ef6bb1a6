/**
 * Encode once, frame once (docs/architecture.md §7). A broadcast turns the encoded envelope into one Buffer and,
 * when `ws` exposes what we need, into one WebSocket frame that is written to every subscriber's TCP
 * socket as is. `Sender.frame` is public in ws; `_sender.sendFrame` is internal, so it is feature-checked
 * here (and only here) and used only while that socket's sender is idle (no compression, nothing
 * queued); otherwise the socket gets `ws.send(buffer)`, which is always correct.
 *
 * A socket's frames of one turn of the event loop after its first are held and written together in
 * one system call (turn-writes.ts).
 *
 * Backpressure: a socket that already holds more than `maxBufferedBytes` unsent bytes is not written
 * to; it is closed with 4100 (Over capacity: pusher-js backs off and reconnects), so one slow client
 * never grows the server's memory without bound.
 */
import type { Duplex } from 'node:stream';
import * as wsModule from 'ws';
import { WebSocket } from 'ws';
import type { AppTraffic } from '../shared/traffic';
import { beforeWrite, releaseIfLarge, releaseNow, type TurnStamped } from './turn-writes';

/** What a broadcast needs from a connection. */
export interface FrameSink extends TurnStamped {
  readonly ws: WebSocket;
  /** True once the connection is closing: nothing more is written. */
  readonly closing: boolean;
  /** Called when the socket is over its buffer budget. */
  overCapacity(): void;
  /** Counters of the sink's app (metrics). */
  readonly traffic?: AppTraffic;
}

type FrameList = readonly (Buffer | string)[];

interface InternalSender {
  readonly _state?: unknown;
  readonly _queue?: readonly unknown[];
  sendFrame?: (list: FrameList, cb?: (error?: Error) => void) => void;
}

interface InternalWebSocket {
  readonly _sender?: InternalSender;
  readonly _extensions?: Record<string, unknown>;
  readonly _socket?: Partial<Duplex>;
}

type FrameFn = (data: Buffer, options: Record<string, unknown>) => FrameList;

// ESM (`ws/wrapper.mjs`) exports `Sender` by name; CJS hangs it on the WebSocket class.
const SenderClass =
  (wsModule as unknown as { Sender?: { frame?: FrameFn } }).Sender ??
  (WebSocket as unknown as { Sender?: { frame?: FrameFn } }).Sender;
const frameFn: FrameFn | undefined =
  typeof SenderClass?.frame === 'function' ? SenderClass.frame.bind(SenderClass) : undefined;

let frameOnce = frameFn !== undefined && process.env.REVERB_FRAME_ONCE !== 'false';

/** Whether this `ws` build supports the frame-once path at all. */
export const frameOnceSupported = frameFn !== undefined;

/** Turns the frame-once path on or off (tests and benchmarks cover both paths). */
export function setFrameOnce(enabled: boolean): void {
  frameOnce = enabled && frameFn !== undefined;
}

export function isFrameOnce(): boolean {
  return frameOnce;
}

/** Counters, so tests can see which path ran. */
export const broadcastStats = { framedOnce: 0, sentPlain: 0, skippedOverCapacity: 0 };

/** The internal sender of `ws`, when it can take a prebuilt frame right now. */
function idleSender(ws: WebSocket): InternalSender | undefined {
  const internal = ws as unknown as InternalWebSocket;
  const sender = internal._sender;
  if (!sender || typeof sender.sendFrame !== 'function') return undefined;
  // DEFAULT state (0) and an empty queue: nothing is being compressed or waiting, so writing our
  // frame straight to the socket keeps the order of frames.
  if (sender._state !== 0 || !Array.isArray(sender._queue) || sender._queue.length !== 0) return undefined;
  // A negotiated permessage-deflate would need per-socket compression (the server disables it).
  if (internal._extensions?.['permessage-deflate'] !== undefined) return undefined;
  return sender;
}

/** The TCP (or TLS) socket under `ws`, when it can be corked (ws's `_socket` is internal). */
function socketOf(ws: WebSocket): Duplex | undefined {
  const socket = (ws as unknown as InternalWebSocket)._socket;
  return typeof socket?.cork === 'function' ? (socket as Duplex) : undefined;
}

/**
 * True when `ws` holds more than `maxBufferedBytes` unsent bytes the client has not taken. Bytes
 * held back for this turn (turn-writes.ts) are the server's, not the client's: they go to the kernel
 * first, and what the kernel does not take then is judged.
 */
export function overBudget(ws: WebSocket, maxBufferedBytes: number): boolean {
  if (ws.bufferedAmount <= maxBufferedBytes) return false;
  const socket = socketOf(ws);
  return !(socket !== undefined && releaseNow(socket) && ws.bufferedAmount <= maxBufferedBytes);
}

/**
 * One text frame as ONE buffer (header and payload joined): `sendFrame` then makes one plain `write`
 * per socket instead of cork + two writes + uncork (a `writev` of two buffers), which is most of the
 * per-delivery cost.
 */
function singleBufferFrame(frame: FrameFn, payload: Buffer): FrameList {
  const parts = frame(payload, { fin: true, opcode: 1, mask: false, readOnly: true, rsv1: false });
  return parts.length > 1 ? [Buffer.concat(parts as Buffer[])] : parts;
}

/**
 * Writes one text frame to one socket (replies to a single connection): as one buffer through the
 * idle sender when frame-once is on, else `ws.send`. The caller has checked state and buffer budget.
 */
export function writeText(sink: Pick<FrameSink, 'ws' | 'writeTurn'>, text: string): void {
  const { ws } = sink;
  const socket = socketOf(ws);
  if (socket) beforeWrite(sink, socket);
  const sender = frameOnce && frameFn ? idleSender(ws) : undefined;
  if (sender?.sendFrame && frameFn) sender.sendFrame(singleBufferFrame(frameFn, Buffer.from(text, 'utf8')));
  else ws.send(text);
  if (socket) releaseIfLarge(socket);
}

/** A frame ready to be written to many sockets. */
export class PreparedFrame {
  readonly buffer: Buffer;
  private list: FrameList | undefined;

  constructor(readonly text: string) {
    this.buffer = Buffer.from(text, 'utf8');
  }

  private framed(): FrameList | undefined {
    if (!frameOnce || !frameFn) return undefined;
    this.list ??= singleBufferFrame(frameFn, this.buffer);
    return this.list;
  }

  /** Writes the frame to one socket; false when the socket was skipped. */
  sendTo(sink: FrameSink, maxBufferedBytes: number): boolean {
    const { ws } = sink;
    if (sink.closing || ws.readyState !== WebSocket.OPEN) return false;
    if (overBudget(ws, maxBufferedBytes)) {
      broadcastStats.skippedOverCapacity++;
      sink.overCapacity();
      return false;
    }
    const list = this.framed();
    const sender = list ? idleSender(ws) : undefined;
    const socket = socketOf(ws);
    try {
      if (socket) beforeWrite(sink, socket);
      if (list && sender?.sendFrame) {
        broadcastStats.framedOnce++;
        sender.sendFrame(list);
      } else {
        broadcastStats.sentPlain++;
        ws.send(this.buffer, { binary: false });
      }
      if (socket) releaseIfLarge(socket);
      const traffic = sink.traffic;
      if (traffic) {
        traffic.messagesOut++;
        traffic.bytesOut += this.buffer.length;
      }
    } catch {
      // A socket torn down mid-write: its close event cleans up; the other recipients still get the frame.
      return false;
    }
    return true;
  }
}

/** Sends one encoded frame to every sink except `except`; returns how many got it. */
export function broadcastFrame(
  sinks: Iterable<FrameSink>,
  frame: string,
  maxBufferedBytes: number,
  except?: FrameSink,
): number {
  let prepared: PreparedFrame | undefined;
  let sent = 0;
  for (const sink of sinks) {
    if (sink === except) continue;
    prepared ??= new PreparedFrame(frame);
    if (prepared.sendTo(sink, maxBufferedBytes)) sent++;
  }
  return sent;
}
