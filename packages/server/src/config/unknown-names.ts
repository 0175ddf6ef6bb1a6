/**
 * Names the settings table does not read: an unknown `REVERB_*` variable (a typo such as
 * `REVERB_APP_PING_INTERVL`), a Reverb name we do not support yet, or an unknown key in the config
 * file outside `apps`. Each gets ONE warning line and is ignored: a typo must not pass silently, and
 * a Laravel `.env` must still start the server. (Unknown keys of an app are refused instead: config.ts.)
 */
import type { AnySetting, Env, SettingGroup, SettingRows } from './setting';
import { OTHER_NAMES, SETTING_GROUPS } from './settings';
import { isRecord, type Raw } from './values';

/** Where a variable was found, for the warning: `the environment` or the `.env` file's path. */
export interface EnvOrigin {
  readonly env: Env;
  readonly where: string;
}

function rowsOf(scope: 'server' | 'app'): AnySetting[] {
  return (SETTING_GROUPS as readonly SettingGroup<SettingRows>[])
    .filter((g) => g.scope === scope)
    .flatMap((g) => Object.values(g.rows));
}

/** Only this prefix is ours: other names (`REDIS_CLIENT`, `VITE_REVERB_*`) belong to other tools. */
const ENV_PREFIX = 'REVERB_';
const NOT_SUPPORTED_YET = new Map(
  OTHER_NAMES.flatMap((n) =>
    n.status === 'not supported yet' && n.env !== undefined ? [[n.env, n.reason]] : [],
  ),
);
const KNOWN_ENV_NAMES: readonly string[] = [...rowsOf('server'), ...rowsOf('app'), ...OTHER_NAMES].flatMap(
  (row) => (row.env === undefined ? [] : [row.env]),
);

/** The file keys of every app: the first part of each per-app row's key, and the accepted others. */
export const APP_FILE_KEYS: ReadonlySet<string> = new Set(
  [
    ...rowsOf('app').flatMap((row) => [row.file, ...(row.fileAliases ?? [])]),
    ...OTHER_NAMES.map((n) => n.appFile),
  ].flatMap((key) => (key === undefined ? [] : [key.split('.')[0] as string])),
);

/** One warning per name: the real environment first (it wins over `.env`). */
export function envWarnings(origins: readonly EnvOrigin[]): string[] {
  const warned = new Set<string>();
  const warnings: string[] = [];
  for (const { env, where } of origins) {
    for (const name of Object.keys(env)) {
      if (warned.has(name)) continue;
      const reason = NOT_SUPPORTED_YET.get(name);
      if (reason !== undefined) {
        warnings.push(`setting ${name} in ${where} is not supported yet (ignored): ${reason}`);
      } else if (name.startsWith(ENV_PREFIX) && !KNOWN_ENV_NAMES.includes(name)) {
        warnings.push(`unknown setting ${name} in ${where} (ignored)${didYouMean(name, KNOWN_ENV_NAMES)}`);
      } else {
        continue;
      }
      warned.add(name);
    }
  }
  return warnings;
}

/** The objects inside an app whose keys are checked (unknown top-level app keys are refused instead). */
const APP_NESTED_OBJECTS = ['limits', 'rate_limiting', 'history'] as const;

/** Keys of the config file that no server-wide row reads, and unknown keys in an app's nested objects. */
export function fileWarnings(file: Raw, where: string): string[] {
  const serverKeys = rowsOf('server').flatMap((row) => (row.file === undefined ? [] : [row.file]));
  const warnings = unknownKeys(file, '', [...serverKeys, 'apps'], where);
  if (Array.isArray(file.apps)) {
    for (const object of APP_NESTED_OBJECTS) {
      const keys = rowsOf('app').flatMap((row) => (row.file?.startsWith(`${object}.`) ? [row.file] : []));
      file.apps.forEach((app, i) => {
        if (isRecord(app) && isRecord(app[object])) {
          warnings.push(...unknownKeys(app, `apps[${i}]`, keys, where, object));
        }
      });
    }
  }
  return warnings;
}

/**
 * Walks `node` along the known dotted keys; a key that is neither known nor the start of a known
 * nested key is reported. `only` limits the walk to one top-level key (an app's `limits`).
 */
function unknownKeys(
  node: Raw,
  at: string,
  known: readonly string[],
  where: string,
  only?: string,
): string[] {
  const warnings: string[] = [];
  const visit = (value: Raw, prefix: string) => {
    for (const key of Object.keys(value)) {
      const path = prefix === '' ? key : `${prefix}.${key}`;
      if (prefix === '' && only !== undefined && key !== only) continue;
      if (known.includes(path)) continue;
      const nested = known.some((k) => k.startsWith(`${path}.`));
      if (nested) {
        const child = value[key];
        if (isRecord(child)) visit(child, path);
        continue;
      }
      const shown = (key: string) => (at === '' ? key : `${at}.${key}`);
      const near = didYouMean(shown(path), known.map(shown));
      warnings.push(`unknown setting ${shown(path)} in ${where} (ignored)${near}`);
    }
  };
  visit(node, '');
  return warnings;
}

/** `; did you mean X?` for the closest known name within a few typos, or ''. */
export function didYouMean(name: string, known: readonly string[]): string {
  let best: string | undefined;
  // A third of a short name, at most a few characters of a long one: close enough to be a typo.
  let bestDistance = Math.min(4, Math.max(1, Math.floor(name.length / 3))) + 1;
  for (const candidate of known) {
    const d = editDistance(name, candidate);
    if (d < bestDistance) {
      best = candidate;
      bestDistance = d;
    }
  }
  return best === undefined ? '' : `; did you mean ${best}?`;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current[j] = Math.min((previous[j] as number) + 1, (current[j - 1] as number) + 1, substitution);
    }
    previous = current;
  }
  return previous[b.length] as number;
}
