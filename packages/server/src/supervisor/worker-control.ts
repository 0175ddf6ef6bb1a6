/**
 * What a worker of `reverb start --workers N` tells its primary besides the machine link's batches
 * (which are arrays): that it listens, or why it could not start.
 */

/** The worker's slot (1…N), given at fork: a restarted worker takes its predecessor's. */
export const WORKER_SLOT_ENV = 'REVERB_WORKER_SLOT';

export type ControlMessage =
  | { readonly reverb: 'control'; readonly type: 'ready'; readonly host: string; readonly port: number }
  | { readonly reverb: 'control'; readonly type: 'failed'; readonly message: string };

export function isControlMessage(value: unknown): value is ControlMessage {
  return typeof value === 'object' && value !== null && (value as { reverb?: unknown }).reverb === 'control';
}

/** The slot of this process when it is a worker of `--workers N`, else undefined. */
export function workerSlot(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const slot = Number(env[WORKER_SLOT_ENV]);
  return Number.isInteger(slot) && slot > 0 ? slot : undefined;
}
