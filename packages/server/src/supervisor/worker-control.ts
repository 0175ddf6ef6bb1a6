/**
 * What a worker of `reverb start --workers N` tells its primary besides the machine link's batches
 * (which are arrays): that it listens, or why it could not start.
 */

/** The worker's slot (1…N), given at fork: a restarted worker takes its predecessor's. */
export const WORKER_SLOT_ENV = 'REVERB_WORKER_SLOT';

export type ControlMessage =
  | {
      readonly reverb: 'control';
      readonly type: 'ready';
      readonly host: string;
      readonly port: number;
      /** The worker's server id: its node id in a Redis cluster. */
      readonly serverId: string;
    }
  | { readonly reverb: 'control'; readonly type: 'failed'; readonly message: string };

export function isControlMessage(value: unknown): value is ControlMessage {
  return typeof value === 'object' && value !== null && (value as { reverb?: unknown }).reverb === 'control';
}

/** The slot of this process when it is a worker of `--workers N`, else undefined. */
export function workerSlot(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const slot = Number(env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot > 0 ? slot : undefined;
}

/**
 * Whether the workers bind the port each with `SO_REUSEPORT` (Node 22.12+ or 23.1+, on Linux), so the
 * kernel spreads new connections over them and the primary is out of the accept path: it halved the
 * server's CPU per connect + subscribe in a 5,000-connection burst on Node 24 (0.20 against 0.37 ms; the
 * primary's hand-over of each socket cost ~90 µs). Elsewhere, and for port 0 (each worker would get a
 * port of its own), the primary accepts and hands connections round robin.
 */
export function reusePortAvailable(
  port: number,
  version: string = process.versions.node,
  platform: NodeJS.Platform = process.platform,
): boolean {
  if (port === 0 || platform !== 'linux') return false;
  const [major = 0, minor = 0] = version.split('.').map(Number);
  return major > 23 || (major === 23 && minor >= 1) || (major === 22 && minor >= 12);
}
