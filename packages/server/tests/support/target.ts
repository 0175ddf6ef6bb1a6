import { type ServerHandle, startServer } from '@react-reverb/test-helpers';

/** The server under test, as a third-party client sees it: where to connect and which app to use. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly httpUrl: string;
  readonly app: { readonly id: string; readonly key: string; readonly secret: string };
  /** Stops the server if this suite started it; an external target is left running. */
  stop(): Promise<void>;
  /** Stops and starts the server again on the same port (a deploy); absent for an external target. */
  readonly restart?: () => Promise<void>;
}

/**
 * Starts our server (`reverb start` through `startServer()`) with the default demo app: client events,
 * sign-in, subscription_count and watchlist on.
 *
 * `REVERB_TEST_TARGET_URL=http://KEY:SECRET@HOST:PORT/apps/ID` points the suites at an already running
 * Pusher-protocol server instead (the same URL shape as the `pusher` SDK's `forURL`), so the tests
 * themselves can be checked against a peer implementation.
 */
export async function startTarget(): Promise<Target> {
  const external = process.env.REVERB_TEST_TARGET_URL;
  if (external) return externalTarget(external);
  let server: ServerHandle = await startServer();
  return {
    host: server.host,
    port: server.port,
    httpUrl: server.httpUrl,
    app: server.app,
    async stop() {
      await server.stop();
    },
    async restart() {
      await server.stop();
      server = await server.restart();
    },
  };
}

function externalTarget(raw: string): Target {
  const url = new URL(raw);
  const id = /^\/apps\/([^/]+)\/?$/.exec(url.pathname)?.[1];
  if (!id || !url.username || !url.password) {
    throw new Error('REVERB_TEST_TARGET_URL must look like http://KEY:SECRET@HOST:PORT/apps/ID');
  }
  const host = url.hostname;
  const port = Number(url.port || 80);
  return {
    host,
    port,
    httpUrl: `http://${host}:${port}`,
    app: { id, key: decodeURIComponent(url.username), secret: decodeURIComponent(url.password) },
    async stop() {},
  };
}
