/**
 * One end of the link between a worker process and the primary of `reverb start --workers N`
 * (docs/architecture.md §6.4): one-way messages and requests with their responses, by topic, over
 * whatever carries the batches (the `cluster` module's IPC channel in production, a structured-clone
 * harness in the contract tests).
 *
 * Everything sent during one turn of the event loop leaves as one batch, at `setImmediate`: a burst
 * of triggers costs one IPC write (and one read on the other side) instead of one each. Order is kept:
 * messages and requests arrive in the order they were sent, so a worker's presence join reaches the
 * primary before the `member_added` broadcast it published after it.
 *
 * The channel carries our own processes' values, serialized with V8's structured clone (`advanced`
 * IPC serialization): `undefined`, `Set` and `Map` survive, which the state's answers rely on.
 */

export type Envelope =
  | { readonly kind: 'message'; readonly topic: string; readonly body: unknown }
  | { readonly kind: 'request'; readonly id: number; readonly topic: string; readonly body: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly ok: true; readonly body: unknown }
  | { readonly kind: 'response'; readonly id: number; readonly ok: false; readonly error: string };

/** Hands one batch to the other side; may throw when the channel is gone. */
export type Transmit = (batch: Envelope[]) => void;

type RequestHandler = (body: unknown) => unknown;
type MessageListener = (body: unknown) => void;

interface Pending {
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: NodeJS.Timeout | undefined;
}

/**
 * A request that failed: the other side's handler threw (`remote`), the link closed before the answer
 * (`closed`), or the answer took longer than the request allows (`timeout`).
 */
export class MachineLinkError extends Error {
  override readonly name = 'MachineLinkError';

  constructor(
    message: string,
    readonly reason: 'remote' | 'closed' | 'timeout',
  ) {
    super(message);
  }
}

export class MachinePeer {
  private outbox: Envelope[] = [];
  private flushing: NodeJS.Immediate | undefined;
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly handlers = new Map<string, RequestHandler>();
  private readonly listeners = new Map<string, MessageListener>();
  private closedWith: string | undefined;

  constructor(
    private readonly transmit: Transmit,
    /** A handler or listener threw, or a batch could not be sent: reported, never thrown at the sender. */
    private readonly onError: (error: unknown, topic: string) => void = () => {},
  ) {}

  /** Requests in flight (the drain waits for them: an answer may still start a webhook). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Answers requests on `topic`; the handler may return a promise. */
  handle(topic: string, handler: RequestHandler): void {
    this.handlers.set(topic, handler);
  }

  /** Receives one-way messages on `topic`. */
  listen(topic: string, listener: MessageListener): void {
    this.listeners.set(topic, listener);
  }

  send(topic: string, body: unknown): void {
    this.enqueue({ kind: 'message', topic, body });
  }

  /** Resolves with the other side's answer; rejects with its error, at close, or after `timeoutMs`. */
  request<T>(topic: string, body: unknown, timeoutMs?: number): Promise<T> {
    if (this.closedWith !== undefined) {
      return Promise.reject(new MachineLinkError(`${topic}: ${this.closedWith}`, 'closed'));
    }
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer =
        timeoutMs === undefined
          ? undefined
          : setTimeout(() => {
              this.pending.delete(id);
              reject(new MachineLinkError(`${topic}: no answer within ${timeoutMs} ms`, 'timeout'));
            }, timeoutMs);
      timer?.unref();
      this.pending.set(id, { resolve: resolve as (value: unknown) => void, reject, timer });
      this.enqueue({ kind: 'request', id, topic, body });
    });
  }

  /** One batch from the other side. */
  receive(batch: readonly Envelope[]): void {
    for (const envelope of batch) {
      switch (envelope.kind) {
        case 'message':
          this.deliver(envelope.topic, envelope.body);
          break;
        case 'request':
          this.answer(envelope.id, envelope.topic, envelope.body);
          break;
        case 'response':
          this.settle(envelope);
          break;
      }
    }
  }

  /** Sends what is queued now instead of at the end of this turn (before an exit). */
  flush(): void {
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    if (this.outbox.length === 0) return;
    const batch = this.outbox;
    this.outbox = [];
    try {
      this.transmit(batch);
    } catch (error) {
      this.onError(error, 'transmit');
    }
  }

  /** The other side is gone: requests in flight reject, nothing more is sent. */
  close(reason: string): void {
    if (this.closedWith !== undefined) return;
    this.closedWith = reason;
    if (this.flushing) clearImmediate(this.flushing);
    this.flushing = undefined;
    this.outbox = [];
    for (const [id, pending] of this.pending) {
      clearTimeout(pending.timer);
      this.pending.delete(id);
      pending.reject(new MachineLinkError(reason, 'closed'));
    }
  }

  private enqueue(envelope: Envelope): void {
    if (this.closedWith !== undefined) return;
    this.outbox.push(envelope);
    this.flushing ??= setImmediate(() => this.flush());
  }

  private deliver(topic: string, body: unknown): void {
    const listener = this.listeners.get(topic);
    if (!listener) {
      this.onError(new Error(`no listener for "${topic}"`), topic);
      return;
    }
    try {
      listener(body);
    } catch (error) {
      this.onError(error, topic);
    }
  }

  private answer(id: number, topic: string, body: unknown): void {
    const handler = this.handlers.get(topic);
    const fail = (error: unknown) =>
      this.enqueue({ kind: 'response', id, ok: false, error: (error as Error)?.message ?? String(error) });
    if (!handler) {
      fail(new Error(`no handler for "${topic}"`));
      return;
    }
    let result: unknown;
    try {
      result = handler(body);
    } catch (error) {
      fail(error);
      return;
    }
    if (result instanceof Promise) {
      result.then((value: unknown) => this.enqueue({ kind: 'response', id, ok: true, body: value }), fail);
    } else {
      this.enqueue({ kind: 'response', id, ok: true, body: result });
    }
  }

  private settle(response: Extract<Envelope, { kind: 'response' }>): void {
    const pending = this.pending.get(response.id);
    if (!pending) return; // timed out meanwhile
    this.pending.delete(response.id);
    clearTimeout(pending.timer);
    if (response.ok) pending.resolve(response.body);
    else pending.reject(new MachineLinkError(response.error, 'remote'));
  }
}
