/**
 * The server's layout is its architecture: `src/` is grouped by concern, and a folder may import only
 * itself and the folders below it. Lowest first:
 *
 *   shared → config → scaling → socket → channels → http-api, operations → supervisor → root (server.ts, cli.ts,
 *   worker.ts, index.ts)
 *
 * `http-api` and `operations` share a layer and do not import each other. Type-only imports count
 * too: a type from an upper layer ties the lower one to it all the same. Nothing in `src` imports from
 * `tests/` or `bench/`, a package it does not depend on, or `@react-reverb/core` other than through
 * its `/protocol` and `/signing` entries (never the client). Read from the syntax tree, so comments
 * and strings that mention a path do not count. No exceptions are listed: there are none.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const srcDir = join(packageDir, 'src');

/** Layer of each top-level folder of `src`; files directly in `src` are the root. */
const LAYERS: Readonly<Record<string, number>> = {
  shared: 0,
  config: 1,
  scaling: 2,
  socket: 3,
  channels: 4,
  'http-api': 5,
  operations: 5,
  supervisor: 6,
  '.': 7,
};

const CORE_ENTRIES = new Set(['@react-reverb/core/protocol', '@react-reverb/core/signing']);

const manifest = JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
};
const DEPENDENCIES = new Set(Object.keys(manifest.dependencies));

interface ImportSite {
  readonly specifier: string;
  readonly line: number;
}

/** Every module a file names: imports, re-exports, `import()` (in code and in types) and `require()`. */
function importsOf(fileName: string, source: string): ImportSite[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const sites: ImportSite[] = [];
  const add = (literal: ts.Node) => {
    if (ts.isStringLiteralLike(literal)) {
      sites.push({
        specifier: literal.text,
        line: file.getLineAndCharacterOfPosition(literal.getStart(file)).line + 1,
      });
    }
  };
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      add(node.moduleSpecifier);
    } else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node.argument.literal);
    } else if (
      ts.isCallExpression(node) &&
      (node.expression.kind === ts.SyntaxKind.ImportKeyword ||
        (ts.isIdentifier(node.expression) && node.expression.text === 'require'))
    ) {
      const [first] = node.arguments;
      if (first) add(first);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return sites;
}

/** The top-level folder of a path relative to `src` ('.' for files at the root), or undefined outside `src`. */
function folderOf(pathFromSrc: string): string | undefined {
  if (pathFromSrc.startsWith('..')) return undefined;
  const parts = pathFromSrc.split(sep);
  return parts.length === 1 ? '.' : parts[0];
}

/** What is wrong with one import of `fileFromSrc` (a path relative to `src`), or undefined. */
function problem(fileFromSrc: string, specifier: string): string | undefined {
  if (specifier.startsWith('.')) {
    const target = relative(srcDir, resolve(srcDir, dirname(fileFromSrc), specifier));
    const to = folderOf(target);
    if (to === undefined) return `reaches outside src (${target.split(sep).join('/')})`;
    const from = folderOf(fileFromSrc) as string;
    const fromLayer = LAYERS[from];
    const toLayer = LAYERS[to];
    if (fromLayer === undefined) return `${from}/ is not a known layer: add it to LAYERS`;
    if (toLayer === undefined) return `${to}/ is not a known layer: add it to LAYERS`;
    if (from === to) return undefined;
    if (toLayer > fromLayer) return `${from} imports ${to}, a higher layer`;
    if (toLayer === fromLayer) return `${from} imports ${to}, a peer of the same layer`;
    return undefined;
  }
  if (specifier.startsWith('node:')) return undefined;
  if (specifier.startsWith('@react-reverb/core')) {
    return CORE_ENTRIES.has(specifier) ? undefined : 'core only through /protocol and /signing';
  }
  const name = specifier.startsWith('@')
    ? specifier.split('/').slice(0, 2).join('/')
    : specifier.split('/')[0];
  return DEPENDENCIES.has(name as string) ? undefined : `${name} is not a dependency of the server`;
}

function violations(fileFromSrc: string, source: string): string[] {
  return importsOf(fileFromSrc, source).flatMap(({ specifier, line }) => {
    const found = problem(fileFromSrc, specifier);
    return found === undefined ? [] : [`${fileFromSrc}:${line} '${specifier}': ${found}`];
  });
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') ? [relative(srcDir, path)] : [];
  });
}

