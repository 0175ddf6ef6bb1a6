import { type ServerHandle, startServer } from '@react-reverb/test-helpers';
import type { AppCredentials } from './auth';
import { PUSHER_JS_QUERY } from './raw-client';

/** The server under test, as a third-party client sees it: where to connect and which app to use. */
export interface Target {
  readonly host: string;
  readonly port: number;
  readonly httpUrl: string;
  readonly app: AppCredentials;
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

/**
 * A server this suite started some other way (a cluster node, a server with several apps) as a Target for
 * `app` (default: its first app). Stopping it stays with whoever started it.
 */
export function targetOf(handle: ServerHandle, app: AppCredentials = handle.app): Target {
  return {
    host: handle.host,
    port: handle.port,
    httpUrl: handle.httpUrl,
    app: { id: app.id, key: app.key, secret: app.secret },
    async stop() {},
  };
}

/** Where a raw client connects to the target, as pusher-js would. */
export function wsUrlOf(target: Target): string {
  return `ws://${target.host}:${target.port}/app/${target.app.key}?${PUSHER_JS_QUERY}`;
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
