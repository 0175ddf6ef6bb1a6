/**
 * Graceful shutdown and `reverb restart` against the real CLI process (run from source with tsx):
 * SIGTERM closes WebSockets with 4200, stops accepting, lets an in-flight HTTP request and the
 * pending webhooks finish, and exits 0; `reverb restart` finds nodes by their pid files. Also the logs:
 * JSON lines, each with the node id.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_APP, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from './support/cleanup';
import { type CliNode, runCli, startCliNode } from './support/cli';
import { slowTrigger } from './support/http';
import { RawClient } from './support/raw-client';
import { WebhookReceiver } from './support/webhook-receiver';

const defer = cleanupAfterEach();

async function startNode(
  config: Record<string, unknown>,
  pidDir: string,
  extraArgs: string[] = [],
): Promise<CliNode> {
  const node = await startCliNode(config, { REVERB_PID_DIR: pidDir }, extraArgs);
  defer(() => node.kill());
  return node;
}

describe('graceful shutdown (SIGTERM)', () => {
  it('closes sockets with 4200, finishes the in-flight request and the webhooks, and exits 0', async () => {
    const receiver = await WebhookReceiver.start();
    defer(() => receiver.close());
    const pidDir = mkdtempSync(join(tmpdir(), 'rr-pids-'));
    const node = await startNode(
      {
        apps: [
          {
            ...DEMO_APP,
            webhooks: [{ url: receiver.url, event_types: ['channel_occupied', 'channel_vacated'] }],
          },
        ],
        shutdown: { timeout: 10 },
      },
      pidDir,
    );
    const pidFile = join(pidDir, `reverb-${node.port}.pid`);
    expect(readFileSync(pidFile, 'utf8').trim()).toBe(String(node.child.pid));

    const client = await RawClient.open(node.wsUrl(DEMO_APP.key));
    await client.subscribe('news');
    await waitFor(
      () => receiver.bodies().some((b) => b.includes('channel_occupied')),
      5000,
      'occupied webhook',
    );

    const inFlight = slowTrigger(node.port, DEMO_APP);
    // No observable event says "the server has read these headers"; a short pause lets them arrive.
    await new Promise((r) => setTimeout(r, 200));
    node.child.kill('SIGTERM');

    const closed = await client.closed();
    expect(closed.code).toBe(4200);
    expect(client.all('pusher:error').map((f) => (f.data as { code: number }).code)).toContain(4200);
    // Not accepting any more.
    await waitFor(
      async () => {
        try {
          await fetch(`http://127.0.0.1:${node.port}/up`);
          return false;
        } catch {
          return true;
        }
      },
      5000,
      'listener closed',
    );
    inFlight.finish();
    expect((await inFlight.response).status).toBe(200);
    expect(await node.exited()).toBe(0);
    // The delayed channel_vacated went out before the process ended.
    expect(receiver.bodies().some((b) => b.includes('"channel_vacated"'))).toBe(true);
    expect(existsSync(pidFile)).toBe(false);

    // Logs: JSON lines, every one with the node id; the shutdown is logged.
    const lines = node
      .output()
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { serverId?: string; msg?: string });
    const ids = new Set(lines.map((l) => l.serverId));
    expect(ids.size).toBe(1);
    expect([...ids][0]).toEqual(expect.any(String));
    expect(lines.some((l) => l.msg?.startsWith('shutting down'))).toBe(true);
    expect(lines.at(-1)?.msg).toBe('stopped');
  });
});

describe('reverb restart', () => {
  it('SIGTERMs the nodes recorded in the pid directory; they exit 0 for the process manager to restart', async () => {
    const pidDir = mkdtempSync(join(tmpdir(), 'rr-pids-'));
    const [a, b] = [
      await startNode({ apps: [DEMO_APP] }, pidDir),
      await startNode({ apps: [DEMO_APP] }, pidDir, ['--debug']),
    ];
    const client = await RawClient.open(a.wsUrl(DEMO_APP.key));
    // --debug shows frames, in and out, as JSON lines.
    const debugClient = await RawClient.open(b.wsUrl(DEMO_APP.key));
    await debugClient.subscribe('debugged');
    await waitFor(() => b.output().includes('"direction":"in"'), 5000, 'debug frame log');
    expect(b.output()).toContain('pusher:subscribe');

    const restart = runCli(['restart'], { REVERB_PID_DIR: pidDir });
    expect(restart.status).toBe(0);
    expect(restart.stdout).toContain(`sent SIGTERM to reverb on port ${a.port} (pid ${a.child.pid})`);
    expect(restart.stdout).toContain(`port ${b.port}`);
    expect((await client.closed()).code).toBe(4200);
    expect(await a.exited()).toBe(0);
    expect(await b.exited()).toBe(0);

    const again = runCli(['restart'], { REVERB_PID_DIR: pidDir });
    expect(again.status).toBe(0);
    expect(again.stdout).toContain('no running reverb node found');

    // A pid file left by a killed node (its pid gone) is removed, never signalled.
    const stale = join(pidDir, 'reverb-1.pid');
    writeFileSync(stale, '999999999\n');
    const cleaned = runCli(['restart'], { REVERB_PID_DIR: pidDir });
    expect(cleaned.stdout).toContain(`removed stale pid file ${stale}`);
    expect(existsSync(stale)).toBe(false);
  });

  it('reads the pid directory where start does: the --config file, else .env', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rr-restart-'));
    const [fromFile, fromDotEnv] = ['file', 'dotenv'].map((name) => join(cwd, `pids-${name}`));
    writeFileSync(join(cwd, '.env'), `REVERB_PID_DIR=${fromDotEnv}\n`);
    expect(runCli(['restart'], {}, { cwd }).stdout).toContain(
      `no running reverb node found in ${fromDotEnv}`,
    );
    // A key written in the file wins over the environment, as for start.
    writeFileSync(join(cwd, 'reverb.yaml'), `shutdown:\n  pid_dir: ${fromFile}\n`);
    expect(runCli(['restart', '--config', 'reverb.yaml'], {}, { cwd }).stdout).toContain(
      `no running reverb node found in ${fromFile}`,
    );
    // A config file that cannot be read is named, as start names it.
    const broken = runCli(['restart', '--config', 'missing.yaml'], {}, { cwd });
    expect(broken.status).not.toBe(0);
    expect(broken.stderr).toContain('--config');
  });
});
