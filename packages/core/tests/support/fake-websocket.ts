/**
 * A stand-in for the browser's WebSocket class (not for any of our code): records what the client
 * sends and lets a test play the server's side — open, frames, close codes.
 */
export class FakeWebSocket {
  static instances: FakeWebSocket[] = [];
  static reset(): void {
    FakeWebSocket.instances = [];
  }
  static get last(): FakeWebSocket {
    const socket = FakeWebSocket.instances.at(-1);
    if (!socket) throw new Error('no socket was opened');
    return socket;
  }

  readyState = 0;
  readonly sent: string[] = [];
  closedWith: number | undefined;
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onclose: ((event: { code: number; reason: string }) => void) | null = null;
  onerror: ((event: unknown) => void) | null = null;

  constructor(readonly url: string) {
    FakeWebSocket.instances.push(this);
  }

  send(data: string): void {
    if (this.readyState !== 1) throw new Error('InvalidStateError: not open');
    this.sent.push(data);
  }

  close(code?: number): void {
    this.readyState = 3;
    this.closedWith = code;
  }

  // ── the server's side ──

  /** Opens and sends `connection_established` (data double-encoded, as servers do). */
  establish(socketId = '1.1', activityTimeout = 120): void {
    this.readyState = 1;
    this.receive({
      event: 'pusher:connection_established',
      data: JSON.stringify({ socket_id: socketId, activity_timeout: activityTimeout }),
    });
  }

  receive(frame: Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(frame) });
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason });
  }

  /** Decoded frames the client sent. */
  frames(): Array<{ event: string; channel?: string; data?: Record<string, unknown> }> {
    return this.sent.map((s) => JSON.parse(s));
  }

  framesOf(event: string): Array<{ event: string; channel?: string; data?: Record<string, unknown> }> {
    return this.frames().filter((f) => f.event === event);
  }
}

/** Lets pending promise callbacks (auth, lazy imports) run under fake timers. */
export async function flush(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}
