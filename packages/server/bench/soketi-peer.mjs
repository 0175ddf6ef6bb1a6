// Installs the soketi peer (read-only in CI) into a writable cache once, so every run reuses it.
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

/** Where the read-only peer folder lives: `$SOKETI_PEER_DIR`, else `<repo>/../shared/peers/soketi`. */
export function peerSourceDir() {
  return process.env.SOKETI_PEER_DIR ?? resolve(repoRoot, '../shared/peers/soketi');
}

/** The writable copy: `$SOKETI_PEER_CACHE`, else `<repo>/node_modules/.cache/soketi-peer`. */
export function peerCacheDir() {
  return process.env.SOKETI_PEER_CACHE ?? join(repoRoot, 'node_modules/.cache/soketi-peer');
}

/**
 * Copies the peer folder and runs `npm ci` unless the cache already holds an install of the same
 * lock file. Returns the path of `start.sh`, or throws with the reason soketi cannot run.
 * @param {(line: string) => void} log
 * @returns {string}
 */
export function ensureSoketiPeer(log) {
  const source = peerSourceDir();
  const cache = peerCacheDir();
  const lockPath = join(source, 'package-lock.json');
  if (!existsSync(lockPath) || !existsSync(join(source, 'start.sh'))) {
    throw new Error(`soketi peer not found in ${source} (set SOKETI_PEER_DIR)`);
  }
  const lock = readFileSync(lockPath, 'utf8');
  const marker = join(cache, '.installed-lock');
  const installed = existsSync(marker) && readFileSync(marker, 'utf8') === lock;
  if (!installed) {
    log(`installing soketi peer into ${cache} (npm ci, once)`);
    mkdirSync(cache, { recursive: true });
    cpSync(source, cache, { recursive: true });
    const result = spawnSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: cache,
      stdio: ['ignore', 'inherit', 'inherit'],
      timeout: 600_000,
    });
    if (result.status !== 0) throw new Error(`npm ci for the soketi peer failed (exit ${result.status})`);
    writeFileSync(marker, lock);
  }
  return join(cache, 'start.sh');
}
