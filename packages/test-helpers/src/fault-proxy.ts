/**
 * A TCP proxy that tests put between a client and a server to cause real network faults: connections
 * reset mid-stream, reconnects refused for a while, a path that silently stops carrying bytes, and a
 * "load balancer" that sends the next connection to another node.
 *
 * This file only imports `node:*` modules: `pnpm build` also compiles it alone to `dist/fault-proxy.js`
 * (`@react-reverb/test-helpers/fault-proxy`), so the benchmark's plain `.mjs` files can import the same
 * code that the vitest suites import from the package index.
 *
 * What each fault looks like to the peers (checked by tests/fault-proxy.test.ts):
 * - `cut()`: both TCP connections get an RST (`resetAndDestroy`), no WebSocket close frame ever: a Node
 *   `ws` peer closes with 1006 (its socket saw ECONNRESET), a browser's `onclose` gets code 1006,
 *   `wasClean` false. The same as a NAT or load balancer dropping its state, or a Wi-Fi handover.
 * - `refuse()`: new connections are accepted at TCP level and reset at once, before a byte of the
 *   HTTP upgrade is answered. Node `ws` emits `error` (ECONNRESET / socket hang up) then `close` 1006
 *   without `open`; a browser fires `onerror` then `onclose` 1006. Quick failure, as a phone without a
 *   network gets (ENETUNREACH comes at once), so a client's reconnect loop runs its own backoff and
 *   the tests wait for nobody's connect timeout. The listener stays bound, so the port is never lost
 *   to another process and refusals can be counted.
 * - `freeze()`: existing connections stop reading both ways (sockets paused, nothing closed, nothing
 *   dropped): the peers only notice by their own timeouts. `thaw()` delivers the held bytes late and in
 *   order, like a TCP path that came back; new connections are never frozen.
 */
import { type AddressInfo, connect, createServer, type Socket } from 'node:net';

export interface FaultProxyTarget {
  readonly host: string;
  readonly port: number;
}

/** A port on 127.0.0.1, or a host and port. */
export type FaultProxyTargetInput = number | { readonly host?: string; readonly port: number };

export interface FaultProxyOptions {
  /** Where new connections are forwarded; `retarget()` changes it. */
  readonly target: FaultProxyTargetInput;
  /** The port to listen on, on 127.0.0.1; default: a free one picked by the OS. */
  readonly port?: number;
}

/** One client connection and its connection to the target. */
export interface FaultConnection {
  /** 1, 2, 3… in the order the proxy accepted them. */
  readonly id: number;
  /** The target it was forwarded to (a later `retarget()` does not move it). */
  readonly target: FaultProxyTarget;
  /** Bytes forwarded client → target so far. */
  readonly bytesFromClient: number;
  /** Bytes forwarded target → client so far. */
  readonly bytesFromTarget: number;
  readonly frozen: boolean;
  freeze(): void;
  thaw(): void;
  /** Resets both sides, as `cut()` does for every connection (counted in `counts.cut`). */
  destroy(): void;
}

export interface FaultProxyCounts {
  /** Connections forwarded to a target. */
  readonly accepted: number;
  /** Connections reset on arrival while refusing. */
  readonly refused: number;
  /** Connections reset by `cut()`, `outage()` or `FaultConnection.destroy()`. */
  readonly cut: number;
}

export interface FaultProxy {
  readonly host: string;
  readonly port: number;
  /** Where new connections go now. */
  readonly target: FaultProxyTarget;
  /** Live connections (until both of their sockets have closed). */
  readonly connections: readonly FaultConnection[];
  /** Live counters, e.g. `waitFor(() => proxy.counts.accepted === 2)`. */
  readonly counts: FaultProxyCounts;
  readonly refusing: boolean;
  /** Resets every current connection; returns how many. */
  cut(): number;
  /** Resets new connections on arrival, until `accept()` or, when given, `ms` from now. */
  refuse(ms?: number): void;
  /** Forwards new connections again (ends `refuse()` and `outage()` early). */
  accept(): void;
  /** `cut()` then `refuse(ms)`; resolves when new connections are accepted again. */
  outage(ms: number): Promise<void>;
  /** Every current connection stops carrying bytes both ways, without closing. */
  freeze(): void;
  /** Frozen connections carry bytes again, the held ones first. */
  thaw(): void;
  /** New connections go to this target; current ones stay where they are. */
  retarget(target: FaultProxyTargetInput): void;
  /** Resets every connection, stops listening; resolves when every socket has closed. */
  close(): Promise<void>;
}

const HOST = '127.0.0.1';

function toTarget(input: FaultProxyTargetInput): FaultProxyTarget {
  return typeof input === 'number'
    ? { host: HOST, port: input }
    : { host: input.host ?? HOST, port: input.port };
}

interface Link {
  readonly connection: FaultConnection;
  /** Resets both sockets (no counting). */
  reset(): void;
  /** Resolves when both sockets have closed. */
  readonly closed: Promise<void>;
}

function socketClosed(socket: Socket): Promise<void> {
  return new Promise((resolve) => (socket.closed ? resolve() : socket.once('close', () => resolve())));
}

