// Forks worker processes (bench/workers/*.mjs) and calls them over IPC: `call(cmd, args)` → result.
import { fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const workersDir = join(dirname(fileURLToPath(import.meta.url)), 'workers');

/**
 * The files of bench/workers/: subscribers (`clients`), publishers (`trigger`), reconnecting
 * subscribers of the recovery scenario (`recovery-clients`) and the fault proxies (`proxies`).
 * @typedef {'clients' | 'trigger' | 'recovery-clients' | 'proxies'} WorkerKind
 */

/** @type {Set<import('node:child_process').ChildProcess>} */
const live = new Set();

/** SIGKILLs every worker still running; safe to call from an 'exit' handler. */
export function killAllWorkers() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

export class Worker {
  /** @param {WorkerKind} kind @param {number} index */
  constructor(kind, index) {
    this.kind = kind;
    this.index = index;
    this.child = fork(join(workersDir, `${kind}.mjs`), [], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    live.add(this.child);
    this.nextId = 1;
    /** @type {Map<number, { ok: (v: unknown) => void, fail: (e: Error) => void }>} */
    this.waiting = new Map();
    this.child.on(
      'message',
      (/** @type {{ id: number, ok: boolean, result?: unknown, error?: string }} */ m) => {
        const w = this.waiting.get(m.id);
        if (!w) return;
        this.waiting.delete(m.id);
        if (m.ok) w.ok(m.result);
        else w.fail(new Error(`${kind}#${index}: ${m.error}`));
      },
    );
    // A send to a worker that just died reports here; the exit handler fails its calls.
    this.child.on('error', () => {});
    this.child.on('exit', (code, signal) => {
      live.delete(this.child);
      for (const w of this.waiting.values()) w.fail(new Error(`${kind}#${index} exited (${code ?? signal})`));
      this.waiting.clear();
    });
  }

  /**
   * @param {string} cmd
   * @param {unknown} [args]
   * @param {number} [timeoutMs] the call fails (the worker is not killed) after this long
   * @returns {Promise<any>}
   */
  call(cmd, args = {}, timeoutMs = 300_000) {
    const id = this.nextId++;
    if (!this.child.connected) return Promise.reject(new Error(`${this.kind}#${this.index} is not running`));
    return new Promise((ok, fail) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        fail(new Error(`${this.kind}#${this.index}: ${cmd} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, {
        ok: (v) => {
          clearTimeout(timer);
          ok(v);
        },
        fail: (e) => {
          clearTimeout(timer);
          fail(e);
        },
      });
      this.child.send({ id, cmd, args });
    });
  }

  /** Ends the worker (it exits on disconnect) and waits for it. */
  async stop() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((ok) => this.child.once('exit', ok));
    this.child.disconnect();
    const timer = setTimeout(() => this.child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  }
}

/**
 * @param {WorkerKind} kind
 * @param {number} count
 */
export function startWorkers(kind, count) {
  return Array.from({ length: count }, (_, i) => new Worker(kind, i));
}

/** @param {Worker[]} workers */
export async function stopWorkers(workers) {
  await Promise.all(workers.map((w) => w.stop()));
}
