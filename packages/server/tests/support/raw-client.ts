/**
 * The raw WebSocket client of the literal-frame tests: it records every frame the server sends, byte for
 * byte, and waits on them. `RawClient` talks through `ws`, a well-behaved client (TLS, permessage-deflate,
 * answers pings and close frames). `BareClient` (bare-client.ts) writes hand-made frames on a bare TCP
 * socket, for what `ws` refuses to send and for a client that never answers; it records and waits the
 * same way, through `ReceivedFrames`.
 */
import type { Socket } from 'node:net';
import { waitFor } from '@react-reverb/test-helpers';
import { afterEach } from 'vitest';
import WebSocket from 'ws';

/** The query string pusher-js 8.6 connects with. */
export const PUSHER_JS_QUERY = 'protocol=7&client=js&version=8.6.0&flash=false';

export interface Frame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

/** What a raw client received from the server, and the waits over it. */
export abstract class ReceivedFrames {
  /** Every text frame, parsed (`data` left as the server encoded it). */
  readonly frames: Frame[] = [];
  /** Every text frame exactly as it came off the wire. */
  readonly raw: string[] = [];
  /** Set once the close is seen: the close event of `ws`, or the arrival of the close frame (bare). */
  closeCode: number | undefined;
  closeReason: string | undefined;
  private cursor = 0;

  /** Sends one text frame: a string as is, anything else JSON-encoded. */
  abstract send(frame: string | object): void;

  /** The TCP socket beneath the WebSocket (none if it never connected). */
  protected abstract get tcp(): Socket | undefined;

  protected received(text: string): void {
    this.raw.push(text);
    this.frames.push(JSON.parse(text) as Frame);
  }

  protected closedWith(code: number, reason: string): void {
    this.closeCode = code;
    this.closeReason = reason;
  }

  /** The socket id from connection_established. */
  get socketId(): string {
    const first = this.frames[0];
    if (first?.event !== 'pusher:connection_established') throw new Error('not connected');
    return (JSON.parse(first.data as string) as { socket_id: string }).socket_id;
  }

  /** The next frame (after those already taken) matching `match`; earlier non-matching ones are skipped. */
  async next(match: (f: Frame) => boolean = () => true, what = 'frame', timeoutMs = 5000): Promise<Frame> {
    let found: Frame | undefined;
    await waitFor(
      () => {
        for (let i = this.cursor; i < this.frames.length; i++) {
          const frame = this.frames[i] as Frame;
          if (match(frame)) {
            found = frame;
            this.cursor = i + 1;
            return true;
          }
        }
        return false;
      },
      timeoutMs,
      what,
    ).catch((error: Error) => {
      throw new Error(`${error.message}; the last frames received:\n${this.raw.slice(-20).join('\n')}`);
    });
    return found as Frame;
  }

  nextEvent(event: string, channel?: string): Promise<Frame> {
    return this.next((f) => f.event === event && (channel === undefined || f.channel === channel), event);
  }

  /** Every frame received with this event name so far. */
  all(event: string, channel?: string): Frame[] {
    return this.frames.filter((f) => f.event === event && (channel === undefined || f.channel === channel));
  }

  async closed(timeoutMs = 5000): Promise<{ code: number; reason: string }> {
    await waitFor(() => this.closeCode !== undefined, timeoutMs, 'close');
    return { code: this.closeCode as number, reason: this.closeReason ?? '' };
  }

  /** Sends pusher:ping and takes the next pong: a round trip, so all the server sent before has arrived. */
  async ping(): Promise<void> {
    this.send('{"event":"pusher:ping","data":{}}');
    await this.nextEvent('pusher:pong');
  }

  /** Subscribes (with the signature of a private or presence channel, if given) and waits for the success. */
  subscribe(channel: string, auth = '', channelData?: string): Promise<Frame> {
    this.send(subscribeFrame(channel, auth, channelData));
    return this.nextEvent('pusher_internal:subscription_succeeded', channel);
  }

  /** Stops reading the TCP socket: the kernel buffers fill, then the server's (a slow consumer). */
  pauseReading(): void {
    this.connectedTcp().pause();
  }

  resumeReading(): void {
    this.connectedTcp().resume();
  }

  /** Abrupt: no close frame, the TCP socket just goes away. */
  destroy(): void {
    this.tcp?.destroy();
  }

  private connectedTcp(): Socket {
    if (!this.tcp) throw new Error('not connected');
    return this.tcp;
  }
}

export class RawClient extends ReceivedFrames {
  private constructor(readonly ws: WebSocket) {
    super();
    ws.on('message', (data) => this.received(data.toString()));
    ws.on('close', (code, reason) => this.closedWith(code, reason.toString()));
    ws.on('error', () => {});
  }

  /** Opens and waits for the first frame (connection_established or the refusal's pusher:error). */
  static async open(url: string, options: WebSocket.ClientOptions = {}): Promise<RawClient> {
    const client = new RawClient(new WebSocket(url, options));
    await waitFor(
      () => client.frames.length > 0 || client.closeCode !== undefined,
      5000,
      `first frame from ${url}`,
    );
    return client;
  }

  protected get tcp(): Socket | undefined {
    return (this.ws as unknown as { _socket?: Socket })._socket;
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  close(): void {
    this.ws.close();
  }
}

/** Subscribe frame as pusher-js sends it. */
export function subscribeFrame(channel: string, auth = '', channelData?: string): object {
  return {
    event: 'pusher:subscribe',
    data: channelData === undefined ? { channel, auth } : { channel, auth, channel_data: channelData },
  };
}

/** The `data` of a server frame, parsed when it is a JSON string. */
export function dataOf<T = Record<string, unknown>>(frame: Frame): T {
  return (typeof frame.data === 'string' ? JSON.parse(frame.data) : frame.data) as T;
}

/**
 * Opens raw clients for one test file and terminates them after each test, so a failed test does not
 * leave clients behind for the next one's checks. Each is opened on a URL, or on a test server's app.
 * Call once at module scope.
 */
export function rawClients(): (
  where: string | { wsUrl(): string },
  options?: WebSocket.ClientOptions,
) => Promise<RawClient> {
  const opened: RawClient[] = [];
  afterEach(() => {
    for (const c of opened.splice(0)) c.ws.terminate();
  });
  return async (where, options) => {
    const c = await RawClient.open(typeof where === 'string' ? where : where.wsUrl(), options);
    opened.push(c);
    return c;
  };
}
