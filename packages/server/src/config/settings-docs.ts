/**
 * The settings table (settings.ts) written for people: the README's environment table and list of
 * config-file keys (between `<!-- settings:… -->` markers), and the whole `.env.example`. Written by
 * `pnpm --filter @react-reverb/server settings:docs`; tests/settings-docs.test.ts fails when the files
 * differ from what this module makes, so they cannot drift from the table.
 */
import { type AnySetting, REQUIRED, type SettingGroup, type SettingRows } from './setting';
import { OTHER_NAMES, SETTING_GROUPS } from './settings';

const GROUPS = SETTING_GROUPS as readonly SettingGroup<SettingRows>[];

function rows(): AnySetting[] {
  return GROUPS.flatMap((g) => Object.values(g.rows));
}

function shownDefault(row: AnySetting): string {
  if (row.shownDefault !== undefined) return row.shownDefault;
  const value: unknown = row.default;
  if (value === REQUIRED || value === undefined) return '—';
  if (value === null) return 'unlimited';
  if (value === '') return "`''`";
  return `\`${Array.isArray(value) ? value.join(',') : String(value)}\``;
}

function envValue(row: AnySetting): string {
  if (row.example !== undefined) return row.example;
  const value: unknown = row.default;
  if (value === REQUIRED || value === undefined || value === null) return '';
  return Array.isArray(value) ? value.join(',') : String(value);
}

/** Laravel Reverb 1.10's default of a name: `—` when Reverb has none, or a note that the name is ours. */
function shownReverbDefault(value: string | null | undefined): string {
  if (value === undefined) return 'not in Reverb';
  if (value === null) return '—';
  if (value === '') return "`''`";
  return `\`${value}\``;
}

/** The README's table: every variable we read, then the names we accept or do not support yet. */
export function envTableMarkdown(): string {
  const lines = ['| variable | default | Reverb 1.10 | meaning |', '|---|---|---|---|'];
  for (const row of rows()) {
    if (row.env === undefined) continue;
    lines.push(
      `| \`${row.env}\` | ${shownDefault(row)} | ${shownReverbDefault(row.reverbDefault)} | ${row.doc} |`,
    );
  }
  for (const name of OTHER_NAMES) {
    if (name.env === undefined || name.status === 'internal') continue;
    const status =
      name.status === 'not applicable'
        ? 'accepted, not applicable'
        : '**not supported yet** (a warning at start, then ignored)';
    lines.push(
      `| \`${name.env}\` | — | ${shownReverbDefault(name.reverbDefault)} | ${status}: ${name.reason} |`,
    );
  }
  return lines.join('\n');
}

/** `['a', 'b: {c, d: {e}}']` from dotted keys, in table order. */
function keyTree(keys: readonly string[]): string[] {
  const children = new Map<string, string[]>();
  for (const key of keys) {
    const [head, ...rest] = key.split('.') as [string, ...string[]];
    const list = children.get(head) ?? [];
    if (rest.length > 0) list.push(rest.join('.'));
    children.set(head, list);
  }
  return [...children].map(([head, rest]) =>
    rest.length === 0 ? head : `${head}: {${keyTree(rest).join(', ')}}`,
  );
}

function fileRows(scope: 'server' | 'app'): AnySetting[] {
  return GROUPS.filter((g) => g.scope === scope).flatMap((g) => Object.values(g.rows));
}

function fileKeys(scope: 'server' | 'app'): string[] {
  return fileRows(scope).flatMap((row) => (row.file === undefined ? [] : [row.file]));
}

/** The README's list of every key of the config file. */
export function fileKeysMarkdown(): string {
  const aliases = new Map(
    fileRows('app').flatMap((row) =>
      row.file === undefined || row.fileAliases === undefined ? [] : [[row.file, row.fileAliases]],
    ),
  );
  const code = (parts: readonly string[]) =>
    parts
      .map((part) => {
        const names = aliases.get(part);
        return names === undefined
          ? `\`${part}\``
          : `\`${part}\` (or ${names.map((n) => `\`${n}\``).join(', ')})`;
      })
      .join(', ');
  const appOnlyEnv = fileRows('app').flatMap((row) =>
    row.env !== undefined && row.envForFileApps === false ? [`\`${row.env}\``] : [],
  );
  const ignored = OTHER_NAMES.flatMap((n) =>
    n.appFile === undefined ? [] : [`\`${n.appFile}\` (${n.reason})`],
  );
  return [
    `- **Server-wide**, in place of the environment variables above: ${code(keyTree(fileKeys('server')))}.`,
    `- **Each app** of \`apps\`: ${code(keyTree(fileKeys('app')))}. The app variables above,`,
    `  except ${appOnlyEnv.join(', ')}, are defaults for every app of the file.`,
    `- **Accepted and ignored** in an app: ${ignored.join(', ')}.`,
  ].join('\n');
}

const ENV_HEADER = [
  "# @react-reverb/server: the same names as Laravel Reverb's config/reverb.php.",
  '# Copy to .env in the directory you start the server from (`pnpm reverb start` at the repo root);',
  '# variables already set in the real environment win over this file. Empty means the default.',
  '# Generated from packages/server/src/config/settings.ts by',
  '# `pnpm --filter @react-reverb/server settings:docs`: change the table, not this file.',
];

/** Markdown to a comment line: no backticks, links become their text. */
function plain(markdown: string): string {
  return markdown.replace(/\[([^\]]+)\]\([^)]+\)/g, '$1').replaceAll('`', '');
}

/** The whole `.env.example`: every variable we read, with its default (or an example) and its line. */
export function envExample(): string {
  const lines = [...ENV_HEADER];
  for (const group of GROUPS) {
    const withEnv = Object.values(group.rows).filter((row) => row.env !== undefined);
    if (withEnv.length === 0) continue;
    lines.push('', `# ---- ${group.title} ----`);
    for (const row of withEnv) lines.push(`# ${plain(row.doc)}`, `${row.env}=${envValue(row)}`);
  }
  return `${lines.join('\n')}\n`;
}

/** The README with each generated block replaced; throws when a marker is missing. */
export function updateReadme(readme: string): string {
  let result = readme;
  for (const [name, block] of [
    ['env', envTableMarkdown()],
    ['file-keys', fileKeysMarkdown()],
  ] as const) {
    const start = `<!-- settings:${name} (generated: pnpm --filter @react-reverb/server settings:docs) -->`;
    const end = `<!-- /settings:${name} -->`;
    const from = result.indexOf(start);
    const to = result.indexOf(end);
    if (from === -1 || to < from) throw new Error(`README.md has no ${start} … ${end} block`);
    result = `${result.slice(0, from + start.length)}\n${block}\n${result.slice(to)}`;
  }
  return result;
}
