/**
 * How nodes reach Redis, end to end with real server processes: a `rediss://` URL speaks TLS to a
 * TLS-only redis-server (a self-signed certificate, trusted through NODE_EXTRA_CA_CERTS),
 * a node waits (bounded) for a Redis that comes up late before it takes clients, and a node whose Redis
 * is unreachable still starts and serves its own clients.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect } from 'node:tls';
import {
  DEMO_APP_CONFIG,
  freePort,
  makeCertificate,
  type ServerHandle,
  startRedis,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/config/config';
import { createReverbServer } from '../../src/server';
import { type AppBackend, startAppBackend } from '../support/app-backend';
import { sdkFor } from '../support/auth';
import { nextEvent } from '../support/events';
import { pusherJsPool, subscribed } from '../support/pusher-js-clients';
import { scalingOver } from '../support/redis';
import { type Target, targetOf } from '../support/target';

const servers: ServerHandle[] = [];
let backend: AppBackend | undefined;
const targets: Target[] = [];
const pools = [0, 1].map((i) =>
  pusherJsPool(
    () => targets[i] as Target,
    () => backend as AppBackend,
  ),
);

afterEach(async () => {
  for (const pool of pools) pool.closeAll();
  await backend?.close();
  backend = undefined;
  targets.length = 0;
  await Promise.all(servers.splice(0).map((s) => s.stop()));
});

describe('rediss:// (TLS)', () => {
  let redis: ChildProcess | undefined;
  let port: number;
  let ca: string;

  beforeAll(async () => {
    // Self-signed: the certificate is its own CA, for redis-server and for the nodes (NODE_EXTRA_CA_CERTS).
    const certificate = makeCertificate();
    ca = certificate.certPath;
    port = await freePort();
    // TLS only: a plain-text client cannot talk to this Redis at all.
    redis = spawn(
      'redis-server',
      [
        '--port',
        '0',
        '--tls-port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--tls-cert-file',
        certificate.certPath,
        '--tls-key-file',
        certificate.keyPath,
        '--tls-ca-cert-file',
        certificate.certPath,
        '--tls-auth-clients',
        'no',
        '--save',
        '',
        '--appendonly',
        'no',
      ],
      { stdio: 'ignore' },
    );
    await waitFor(
      () =>
        new Promise<boolean>((resolve) => {
          const socket = connect({
            port,
            host: '127.0.0.1',
            ca: [certificate.cert],
            servername: 'localhost',
          });
          socket.once('secureConnect', () => {
            socket.destroy();
            resolve(true);
          });
          socket.once('error', () => resolve(false));
        }),
      10_000,
      'TLS redis-server',
    );
  });

  afterAll(() => {
    redis?.kill('SIGKILL');
  });

  it('two nodes share events over a TLS Redis', async () => {
    const env = {
      REVERB_SCALING_ENABLED: 'true',
      REDIS_URL: `rediss://localhost:${port}`,
      NODE_EXTRA_CA_CERTS: ca,
    };
    servers.push(...(await Promise.all([startServer({ env }), startServer({ env })])));
    targets.push(...servers.map((server) => targetOf(server)));
    backend = await startAppBackend(targets[0] as Target);
    const client = await (pools[0] as (typeof pools)[number]).connect();
    const channel = await subscribed(client, 'over-tls');
    const trigger = sdkFor(targets[1] as Target);
    const got: unknown[] = [];
    channel.bind('ping', (data: unknown) => got.push(data));
    // Node 1 may still be connecting to Redis: trigger until one arrives.
    await waitFor(
      async () => {
        await trigger.trigger('over-tls', 'ping', { tls: true });
        return got.length > 0;
      },
      15_000,
      'an event from node 1 through TLS Redis',
    );
    expect(got[0]).toEqual({ tls: true });
    expect(servers.map((s) => s.output()).join('')).not.toContain('Redis operation failed');
  });
});

/** The distinct `op` of every "Redis operation failed" log line, sorted. */
function failedRedisOperations(output: string): string[] {
  const ops = new Set<string>();
  for (const line of output.split('\n')) {
    if (!line.includes('Redis operation failed')) continue;
    ops.add(String((JSON.parse(line) as { op?: unknown }).op));
  }
  return [...ops].sort();
}

describe('Redis late at startup', () => {
  it('the node takes clients only once it reaches Redis, so none of them is served without it', async () => {
    const redis = await startRedis();
    await redis.stop();
    const downMs = 3_000;
    const started = Date.now();
    let upAfterMs = 0;
    const starting = startServer({ env: { REVERB_SCALING_ENABLED: 'true', REDIS_URL: redis.url } }).then(
      (server) => {
        upAfterMs = Date.now() - started;
        return server;
      },
    );
    await new Promise((resolve) => setTimeout(resolve, downMs));
    await redis.restart(0);
    const server = await starting;
    servers.push(server);
    // Without the wait, /up answers as soon as the process has booted, well before Redis is back.
    expect(upAfterMs).toBeGreaterThanOrEqual(downMs);
    targets.push(targetOf(server));
    backend = await startAppBackend(targets[0] as Target);
    const client = await (pools[0] as (typeof pools)[number]).connect();
    const channel = await subscribed(client, 'after-redis');
    const got = nextEvent(channel, 'ping', 'a trigger once Redis is up');
    await sdkFor(targets[0] as Target).trigger('after-redis', 'ping', { late: true });
    expect(await got).toEqual({ late: true });
    // While Redis was down its connections failed (and said so); no client operation ever did.
    const clientOperations = failedRedisOperations(server.output()).filter(
      (op) => !op.endsWith('connection'),
    );
    expect(clientOperations).toEqual([]);
    expect(server.output()).not.toContain('Redis not reachable');
    await redis.stop();
  });
});

describe('closed while waiting for Redis', () => {
  it('never opens its port', async () => {
    const port = await freePort();
    const closedRedis = await freePort();
    const config = defineConfig({
      apps: [DEMO_APP_CONFIG],
      host: '127.0.0.1',
      port,
      scaling: scalingOver({ url: `redis://127.0.0.1:${closedRedis}` }, 'closed-early'),
    });
    const server = createReverbServer(config, { quiet: true });
    const listening = server.listen();
    await server.close();
    await expect(listening).rejects.toThrow('closed before it started listening');
    await expect(fetch(`http://127.0.0.1:${port}/up`)).rejects.toThrow();
  });
});

describe('Redis unreachable', () => {
  it('a node still starts, serves its own clients, and logs the failure', async () => {
    const closedPort = await freePort();
    const env = { REVERB_SCALING_ENABLED: 'true', REDIS_URL: `redis://127.0.0.1:${closedPort}` };
    const server = await startServer({ env });
    servers.push(server);
    targets.push(targetOf(server));
    backend = await startAppBackend(targets[0] as Target);
    const client = await (pools[0] as (typeof pools)[number]).connect();
    const channel = await subscribed(client, 'local-only');
    const got = nextEvent(channel, 'ping', 'a local trigger without Redis');
    expect((await sdkFor(targets[0] as Target).trigger('local-only', 'ping', { local: true })).status).toBe(
      200,
    );
    expect(await got).toEqual({ local: true });
    expect(server.output()).toContain('Redis not reachable within 5 s: taking clients anyway');
    await waitFor(() => server.output().includes('Redis operation failed'), 10_000, 'the failure in the log');
  });
});
