/** The real `reverb` CLI, run from source with tsx (no build needed), on a free 127.0.0.1 port. */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, waitFor } from '@react-reverb/test-helpers';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '../../src/cli.ts');
const TSX = resolve(here, '../../node_modules/tsx/dist/loader.mjs');

export interface CliNode {
  readonly port: number;
  readonly child: ChildProcess;
  output(): string;
  exited(): Promise<number | null>;
  /** SIGKILL (a crash), if still running. */
  kill(): void;
}

/** Runs `reverb <args>` to completion. */
export function runCli(args: string[], env: Record<string, string>) {
  return spawnSync(process.execPath, ['--import', TSX, CLI, ...args], {
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
}

/** `reverb start` with `config` as its config file; resolves once `GET /up` answers. */
export async function startCliNode(
  config: Record<string, unknown>,
  env: Record<string, string>,
  extraArgs: string[] = [],
): Promise<CliNode> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'rr-cli-node-'));
  writeFileSync(join(dir, 'reverb.json'), JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [
      '--import',
      TSX,
      CLI,
      'start',
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--config',
      'reverb.json',
      ...extraArgs,
    ],
    { cwd: dir, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  child.stdout?.on('data', (d) => {
    out += d;
  });
  child.stderr?.on('data', (d) => {
    out += d;
  });
  const exit = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  const kill = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`reverb exited:\n${out}`);
        try {
          return (await fetch(`http://127.0.0.1:${port}/up`)).ok;
        } catch {
          return false;
        }
      },
      20_000,
      'reverb up',
    );
  } catch (error) {
    kill();
    throw error;
  }
  return { port, child, output: () => out, exited: () => exit, kill };
}
