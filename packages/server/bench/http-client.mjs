// A lean HTTP/1.1 client for the publisher processes: persistent TCP connections (one per request in
// flight), each request written as one string, answers read by Content-Length. node:http's client
// spent about as much CPU per request as the server under test (~150 µs); on two shared cores that
// measured the publishers more than the server. A server that answers `Connection: close` (soketi)
// gets a new connection for the next request, as with any client.
import net from 'node:net';

const HEADER_END = '\r\n\r\n';

/** @typedef {{ status: number, body: string }} Answer */

class HttpConnection {
  /** @param {string} host @param {number} port */
  constructor(host, port) {
    this.socket = net.connect({ host, port, noDelay: true });
    this.socket.setEncoding('latin1');
    this.alive = true;
    this.received = '';
    /** @type {{ ok: (a: Answer) => void, fail: (e: Error) => void } | undefined} */
    this.pending = undefined;
    this.socket.on('data', (chunk) => this.onData(/** @type {string} */ (chunk)));
    const lost = (/** @type {Error | undefined} */ error) => {
      this.alive = false;
      const pending = this.pending;
      this.pending = undefined;
      pending?.fail(error ?? new Error('connection closed before the answer'));
    };
    this.socket.on('error', lost);
    this.socket.on('close', () => lost(undefined));
  }

  /** @param {string} head request line and headers, ending with a blank line @param {string} body */
  send(head, body) {
    return /** @type {Promise<Answer>} */ (
      new Promise((ok, fail) => {
        this.pending = { ok, fail };
        this.socket.write(head + body, 'utf8');
      })
    );
  }

  /** @param {string} chunk */
  onData(chunk) {
    this.received += chunk;
    const end = this.received.indexOf(HEADER_END);
    if (end < 0 || !this.pending) return;
    const head = this.received.slice(0, end).toLowerCase();
    const length = /\r\ncontent-length:\s*(\d+)/.exec(head);
    if (!length) {
      this.fail(new Error(`answer without content-length: ${head.slice(0, 200)}`));
      return;
    }
    const bodyStart = end + HEADER_END.length;
    const bodyEnd = bodyStart + Number(length[1]);
    if (this.received.length < bodyEnd) return;
    const status = Number(head.slice(9, 12));
    const body = Buffer.from(this.received.slice(bodyStart, bodyEnd), 'latin1').toString('utf8');
    this.received = this.received.slice(bodyEnd);
    if (/\r\nconnection:\s*close/.test(head)) this.close();
    const { ok } = this.pending;
    this.pending = undefined;
    ok({ status, body });
  }

  /** @param {Error} error */
  fail(error) {
    const pending = this.pending;
    this.pending = undefined;
    this.close();
    pending?.fail(error);
  }

  close() {
    this.alive = false;
    this.socket.end();
  }
}

/**
 * A pool of at most `size` connections to one server.
 * @param {string} host
 * @param {number} port
 * @param {number} size
 */
export function httpPool(host, port, size) {
  /** @type {HttpConnection[]} */
  const idle = [];
  /** @type {((c: HttpConnection) => void)[]} */
  const waiting = [];
  let open = 0;

  /** @returns {Promise<HttpConnection>} */
  const acquire = () => {
    for (let c = idle.pop(); c; c = idle.pop()) {
      if (c.alive) return Promise.resolve(c);
      open -= 1;
    }
    if (open < size) {
      open += 1;
      return Promise.resolve(new HttpConnection(host, port));
    }
    return new Promise((ok) => waiting.push(ok));
  };

  /** @param {HttpConnection} c */
  const release = (c) => {
    if (!c.alive) {
      open -= 1;
      const next = waiting.shift();
      if (next) {
        open += 1;
        next(new HttpConnection(host, port));
      }
      return;
    }
    const next = waiting.shift();
    if (next) next(c);
    else idle.push(c);
  };

  return {
    /**
     * @param {string} method
     * @param {string} path path and query, already encoded
     * @param {string} body
     * @returns {Promise<Answer>}
     */
    async request(method, path, body) {
      const c = await acquire();
      const head =
        `${method} ${path} HTTP/1.1\r\nHost: ${host}:${port}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n`;
      try {
        return await c.send(head, body);
      } finally {
        release(c);
      }
    },
    close() {
      for (const c of idle) c.close();
      idle.length = 0;
    },
  };
}
