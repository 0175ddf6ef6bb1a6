/**
 * soketi 1.6.1 (the peer of ../shared/peers/soketi) as a real third-party server for client tests, the
 * way packages/server/bench/soketi-peer.mjs prepares it for the benchmark: the read-only peer folder is
 * copied into a writable cache and installed with `npm ci` once per lock file (about 15 s, then reused),
 * and `start.sh` runs it on a free port.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@react-reverb/test-helpers';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../../..');

/** `$SOKETI_PEER_DIR`, else the first `shared/peers/soketi` beside the repository or one level up. */
function peerSourceDir(): string {
  if (process.env.SOKETI_PEER_DIR) return process.env.SOKETI_PEER_DIR;
  const candidates = [
    resolve(repoRoot, '../shared/peers/soketi'),
    resolve(repoRoot, '../../shared/peers/soketi'),
  ];
  const found = candidates.find((dir) => existsSync(join(dir, 'start.sh')));
  if (!found) throw new Error(`soketi peer not found in ${candidates.join(' or ')} (set SOKETI_PEER_DIR)`);
  return found;
}

/** The bench's cache too: `$SOKETI_PEER_CACHE`, else `<repo>/node_modules/.cache/soketi-peer`. */
function ensureInstalled(): string {
  const source = peerSourceDir();
  const cache = process.env.SOKETI_PEER_CACHE ?? join(repoRoot, 'node_modules/.cache/soketi-peer');
  const lock = readFileSync(join(source, 'package-lock.json'), 'utf8');
  const marker = join(cache, '.installed-lock');
  if (!existsSync(marker) || readFileSync(marker, 'utf8') !== lock) {
    mkdirSync(cache, { recursive: true });
    cpSync(source, cache, { recursive: true });
    const npm = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: cache,
      encoding: 'utf8',
      timeout: 300_000,
    });
    if (npm.status !== 0) throw new Error(`npm ci of the soketi peer failed:\n${npm.stderr}`);
    writeFileSync(marker, lock);
  }
  return join(cache, 'start.sh');
}

/**
 * The PATH soketi starts with: its uWebSockets.js binary loads on the machine's Node only (20 here), so when
 * the tests run on another one (scripts/test.sh's Node 24 run) `$SOKETI_NODE` names the machine's `node`,
 * first on soketi's PATH. soketi is the server under the test, not the code on trial: its Node is its own.
 */
function peerPath(): string {
  const node = process.env.SOKETI_NODE;
  const path = process.env.PATH ?? '';
  return node ? `${dirname(node)}:${path}` : path;
}

export interface SoketiHandle {
  readonly port: number;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  stop(): Promise<void>;
}

/**
 * Starts soketi with one app (client events on, user authentication off) and waits until it answers. A
 * port `freePort()` picked can be taken before soketi binds it (tests run in parallel): then it is tried
 * again on another port, at most three times.
 */
export async function startSoketi(
  app = { id: 'soketi-app', key: 'soketi-key', secret: 'soketi-secret' },
): Promise<SoketiHandle> {
  const startScript = ensureInstalled();
  for (let attempt = 1; ; attempt++) {
    try {
      return await startOnce(startScript, app, await freePort());
    } catch (error) {
      if (attempt === 3) throw error;
    }
  }
}

async function startOnce(startScript: string, app: SoketiHandle['app'], port: number): Promise<SoketiHandle> {
  let output = '';
  const child: ChildProcess = spawn('bash', [startScript], {
    env: {
      ...process.env,
      PATH: peerPath(),
      HOST: '127.0.0.1',
      PORT: String(port),
      APP_ID: app.id,
      APP_KEY: app.key,
      APP_SECRET: app.secret,
      // Otherwise soketi closes a connection that has not signed in within 30 s.
      SOKETI_DEFAULT_APP_USER_AUTHENTICATION: 'false',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr?.on('data', (chunk) => {
    output += chunk;
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const stop = async (signal: NodeJS.Signals) => {
    if (child.exitCode === null && child.signalCode === null) child.kill(signal);
    await exited;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`soketi exited with ${child.exitCode}:\n${output}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}/ready`)).ok;
        } catch {
          return false;
        }
      },
      30_000,
      'soketi to answer /ready',
    );
  } catch (error) {
    // Not left running when it never answered.
    await stop('SIGKILL');
    throw error;
  }
  return { port, app, stop: () => stop('SIGTERM') };
}
