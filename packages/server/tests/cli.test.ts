/**
 * The `reverb` CLI as users run it (`node bin/reverb.js start ...`, spawned by startServer): start,
 * the listening line, --debug frame logs without secrets, --help, bad configuration, SIGTERM.
 * Runs the built dist: `pnpm --filter @react-reverb/server build` first.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEMO_APP,
  freePort,
  REVERB_BIN,
  startServer,
  waitFor,
  waitUntilUp,
} from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { runCli } from './support/cli';
import { RawClient, subscribeFrame } from './support/raw-client';

/** `reverb <args>` as users run it: the built dist. */
const run = (args: string[], env: Record<string, string> = {}) => runCli(args, env, { from: 'dist' });

describe('reverb start', () => {
  it('listens, prints where and which apps (never secrets), serves clients, and stops on SIGTERM', async () => {
    const server = await startServer({ debug: true });
    try {
      const listening = server
        .output()
        .split('\n')
        .find((line) => line.includes('listening'));
      expect(listening).toBeDefined();
      const line = JSON.parse(listening as string);
      expect(line.msg).toContain(`ws://127.0.0.1:${server.port}`);
      expect(line.apps).toEqual([{ id: DEMO_APP.id, key: DEMO_APP.key, enabled: true }]);
      expect(line.serverId).toEqual(expect.any(String));

      const c = await RawClient.open(`${server.wsUrl}/app/${server.app.key}?protocol=7`);
      c.send(subscribeFrame('private-x', `${DEMO_APP.key}:${'0'.repeat(64)}`));
      await c.nextEvent('pusher:subscription_error');
      // --debug logs every frame, in and out, with auth masked.
      await waitFor(() => server.output().includes('pusher:subscription_error'), 5000, 'debug frame log');
      const inbound = server
        .output()
        .split('\n')
        .find((l) => l.includes('"direction":"in"') && l.includes('pusher:subscribe'));
      // The auth string a client sends is masked in the log (the refusal may quote a wrong one back).
      expect(inbound).toContain('[redacted]');
      expect(inbound).not.toContain('0'.repeat(64));
      expect(server.output()).not.toContain(DEMO_APP.secret);
      c.close();
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('runs from REVERB_* env and a .env file with no --config', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rr-cli-env-'));
    writeFileSync(
      join(cwd, '.env'),
      'REVERB_APP_ID=77\nREVERB_APP_KEY=env-key\nREVERB_APP_SECRET=env-secret\n',
    );
    const port = await freePort();
    const child = spawn(
      process.execPath,
      [REVERB_BIN, 'start', '--host', '127.0.0.1', '--port', String(port)],
      {
        cwd,
        env: { PATH: process.env.PATH ?? '' },
        stdio: 'ignore',
      },
    );
    try {
      await waitUntilUp(`http://127.0.0.1:${port}`, 15_000, 'reverb from .env');
      const c = await RawClient.open(`ws://127.0.0.1:${port}/app/env-key?protocol=7`);
      expect(c.frames[0]?.event).toBe('pusher:connection_established');
      c.close();
    } finally {
      child.kill('SIGTERM');
    }
  });
});

describe('help and errors', () => {
  it('--help prints usage and exits 0', () => {
    const result = run(['--help']);
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: reverb start');
    expect(result.stdout).toContain('--config <file>');
  });

  it('a bad setting stops the start with one line naming it', () => {
    const result = run(['start'], {
      REVERB_APP_ID: '1',
      REVERB_APP_KEY: 'k',
      REVERB_APP_SECRET: 's',
      REVERB_SERVER_PORT: 'abc',
    });
    expect(result.status).toBe(1);
    expect(result.stderr.trim().split('\n')).toEqual([
      'reverb: Invalid configuration: REVERB_SERVER_PORT must be a number (got "abc")',
    ]);
  });

  it('a missing app stops the start naming REVERB_APP_KEY', () => {
    const result = run(['start'], { REVERB_APP_ID: '1', REVERB_APP_SECRET: 's' });
    expect(result.status).toBe(1);
    expect(result.stderr.trim()).toBe('reverb: Invalid configuration: REVERB_APP_KEY is required');
  });

  it('an unknown flag or command is refused', () => {
    expect(run(['start', '--bogus']).status).toBe(1);
    expect(run(['launch']).stderr).toContain('unknown command');
  });
});
