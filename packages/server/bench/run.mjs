#!/usr/bin/env node
// `pnpm bench`: runs the scenarios against our server and the soketi peer in the same run and
// prints one JSON line per scenario (both servers' figures, ours ÷ soketi ratios, target checks)
// on stdout; progress goes to stderr. The results file keeps every line plus the machine.
//
//   node bench/run.mjs [--scenario name[,name]] [--size small|full] [--target ours|soketi|both]
//                      [--out results/<file>.json] [--workers N] [--list]
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { killAllWorkers } from './pool.mjs';
import { SCENARIOS } from './scenarios/index.mjs';
import { SIZES } from './sizes.mjs';
import { ratio, round } from './stats.mjs';
import { killAllChildren, oursUnavailable, soketiUnavailable } from './targets.mjs';

const benchDir = dirname(fileURLToPath(import.meta.url));
const HELP = `usage: node bench/run.mjs [options]
  --scenario a,b   scenarios or variants to run (default: all); --list shows them
  --size S         small (harness check, ~7 min) | full (default, the benchmark)
  --target T       ours | soketi | both (default)
  --out FILE       results file (default: bench/results/<date>-<size>.json); --out - to not save
  --workers N      client processes per scenario (default: 2, or the core count up to 4)
  --list           list scenarios and variants and exit`;

/** @param {string} line */
const log = (line) => process.stderr.write(`[bench] ${line}\n`);

const { values: args } = parseArgs({
  // `pnpm bench -- --size small` hands the `--` separator on to the script (pnpm 12): drop it.
  args: process.argv.slice(2).filter((arg) => arg !== '--'),
  options: {
    scenario: { type: 'string' },
    size: { type: 'string', default: 'full' },
    target: { type: 'string', default: 'both' },
    out: { type: 'string' },
    workers: { type: 'string' },
    list: { type: 'boolean', default: false },
    help: { type: 'boolean', default: false },
  },
});

if (args.help) {
  console.log(HELP);
  process.exit(0);
}
if (args.size !== 'small' && args.size !== 'full') fail(`--size must be small or full, not ${args.size}`);
if (!['ours', 'soketi', 'both'].includes(String(args.target))) fail(`--target must be ours, soketi or both`);
const sizeName = /** @type {import('./sizes.mjs').SizeName} */ (args.size);
const size = SIZES[sizeName];
/** @type {('ours' | 'soketi')[]} */
const kinds = args.target === 'both' ? ['ours', 'soketi'] : [/** @type {'ours' | 'soketi'} */ (args.target)];
const clientWorkers = args.workers
  ? Number(args.workers)
  : Math.max(2, Math.min(4, os.availableParallelism()));
if (!Number.isInteger(clientWorkers) || clientWorkers < 1) fail('--workers must be a positive integer');

/**
 * The most connections one process (a server process or a client process) holds in a variant: each
 * has its own `ulimit -n`. All of them unless the variant spreads them over processes.
 * @param {import('./scenarios/index.mjs').Variant<unknown>} variant
 */
function perProcess(variant) {
  return variant.perProcessConnections ?? variant.connections;
}

/** @param {string} message @returns {never} */
function fail(message) {
  console.error(`bench: ${message}\n${HELP}`);
  process.exit(2);
}

const wanted = args.scenario?.split(',').map((s) => s.trim()) ?? [];
const plan = SCENARIOS.flatMap((scenario) =>
  scenario
    .variants(size)
    .filter((v) => wanted.length === 0 || wanted.includes(scenario.name) || wanted.includes(v.name))
    .map((variant) => ({ scenario, variant })),
);
if (args.list) {
  for (const { scenario, variant } of plan) {
    console.log(`${variant.name.padEnd(28)} ${scenario.name.padEnd(20)} ${scenario.summary}`);
  }
  process.exit(0);
}
if (plan.length === 0) fail(`no scenario matches ${args.scenario}`);

// The client workers import @react-reverb/core's dist, ours runs the server's dist, and the proxies
// are @react-reverb/test-helpers' compiled fault-proxy. `pnpm bench` builds
// them through turbo; `pnpm --filter @react-reverb/server bench` and `node bench/run.mjs` do not, so a fresh
// checkout builds here once.
const needed = [
  resolve(benchDir, '../../core/dist/protocol.js'),
  resolve(benchDir, '../../core/dist/signing.js'),
  resolve(benchDir, '../dist/cli.js'),
  // The recovery scenario's fault proxies (a devDependency's build).
  resolve(benchDir, '../../test-helpers/dist/fault-proxy.js'),
];
if (!process.env.BENCH_ULIMIT_RAISED && needed.some((file) => !existsSync(file))) {
  log('not built yet: building @react-reverb/server and its dependencies');
  const built = spawnSync('pnpm', ['--filter', '@react-reverb/server...', 'run', 'build'], {
    cwd: resolve(benchDir, '../../..'),
    stdio: ['ignore', 2, 2],
  });
  if (built.status !== 0 || needed.some((file) => !existsSync(file)))
    fail('the build failed; run `pnpm build`');
}

