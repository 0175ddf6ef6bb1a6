/**
 * The life of `reverb start --workers N` as an operator sees it, with the real CLI: how many processes
 * it runs, SIGTERM draining every worker (4200 to every client, the request in flight answered,
 * webhooks flushed, exit 0), `reverb restart`, a worker left without its primary, and the start
 * refused for a bad value or a port in use, naming the setting.
 */

import { existsSync, mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_APP, DEMO_APP_CONFIG, freePort, type ServerHandle, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { reusePortAvailable } from '../../src/supervisor/worker-control';
import { connectionShare } from '../../src/worker';
import { joinPresence } from '../support/auth';
import { cleanupAfterEach } from '../support/cleanup';
import { runCli } from '../support/cli';
import { slowTrigger } from '../support/http';
import { dataOf, type Frame, PUSHER_JS_QUERY, RawClient } from '../support/raw-client';
import { WebhookReceiver } from '../support/webhook-receiver';
import { childPids, clientsOnDistinctWorkers, startWorkers, workerOf } from '../support/workers';

const defer = cleanupAfterEach();

async function start(
  workers: number,
  options: Parameters<typeof startWorkers>[1] = {},
): Promise<ServerHandle> {
  const server = await startWorkers(workers, options);
  defer(() => server.kill());
  return server;
}

/** Waits for the process to end on its own; resolves with its exit code. */
function exitCodeOf(server: ServerHandle): Promise<number | null> {
  const child = server.process;
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('processes', () => {
  it('the default is one process; --workers 2 is a primary and two workers, each a child of it', async () => {
    const single = await start(1);
    expect(childPids(single.process.pid as number)).toEqual([]);
    const machine = await start(2);
    await waitFor(() => machine.output().includes('Reverb server listening'), 5_000, 'the listening line');
    expect(childPids(machine.process.pid as number)).toHaveLength(2);
    const listening = machine
      .output()
      .split('\n')
      .find((line) => line.includes('Reverb server listening'));
    expect(JSON.parse(listening as string)).toMatchObject({ role: 'primary', workers: 2 });
  });

  it('--workers auto starts one worker per core', async () => {
    const server = await start(1, { env: { REVERB_WORKERS: 'auto' } });
    const cores = availableParallelism();
    if (cores === 1) {
      expect(childPids(server.process.pid as number)).toEqual([]);
      return;
    }
    await waitFor(() => childPids(server.process.pid as number).length === cores, 5_000, `${cores} workers`);
  });
});

describe('how the workers share the port', () => {
  it('each binds it with SO_REUSEPORT where Node has it (22.12+, 23.1+, on Linux), else through the primary', () => {
    const at = (version: string, platform: NodeJS.Platform = 'linux', port = 8080) =>
      reusePortAvailable(port, version, platform);
    expect([at('20.19.0'), at('22.11.0'), at('22.12.0'), at('23.0.0'), at('23.1.0'), at('24.0.0')]).toEqual([
      false,
      false,
      true,
      false,
      true,
      true,
    ]);
    expect(at('24.0.0', 'darwin')).toBe(false);
    // Port 0 would give each worker a port of its own.
    expect(at('24.0.0', 'linux', 0)).toBe(false);
  });

  it('a second server on a port the workers hold is refused, whichever way they hold it', async () => {
    const server = await start(2);
    await waitFor(() => server.output().includes('Reverb server listening'), 5_000, 'the listening line');
    const result = runCli(['start', '--host', '127.0.0.1', '--port', String(server.port), '--workers', '2'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(`REVERB_SERVER_PORT ${server.port} is already in use`);
    expect((await fetch(`${server.httpUrl}/up`)).ok).toBe(true);
  });
});

describe('the machine’s REVERB_MAX_CONNECTIONS', () => {
  it('is shared out: the workers’ shares add up to the setting', () => {
    const shares = (max: number, workers: number) =>
      Array.from({ length: workers }, (_, i) => connectionShare(max, workers, i + 1));
    expect(shares(10, 3)).toEqual([4, 3, 3]);
    expect(shares(2, 2)).toEqual([1, 1]);
    expect(shares(1, 2)).toEqual([1, 0]);
    expect(connectionShare(null, 4, 1)).toBeNull();
  });

  it('refuses the connection beyond the machine’s limit with 4100', async () => {
    const server = await start(2, { env: { REVERB_MAX_CONNECTIONS: '2' } });
    const url = `${server.wsUrl}/app/${DEMO_APP.key}?${PUSHER_JS_QUERY}`;
    // Connections land round robin (the start's health checks counted too) or as the kernel spreads
    // them (SO_REUSEPORT): try until both shares are full.
    const accepted: RawClient[] = [];
    const refused: RawClient[] = [];
    for (let tries = 0; accepted.length < 2 && tries < 30; tries++) {
      const c = await RawClient.open(url);
      (c.frames[0]?.event === 'pusher:connection_established' ? accepted : refused).push(c);
    }
    expect(accepted).toHaveLength(2);
    const workers = await Promise.all(accepted.map((c) => workerOf(server, c.socketId)));
    expect(new Set(workers.map((w) => w.slot)).size).toBe(2);
    for (let i = 0; i < 3; i++) {
      const beyond = await RawClient.open(url);
      refused.push(beyond);
      expect(dataOf(beyond.frames[0] as Frame)).toMatchObject({ code: 4100 });
    }
    for (const c of [...accepted, ...refused]) c.ws.terminate();
  });
});

describe('stopping', () => {
  it('SIGTERM drains every worker: 4200 to each client, the request in flight answered, webhooks flushed, exit 0', async () => {
    const hooks = await WebhookReceiver.start();
    defer(() => hooks.close());
    const server = await start(2, {
      apps: [
        {
          ...DEMO_APP_CONFIG,
          webhooks: [{ url: hooks.url, event_types: ['member_removed', 'channel_vacated'] }],
        },
      ],
    });
    const workers = childPids(server.process.pid as number);
    const clients = await clientsOnDistinctWorkers(
      server,
      `${server.wsUrl}/app/${DEMO_APP.key}?${PUSHER_JS_QUERY}`,
    );
    for (const [i, { client }] of clients.entries())
      await joinPresence(server, client, 'presence-drained', `u${i}`);
    const inFlight = slowTrigger(server.port, DEMO_APP);
    await new Promise((resolve) => setTimeout(resolve, 200));

    server.process.kill('SIGTERM');
    for (const { client } of clients) {
      expect((await client.closed()).code).toBe(4200);
      expect(client.all('pusher:error').map((f) => (f.data as { code: number }).code)).toContain(4200);
    }
    inFlight.finish();
    expect((await inFlight.response).status).toBe(200);
    expect(await exitCodeOf(server)).toBe(0);
    // member_removed waits 3 s for a reconnect, except at shutdown: it went out before the exit.
    const removed = hooks
      .events()
      .filter((e) => e.name === 'member_removed')
      .map((e) => e.user_id);
    expect(removed.sort()).toEqual(['u0', 'u1']);
    expect(hooks.events().filter((e) => e.name === 'channel_vacated')).toHaveLength(1);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(server.output()).toMatch(/"msg":"stopped"/);
  });

  it('reverb restart SIGTERMs the primary (its pid file); every worker drains and it exits 0', async () => {
    const pidDir = mkdtempSync(join(tmpdir(), 'rr-pids-'));
    const server = await start(2, { env: { REVERB_PID_DIR: pidDir } });
    await waitFor(() => existsSync(join(pidDir, `reverb-${server.port}.pid`)), 5_000, 'the pid file');
    const workers = childPids(server.process.pid as number);
    const [first] = await clientsOnDistinctWorkers(
      server,
      `${server.wsUrl}/app/${DEMO_APP.key}?${PUSHER_JS_QUERY}`,
      1,
    );
    const client = (first as { client: RawClient }).client;

    const restart = runCli(['restart'], { REVERB_PID_DIR: pidDir });
    expect(restart.status).toBe(0);
    expect(restart.stdout.trim()).toBe(
      `sent SIGTERM to reverb on port ${server.port} (pid ${server.process.pid})`,
    );
    expect((await client.closed()).code).toBe(4200);
    expect(await exitCodeOf(server)).toBe(0);
    for (const pid of workers) expect(alive(pid)).toBe(false);
    expect(existsSync(join(pidDir, `reverb-${server.port}.pid`))).toBe(false);
  });

  it('workers whose primary is killed exit at once: none is left behind', async () => {
    const server = await start(2);
    await waitFor(() => childPids(server.process.pid as number).length === 2, 5_000, 'two workers');
    const workers = childPids(server.process.pid as number);
    const [first] = await clientsOnDistinctWorkers(
      server,
      `${server.wsUrl}/app/${DEMO_APP.key}?${PUSHER_JS_QUERY}`,
      1,
    );
    const client = (first as { client: RawClient }).client;
    await server.kill();
    // Node's cluster ends a worker whose primary is gone; its clients see the connection drop.
    expect((await client.closed()).code).toBe(1006);
    await waitFor(() => workers.every((pid) => !alive(pid)), 10_000, 'the workers to exit');
  });
});

describe('refused starts', () => {
  it('a bad --workers or REVERB_WORKERS stops the start with one line naming it', () => {
    const flag = runCli(['start', '--workers', 'many'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
    });
    expect(flag.status).toBe(1);
    expect(flag.stderr.trim()).toBe(
      'reverb: Invalid configuration: --workers must be a number from 1 to 256 or auto (got "many")',
    );
    const env = runCli(['start'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
      REVERB_WORKERS: '0',
    });
    expect(env.status).toBe(1);
    expect(env.stderr).toContain('REVERB_WORKERS');
    expect(env.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('a port in use stops the start with one line naming the setting, and no worker is left behind', async () => {
    const port = await freePort();
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(port, '127.0.0.1', resolve));
    defer(() => new Promise((resolve) => holder.close(resolve)));
    const result = runCli(['start', '--host', '127.0.0.1', '--port', String(port), '--workers', '2'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
    });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      `reverb: Invalid configuration: REVERB_SERVER_PORT ${port} is already in use on 127.0.0.1`,
    );
  });
});
