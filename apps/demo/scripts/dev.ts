/**
 * `pnpm dev`: one process that starts the reverb server (the server package's CLI with
 * `reverb.json`), the demo backend and the Vite dev server, then prints the URL to open.
 * `--built` serves the production build from the backend instead of Vite.
 * Ports: REVERB_PORT (8080), DEMO_BACKEND_PORT (3001), DEMO_VITE_PORT (5173); a default that is taken
 * is replaced by a free port, a port given in the environment is used as is.
 * `--cut` (or DEMO_CUT=1) puts a fault proxy between the browsers and the reverb server: type `cut` in
 * the terminal for a real network cut (every socket reset, reconnects refused for a while).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer as createNetServer } from 'node:net';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { createDemoBackend } from '../server/app';
import { type DemoSettings, DIST_DIR, REVERB_CONFIG_FILE, settingsFromEnv } from '../server/config';
import { UserDirectory } from '../server/users';

const appDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const repoRoot = resolve(appDir, '../..');
const built = process.argv.includes('--built');
const skipBuild = process.argv.includes('--no-build');
const withCut = process.argv.includes('--cut') || process.env.DEMO_CUT === '1';

function portIsFree(port: number, host: string): Promise<boolean> {
  return new Promise((done) => {
    const probe = createNetServer();
    probe.once('error', () => done(false));
    probe.listen(port, host, () => probe.close(() => done(true)));
  });
}

/** The env's port as is; otherwise the default, or a free one when the default is taken. */
async function choosePort(envName: string, fallback: number, host = '127.0.0.1'): Promise<number> {
  if (process.env[envName]) return Number(process.env[envName]);
  if (await portIsFree(fallback, host)) return fallback;
  return new Promise((done) => {
    const probe = createNetServer();
    probe.listen(0, host, () => {
      const address = probe.address();
      probe.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Laravel's `VITE_REVERB_*` for the reverb server the backend talks to. */
function viteReverbEnv(reverb: DemoSettings['reverb']): Record<string, string> {
  return {
    VITE_REVERB_APP_KEY: reverb.key,
    VITE_REVERB_HOST: reverb.host,
    VITE_REVERB_PORT: String(reverb.port),
    VITE_REVERB_SCHEME: reverb.scheme,
  };
}

/**
 * A real cut for a person at one machine: browsers' sockets go through the project's fault proxy, and
 * `cut [seconds]` typed in this terminal resets them all (no close frame, as a dropped Wi-Fi) and refuses
 * reconnects for that long. DevTools' "Offline" does not do that to an open WebSocket.
 */
async function startCutProxy(reverbPort: number): Promise<number> {
  const { startFaultProxy } = await import('@react-reverb/test-helpers/fault-proxy');
  const proxy = await startFaultProxy({ target: reverbPort });
  const lines = createInterface({ input: process.stdin, terminal: false });
  lines.on('line', (line) => {
    const match = /^\s*cut\s*(\d+)?\s*$/i.exec(line);
    if (!match) {
      step('type "cut" (5 s) or "cut 20" and Enter');
      return;
    }
    const seconds = Number(match[1] ?? 5);
    const sockets = proxy.connections.length;
    step(`cut ${sockets} socket(s); reconnects refused for ${seconds} s`);
    void proxy.outage(seconds * 1000).then(() => step('the network is back: reconnects go through'));
  });
  return proxy.port;
}

function step(message: string): void {
  console.log(`\x1b[36m[demo]\x1b[0m ${message}`);
}

/** The workspace packages the demo runs on must be built (turbo caches, so this is quick the second time). */
function buildDependencies(): void {
  step('building the workspace packages the demo uses (turbo, cached)…');
  const filter = built ? '--filter=@react-reverb/demo...' : '--filter=@react-reverb/demo^...';
  const result = spawnSync('pnpm', ['exec', 'turbo', 'run', 'build', filter, '--output-logs=errors-only'], {
    cwd: repoRoot,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error('building the workspace packages failed (see above)');
}

async function waitForUp(url: string, child: ChildProcess, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the reverb server exited with code ${child.exitCode}`);
    try {
      if ((await fetch(`${url}/up`)).ok) return;
    } catch {
      // Not listening yet.
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the reverb server did not answer ${url}/up within ${ms} ms`);
}

async function main(): Promise<void> {
  if (!skipBuild) buildDependencies();
  if (built && !existsSync(DIST_DIR))
    throw new Error(`${DIST_DIR} is missing: run pnpm --filter @react-reverb/demo build`);

  const reverbPort = await choosePort('REVERB_PORT', 8080);
  const backendPort = await choosePort('DEMO_BACKEND_PORT', 3001);
  const vitePort = await choosePort('DEMO_VITE_PORT', 5173);
  process.env.REVERB_PORT = String(reverbPort);
  process.env.DEMO_BACKEND_PORT = String(backendPort);
  process.env.DEMO_VITE_PORT = String(vitePort);
  const settings = settingsFromEnv();

  const serverPackage = createRequire(import.meta.url).resolve('@react-reverb/server/package.json');
  const reverbBin = resolve(dirname(serverPackage), 'bin/reverb.js');
  const reverbArgs = [
    reverbBin,
    'start',
    '--host',
    settings.reverb.host,
    '--port',
    String(reverbPort),
    '--config',
    REVERB_CONFIG_FILE,
  ];
  step(`starting the reverb server: node ${reverbArgs.map((a) => a.replace(repoRoot + '/', '')).join(' ')}`);
  const reverb = spawn(process.execPath, reverbArgs, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: process.env,
  });
  const reverbUrl = `http://${settings.reverb.host}:${reverbPort}`;
  await waitForUp(reverbUrl, reverb);
  reverb.on('exit', (code, signal) =>
    step(`the reverb server stopped (${signal ?? code}); restart it with: node ${reverbArgs.join(' ')}`),
  );

  // Where browsers' sockets go: the server, or the cut proxy in front of it.
  const browserReverb = withCut
    ? { ...settings.reverb, port: await startCutProxy(reverbPort) }
    : settings.reverb;
  const backend = createDemoBackend({
    users: await UserDirectory.seeded(),
    reverb: settings.reverb,
    publicReverb: browserReverb,
    reminderIntervalMs: settings.reminderIntervalMs,
    kick: settings.kick,
    ...(built ? { staticDir: DIST_DIR } : {}),
  });
  const backendUrl = await backend.listen(backendPort);
  step(`backend (sessions, /broadcasting/auth, notifications; state in memory) on ${backendUrl}`);

  let closeVite = async () => {};
  let appUrl = backendUrl;
  if (!built) {
    // What a Laravel app's `.env` says (`VITE_REVERB_APP_KEY="${REVERB_APP_KEY}"`, …), read by the front
    // end as its `echo.js` would. Ones already in the environment win, as Vite does with `.env` files.
    const reverbEnv = viteReverbEnv(browserReverb);
    for (const [name, value] of Object.entries(reverbEnv)) process.env[name] ??= value;
    step(
      `front end: ${Object.keys(reverbEnv)
        .map((name) => `${name}=${process.env[name]}`)
        .join(' ')}`,
    );
    const { createServer } = await import('vite');
    const vite = await createServer({ root: appDir, configFile: resolve(appDir, 'vite.config.ts') });
    await vite.listen();
    appUrl = vite.resolvedUrls?.local[0]?.replace(/\/$/, '') ?? `http://127.0.0.1:${vitePort}`;
    closeVite = () => vite.close();
  }

  console.log('');
  step(`\x1b[1mOpen ${appUrl}\x1b[0m  (previews: ${appUrl}/previews.html)`);
  step(
    'Accounts: ada@example.com, grace@example.com, alan@example.com; password "password". Ctrl+C stops all.',
  );
  if (withCut) step('Sockets go through a fault proxy: type "cut" and Enter to cut the network for 5 s.');
  console.log('');

  const stop = async () => {
    step('stopping…');
    reverb.kill('SIGTERM');
    await Promise.allSettled([closeVite(), backend.close()]);
    process.exit(0);
  };
  process.once('SIGINT', () => void stop());
  process.once('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(`[demo] ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
