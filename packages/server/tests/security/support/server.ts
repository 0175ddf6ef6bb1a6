/** The real server in-process on a free 127.0.0.1 port, with its log lines captured (debug level). */
import { DEMO_APP } from '@react-reverb/test-helpers';
import { defineConfig, type ServerConfig } from '../../../src/config/config';
import { createReverbServer, type ReverbServer } from '../../../src/server';
import { createLogger } from '../../../src/shared/logger';

export const SECURITY_APP = {
  ...DEMO_APP,
  client_events: true,
  user_authentication: true,
  subscription_count: true,
  watchlist: true,
} as const;

export interface LoggedServer {
  readonly server: ReverbServer;
  readonly port: number;
  readonly httpUrl: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** `/app/{key}?protocol=7…` */
  readonly appPath: string;
  wsUrl(key?: string): string;
  /** Every log line so far. */
  logs(): string;
  close(): Promise<void>;
}

export async function startLoggedServer(
  apps: ReadonlyArray<Record<string, unknown>> = [SECURITY_APP],
  server: Partial<Omit<ServerConfig, 'apps'>> = {},
): Promise<LoggedServer> {
  const config = defineConfig({ apps, host: '127.0.0.1', port: 0, ...server });
  const lines: string[] = [];
  const logger = createLogger({
    serverId: 'security-test',
    level: config.debug ? 'debug' : 'info',
    destination: { write: (line: string) => void lines.push(line) },
  });
  const reverb = createReverbServer(config, { logger });
  const { port } = await reverb.listen();
  const first = apps[0] as { id: string; key: string; secret: string };
  const query = 'protocol=7&client=js&version=8.6.0&flash=false';
  return {
    server: reverb,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    app: { id: String(first.id), key: first.key, secret: first.secret },
    appPath: `/app/${first.key}?${query}`,
    wsUrl: (key = first.key) => `ws://127.0.0.1:${port}/app/${key}?${query}`,
    logs: () => lines.join(''),
    close: () => reverb.close(),
  };
}
