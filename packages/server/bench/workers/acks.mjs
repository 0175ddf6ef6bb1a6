// Delivery acknowledgements for closed loops clocked by the subscribers themselves. Each subscriber
// process counts, per connection, the bench events it received since the last reset, and reports
// over a plain TCP line to the publisher (`<k>\n`) each time all of its connections have at least k
// of them; the publisher keeps at most `window` events outstanding beyond the smallest count any
// process reported. Unlike tracker connections in the publisher, this keeps the server from
// running ahead of subscribers that read slower than it writes: no backlog piles up in socket
// buffers, so deliveries/s, latency and CPU per delivery mean what they say.
import { createConnection, createServer } from 'node:net';

/** The publisher's side: the events every reporting process has on all its connections. */
export class DeliveryCounter {
  constructor() {
    /** @type {Map<import('node:net').Socket, number>} */
    this.reported = new Map();
    this.reporters = 1;
    /** @type {{ below: number, wake: () => void }[]} */
    this.waiters = [];
    this.server = createServer((socket) => {
      this.reported.set(socket, 0);
      socket.setEncoding('latin1');
      let rest = '';
      socket.on('data', (/** @type {string} */ chunk) => {
        const lines = (rest + chunk).split('\n');
        rest = lines.pop() ?? '';
        const last = lines.at(-1);
        if (last !== undefined) this.report(socket, Number(last));
      });
      socket.on('close', () => this.reported.delete(socket));
      socket.on('error', () => {});
    });
  }

  /** @returns {Promise<number>} the port reporters connect to */
  async listen() {
    if (!this.server.listening) {
      await new Promise((ok) => this.server.listen(0, '127.0.0.1', () => ok(undefined)));
    }
    const address = this.server.address();
    return typeof address === 'object' && address ? address.port : 0;
  }

  /** Events delivered to every connection of every reporter (0 until all reporters are connected). */
  delivered() {
    if (this.reported.size < this.reporters) return 0;
    let least = Number.POSITIVE_INFINITY;
    for (const count of this.reported.values()) least = Math.min(least, count);
    return Number.isFinite(least) ? least : 0;
  }

  /** @param {import('node:net').Socket} socket @param {number} count */
  report(socket, count) {
    this.reported.set(socket, count);
    const delivered = this.delivered();
    const ready = this.waiters.filter((w) => delivered > w.below);
    if (ready.length === 0) return;
    this.waiters = this.waiters.filter((w) => delivered <= w.below);
    for (const w of ready) w.wake();
  }

  /**
   * Resolves true once more than `below` events are delivered everywhere, false after `timeoutMs`.
   * @param {number} below
   * @param {number} timeoutMs
   * @returns {Promise<boolean>}
   */
  until(below, timeoutMs) {
    if (this.delivered() > below) return Promise.resolve(true);
    return new Promise((ok) => {
      const waiter = {
        below,
        wake: () => {
          clearTimeout(timer);
          ok(true);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        ok(false);
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }
}

/**
 * A subscriber process's side: `got(k)` when one of its `connections` received its k-th event;
 * each k that all of them reached is reported.
 */
export class DeliveryReporter {
  /** @param {number} port @param {number} connections */
  constructor(port, connections) {
    this.connections = connections;
    /** reached[k]: connections that have at least k events. */
    this.reached = [0];
    this.socket = createConnection({ host: '127.0.0.1', port });
    this.socket.setNoDelay(true);
    this.socket.on('error', () => {});
  }

  /** @param {number} k */
  got(k) {
    const reached = (this.reached[k] ?? 0) + 1;
    this.reached[k] = reached;
    if (reached === this.connections) this.socket.write(`${k}\n`);
  }

  close() {
    this.socket.destroy();
  }
}
