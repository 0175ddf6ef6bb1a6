/**
 * A server of the suite's own with several apps from its config file, an app backend per app and a
 * client pool per app: for suites that test per-app settings side by side (skipped against an external
 * REVERB_TEST_TARGET_URL, since they need these apps). Registers its own hooks: the server and backends
 * start before all tests, every pool's clients close after each test, backends and server after all.
 */
import { type ServerHandle, startServer } from '@react-reverb/test-helpers';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { type AppBackend, startAppBackend } from './app-backend';
import type { AppCredentials } from './auth';
import { type Target, targetOf } from './target';

interface ClientPool {
  closeAll(): void;
}

export interface MultiAppServer<Name extends string, Pool extends ClientPool> {
  /** Each app as a Target on the shared server (filled in beforeAll). */
  readonly targets: Record<Name, Target>;
  /** Each app's backend: its auth endpoints and its `pusher` SDK (filled in beforeAll). */
  readonly backends: Record<Name, AppBackend>;
  /** Each app's client pool, created at once; its clients close after each test. */
  readonly pools: Record<Name, Pool>;
}

/** `apps`: config-file entries by name; `poolFor`: `pusherJsPool`, `echoPool` or the like. */
export function multiAppServer<
  Name extends string,
  App extends AppCredentials & Record<string, unknown>,
  Pool extends ClientPool,
>(
  apps: Readonly<Record<Name, App>>,
  poolFor: (target: () => Target, backend: () => AppBackend) => Pool,
): MultiAppServer<Name, Pool> {
  const names = Object.keys(apps) as Name[];
  let server: ServerHandle | undefined;
  const targets = {} as Record<Name, Target>;
  const backends = {} as Record<Name, AppBackend>;
  const pools = Object.fromEntries(
    names.map((name) => [
      name,
      poolFor(
        () => targets[name],
        () => backends[name],
      ),
    ]),
  ) as Record<Name, Pool>;

  beforeAll(async () => {
    server = await startServer({ apps: Object.values(apps) });
    for (const name of names) {
      targets[name] = targetOf(server, apps[name]);
      backends[name] = await startAppBackend(targets[name]);
    }
  });
  afterEach(() => {
    for (const pool of Object.values<Pool>(pools)) pool.closeAll();
  });
  afterAll(async () => {
    await Promise.all(Object.values<AppBackend>(backends).map((backend) => backend.close()));
    await server?.stop();
  });
  return { targets, backends, pools };
}
