/**
 * One worker process of `reverb start --workers N` (the primary: supervisor/primary.ts). It is a whole
 * server on the shared port; without Redis its adapter shares channels, presence and counts with the
 * other workers through the primary (scaling/machine-adapter.ts), over the `cluster` IPC channel.
 *
 * It tells the primary when it listens (or why it cannot) and drains like a single node on SIGTERM or
 * SIGINT. A worker never outlives its primary: when the IPC channel closes (the primary was killed),
 * Node's `cluster` ends the worker at once, and its clients reconnect (1006) to the next server.
 */
import type { ServerConfig } from './config/config';
import { listenFailure, logCrashes, stopOnSignals } from './process-life';
import type { Envelope } from './scaling/machine-peer';
import { MachinePeer } from './scaling/machine-peer';
import { createReverbServer } from './server';
import { type ControlMessage, reusePortAvailable } from './supervisor/worker-control';

/** Sends to the primary; false when the channel is gone. */
function toPrimary(message: Envelope[] | ControlMessage, sent?: () => void): void {
  if (!process.connected || !process.send) {
    sent?.();
    return;
  }
  process.send(message, undefined, undefined, () => sent?.());
}

/**
 * REVERB_MAX_CONNECTIONS is the machine's: each worker takes its share (the primary hands connections
 * round robin, so the shares fill evenly), slot by slot so the shares add up to exactly the setting.
 */
export function connectionShare(max: number | null, workers: number, slot: number): number | null {
  if (max === null) return null;
  return Math.floor(max / workers) + (slot <= max % workers ? 1 : 0);
}

export async function runWorker(config: ServerConfig, slot: number): Promise<void> {
  let report: (error: unknown, topic: string) => void = () => {};
  const peer = new MachinePeer(
    (batch) => toPrimary(batch),
    (error, topic) => report(error, topic),
  );
  const share = { ...config, maxConnections: connectionShare(config.maxConnections, config.workers, slot) };
  const reusePort = reusePortAvailable(config.port);
  const server = createReverbServer(share, { worker: { peer, slot, reusePort } });
  report = (error, topic) => server.logger.warn({ err: error, topic }, 'primary link problem');
  process.on('message', (message: unknown) => {
    if (Array.isArray(message)) peer.receive(message as Envelope[]);
  });
  logCrashes(server.logger);

  let stopping = false;
  const stop = (why: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info(
      { why },
      'worker draining: closing connections with 4200, finishing requests and webhooks',
    );
    server.close().then(
      () => {
        peer.flush();
        process.exit(0);
      },
      (error: unknown) => {
        server.logger.error({ err: error }, 'worker shutdown failed');
        process.exit(1);
      },
    );
  };
  // Before listening: a stop may come while the worker still waits for Redis or binds the port.
  stopOnSignals(stop, true);

  try {
    const { host, port } = await server.listen();
    toPrimary({ reverb: 'control', type: 'ready', host, port, serverId: server.serverId });
  } catch (error) {
    if (stopping) return; // closed before it listened: the drain exits
    const message = listenFailure(config, error);
    toPrimary({ reverb: 'control', type: 'failed', message }, () => process.exit(1));
  }
}
