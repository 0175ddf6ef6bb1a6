/**
 * `reverb start [--host H] [--port P] [--debug] [--config FILE]` and `reverb --help`.
 * A bad setting prints one line naming it and exits with 1; SIGINT/SIGTERM close gracefully.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from './config';
import { ConfigError } from './errors';
import { createReverbServer } from './server';

const HELP = `Usage: reverb start [options]

Starts the Pusher-protocol WebSocket server (a drop-in for Laravel Reverb).

Options:
  --host <host>      Interface to bind (REVERB_SERVER_HOST, default 0.0.0.0)
  --port <port>      Port to listen on (REVERB_SERVER_PORT, default 8080)
  --config <file>    JSON or YAML file with "apps" and server settings
  --debug            Log every frame (REVERB_DEBUG)
  -h, --help         Show this help

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
  if (positionals[0] !== 'start' || positionals.length > 1) {
    fail(`unknown command "${positionals.join(' ')}" (see reverb --help)`);
  }
  let port: number | undefined;
  if (values.port !== undefined) {
    port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65_535)
      fail(`Invalid configuration: --port must be a port number (got "${values.port}")`);
  }
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
      },
    });
  } catch (error) {
    if (error instanceof ConfigError) fail(error.message);
    throw error;
  }
  const server = createReverbServer(config);
  try {
    const { host, port: boundPort } = await server.listen();
    const scheme = config.tls ? 'wss' : 'ws';
    server.logger.info(
      {
        host,
        port: boundPort,
        tls: config.tls !== undefined,
        apps: config.apps.map((app) => ({ id: app.id, key: app.key, enabled: app.enabled })),
      },
      `Reverb server listening on ${scheme}://${host}:${boundPort} (${config.tls ? 'https' : 'http'} API at /apps/{id}) serving ${config.apps.length} app(s): ${config.apps.map((a) => a.id).join(', ')}`,
    );
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    fail(
      code === 'EADDRINUSE'
        ? `Invalid configuration: REVERB_SERVER_PORT ${config.port} is already in use on ${config.host}`
        : `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`,
    );
  }
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    server.logger.info({ signal }, 'shutting down');
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', () => stop('SIGINT'));
  process.once('SIGTERM', () => stop('SIGTERM'));
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
