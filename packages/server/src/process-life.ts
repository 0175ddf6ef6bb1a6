/**
 * What every `reverb start` process does the same way, whether it is a single node, a worker of
 * `--workers N`, or their primary: log crashes as JSON lines before exiting, print the listening line,
 * name a failed listen, and stop once on SIGTERM/SIGINT.
 */
import type { ServerConfig } from './config/config';
import type { ReverbLogger } from './shared/logger';

/**
 * Nothing is swallowed: an error escaping every handler is logged as a JSON line (with the node id)
 * before the process exits for its manager (or its primary) to restart it, instead of a bare stack.
 */
export function logCrashes(logger: ReverbLogger): void {
  const crash = (kind: string) => (error: unknown) => {
    logger.fatal({ err: error }, kind);
    process.exit(1);
  };
  process.on('uncaughtException', crash('uncaught exception'));
  process.on('unhandledRejection', crash('unhandled promise rejection'));
}

/** The one line that says where the server listens, which apps it serves, and with how many workers. */
export function logListening(
  logger: ReverbLogger,
  config: ServerConfig,
  address: { host: string; port: number },
  workers = 1,
): void {
  const { host, port } = address;
  const scheme = config.tls ? 'wss' : 'ws';
  // Like Reverb's "Starting server on host:port/path (hostname)": REVERB_HOST is shown, not bound.
  const publicName = config.hostname && config.hostname !== host ? ` (${config.hostname})` : '';
  const processes = workers > 1 ? ` with ${workers} worker processes` : '';
  logger.info(
    {
      host,
      port,
      path: config.path,
      hostname: config.hostname,
      tls: config.tls !== undefined,
      workers,
      apps: config.apps.map((app) => ({ id: app.id, key: app.key, enabled: app.enabled })),
    },
    `Reverb server listening on ${scheme}://${host}:${port}${config.path}${publicName} (${config.tls ? 'https' : 'http'} API at ${config.path}/apps/{id}) serving ${config.apps.length} app(s): ${config.apps.map((a) => a.id).join(', ')}${processes}`,
  );
}

/** Why a listen failed, in the words of the setting to change. */
export function listenFailure(config: ServerConfig, error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  return code === 'EADDRINUSE'
    ? `Invalid configuration: REVERB_SERVER_PORT ${config.port} is already in use on ${config.host}`
    : `cannot listen on ${config.host}:${config.port}: ${(error as Error).message}`;
}

/**
 * Runs `stop` once, on the first SIGTERM or SIGINT. A second signal then has its default effect (a
 * second Ctrl-C ends a stuck drain), unless `ignoreRepeats`: a worker of `--workers N` hears the same
 * Ctrl-C as its primary (the terminal signals the whole process group) and then its primary's SIGTERM,
 * and must go on draining.
 */
export function stopOnSignals(stop: (signal: string) => void, ignoreRepeats = false): void {
  let stopping = false;
  const once = (signal: string) => {
    if (stopping) return;
    stopping = true;
    stop(signal);
  };
  const listen = ignoreRepeats ? process.on.bind(process) : process.once.bind(process);
  listen('SIGINT', () => once('SIGINT'));
  listen('SIGTERM', () => once('SIGTERM'));
}
