// A process holding the recovery scenario's fault proxies (`@react-reverb/test-helpers/fault-proxy`,
// the proxy the recovery tests use): one per client process, each forwarding that process's
// connections to the server, so a cut is a real one (RST both ways, reconnects reset on arrival).
// The proxies forward every byte of the clients' traffic; in their own process their CPU counts
// neither as the server's (its process tree) nor as the clients': the scenario reports it apart.
// Driven over IPC like workers/clients.mjs.
import { startFaultProxy } from '@react-reverb/test-helpers/fault-proxy';
import { serveCommands } from './ipc.mjs';

/** @type {import('@react-reverb/test-helpers/fault-proxy').FaultProxy[]} */
let proxies = [];

const handlers = {
  /**
   * Starts one proxy per entry of `targets` (a server port on 127.0.0.1); returns their ports.
   * @param {{ targets: number[] }} args
   */
  async start(args) {
    proxies = await Promise.all(args.targets.map((target) => startFaultProxy({ target })));
    return { ports: proxies.map((p) => p.port) };
  },

  /**
   * Cuts every connection of every proxy and refuses reconnects for `ms`; with `retarget`, proxy i
   * then forwards new connections to port `retarget[i]` (another node behind the load balancer).
   * Answers at once with how many connections were cut; the refusal ends by itself.
   * @param {{ ms: number, retarget?: number[] }} args
   */
  outage(args) {
    let cut = 0;
    proxies.forEach((proxy, i) => {
      const before = proxy.counts.cut;
      void proxy.outage(args.ms);
      cut += proxy.counts.cut - before;
      const port = args.retarget?.[i];
      if (port !== undefined) proxy.retarget(port);
    });
    return { cut };
  },

  /** Counters summed over the proxies: accepted, refused (reset on arrival), cut. */
  counts() {
    const sum = { accepted: 0, refused: 0, cut: 0, live: 0 };
    for (const proxy of proxies) {
      sum.accepted += proxy.counts.accepted;
      sum.refused += proxy.counts.refused;
      sum.cut += proxy.counts.cut;
      sum.live += proxy.connections.length;
    }
    return sum;
  },

  async close() {
    await Promise.all(proxies.map((p) => p.close()));
    proxies = [];
    return {};
  },
};

serveCommands(handlers);
