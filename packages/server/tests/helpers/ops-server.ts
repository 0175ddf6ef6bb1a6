/** An in-process server with operations settings and test knobs (webhook delay, retry policy). */
import type { ServerConfig } from '../../src/config/config';
import { parseOperationsConfig } from '../../src/config/operations-config';
import type { OperationsOptions } from '../../src/operations/operations';
import type { CreateServerOptions } from '../../src/server';
import { DEMO_APP_CONFIG, startTestServer, type TestServer } from './server';

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
  return startTestServer(
    o.apps ?? [DEMO_APP_CONFIG],
    { operations: parseOperationsConfig(o.file ?? {}, {}), ...o.server },
    { ...(o.operations === undefined ? {} : { operations: o.operations }), ...o.options },
  );
}
