#!/usr/bin/env node
// Turns a results file into the markdown table for the README.
//
//   node bench/report.mjs [results/<file>.json]          print the table (default: newest file)
//   node bench/report.mjs [file] --write README.md ...   replace the marked section of each file
//   node bench/report.mjs full.json rerun.json ...        the first file, its scenarios that a later file
//                                                         ran again taken from that file (said under the table)
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const benchDir = dirname(fileURLToPath(import.meta.url));
export const START_MARK = '<!-- bench:results:start -->';
export const END_MARK = '<!-- bench:results:end -->';

/** @param {unknown} value @param {string} path */
function pick(value, path) {
  let v = value;
  for (const key of path.split('.')) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = /** @type {Record<string, unknown>} */ (v)[key];
  }
  return v;
}

/** @param {unknown} v */
function cell(v) {
  if (v === undefined || v === null) return '–';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Math.round(v * 100) / 100);
  return String(v);
}

/** @param {Record<string, unknown>} side */
function sideNote(side) {
  if (!side) return 'not run';
  /** @param {string} text */
  const short = (text) => (text.length > 60 ? `${text.slice(0, 57)}…` : text);
  if ('skipped' in side) return short(`skipped: ${String(side.skipped).split(' (')[0]}`);
  if ('error' in side) return short(`error: ${String(side.error).split('\n')[0]}`);
  return undefined;
}

/**
 * @param {{ date: string, size: string, machine: Record<string, unknown>, versions?: Record<string, unknown>,
 *   lines: Record<string, any>[], durationS?: number }} results
 * @param {string} [fileName]
 */
export function renderMarkdown(results, fileName, reruns = []) {
  const m = results.machine;
  const out = [
    `Latest run: ${results.date.slice(0, 16).replace('T', ' ')} UTC, size \`${results.size}\`, ` +
      `${m.cpus} × ${m.cpuModel}, ${m.memoryGb} GB, Node ${m.node}, load at start ${JSON.stringify(m.loadAverageAtStart)}` +
      (results.versions?.commit ? `, commit ${results.versions.commit}` : '') +
      (fileName ? ` (raw: \`bench/results/${fileName}\`)` : '') +
      '.',
    '',
    '| Scenario | Metric | ours | soketi | ours ÷ soketi | Target | Met |',
    '| --- | --- | ---: | ---: | ---: | --- | :---: |',
  ];
  /** @type {Map<string, Record<string, any>>} */
  const replaced = new Map();
  for (const rerun of reruns) for (const line of rerun.results.lines) replaced.set(line.scenario, line);
  for (const original of results.lines) {
    const line = replaced.get(original.scenario) ?? original;
    const oursNote = sideNote(line.ours);
    const soketiNote = sideNote(line.soketi);
    /** @type {Map<string, Record<string, any>>} */
    const checks = new Map((line.checks ?? []).map((/** @type {Record<string, any>} */ c) => [c.metric, c]));
    const metrics = [...new Set([...Object.keys(line.ratio ?? {}), ...(line.shown ?? []), ...checks.keys()])];
    if (oursNote || soketiNote)
      out.push(`| ${line.scenario} | | ${oursNote ?? ''} | ${soketiNote ?? ''} | | | |`);
    if (oursNote && soketiNote) continue;
    for (const metric of metrics) {
      const check = checks.get(metric);
      const met = check ? (check.pass === true ? '✅' : check.pass === false ? '❌' : '–') : '';
      out.push(
        `| ${line.scenario} | ${metric} | ${cell(pick(line.ours, metric))} | ` +
          `${cell(pick(line.soketi, metric))} | ${cell(line.ratio?.[metric])} | ` +
          `${check ? `${check.target}` : ''} | ${met} |`,
      );
    }
  }
  out.push(
    '',
    'Times in ms, CPU per delivery/request in µs of server CPU, RSS per connection in KB. ' +
      '`history-cost` lines compare ours with itself: `…Ratio` is history on ÷ off, and CPU % is of one ' +
      'core, summed over the nodes (Redis apart). `recovery` counts events; soketi keeps no history, so it ' +
      'neither replays nor reports gaps.',
  );
  for (const rerun of reruns) {
    const names = rerun.results.lines.map((/** @type {Record<string, any>} */ l) => `\`${l.scenario}\``);
    const when = rerun.results.date.slice(0, 16).replace('T', ' ');
    out.push(
      '',
      `${names.join(', ')}: from a run of ${names.length === 1 ? 'that scenario' : 'those scenarios'} alone at ` +
        `${when} UTC (raw: \`bench/results/${rerun.fileName}\`${rerun.results.note ? `; ${rerun.results.note}` : ''}).`,
    );
  }
  return out.join('\n');
}

/** Newest `*.json` in bench/results. */
function newestResults() {
  const dir = join(benchDir, 'results');
  const files = readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .map((f) => join(dir, f))
    .sort((a, b) => statSync(b).mtimeMs - statSync(a).mtimeMs);
  if (!files[0]) throw new Error(`no results in ${dir}: run pnpm bench first`);
  return files[0];
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { write: { type: 'string', multiple: true } },
  });
  const file = positionals[0] ? resolve(positionals[0]) : newestResults();
  const reruns = positionals.slice(1).map((path) => ({
    results: JSON.parse(readFileSync(resolve(path), 'utf8')),
    fileName: basename(path),
  }));
  const markdown = renderMarkdown(JSON.parse(readFileSync(file, 'utf8')), basename(file), reruns);
  if (!values.write?.length) {
    console.log(markdown);
  } else {
    for (const target of values.write) {
      const text = readFileSync(target, 'utf8');
      const start = text.indexOf(START_MARK);
      const end = text.indexOf(END_MARK);
      if (start < 0 || end < start) throw new Error(`${target} has no ${START_MARK} … ${END_MARK} section`);
      writeFileSync(target, `${text.slice(0, start + START_MARK.length)}\n${markdown}\n${text.slice(end)}`);
      // Align the table the way the repository's formatter wants it, so `biome check` stays clean.
      const formatted = spawnSync('npx', ['biome', 'format', '--write', resolve(target)], { cwd: benchDir });
      console.error(`updated ${target}${formatted.status === 0 ? '' : ' (run biome format on it)'}`);
    }
  }
}
