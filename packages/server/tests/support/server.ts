/** Starts the real server in-process on a free 127.0.0.1 port. */
import { DEMO_APP } from '@react-reverb/test-helpers';
import { defineConfig, type ServerConfig } from '../../src/config/config';
import { type CreateServerOptions, createReverbServer, type ReverbServer } from '../../src/server';

export interface TestServer {
  readonly server: ReverbServer;
  readonly port: number;
  readonly httpUrl: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** `ws://…/app/{key}?protocol=7&client=js&version=8.6.0&flash=false` */
  wsUrl(key?: string, query?: string): string;
  close(): Promise<void>;
}

export const DEMO_APP_CONFIG = {
  ...DEMO_APP,
  client_events: true,
  user_authentication: true,
  subscription_count: true,
  watchlist: true,
} as const;

export async function startTestServer(
  apps: ReadonlyArray<Record<string, unknown>> = [DEMO_APP_CONFIG],
  server: Partial<Omit<ServerConfig, 'apps'>> = {},
  options: CreateServerOptions = {},
): Promise<TestServer> {
  const config = defineConfig({ apps, host: '127.0.0.1', port: 0, ...server });
  const reverb = createReverbServer(config, { quiet: true, ...options });
  const { port } = await reverb.listen();
  const first = apps[0] as { id: string; key: string; secret: string };
  return {
    server: reverb,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    app: { id: String(first.id), key: first.key, secret: first.secret },
    wsUrl: (key = first.key, query = 'protocol=7&client=js&version=8.6.0&flash=false') =>
      `ws://127.0.0.1:${port}/app/${key}${query === '' ? '' : `?${query}`}`,
    close: () => reverb.close(),
  };
}
