/**
 * What one row of the settings table (settings.ts) says, and how a group of rows is read: the config
 * file's key first, then the environment variable, then the default. An error names the setting where
 * its value came from: the env name (`REVERB_APP_PING_INTERVAL`) or the file path (`apps[1].ping_interval`).
 */
import { ConfigError } from '../shared/errors';
import { isRecord, type Parser, type Raw } from './values';

export type Env = Readonly<Record<string, string | undefined>>;

/** The default of a setting that has none: a value must be given. (An object: a symbol's type widens.) */
export const REQUIRED: { readonly required: 'no default' } = Object.freeze({ required: 'no default' });

export interface Setting<T, D> {
  /**
   * Key in the config file, dotted when nested: server-wide `port`, `scaling.redis.host`,
   * `metrics.port`; per app, relative to the app: `ping_interval`, `limits.max_presence_members`.
   * Absent: the setting has no file key.
   */
  readonly file?: string;
  /** Other file keys read as this setting, after `file` (Laravel Reverb's names such as `app_id`). */
  readonly fileAliases?: readonly string[];
  /** Environment variable (Laravel Reverb's name where Reverb has one). */
  readonly env?: string;
  /**
   * Laravel Reverb 1.10's default for `env`, as its config/reverb.php writes it (null: Reverb reads the
   * name with no default). Present exactly when `env` is one of Reverb's names; where our default or
   * behaviour differs, `doc` says so.
   */
  readonly reverbDefault?: string | null;
  /**
   * Per-app settings: the env value is also the default of every app of a config file. False for the
   * app's identity (id, key, secret), which only makes the single app when no file names apps.
   */
  readonly envForFileApps?: boolean;
  readonly parse: Parser<T>;
  readonly default: D;
  /** One line for the README and `.env.example`. */
  readonly doc: string;
  /** The README's default column when `default` does not read well (`<tmp>/react-reverb`). */
  readonly shownDefault?: string;
  /** What `.env.example` writes (the default when absent). */
  readonly example?: string;
}

// biome-ignore lint/suspicious/noExplicitAny: the table holds settings of every value type.
export type AnySetting = Setting<any, unknown>;
export type SettingRows = Readonly<Record<string, AnySetting>>;

/** A group of rows read into one object of the configuration (`scaling.redis`, an app's `limits`). */
export interface SettingGroup<R extends SettingRows> {
  /** Section heading in `.env.example`. */
  readonly title: string;
  /** `server`: file keys from the top of the file; `app`: relative to each app of `apps`. */
  readonly scope: 'server' | 'app';
  readonly rows: R;
}

/** The type a row reads to: its parser's, or undefined too when that is the default. */
export type ValueOf<S> =
  S extends Setting<infer T, infer D>
    ? [Exclude<D, typeof REQUIRED>] extends [T]
      ? T
      : T | Exclude<D, typeof REQUIRED>
    : never;

/** The object a group reads to: one field per row, named as in the table. */
export type Values<R> = { readonly [K in keyof R]: ValueOf<R[K]> };

/** Infers a row's types: `T` from its parser, the default checked against it. */
export function setting<T, const D extends T | undefined | null | typeof REQUIRED>(
  row: Setting<T, D>,
): Setting<T, D> {
  return row;
}

export function group<R extends SettingRows>(
  title: string,
  scope: 'server' | 'app',
  rows: R,
): SettingGroup<R> {
  return { title, scope, rows };
}

/** Where one group's values are read from. */
export interface Source {
  /** The object the rows' file keys are relative to: the whole file, or one app of it ({} if none). */
  readonly file: Raw;
  /** How that object is named in messages: '' for the top of the file, `apps[1]` for an app. */
  readonly at: string;
  readonly env: Env;
  /** Whether a row's env variable applies here (an app of a file takes only `envForFileApps` ones). */
  readonly envApplies: (row: AnySetting) => boolean;
  /**
   * How a missing value is named: by its env name (the server, the single app from the environment)
   * or by its file path (an app of the file).
   */
  readonly missingByEnv: boolean;
}

export function filePath(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`;
}

/** The value at a dotted key; undefined when absent. A part of the path that is not an object is refused. */
export function valueAt(file: Raw, at: string, key: string): unknown {
  const parts = key.split('.');
  let node: unknown = file;
  for (let i = 0; i < parts.length; i++) {
    if (node === undefined || node === null) return undefined;
    if (!isRecord(node))
      throw new ConfigError(filePath(at, parts.slice(0, i).join('.')), 'must be an object');
    node = node[parts[i] as string];
  }
  return node;
}

/** A row's raw value and the name it goes by: a file key written there wins, then the env variable. */
export function locate(row: AnySetting, source: Source): { value: unknown; name: string } {
  for (const key of [row.file, ...(row.fileAliases ?? [])]) {
    if (key === undefined) continue;
    const value = valueAt(source.file, source.at, key);
    if (value !== undefined) return { value, name: filePath(source.at, key) };
  }
  if (row.env !== undefined && source.envApplies(row)) {
    const value = source.env[row.env];
    if (value !== undefined) return { value, name: row.env };
  }
  const byFile = row.file === undefined ? undefined : filePath(source.at, row.file);
  const name = source.missingByEnv ? (row.env ?? byFile) : (byFile ?? row.env);
  return { value: undefined, name: name ?? '(unnamed setting)' };
}

export function read<T, D>(row: Setting<T, D>, source: Source): T | Exclude<D, typeof REQUIRED> {
  const { value, name } = locate(row, source);
  const parsed = row.parse(value, name);
  if (parsed !== undefined) return parsed;
  if (row.default === REQUIRED) throw new ConfigError(name, 'is required');
  return row.default as Exclude<D, typeof REQUIRED>;
}

export function readGroup<R extends SettingRows>(group: SettingGroup<R>, source: Source): Values<R> {
  const values: Record<string, unknown> = {};
  for (const [field, row] of Object.entries(group.rows)) values[field] = read(row, source);
  return values as Values<R>;
}

/** Reads server-wide settings: the top of the config file, then every env variable. */
export function serverSource(file: Raw, env: Env): Source {
  return { file, at: '', env, envApplies: () => true, missingByEnv: true };
}