describe('src imports follow the layers', () => {
  const files = sourceFiles(srcDir);

  it('finds every folder of the layout, and nothing outside it', () => {
    const folders = new Set(files.map((file) => folderOf(file)));
    expect([...folders].sort()).toEqual(Object.keys(LAYERS).sort());
    expect(files).toEqual(expect.arrayContaining(['server.ts', 'cli.ts', 'index.ts']));
  });

  it.each(files)('%s', (file) => {
    expect(violations(file, readFileSync(join(srcDir, file), 'utf8'))).toEqual([]);
  });

  it('the checker itself catches each kind of violation (so the tests above can fail)', () => {
    const bad = [
      "import type { Channel } from '../channels/registry';",
      "import { x } from '../operations/metrics';",
      "export { y } from '../../tests/support/target';",
      "import { z } from '../../bench/harness.mjs';",
      "import { createClient } from '@react-reverb/core';",
      "import { store } from '@react-reverb/core/client';",
      "import { startServer } from '@react-reverb/test-helpers';",
      "import { it } from 'vitest';",
      "const later = () => import('../server');",
      "type T = import('../http-api/http-api').HttpApi;",
    ].join('\n');
    const found = violations(join('socket', 'bad.ts'), bad);
    expect(found).toHaveLength(10);
    expect(found.join('\n')).toMatch(/socket imports channels, a higher layer/);
    expect(found.join('\n')).toMatch(/reaches outside src \(\.\.\/tests\/support\/target\)/);
    expect(found.join('\n')).toMatch(/reaches outside src \(\.\.\/bench\/harness\.mjs\)/);
    expect(found.join('\n')).toMatch(/core only through \/protocol and \/signing/);
    expect(found.join('\n')).toMatch(/vitest is not a dependency/);
    // Peers of one layer stay apart; lower layers, the folder itself and allowed packages pass.
    expect(
      violations(join('http-api', 'x.ts'), "import { o } from '../operations/operations';"),
    ).toHaveLength(1);
    const fine = [
      "import { a } from './limits';",
      "import type { B } from '../scaling/adapter';",
      "import { c } from '../shared/errors';",
      "import { d } from '@react-reverb/core/protocol';",
      "import { e } from 'node:http';",
      "import { WebSocket } from 'ws';",
      '// import { f } from "../channels/registry";',
      "const s = '../operations/metrics';",
    ].join('\n');
    expect(violations(join('socket', 'fine.ts'), fine)).toEqual([]);
  });
});

/**
 * The package's public entry. Each name here is a decision: what an application embedding the server
 * needs. Test and benchmark switches (`setFrameOnce`, `broadcastStats`, ...) are imported by tests from
 * their modules, never from here.
 */
const PUBLIC_API = [
  // The server.
  'createReverbServer',
  'CreateServerOptions',
  'ReverbServer',
  'ServerStats',
  'RegistryStats',
  'Operations',
  'OperationsOptions',
  'restartNodes',
  // Settings.
  'loadConfig',
  'defineConfig',
  'LoadConfigOptions',
  'ServerConfig',
  'AppConfig',
  'AppLimits',
  'ClientEventsFrom',
  'RedisConfig',
  'parseOperationsConfig',
  'OperationsConfig',
  'MetricsConfig',
  'DashboardConfig',
  // Errors, events, logging.
  'ConfigError',
  'ReverbEvents',
  'ReverbEventMap',
  'ReverbEventName',
  'createLogger',
  'ReverbLogger',
  // Scale-out.
  'Adapter',
  'AdapterFactory',
  'AdapterMessage',
  'AdapterQuery',
  'AdapterQueryResults',
  'QueryOf',
  'CacheSnapshot',
  'ChannelSnapshot',
  'LocalNode',
  'LocalAdapter',
  'ClusterState',
  'CachedEvent',
  'JoinOutcome',
  'LeaveOutcome',
  'PresenceMembers',
  // The adapter's `sessions` (single session): a custom adapter implements it.
  'SessionState',
  'ClaimOutcome',
  'ClaimResult',
  'EndOthersResult',
  'PeekResult',
  'RedisAdapter',
  'RedisAdapterOptions',
  'RedisAdapterEventMap',
  'RedisAdapterStats',
  'AdapterLogger',
];

function exportedNames(source: string): string[] {
  const file = ts.createSourceFile('index.ts', source, ts.ScriptTarget.ES2022, true);
  const names: string[] = [];
  for (const statement of file.statements) {
    if (!ts.isExportDeclaration(statement)) {
      const modifiers = ts.canHaveModifiers(statement) ? ts.getModifiers(statement) : undefined;
      if (modifiers?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword)) {
        throw new Error(`index.ts declares ${statement.getText(file).slice(0, 60)}: it only re-exports`);
      }
      continue;
    }
    if (!statement.exportClause) throw new Error('index.ts has an `export *`: name what is public');
    if (ts.isNamedExports(statement.exportClause)) {
      for (const element of statement.exportClause.elements) names.push(element.name.text);
    }
  }
  return names;
}

describe('the public entry (src/index.ts)', () => {
  it('exports the public API, and only it', () => {
    const names = exportedNames(readFileSync(join(srcDir, 'index.ts'), 'utf8'));
    expect([...names].sort()).toEqual([...PUBLIC_API].sort());
    for (const internal of ['setFrameOnce', 'isFrameOnce', 'frameOnceSupported', 'broadcastStats']) {
      expect(names).not.toContain(internal);
    }
  });
});
