import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from './free-port';
import { waitFor } from './wait';

const here = dirname(fileURLToPath(import.meta.url));
export const REVERB_BIN = resolve(here, '../../server/bin/reverb.js');

/** The demo app of the vectors in docs/protocol.md §6.2 and §7.2. */
export const DEMO_APP = { id: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001' } as const;

/** The demo app with every optional feature on: client events, sign-in, subscription counts, watchlists. */
export const DEMO_APP_CONFIG = {
  ...DEMO_APP,
  client_events: true,
  user_authentication: true,
  subscription_count: true,
  watchlist: true,
} as const;

export interface ServerOptions {
  /** Apps as in the server's JSON config file; default: the demo app with client events and sign-in on. */
  readonly apps?: ReadonlyArray<Record<string, unknown>>;
  /** Extra top-level config-file settings. */
  readonly config?: Record<string, unknown>;
  /** Extra environment (REVERB_*, REDIS_*). */
  readonly env?: Record<string, string>;
  readonly port?: number;
  readonly debug?: boolean;
}

export interface ServerHandle {
  readonly port: number;
  readonly host: string;
  readonly httpUrl: string;
  readonly wsUrl: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  readonly process: ChildProcess;
  /** Everything the process printed so far. */
  output(): string;
  /** SIGKILL, no goodbye. */
  kill(): Promise<void>;
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** Start again on the same port with the same settings. */
  restart(): Promise<ServerHandle>;
}

/**
 * Polls `GET {httpUrl}/up` until a server answers 200. `stillStarting` runs before every poll and
 * throws to give up early (the process exited).
 */
export async function waitUntilUp(
  httpUrl: string,
  timeoutMs: number,
  what: string,
  stillStarting: () => void = () => {},
): Promise<void> {
  await waitFor(
    async () => {
      stillStarting();
      try {
        return (await fetch(`${httpUrl}/up`, { signal: AbortSignal.timeout(2_000) })).ok;
      } catch {
        return false;
      }
    },
    timeoutMs,
    what,
  );
}

/**
 * Spawns the real `reverb start` CLI on a free 127.0.0.1 port and waits for `GET /up`. A port picked
 * by `freePort()` can be taken by another process before the server binds it (tests run in parallel):
 * then the start is tried again on another port, at most three times.
 */
export async function startServer(options: ServerOptions = {}): Promise<ServerHandle> {
  if (options.port !== undefined) return startOn(options, options.port);
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOn(options, await freePort());
    } catch (error) {
      if (attempt >= 3 || !(error instanceof PortTakenError)) throw error;
    }
  }
}

/** The chosen port was taken between `freePort()` and the server's listen. */
class PortTakenError extends Error {}

async function startOn(options: ServerOptions, port: number): Promise<ServerHandle> {
  const host = '127.0.0.1';
  const apps = options.apps ?? [DEMO_APP_CONFIG];
  const dir = mkdtempSync(join(tmpdir(), 'rr-server-'));
  const configPath = join(dir, 'reverb.json');
  writeFileSync(configPath, JSON.stringify({ apps, ...options.config }));
  const args = [REVERB_BIN, 'start', '--host', host, '--port', String(port), '--config', configPath];
  if (options.debug) args.push('--debug');
  const child = spawn(process.execPath, args, {
    cwd: dir,
    // Each server keeps its pid file in its own folder, so `reverb restart` elsewhere never reaches it.
    env: { ...process.env, REVERB_PID_DIR: dir, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const httpUrl = `http://${host}:${port}`;
  try {
    await waitUntilUp(httpUrl, 15_000, `reverb on ${port}`, () => {
      if (child.exitCode === null) return;
      const message = `reverb exited with ${child.exitCode}:\n${out}`;
      throw /already in use|EADDRINUSE/.test(out) ? new PortTakenError(message) : new Error(message);
    });
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  const first = apps[0] as { id: string; key: string; secret: string };
  const exited = () =>
    new Promise<number | null>((r) =>
      child.exitCode !== null ? r(child.exitCode) : child.once('exit', (c) => r(c)),
    );
  return {
    port,
    host,
    httpUrl,
    wsUrl: `ws://${host}:${port}`,
    app: { id: String(first.id), key: first.key, secret: first.secret },
    process: child,
    output: () => out,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited();
      }
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
      child.kill('SIGTERM');
      return exited();
    },
    restart: () => startServer({ ...options, port }),
  };
}
