/**
 * The README's settings and `.env.example` cannot drift from the settings table: the generated parts
 * must be what `pnpm --filter @react-reverb/server settings:docs` writes today, and the hand-written
 * parts (the YAML example, the limits table) may only name settings that exist.
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config/config';
import type { SettingGroup, SettingRows } from '../src/config/setting';
import {
  APP_HISTORY_SETTINGS,
  APP_LIMIT_SETTINGS,
  APP_RATE_LIMIT_SETTINGS,
  APP_SETTINGS,
  SETTING_GROUPS,
} from '../src/config/settings';
import { envExample, updateReadme } from '../src/config/settings-docs';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const ENV_EXAMPLE = join(ROOT, '.env.example');
const STALE = 'out of date: run `pnpm --filter @react-reverb/server settings:docs`';

function loadQuietly(options: Parameters<typeof loadConfig>[0]) {
  const warnings: string[] = [];
  const config = loadConfig({ ...options, warn: (line) => warnings.push(line) });
  return { config, warnings };
}

describe('generated from the table', () => {
  it("README.md's environment table and config-file keys", () => {
    expect(updateReadme(README), `README.md is ${STALE}`).toBe(README);
  });

  it('.env.example', () => {
    expect(readFileSync(ENV_EXAMPLE, 'utf8'), `.env.example is ${STALE}`).toBe(envExample());
  });

  it('.env.example, copied to .env, loads with no warning and gives the defaults', () => {
    const cwd = mkdtempSync(join(tmpdir(), 'rr-env-example-'));
    copyFileSync(ENV_EXAMPLE, join(cwd, '.env'));
    const { config, warnings } = loadQuietly({ cwd, env: {} });
    expect(warnings).toEqual([]);
    const defaults = loadConfig({
      cwd: null,
      env: { REVERB_APP_ID: '4242', REVERB_APP_KEY: 'demo-key-0001', REVERB_APP_SECRET: 'demo-secret-0001' },
    });
    expect(config).toEqual({ ...defaults, hostname: 'localhost' });
  });
});

describe('written by hand, checked against the table', () => {
  it("the README's YAML example loads with no warning and shows every app setting", () => {
    const yaml = /```yaml\n(# reverb\.yaml[\s\S]*?)```/.exec(README)?.[1];
    expect(yaml).toBeDefined();
    const file = join(mkdtempSync(join(tmpdir(), 'rr-readme-yaml-')), 'reverb.yaml');
    writeFileSync(file, yaml as string);
    const { config, warnings } = loadQuietly({ cwd: null, env: {}, configFile: file });
    expect(warnings).toEqual([]);
    expect(config.apps).toHaveLength(1);
    const keys = [APP_SETTINGS, APP_LIMIT_SETTINGS, APP_RATE_LIMIT_SETTINGS, APP_HISTORY_SETTINGS]
      .flatMap((group) => Object.values(group.rows))
      .map((row) => [row.file, ...(row.fileAliases ?? [])]);
    for (const names of keys) {
      const shown = names.some((name) =>
        new RegExp(`^\\s+(- )?${name?.split('.').at(-1)}:`, 'm').test(yaml ?? ''),
      );
      expect(shown, `the YAML example shows ${names.join(' or ')}`).toBe(true);
    }
  });

  it('the "Security and limits" table names only settings of the table', () => {
    const section = README.slice(README.indexOf('### Security and limits'), README.indexOf('## Performance'));
    const known = new Set(
      (SETTING_GROUPS as readonly SettingGroup<SettingRows>[]).flatMap((g) =>
        Object.values(g.rows).flatMap((row) => [
          ...(row.env ? [row.env] : []),
          ...(row.file && g.scope === 'app' ? [`apps[i].${row.file}`] : []),
        ]),
      ),
    );
    const named = [...section.matchAll(/`((?:REVERB_|REDIS_)[A-Z_]+|apps\[i\]\.[a-z_.]+)`/g)].map(
      (m) => m[1],
    );
    expect(named.length).toBeGreaterThan(10);
    for (const name of named) expect(known.has(name as string), `${name} is a setting`).toBe(true);
  });
});
