/** Starts the real server in-process on a free 127.0.0.1 port (for the CLI process, see cli.ts). */
import { DEMO_APP_CONFIG } from '@react-reverb/test-helpers';
import { afterAll, beforeAll } from 'vitest';
import { defineConfig, type ServerConfig } from '../../src/config/config';
import { parseOperationsConfig } from '../../src/config/operations-config';
import type { OperationsOptions } from '../../src/operations/operations';
import { type CreateServerOptions, createReverbServer, type ReverbServer } from '../../src/server';
import { createLogger } from '../../src/shared/logger';
import { PUSHER_JS_QUERY } from './raw-client';

export interface TestServer {
  readonly server: ReverbServer;
  readonly port: number;
  readonly httpUrl: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** `/app/{key}?protocol=7&client=js&version=8.6.0&flash=false` */
  readonly appPath: string;
  /** `ws://…/app/{key}?protocol=7&client=js&version=8.6.0&flash=false` */
  wsUrl(key?: string, query?: string): string;
  /** Every log line so far; only for a server started with `captureLogs`. */
  logs(): string;
  close(): Promise<void>;
}

export interface TestServerOptions extends CreateServerOptions {
  /** Keep the log lines (debug level when the config says `debug`) for `logs()`; otherwise silent. */
  readonly captureLogs?: boolean;
}

export async function startTestServer(
  apps: ReadonlyArray<Record<string, unknown>> = [DEMO_APP_CONFIG],
  server: Partial<Omit<ServerConfig, 'apps'>> = {},
  { captureLogs = false, ...options }: TestServerOptions = {},
): Promise<TestServer> {
  const config = defineConfig({ apps, host: '127.0.0.1', port: 0, ...server });
  const lines: string[] = [];
  const logger = captureLogs
    ? createLogger({
        serverId: 'test-server',
        level: config.debug ? 'debug' : 'info',
        destination: { write: (line: string) => void lines.push(line) },
      })
    : undefined;
  const reverb = createReverbServer(config, logger ? { logger, ...options } : { quiet: true, ...options });
  const { port } = await reverb.listen();
  const first = apps[0] as { id: string; key: string; secret: string };
  return {
    server: reverb,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    app: { id: String(first.id), key: first.key, secret: first.secret },
    appPath: `/app/${first.key}?${PUSHER_JS_QUERY}`,
    wsUrl: (key = first.key, query = PUSHER_JS_QUERY) =>
      `ws://127.0.0.1:${port}/app/${key}${query === '' ? '' : `?${query}`}`,
    logs: () => {
      if (!captureLogs) throw new Error('start the server with captureLogs to read its logs');
      return lines.join('');
    },
    close: () => reverb.close(),
  };
}

/**
 * One server shared by the tests of a file (or of the describe block it is called in): started before
 * the first test, closed after the last. The handle reads through to that server, so it can be a
 * module-level constant.
 */
export function sharedTestServer(...args: Parameters<typeof startTestServer>): TestServer {
  let started: TestServer | undefined;
  beforeAll(async () => {
    started = await startTestServer(...args);
  });
  afterAll(() => started?.close());
  const current = (): TestServer => {
    if (!started) throw new Error('the shared test server starts in beforeAll: use it in tests and hooks');
    return started;
  };
  return {
    get server() {
      return current().server;
    },
    get port() {
      return current().port;
    },
    get httpUrl() {
      return current().httpUrl;
    },
    get app() {
      return current().app;
    },
    get appPath() {
      return current().appPath;
    },
    wsUrl: (key, query) => current().wsUrl(key, query),
    logs: () => current().logs(),
    close: () => current().close(),
  };
}

/** An in-process server with operations settings and test knobs (webhook delay, retry policy). */
export function startOpsServer(
  o: {
    apps?: ReadonlyArray<Record<string, unknown>>;
    /** The config file's `metrics` / `dashboard` / `shutdown` sections. */
    file?: Record<string, unknown>;
    operations?: OperationsOptions;
    server?: Partial<Omit<ServerConfig, 'apps'>>;
    options?: TestServerOptions;
  } = {},
): Promise<TestServer> {
  return startTestServer(
    o.apps ?? [DEMO_APP_CONFIG],
    { operations: parseOperationsConfig(o.file ?? {}, {}), ...o.server },
    { ...(o.operations === undefined ? {} : { operations: o.operations }), ...o.options },
  );
}
