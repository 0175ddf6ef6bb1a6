/** An in-process server with operations settings and test knobs (webhook delay, retry policy). */
import { defineConfig, type ServerConfig } from '../../src/config';
import type { OperationsOptions } from '../../src/operations';
import { parseOperationsConfig } from '../../src/operations-config';
import { type CreateServerOptions, createReverbServer } from '../../src/server';
import { DEMO_APP_CONFIG, type TestServer } from './server';

export async function startOpsServer(
  o: {
    apps?: ReadonlyArray<Record<string, unknown>>;
    /** The config file's `metrics` / `dashboard` / `shutdown` sections. */
    file?: Record<string, unknown>;
    operations?: OperationsOptions;
    server?: Partial<Omit<ServerConfig, 'apps'>>;
    options?: CreateServerOptions;
  } = {},
): Promise<TestServer> {
  const apps = o.apps ?? [DEMO_APP_CONFIG];
  const config = defineConfig({
    apps,
    host: '127.0.0.1',
    port: 0,
    operations: parseOperationsConfig(o.file ?? {}, {}),
    ...o.server,
  });
  const reverb = createReverbServer(config, {
    quiet: true,
    ...(o.operations === undefined ? {} : { operations: o.operations }),
    ...o.options,
  });
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
