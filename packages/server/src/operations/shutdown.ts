/**
 * Graceful shutdown and `reverb restart`.
 *
 * A stopping node stops listening, closes its WebSockets with 4200 (clients reconnect at once, to
 * another node behind the load balancer), lets in-flight HTTP requests and webhook sends finish until
 * the deadline (`REVERB_SHUTDOWN_TIMEOUT`, 10 s), and exits 0.
 *
 * `reverb restart` (like `php artisan reverb:restart`) sends SIGTERM to every node that wrote a pid
 * file in the pid directory (`REVERB_PID_DIR`, default `<tmpdir>/react-reverb`), one file per port:
 * `reverb-<port>.pid`. The process manager (systemd, supervisor, Kubernetes) starts them again, as
 * with Laravel Reverb; this command never starts a server itself.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';

/** Waits for `closed` (the server's close callback) while idle keep-alive sockets are let go; at the deadline, cuts the rest. */
export async function drainHttpServer(
  server: Server,
  closed: Promise<void>,
  deadlineMs: number,
): Promise<void> {
  let done = false;
  void closed.then(() => {
    done = true;
  });
  while (!done && Date.now() < deadlineMs) {
    // A request that just finished leaves an idle keep-alive socket behind: close it.
    server.closeIdleConnections();
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 50))]);
  }
  server.closeAllConnections();
  await closed;
}

export function pidFilePath(dir: string, port: number): string {
  return join(dir, `reverb-${port}.pid`);
}

/** Records this process for `reverb restart`; returns a function that removes the file. */
export function writePidFile(dir: string, port: number): () => void {
  mkdirSync(dir, { recursive: true });
  const file = pidFilePath(dir, port);
  writeFileSync(file, `${process.pid}\n`);
  return () => {
    try {
      if (readFileSync(file, 'utf8').trim() === String(process.pid)) rmSync(file);
    } catch {
      // already gone (another node on this port replaced it, or the directory was cleaned)
    }
  };
}

export interface RestartResult {
  /** Processes that were sent SIGTERM. */
  readonly signalled: ReadonlyArray<{ port: number; pid: number }>;
  /** Pid files whose process no longer runs (removed). */
  readonly stale: readonly string[];
}

/** SIGTERMs every node recorded in `dir` (only the one on `port`, when given). */
export function restartNodes(dir: string, port?: number): RestartResult {
  let files: string[];
  try {
    files = readdirSync(dir).filter((name) => /^reverb-\d+\.pid$/.test(name));
  } catch {
    return { signalled: [], stale: [] };
  }
  const signalled: { port: number; pid: number }[] = [];
  const stale: string[] = [];
  for (const name of files) {
    const filePort = Number(name.slice('reverb-'.length, -'.pid'.length));
    if (port !== undefined && filePort !== port) continue;
    const file = join(dir, name);
    const pid = Number(readFileSync(file, 'utf8').trim());
    try {
      if (!Number.isInteger(pid) || pid <= 0 || !looksLikeReverb(pid)) throw new Error('not a reverb node');
      process.kill(pid, 'SIGTERM');
      signalled.push({ port: filePort, pid });
    } catch {
      stale.push(file);
      rmSync(file, { force: true });
    }
  }
  return { signalled, stale };
}

/**
 * A pid file may outlive its node (SIGKILL, reboot) and the pid be reused by another program: on
 * Linux, only signal a process whose command line is a reverb CLI.
 */
function looksLikeReverb(pid: number): boolean {
  let cmdline: string;
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
  } catch (error) {
    // No /proc (macOS): trust the file. No such process: stale.
    return (error as NodeJS.ErrnoException).code !== 'ENOENT' || !existsSync('/proc/self');
  }
  return /reverb|cli\.(?:c?js|ts)/.test(cmdline);
}
