/**
 * The real `reverb` CLI on 127.0.0.1: run from source with tsx (no build needed), or from the built
 * dist (`bin/reverb.js`) where a test checks what users run.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, REVERB_BIN, waitUntilUp } from '@react-reverb/test-helpers';

const here = dirname(fileURLToPath(import.meta.url));
const CLI = resolve(here, '../../src/cli.ts');
const TSX = resolve(here, '../../node_modules/tsx/dist/loader.mjs');

export interface CliNode {
  readonly port: number;
  readonly child: ChildProcess;
  /** `ws://127.0.0.1:{port}/app/{key}?protocol=7` */
  wsUrl(key: string): string;
  output(): string;
  exited(): Promise<number | null>;
  /** SIGKILL (a crash), if still running. */
  kill(): void;
}

/**
 * Runs `reverb <args>` to completion with only PATH and `env` in its environment, in `cwd` (a fresh
 * temporary folder unless given), from source unless `from: 'dist'`.
 */
export function runCli(
  args: string[],
  env: Record<string, string> = {},
  options: { from?: 'source' | 'dist'; cwd?: string } = {},
): { status: number | null; stdout: string; stderr: string } {
  const entry = options.from === 'dist' ? [REVERB_BIN] : ['--import', TSX, CLI];
  const result = spawnSync(process.execPath, [...entry, ...args], {
    cwd: options.cwd ?? mkdtempSync(join(tmpdir(), 'rr-cli-')),
    env: { PATH: process.env.PATH ?? '', ...env },
    encoding: 'utf8',
    timeout: 20_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** `reverb start` (from source) with `config` as its config file; resolves once `GET /up` answers. */
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
    await waitUntilUp(`http://127.0.0.1:${port}`, 20_000, 'reverb up', () => {
      if (child.exitCode !== null) throw new Error(`reverb exited:\n${out}`);
    });
  } catch (error) {
    kill();
    throw error;
  }
  return {
    port,
    child,
    wsUrl: (key) => `ws://127.0.0.1:${port}/app/${key}?protocol=7`,
    output: () => out,
    exited: () => exit,
    kill,
  };
}
