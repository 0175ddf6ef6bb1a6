/**
 * `reverb start [--host H] [--port P] [--workers N|auto] [--debug] [--config FILE]`, `reverb restart
 * [--port P]` and `reverb --help`. A bad setting prints one line naming it and exits with 1; a name that
 * is not read (an unknown REVERB_* variable) prints one warning line and the server starts.
 * SIGINT/SIGTERM close gracefully (shutdown.ts) and exit 0. With `--workers N` (N > 1) this process is
 * the primary of N workers (supervisor/primary.ts); each worker runs this same command (worker.ts).
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig, readConfigFile, readDotEnv, type ServerConfig } from './config/config';
import { parseOperationsConfig } from './config/operations-config';
import { MAX_WORKERS } from './config/values';
import { restartNodes, writePidFile } from './operations/shutdown';
import { listenFailure, logCrashes, logListening, stopOnSignals } from './process-life';
import { createReverbServer } from './server';
import { ConfigError } from './shared/errors';
import { createLogger } from './shared/logger';
import { Primary } from './supervisor/primary';
import { workerSlot } from './supervisor/worker-control';
import { runWorker } from './worker';

const HELP = `Usage: reverb start [options]
       reverb restart [--port <port>] [--config <file>]

Starts the Pusher-protocol WebSocket server (a drop-in for Laravel Reverb).

Options:
  --host <host>      Interface to bind (REVERB_SERVER_HOST, default 0.0.0.0)
  --port <port>      Port to listen on (REVERB_SERVER_PORT, default 8080)
  --config <file>    JSON or YAML file with "apps" and server settings
  --workers <n|auto> Processes serving the port, sharing channels and presence
                     (REVERB_WORKERS, default 1; auto: one per core)
  --debug            Log every frame (REVERB_DEBUG)
  -h, --help         Show this help

reverb restart sends SIGTERM to the running nodes recorded in REVERB_PID_DIR (every node, or the
one on --port); each closes its connections with 4200 and exits 0 (with --workers, every worker
drains first), and your process manager (systemd, supervisor, Kubernetes) starts it again.

Without --config, one app comes from REVERB_APP_ID, REVERB_APP_KEY and REVERB_APP_SECRET
(process environment, then .env in the working directory).
`;

function fail(message: string): never {
  process.stderr.write(`reverb: ${message}\n`);
  process.exit(1);
}

export async function main(argv: readonly string[]): Promise<void> {
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse(argv);
  } catch (error) {
    fail(`${(error as Error).message} (see reverb --help)`);
  }
  const { values, positionals } = parsed;
  if (values.help || positionals.length === 0) {
    process.stdout.write(HELP);
    if (!values.help) process.exitCode = 1;
    return;
  }
  if (positionals[0] === 'restart' && positionals.length === 1) {
    restart(values.port, values.config);
    return;
  }
  if (positionals[0] !== 'start' || positionals.length > 1) {
    fail(`unknown command "${positionals.join(' ')}" (see reverb --help)`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535)
      fail(`Invalid configuration: --port must be a port number (got "${values.port}")`);
  }
  let workers: number | 'auto' | undefined;
  if (values.workers !== undefined) {
    workers = values.workers.trim().toLowerCase() === 'auto' ? 'auto' : Number(values.workers);
    if (workers !== 'auto' && (!/^\s*\d+\s*$/.test(values.workers) || workers < 1 || workers > MAX_WORKERS))
      fail(
        `Invalid configuration: --workers must be a number from 1 to ${MAX_WORKERS} or auto (got "${values.workers}")`,
      );
  }
  // A worker of `--workers N` runs this same command line; its primary already checked and warned.
  const slot = cluster.isWorker ? workerSlot() : undefined;
  const cwd = workingDirectory();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig({
      cwd,
      ...(values.config === undefined ? {} : { configFile: resolve(cwd, values.config) }),
      overrides: {
        ...(values.host === undefined ? {} : { host: values.host }),
        ...(port === undefined ? {} : { port }),
        ...(values.debug ? { debug: true } : {}),
        ...(workers === undefined ? {} : { workers }),
      },
      // An unknown or unsupported name: one line, and the server starts anyway.
      warn: slot === undefined ? (message) => process.stderr.write(`reverb: ${message}\n`) : () => {},
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  if (slot !== undefined) await runWorker(config, slot);
  else if (config.workers > 1) await startPrimary(config);
  else await startNode(config);
}

/** One process, the default: today's node. */
async function startNode(config: ServerConfig): Promise<void> {
  const server = createReverbServer(config);
  logCrashes(server.logger);
  try {
    logListening(server.logger, config, await server.listen());
  } catch (error) {
    fail(listenFailure(config, error));
  }
  const address = server.address();
  const removePidFile = address ? writePidFile(config.operations.pidDir, address.port) : () => {};
  stopOnSignals((signal) => {
    server.logger.info(
      { signal, timeoutMs: config.operations.shutdownTimeoutMs },
      'shutting down: closing connections with 4200, finishing requests and webhooks',
    );
    removePidFile();
    server.close().then(
      () => {
        server.logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        server.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}

/** `--workers N` (N > 1): this process supervises N workers on one port (supervisor/primary.ts). */
async function startPrimary(config: ServerConfig): Promise<void> {
  const logger = createLogger({ serverId: randomUUID(), debug: config.debug }).child({
    role: 'primary',
    pid: process.pid,
  });
  const primary = new Primary(config, logger);
  logCrashes(logger);
  // Before the start: a worker answers on the port before the last one is up, and a SIGTERM then
  // must drain them, not kill the primary. A repeated signal (systemd signals the whole group, a
  // terminal's Ctrl-C reaches the workers too) never cuts the drain short: it is bounded anyway.
  stopOnSignals((signal) => {
    primary.stop(signal).then((code) => {
      logger.info({ code }, 'stopped');
      process.exit(code);
    });
  }, true);
  try {
    logListening(logger, config, await primary.start(), config.workers);
  } catch (error) {
    primary.abort();
    // A bind that failed in the primary has its errno; a worker's failure comes already worded.
    fail((error as NodeJS.ErrnoException).code ? listenFailure(config, error) : (error as Error).message);
  }
}

/** `reverb restart`: SIGTERM to the nodes recorded in the pid directory. */
function restart(portOption: string | undefined, configOption: string | undefined): void {
  const cwd = workingDirectory();
  let pidDir: string;
  try {
    // The same readers as `start`, for the pid directory only; apps are not needed.
    const file = configOption === undefined ? {} : readConfigFile(resolve(cwd, configOption));
    pidDir = parseOperationsConfig(file, { ...readDotEnv(cwd)?.values, ...process.env }).pidDir;
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const port = portOption === undefined ? undefined : Number(portOption);
  if (port !== undefined && !Number.isInteger(port))
    fail(`--port must be a port number (got "${portOption}")`);
  const { signalled, stale } = restartNodes(pidDir, port);
  for (const file of stale) process.stdout.write(`removed stale pid file ${file}\n`);
  if (signalled.length === 0) {
    process.stdout.write(`no running reverb node found in ${pidDir}\n`);
    return;
  }
  for (const node of signalled) {
    process.stdout.write(`sent SIGTERM to reverb on port ${node.port} (pid ${node.pid})\n`);
  }
}

/**
 * Where `.env` and a relative `--config` are looked up. `pnpm reverb start` at the repository root
 * runs this package's script inside packages/server; pnpm and npm then set INIT_CWD to where the user
 * typed the command, which is the directory meant.
 */
function workingDirectory(): string {
  const initCwd = process.env.INIT_CWD;
  if (!initCwd) return process.cwd();
  try {
    const manifest = JSON.parse(readFileSync(join(process.cwd(), 'package.json'), 'utf8')) as {
      name?: unknown;
    };
    return manifest.name === '@react-reverb/server' ? initCwd : process.cwd();
  } catch {
    return process.cwd();
  }
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      host: { type: 'string' },
      port: { type: 'string' },
      config: { type: 'string' },
      debug: { type: 'boolean' },
      workers: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
}

// `pnpm reverb start …` forwards a literal `--` before the arguments: drop it.
const args = process.argv.slice(2);
main(args[0] === '--' ? args.slice(1) : args).catch((error: unknown) => {
  process.stderr.write(`reverb: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
