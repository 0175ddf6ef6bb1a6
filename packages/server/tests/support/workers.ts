/**
 * `reverb start --workers N` as users run it (the built CLI, through startServer), and how a test finds
 * out which worker took a connection: with `--debug`, every frame a worker sends is logged with its
 * `worker` slot and `pid`, and the first one, `connection_established`, names the socket. Nothing on
 * the wire tells the workers apart: to the outside they are one node.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { type ServerHandle, type ServerOptions, startServer, waitFor } from '@react-reverb/test-helpers';
import { RawClient } from './raw-client';

export interface WorkerOfSocket {
  readonly slot: number;
  readonly pid: number;
}

/** Starts the CLI with `--workers` (the `REVERB_WORKERS` variable) and `--debug`. */
export function startWorkers(workers: number, options: ServerOptions = {}): Promise<ServerHandle> {
  return startServer({ ...options, debug: true, env: { REVERB_WORKERS: String(workers), ...options.env } });
}

/** The JSON log lines printed so far (the primary's and every worker's). */
export function logLines(server: ServerHandle): Record<string, unknown>[] {
  return server
    .output()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

/** Which worker holds the connection with `socketId` (from its debug log). */
export async function workerOf(server: ServerHandle, socketId: string): Promise<WorkerOfSocket> {
  let found: WorkerOfSocket | undefined;
  await waitFor(
    () => {
      const line = logLines(server).find((l) => l.socketId === socketId && typeof l.worker === 'number');
      if (line) found = { slot: line.worker as number, pid: line.pid as number };
      return found !== undefined;
    },
    5_000,
    `the worker of socket ${socketId}`,
  );
  return found as WorkerOfSocket;
}

/**
 * Opens raw clients until `count` of them sit on `count` different workers (the primary hands
 * connections round robin, so this takes about `count` tries); closes the others. Resolves with one
 * client per worker, in the order they were found.
 */
export async function clientsOnDistinctWorkers(
  server: ServerHandle,
  url: string,
  count = 2,
): Promise<{ client: RawClient; worker: WorkerOfSocket }[]> {
  const found: { client: RawClient; worker: WorkerOfSocket }[] = [];
  for (let tries = 0; found.length < count; tries++) {
    if (tries >= 10 * count) throw new Error(`no ${count} distinct workers after ${tries} connections`);
    const client = await RawClient.open(url);
    const worker = await workerOf(server, client.socketId);
    if (found.some((f) => f.worker.slot === worker.slot)) client.close();
    else found.push({ client, worker });
  }
  return found;
}

/** The pids of the worker processes, from `/proc` (Linux): the children of the primary. */
export function childPids(parentPid: number): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === parentPid) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}
