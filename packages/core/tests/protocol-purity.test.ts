import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const coreDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const protocolDir = join(coreDir, 'src', 'protocol');

/** Globals that exist only in browsers or only in Node: the protocol module must run in both. */
const FORBIDDEN_GLOBALS = new Set([
  'window',
  'document',
  'navigator',
  'location',
  'localStorage',
  'sessionStorage',
  'TextEncoder',
  'TextDecoder',
  'Buffer',
  'fetch',
  'WebSocket',
  'XMLHttpRequest',
  'EventSource',
  'crypto',
  'process',
  'global',
  'globalThis',
  'require',
  '__dirname',
  '__filename',
]);

interface Finding {
  kind: 'import' | 'global';
  text: string;
  line: number;
}

/** Walks the syntax tree, so comments and strings that merely mention a global do not count. */
function impurities(fileName: string, source: string): Finding[] {
  const file = ts.createSourceFile(fileName, source, ts.ScriptTarget.ES2022, true);
  const findings: Finding[] = [];
  const at = (node: ts.Node) => file.getLineAndCharacterOfPosition(node.getStart(file)).line + 1;
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier) {
      const spec = (node.moduleSpecifier as ts.StringLiteral).text;
      if (!spec.startsWith('./')) findings.push({ kind: 'import', text: spec, line: at(node) });
    }
    if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      findings.push({ kind: 'import', text: node.getText(file), line: at(node) });
    }
    if (ts.isIdentifier(node) && FORBIDDEN_GLOBALS.has(node.text)) {
      const parent = node.parent;
      const isMemberName =
        (ts.isPropertyAccessExpression(parent) && parent.name === node) ||
        (ts.isPropertyAssignment(parent) && parent.name === node) ||
        (ts.isPropertySignature(parent) && parent.name === node) ||
        (ts.isPropertyDeclaration(parent) && parent.name === node) ||
        (ts.isMethodDeclaration(parent) && parent.name === node) ||
        (ts.isBindingElement(parent) && parent.propertyName === node);
      if (!isMemberName) findings.push({ kind: 'global', text: node.text, line: at(node) });
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return findings;
}

describe('src/protocol is pure (no Node, no DOM, no transport)', () => {
  const files = readdirSync(protocolDir).filter((f) => f.endsWith('.ts'));

  it('finds the module files', () => {
    expect(files).toEqual(
      expect.arrayContaining(['codec.ts', 'channel-names.ts', 'index.ts', 'validate.ts']),
    );
  });

  it.each(files)('%s imports only sibling modules and uses no platform global', (file) => {
    const source = readFileSync(join(protocolDir, file), 'utf8');
    expect(source).not.toMatch(/['"]node:/);
    expect(source).not.toContain('reconnecting-websocket');
    expect(impurities(file, source)).toEqual([]);
  });

  it('the checker itself catches each kind of impurity (so the tests above can fail)', () => {
    const bad = [
      "import { createHash } from 'node:crypto';",
      "import RWS from 'reconnecting-websocket';",
      'export const a = window.location;',
      'export const b = new TextEncoder();',
      'export const c = Buffer.byteLength("x");',
      'export const d = () => fetch("/x");',
      'export const e = typeof WebSocket;',
      'export const f = () => import("ws");',
    ].join('\n');
    const found = impurities('bad.ts', bad).map((f) => f.text);
    expect(found).toEqual(
      expect.arrayContaining([
        'node:crypto',
        'reconnecting-websocket',
        'window',
        'TextEncoder',
        'Buffer',
        'fetch',
        'WebSocket',
      ]),
    );
    expect(found.some((t) => t.includes('import("ws")'))).toBe(true);
    // Mentions in comments, strings and property names are fine.
    expect(
      impurities('ok.ts', '// window\nexport const s = "document";\nexport const o = { fetch: 1 }.fetch;'),
    ).toEqual([]);
  });
});

describe('built entry points (run `pnpm --filter @react-reverb/core build` first)', () => {
  const built = ['protocol.js', 'protocol.cjs', 'signing.js', 'signing.cjs'].map((f) =>
    join(coreDir, 'dist', f),
  );

  it('dist exists', () => {
    for (const file of built) expect(existsSync(file), `${file} is missing: build core first`).toBe(true);
  });

  it('CJS: require("@react-reverb/core/protocol") resolves through exports to dist/protocol.cjs', () => {
    const require = createRequire(join(coreDir, 'package.json'));
    expect(require.resolve('@react-reverb/core/protocol')).toBe(join(coreDir, 'dist', 'protocol.cjs'));
    const protocol = require('@react-reverb/core/protocol') as typeof import('../src/protocol');
    expect(protocol.channelType('presence-room.1')).toBe('presence');
    const signing = require('@react-reverb/core/signing') as typeof import('../src/signing');
    expect(signing.signChannel({ key: 'k', secret: 's', socketId: '1.2', channel: 'private-a' })).toMatch(
      /^k:[0-9a-f]{64}$/,
    );
  });

  it('ESM: import of dist/protocol.js exposes channelType', async () => {
    const protocol = (await import(
      pathToFileURL(join(coreDir, 'dist', 'protocol.js')).href
    )) as typeof import('../src/protocol');
    expect(protocol.channelType('private-encrypted-cache-x')).toBe('private-encrypted-cache');
  });

  it('plain Node resolves both conditions by package name (self-reference)', () => {
    const script = `
      const { createRequire } = await import('node:module');
      const req = createRequire(process.cwd() + '/package.json');
      const cjs = req('@react-reverb/core/protocol');
      const esm = await import('@react-reverb/core/protocol');
      const sig = await import('@react-reverb/core/signing');
      console.log(JSON.stringify([cjs.channelType('cache-x'), esm.channelType('#server-to-user-1'), typeof sig.verifyHttpRequest]));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: coreDir,
      encoding: 'utf8',
    });
    expect(JSON.parse(out.trim())).toEqual(['cache', 'server-to-user', 'function']);
  });
});