/**
 * Forwards `from` → `to` with backpressure, and carries its end: a FIN becomes a FIN, a reset (error)
 * becomes a reset, a close without FIN closes the other side too.
 */
function forward(from: Socket, to: Socket, count: (bytes: number) => void, frozen: () => boolean): void {
  from.on('data', (chunk: Buffer) => {
    count(chunk.length);
    if (!to.write(chunk)) from.pause();
  });
  to.on('drain', () => {
    if (!frozen()) from.resume();
  });
  from.on('end', () => to.end());
  from.on('error', () => {
    if (!to.destroyed) to.resetAndDestroy();
  });
  from.on('close', () => {
    if (to.destroyed) return;
    // After a FIN both ways, let the last bytes toward `to` flush before it goes.
    if (to.writableEnded && !to.writableFinished) to.once('finish', () => to.destroy());
    else to.destroy();
  });
}

function link(id: number, client: Socket, target: FaultProxyTarget, onCut: () => void): Link {
  const upstream = connect({ host: target.host, port: target.port, allowHalfOpen: true, noDelay: true });
  let frozen = false;
  let bytesFromClient = 0;
  let bytesFromTarget = 0;
  const reset = () => {
    if (!client.destroyed) client.resetAndDestroy();
    if (!upstream.destroyed) upstream.resetAndDestroy();
  };
  forward(
    client,
    upstream,
    (n) => (bytesFromClient += n),
    () => frozen,
  );
  forward(
    upstream,
    client,
    (n) => (bytesFromTarget += n),
    () => frozen,
  );
  const connection: FaultConnection = {
    id,
    target,
    get bytesFromClient() {
      return bytesFromClient;
    },
    get bytesFromTarget() {
      return bytesFromTarget;
    },
    get frozen() {
      return frozen;
    },
    freeze() {
      frozen = true;
      client.pause();
      upstream.pause();
    },
    thaw() {
      if (!frozen) return;
      frozen = false;
      // Stay paused where the other side still has a full write buffer: its 'drain' resumes us.
      if (!upstream.writableNeedDrain) client.resume();
      if (!client.writableNeedDrain) upstream.resume();
    },
    destroy() {
      if (client.destroyed && upstream.destroyed) return;
      onCut();
      reset();
    },
  };
  return {
    connection,
    reset,
    closed: Promise.all([socketClosed(client), socketClosed(upstream)]).then(() => {}),
  };
}

/** Starts a fault proxy on 127.0.0.1 (see the top of this file for what each fault looks like). */
export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  let target = toTarget(options.target);
  let nextId = 1;
  let refusing = false;
  let refuseTimer: NodeJS.Timeout | undefined;
  let acceptWaiters: Array<() => void> = [];
  const counts = { accepted: 0, refused: 0, cut: 0 };
  const links = new Map<number, Link>();
  /** Refused sockets until they have closed, so `close()` can wait for them too. */
  const refusedSockets = new Set<Socket>();

  const server = createServer({ allowHalfOpen: true, noDelay: true }, (client) => {
    if (refusing) {
      counts.refused += 1;
      refusedSockets.add(client);
      client.on('error', () => {});
      client.once('close', () => refusedSockets.delete(client));
      client.resetAndDestroy();
      return;
    }
    counts.accepted += 1;
    const id = nextId++;
    const made = link(id, client, target, () => {
      counts.cut += 1;
    });
    links.set(id, made);
    void made.closed.then(() => links.delete(id));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, HOST, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;

  const accept = () => {
    clearTimeout(refuseTimer);
    refuseTimer = undefined;
    refusing = false;
    const waiters = acceptWaiters;
    acceptWaiters = [];
    for (const resolve of waiters) resolve();
  };
  const refuse = (ms?: number) => {
    clearTimeout(refuseTimer);
    refuseTimer = ms === undefined ? undefined : setTimeout(accept, ms);
    refusing = true;
  };
  const cut = () => {
    const before = counts.cut;
    for (const { connection } of links.values()) connection.destroy();
    return counts.cut - before;
  };

  return {
    host: HOST,
    port,
    get target() {
      return target;
    },
    get connections() {
      return [...links.values()].map((l) => l.connection);
    },
    counts,
    get refusing() {
      return refusing;
    },
    cut,
    refuse,
    accept,
    outage(ms) {
      const accepted = new Promise<void>((resolve) => acceptWaiters.push(resolve));
      cut();
      refuse(ms);
      return accepted;
    },
    freeze() {
      for (const { connection } of links.values()) connection.freeze();
    },
    thaw() {
      for (const { connection } of links.values()) connection.thaw();
    },
    retarget(input) {
      target = toTarget(input);
    },
    async close() {
      const listenerClosed = new Promise<void>((resolve) => server.close(() => resolve()));
      accept();
      refusing = true; // whatever still arrives before the listener is gone
      const open = [...links.values()];
      for (const l of open) l.reset();
      for (const socket of refusedSockets) socket.destroy();
      await Promise.all([
        listenerClosed,
        ...open.map((l) => l.closed),
        ...[...refusedSockets].map(socketClosed),
      ]);
    },
  };
}
