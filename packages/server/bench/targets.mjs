// Starts and stops the servers under test (ours, the soketi peer) and redis-server, all on 127.0.0.1
// free ports, each in its own process group so a stop (or the exit handler) takes its whole tree.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { createConnection, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureSoketiPeer } from './soketi-peer.mjs';

const serverPackage = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const oursBin = join(serverPackage, 'bin/reverb.js');
const oursBuilt = join(serverPackage, 'dist/cli.js');

/**
 * The node flags of the `reverb` command's first line (`#!/usr/bin/env -S node <flags>`): the bench
 * runs our server exactly as `reverb start` runs, and not through a shim process that would count in
 * its process tree.
 */
function oursNodeFlags() {
  const shebang = readFileSync(oursBin, 'utf8').split('\n', 1)[0] ?? '';
  const match = /^#!.*?\bnode\b(.*)$/.exec(shebang);
  return (match?.[1] ?? '').split(' ').filter(Boolean);
}

/** The one app both servers get. Secrets here are throwaway bench values. */
export const BENCH_APP = Object.freeze({ id: '4242', key: 'bench-key-0001', secret: 'bench-secret-0001' });

/** @type {Set<import('node:child_process').ChildProcess>} */
const running = new Set();

/** Kills every child still running (SIGKILL to each process group); safe to call from 'exit'. */
export function killAllChildren() {
  for (const child of running) {
    try {
      if (child.pid) process.kill(-child.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  running.clear();
}

/** @returns {Promise<number>} */
export function freePort() {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on('error', fail);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/** @param {number} ms */
const sleep = (ms) => new Promise((ok) => setTimeout(ok, ms));

/** @param {string} url @returns {Promise<number>} status, 0 when it cannot connect */
function httpStatus(url) {
  return new Promise((ok) => {
    const req = request(url, { timeout: 1000 }, (res) => {
      res.resume();
      ok(res.statusCode ?? 0);
    });
    req.on('error', () => ok(0));
    req.on('timeout', () => req.destroy());
    req.end();
  });
}

/**
 * Spawns a command in its own process group and keeps the last 64 KB of its output (always read,
 * so a chatty server never blocks on a full pipe).
 * @param {string} command
 * @param {string[]} args
 * @param {NodeJS.ProcessEnv} env
 */
function spawnTracked(command, args, env) {
  const child = spawn(command, args, { env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let output = '';
  /** @param {Buffer} chunk */
  const keep = (chunk) => {
    output += chunk.toString('utf8');
    if (output.length > 65_536) output = output.slice(-65_536);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  /** @type {Promise<number | null>} */
  const exited = new Promise((ok) => {
    child.on('exit', (code) => {
      running.delete(child);
      ok(code);
    });
    // e.g. ENOENT: the command is not installed; 'exit' may never come.
    child.on('error', (error) => {
      output += `\n${command}: ${error.message}`;
      running.delete(child);
      ok(null);
    });
  });
  return { child, exited, output: () => output };
}

/**
 * @param {ReturnType<typeof spawnTracked>} proc
 * @param {() => Promise<boolean>} isReady
 * @param {string} what
 * @param {number} timeoutMs
 */
async function waitReady(proc, isReady, what, timeoutMs) {
  let exitCode = /** @type {number | null | undefined} */ (undefined);
  proc.exited.then((code) => {
    exitCode = code;
  });
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (exitCode !== undefined) {
      throw new Error(
        `${what} exited (code ${exitCode}) before it was ready:\n${proc.output().slice(-2000)}`,
      );
    }
    if (await isReady()) return;
    await sleep(100);
  }
  await stopProcess(proc);
  throw new Error(`${what} not ready within ${timeoutMs} ms:\n${proc.output().slice(-800)}`);
}

/** SIGTERM to the group, SIGKILL after 3 s. @param {ReturnType<typeof spawnTracked>} proc */
async function stopProcess(proc) {
  const { child } = proc;
  if (!child.pid || child.exitCode !== null || child.signalCode !== null) return;
  try {
    process.kill(-child.pid, 'SIGTERM');
  } catch {
    return;
  }
  const killed = await Promise.race([proc.exited.then(() => true), sleep(3000).then(() => false)]);
  if (!killed) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
    await proc.exited;
  }
}

/** Why our server cannot start, or undefined when it can. */
export function oursUnavailable() {
  if (!existsSync(oursBin)) return `missing ${oursBin}`;
  if (!existsSync(oursBuilt)) return `missing ${oursBuilt} (run: pnpm --filter @react-reverb/server build)`;
  return undefined;
}

/** @type {string | undefined} */
let soketiStartScript;

/**
 * Why soketi cannot start (installs it on first call), or undefined when it can.
 * @param {(line: string) => void} log
 */
export function soketiUnavailable(log) {
  if (soketiStartScript) return undefined;
  try {
    soketiStartScript = ensureSoketiPeer(log);
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

/**
 * @typedef {'ours' | 'soketi'} TargetKind
 * @typedef {{ id: string, key: string, secret: string }} App
 * @typedef {{
 *   kind: TargetKind, port: number, pid: number, host: string, httpUrl: string, wsUrl: string, app: App,
 *   output: () => string, stop: () => Promise<void>
 * }} Target
 */

/**
 * Starts one server of `kind` with BENCH_APP (client events on) and waits until it answers HTTP.
 * `workers`: ours with `--workers N` (processes on the one port; soketi has no such mode).
 * @param {TargetKind} kind
 * @param {{ env?: Record<string, string>, readyTimeoutMs?: number, workers?: number }} [options]
 * @returns {Promise<Target>}
 */
export async function startTarget(kind, options = {}) {
  const port = await freePort();
  const host = '127.0.0.1';
  const app = BENCH_APP;
  const baseEnv = { ...process.env, ...options.env };
  /** @type {ReturnType<typeof spawnTracked>} */
  let proc;
  let readyPath;
  /** @type {string | undefined} */
  let tempDir;
  if (kind === 'ours') {
    const why = oursUnavailable();
    if (why) throw new Error(why);
    tempDir = mkdtempSync(join(tmpdir(), 'reverb-bench-'));
    const configPath = join(tempDir, 'apps.json');
    writeFileSync(configPath, JSON.stringify({ apps: [{ ...app, client_events: true }] }));
    proc = spawnTracked(
      process.execPath,
      // BENCH_SERVER_NODE_ARGS: extra node flags for our server (e.g. `--cpu-prof --cpu-prof-dir=/tmp/prof`).
      [
        ...oursNodeFlags(),
        ...(process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? []),
        oursBin,
        'start',
        '--host',
        host,
        '--port',
        String(port),
        '--config',
        configPath,
        ...(options.workers ? ['--workers', String(options.workers)] : []),
      ],
      baseEnv,
    );
    readyPath = '/up';
  } else {
    if (options.workers) throw new Error('soketi runs one process: no --workers');
    if (!soketiStartScript) throw new Error('soketi is not installed: call soketiUnavailable() first');
    proc = spawnTracked('bash', [soketiStartScript], {
      ...baseEnv,
      HOST: host,
      PORT: String(port),
      APP_ID: app.id,
      APP_KEY: app.key,
      APP_SECRET: app.secret,
      SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false',
      // Same limit as ours (the protocol's 10 client events/s per connection); soketi's default is none.
      SOKETI_DEFAULT_APP_MAX_CLIENT_EVENTS_PER_SEC: '10',
    });
    readyPath = '/ready';
  }
  const httpUrl = `http://${host}:${port}`;
  await waitReady(
    proc,
    async () => (await httpStatus(httpUrl + readyPath)) === 200,
    `${kind} server`,
    options.readyTimeoutMs ?? 30_000,
  );
  return {
    kind,
    port,
    pid: /** @type {number} */ (proc.child.pid),
    host,
    httpUrl,
    wsUrl: `ws://${host}:${port}/app/${app.key}?protocol=7&client=bench&version=0.1.0`,
    app,
    output: proc.output,
    stop: async () => {
      await stopProcess(proc);
      if (tempDir) rmSync(tempDir, { recursive: true, force: true });
    },
  };
}

/**
 * Starts `redis-server` on a free loopback port without persistence.
 * @returns {Promise<{ port: number, pid: number, url: string, stop: () => Promise<void> }>}
 */
export async function startRedis() {
  const port = await freePort();
  const proc = spawnTracked(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    process.env,
  );
  const ping = () =>
    new Promise((ok) => {
      const socket = createConnection({ host: '127.0.0.1', port }, () => socket.write('PING\r\n'));
      socket.setTimeout(500, () => socket.destroy());
      socket.on('data', (d) => {
        ok(d.toString().startsWith('+PONG'));
        socket.destroy();
      });
      socket.on('error', () => ok(false));
      socket.on('close', () => ok(false));
    });
  await waitReady(proc, /** @type {() => Promise<boolean>} */ (ping), 'redis-server', 10_000);
  return {
    port,
    pid: /** @type {number} */ (proc.child.pid),
    url: `redis://127.0.0.1:${port}`,
    stop: () => stopProcess(proc),
  };
}