// File descriptors: the server and the client processes each hold one per connection. Raise the
// soft limit by re-running under `ulimit -n` (root may raise the hard limit too).
const fdsNeeded = Math.max(...plan.map((p) => perProcess(p.variant))) + 4096;
const fdLimit = Number(execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());
if (fdLimit < fdsNeeded && !process.env.BENCH_ULIMIT_RAISED) {
  log(`ulimit -n is ${fdLimit}; re-running with ${fdsNeeded}`);
  const child = spawn(
    'bash',
    [
      '-c',
      'ulimit -n "$0" 2>/dev/null || ulimit -n "$(ulimit -Hn)"; exec "$@"',
      String(fdsNeeded),
      process.execPath,
      ...process.argv.slice(1),
    ],
    { stdio: 'inherit', env: { ...process.env, BENCH_ULIMIT_RAISED: '1' } },
  );
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM']))
    process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
} else {
  await main();
}

async function main() {
  installCleanup();
  const started = Date.now();
  // Everything is bounded: the whole run stops (and takes its children with it) after this long.
  const runLimitS = sizeName === 'full' ? 40 * 60 : 10 * 60;
  setTimeout(() => {
    log(`run exceeded ${runLimitS} s: stopping`);
    process.exit(1);
  }, runLimitS * 1000).unref();
  const outPath =
    args.out === '-'
      ? undefined
      : resolve(
          args.out ??
            join(
              benchDir,
              'results',
              `${new Date().toISOString().slice(0, 16).replace(':', '')}-${sizeName}.json`,
            ),
        );
  /** @type {Record<string, string | undefined>} */
  const unavailable = {};
  if (kinds.includes('ours')) unavailable.ours = oursUnavailable();
  if (kinds.includes('soketi')) unavailable.soketi = soketiUnavailable(log);
  for (const [kind, why] of Object.entries(unavailable)) if (why) log(`${kind} skipped: ${why}`);

  const results = {
    schema: 1,
    date: new Date().toISOString(),
    size: sizeName,
    targets: kinds,
    machine: machine(),
    versions: versions(),
    clientWorkers,
    durationS: 0,
    lines: /** @type {Record<string, unknown>[]} */ ([]),
  };
  log(
    `size ${sizeName}, targets ${kinds.join('+')}, ${plan.length} scenario lines, ${clientWorkers} client workers`,
  );
  const [load = 0] = os.loadavg();
  if (load > os.availableParallelism() / 2) {
    log(
      `the machine is busy (load average ${round(load, 1)} on ${os.availableParallelism()} cores): figures will be noise`,
    );
  }
  const fdsAvailable = Number(execFileSync('bash', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim());

  for (const { scenario, variant } of plan) {
    /** @type {Record<string, unknown>} */
    const line = { scenario: variant.name, family: scenario.name, size: sizeName, params: variant.params };
    for (const kind of kinds) {
      const why =
        unavailable[kind] ??
        (variant.targets && !variant.targets.includes(kind)
          ? `not run against ${kind} (ours-only target)`
          : undefined) ??
        (perProcess(variant) + 2048 > fdsAvailable
          ? `ulimit -n ${fdsAvailable} is too low for ${variant.connections} connections (hard limit; needs ${perProcess(variant) + 2048})`
          : undefined) ??
        (variant.connections * 100_000 > os.freemem()
          ? `not enough free memory for ${variant.connections} connections`
          : undefined);
      if (why) {
        line[kind] = { skipped: why };
        continue;
      }
      log(`${variant.name} → ${kind}`);
      const t0 = Date.now();
      line[kind] = await measureWithTimeout(scenario, variant, kind);
      log(`${variant.name} → ${kind} done in ${round((Date.now() - t0) / 1000, 1)} s`);
    }
    const sides = kinds.map((k) => /** @type {{ skipped?: string } | undefined} */ (line[k]));
    if (sides.every((side) => side?.skipped)) {
      line.skipped =
        sides.find((side) => !side?.skipped?.startsWith('not run against'))?.skipped ?? sides[0]?.skipped;
      log(`${variant.name} skipped: ${line.skipped}`);
    }
    if (scenario.shown) line.shown = scenario.shown;
    line.ratio = Object.fromEntries(
      scenario.ratios.map((path) => [path, ratio(pick(line.ours, path), pick(line.soketi, path))]),
    );
    line.checks = scenario.checks(variant).map((check) => evaluate(check, line));
    console.log(JSON.stringify(line));
    results.lines.push(line);
    results.durationS = round((Date.now() - started) / 1000, 1);
    results.machine.loadAverageAtEnd = os.loadavg().map((l) => round(l, 2));
    if (outPath) {
      mkdirSync(dirname(outPath), { recursive: true });
      writeFileSync(outPath, `${JSON.stringify(results, null, 2)}\n`);
    }
  }
  log(`done in ${results.durationS} s${outPath ? `; results in ${outPath}` : ''}`);
  const failed = results.lines
    .flatMap((l) => /** @type {{ pass: boolean | null, label: string }[]} */ (l.checks))
    .filter((c) => c.pass === false);
  for (const c of failed) log(`target missed: ${c.label}`);
  process.exit(0);
}

/**
 * Runs one measurement with a time limit; a stuck one is killed (all children) and recorded as an error.
 * @param {import('./scenarios/index.mjs').Scenario<any>} scenario
 * @param {import('./scenarios/index.mjs').Variant<any>} variant
 * @param {'ours' | 'soketi'} kind
 */
async function measureWithTimeout(scenario, variant, kind) {
  const limitMs = (sizeName === 'full' ? 300 : 90) * 1000;
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${limitMs / 1000} s`)), limitMs);
  });
  const measuring = scenario.measure(kind, variant.params, { clientWorkers, log });
  // After a timeout the abandoned measurement fails as its children are killed: not an unhandled rejection.
  measuring.catch(() => {});
  try {
    return await Promise.race([measuring, timeout]);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    log(`${variant.name} → ${kind} failed: ${message}`);
    killAllWorkers();
    killAllChildren();
    return { error: message.slice(0, 2000) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * @param {unknown} value
 * @param {string} path dotted
 * @returns {unknown}
 */
function pick(value, path) {
  let v = value;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = /** @type {Record<string, unknown>} */ (v)[key];
  }
  return v;
}

/**
 * @param {import('./scenarios/index.mjs').Check} check
 * @param {Record<string, unknown>} line
 */
function evaluate(check, line) {
  const value = pick(line.ours, check.metric);
  if (check.maxRatio !== undefined || check.minRatio !== undefined) {
    const r = ratio(value, pick(line.soketi, check.metric));
    const pass =
      r === null
        ? null
        : check.maxRatio !== undefined
          ? r <= check.maxRatio
          : r >= /** @type {number} */ (check.minRatio);
    return {
      label: check.label,
      metric: check.metric,
      ratio: r,
      target: check.maxRatio !== undefined ? `≤ ${check.maxRatio}×` : `≥ ${check.minRatio}×`,
      pass,
    };
  }
  const n = typeof value === 'number' ? value : null;
  /** @type {boolean | null} */
  let pass = null;
  let target = '';
  if (check.equals !== undefined) {
    target = `= ${check.equals}`;
    pass = n === null ? null : n === check.equals;
  } else if (check.below !== undefined) {
    target = `< ${check.below}`;
    pass = n === null ? null : n < check.below;
  } else if (check.atMost !== undefined) {
    target = `≤ ${check.atMost}`;
    pass = n === null ? null : n <= check.atMost;
  } else if (check.atLeast !== undefined) {
    target = `≥ ${check.atLeast}`;
    pass = n === null ? null : n >= check.atLeast;
  }
  return { label: check.label, metric: check.metric, value: n, target, pass };
}

function machine() {
  const cpus = os.cpus();
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryGb: round(os.totalmem() / 2 ** 30, 1),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAverageAtStart: os.loadavg().map((l) => round(l, 2)),
    loadAverageAtEnd: /** @type {number[]} */ ([]),
  };
}

function versions() {
  /** @param {string} file */
  const version = (file) => {
    try {
      return JSON.parse(readFileSync(file, 'utf8')).version;
    } catch {
      return undefined;
    }
  };
  let commit;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd: benchDir,
      encoding: 'utf8',
    }).trim();
  } catch {
    commit = undefined;
  }
  return { ours: version(join(benchDir, '../package.json')), soketi: '1.6.1', commit };
}

/** Children die with the run: on exit, Ctrl-C and termination. */
function installCleanup() {
  const cleanup = () => {
    killAllWorkers();
    killAllChildren();
  };
  process.on('exit', cleanup);
  for (const signal of /** @type {const} */ (['SIGINT', 'SIGTERM', 'SIGHUP'])) {
    process.on(signal, () => {
      log(`${signal}: stopping servers and clients`);
      cleanup();
      process.exit(130);
    });
  }
  process.on('uncaughtException', (error) => {
    log(`uncaught: ${error.stack ?? error}`);
    cleanup();
    process.exit(1);
  });
}
