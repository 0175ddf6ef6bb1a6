/**
 * The raw client on a bare TCP socket, for what `ws` refuses to send (invalid UTF-8, bad opcodes,
 * hand-made fragments) and for clients that misbehave at the TCP level (stop reading, never answer a
 * ping or a close frame). Frames from the server are parsed by hand, so close frames and their codes are
 * visible the moment they arrive; text frames are recorded like RawClient's (raw-client.ts).
 */
import { randomBytes } from 'node:crypto';
import { createConnection, type Socket } from 'node:net';
import { waitFor } from '@react-reverb/test-helpers';
import { ReceivedFrames } from './raw-client';

export const Opcode = { Continuation: 0, Text: 1, Binary: 2, Close: 8, Ping: 9, Pong: 10 } as const;

export interface WireFrame {
  readonly opcode: number;
  readonly fin: boolean;
  readonly payload: Buffer;
}

/** A client→server frame: masked (as RFC 6455 requires) unless `mask` is false. */
export function encodeFrame(
  opcode: number,
  payload: Buffer | string,
  options: { fin?: boolean; mask?: boolean; rsv?: number } = {},
): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  const mask = options.mask ?? true;
  const first = ((options.fin ?? true) ? 0x80 : 0) | ((options.rsv ?? 0) << 4) | opcode;
  let header: Buffer;
  if (body.length < 126) {
    header = Buffer.from([first, (mask ? 0x80 : 0) | body.length]);
  } else if (body.length < 65_536) {
    header = Buffer.alloc(4);
    header[0] = first;
    header[1] = (mask ? 0x80 : 0) | 126;
    header.writeUInt16BE(body.length, 2);
  } else {
    header = Buffer.alloc(10);
    header[0] = first;
    header[1] = (mask ? 0x80 : 0) | 127;
    header.writeBigUInt64BE(BigInt(body.length), 2);
  }
  if (!mask) return Buffer.concat([header, body]);
  const key = randomBytes(4);
  const masked = Buffer.alloc(body.length);
  for (let i = 0; i < body.length; i++) masked[i] = (body[i] as number) ^ (key[i % 4] as number);
  return Buffer.concat([header, key, masked]);
}

/** The HTTP upgrade request of a WebSocket handshake, ready to write on a TCP socket. */
export function upgradeRequest(port: number, path: string, headers: Record<string, string> = {}): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    'Upgrade: websocket',
    'Connection: Upgrade',
    `Sec-WebSocket-Key: ${randomBytes(16).toString('base64')}`,
    'Sec-WebSocket-Version: 13',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return `${lines.join('\r\n')}\r\n\r\n`;
}

/** A plain TCP connection to the server, nothing sent yet (slowloris tests write by hand). */
export async function connectTcp(port: number): Promise<Socket> {
  const socket = createConnection({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return socket;
}

export class BareClient extends ReceivedFrames {
  /** Every frame from the server, control frames included, in order. */
  readonly wireFrames: WireFrame[] = [];
  /** The TCP socket closed or failed. */
  ended = false;
  /** The server's answer to the upgrade request, up to the blank line. */
  response = '';
  private pending: Buffer = Buffer.alloc(0);
  private upgraded = false;

  private constructor(readonly socket: Socket) {
    super();
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('close', () => {
      this.ended = true;
    });
    socket.on('error', () => {
      this.ended = true;
    });
  }

  /** Connects, completes the upgrade and waits for the first server frame. */
  static async open(port: number, path: string, headers: Record<string, string> = {}): Promise<BareClient> {
    const client = new BareClient(await connectTcp(port));
    const socket = client.socket;
    socket.write(upgradeRequest(port, path, headers));
    await waitFor(() => client.wireFrames.length > 0 || client.ended, 5000, `upgrade of ${path}`);
    if (!client.upgraded) throw new Error(`upgrade refused: ${client.response}`);
    return client;
  }

  protected get tcp(): Socket {
    return this.socket;
  }

  send(frame: string | object): void {
    this.socket.write(encodeFrame(Opcode.Text, typeof frame === 'string' ? frame : JSON.stringify(frame)));
  }

  /** Writes bytes exactly as given: hand-made frames, fragments, garbage. */
  sendBytes(bytes: Buffer): void {
    this.socket.write(bytes);
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    if (!this.upgraded) {
      const end = this.pending.indexOf('\r\n\r\n');
      if (end < 0) {
        this.response = this.pending.toString('latin1');
        return;
      }
      this.response = this.pending.subarray(0, end).toString('latin1');
      this.pending = this.pending.subarray(end + 4);
      if (!this.response.startsWith('HTTP/1.1 101')) {
        this.ended = true;
        return;
      }
      this.upgraded = true;
    }
    for (;;) {
      const frame = this.parseOne();
      if (!frame) return;
      this.wireFrames.push(frame);
      // Unfragmented text frames only: the server never fragments.
      if (frame.opcode === Opcode.Text) this.received(frame.payload.toString('utf8'));
      if (frame.opcode === Opcode.Close && this.closeCode === undefined) {
        const code = frame.payload.length >= 2 ? frame.payload.readUInt16BE(0) : 1005;
        this.closedWith(code, frame.payload.subarray(2).toString('utf8'));
      }
    }
  }

  private parseOne(): WireFrame | undefined {
    const b = this.pending;
    if (b.length < 2) return undefined;
    const first = b[0] as number;
    const second = b[1] as number;
    let length = second & 0x7f;
    let offset = 2;
    if (length === 126) {
      if (b.length < 4) return undefined;
      length = b.readUInt16BE(2);
      offset = 4;
    } else if (length === 127) {
      if (b.length < 10) return undefined;
      length = Number(b.readBigUInt64BE(2));
      offset = 10;
    }
    if (b.length < offset + length) return undefined;
    const payload = Buffer.from(b.subarray(offset, offset + length));
    this.pending = b.subarray(offset + length);
    return { opcode: first & 0x0f, fin: (first & 0x80) !== 0, payload };
  }
}
