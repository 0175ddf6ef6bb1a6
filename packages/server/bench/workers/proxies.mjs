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
   * Starts `count` proxies to the server's port; returns their ports.
   * @param {{ target: number, count: number }} args
   */
  async start(args) {
    proxies = await Promise.all(
      Array.from({ length: args.count }, () => startFaultProxy({ target: args.target })),
    );
    return { ports: proxies.map((p) => p.port) };
  },

  /**
   * Cuts every connection of the chosen proxies (all when `which` is absent) and refuses reconnects
   * for `ms`. Answers at once with how many connections were cut; the refusal ends by itself.
   * @param {{ ms: number, which?: number[] }} args
   */
  outage(args) {
    const chosen = args.which ? args.which.map((i) => proxies[i]).filter((p) => p !== undefined) : proxies;
    let cut = 0;
    for (const proxy of chosen) {
      const before = proxy.counts.cut;
      void proxy.outage(args.ms);
      cut += proxy.counts.cut - before;
    }
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
