/** A raw `ws` client that records every frame, for literal-frame tests. */
import { waitFor } from '@react-reverb/test-helpers';
import { afterEach } from 'vitest';
import WebSocket from 'ws';

export interface Frame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly user_id?: string;
}

export class RawClient {
  readonly frames: Frame[] = [];
  readonly raw: string[] = [];
  closeCode: number | undefined;
  closeReason: string | undefined;
  private cursor = 0;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data) => {
      const text = data.toString();
      this.raw.push(text);
      this.frames.push(JSON.parse(text) as Frame);
    });
    ws.on('close', (code, reason) => {
      this.closeCode = code;
      this.closeReason = reason.toString();
    });
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

  /** The socket id from connection_established. */
  get socketId(): string {
    const first = this.frames[0];
    if (first?.event !== 'pusher:connection_established') throw new Error('not connected');
    return (JSON.parse(first.data as string) as { socket_id: string }).socket_id;
  }

  send(frame: string | object): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The next frame (after the ones already taken) matching `match`; earlier non-matching ones are skipped. */
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
    );
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

  close(): void {
    this.ws.close();
  }

  destroy(): void {
    // Abrupt: no close frame, the TCP socket just goes away.
    (this.ws as unknown as { _socket?: { destroy(): void } })._socket?.destroy();
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
 * leave clients behind for the next one's checks. Call once at module scope.
 */
export function rawClients(): (url: string, options?: WebSocket.ClientOptions) => Promise<RawClient> {
  const opened: RawClient[] = [];
  afterEach(() => {
    for (const c of opened.splice(0)) c.ws.terminate();
  });
  return async (url, options) => {
    const c = await RawClient.open(url, options);
    opened.push(c);
    return c;
  };
}
