import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..');

/**
 * The published entries, loaded by package name the way an app loads them (`pnpm test` builds first).
 * `react-reverb/toast` must find the provider that `react-reverb` put in context: with a second copy of
 * the context in one of the files, `<NotificationToast source>` would throw "no client" here.
 */
const renderThroughEntries = (load: string) => `
  ${load}
  const { createElement: h } = React;
  const client = testing.createMockClient();
  const html = server.renderToString(
    h(testing.MockReverbProvider, { client },
      h(main.ReverbProvider, { client },
        h(toast.NotificationToast, { source: { channel: 'private-orders', event: 'shipped' } }),
        h(function Status() { return h('i', null, echo.useConnectionStatus()); }))),
  );
  console.log(JSON.stringify({
    html,
    toastInMain: 'NotificationToast' in main || 'toast' in main,
    echoInMain: 'useEcho' in main || 'configureEcho' in main,
  }));
`;

const cjs = renderThroughEntries(`
  const React = require('react');
  const server = require('react-dom/server');
  const main = require('react-reverb');
  const toast = require('react-reverb/toast');
  const echo = require('react-reverb/echo');
  const testing = require('react-reverb/testing');
`);

const esm = renderThroughEntries(`
  const React = await import('react');
  const server = await import('react-dom/server');
  const main = await import('react-reverb');
  const toast = await import('react-reverb/toast');
  const echo = await import('react-reverb/echo');
  const testing = await import('react-reverb/testing');
`);

function run(args: string[], script: string): { html: string; toastInMain: boolean; echoInMain: boolean } {
  const out = execFileSync(process.execPath, [...args, script], { cwd: packageDir, encoding: 'utf8' });
  return JSON.parse(out.trim().split('\n').pop() as string);
}

describe('built entries (dist), loaded by package name', () => {
  it('dist has the four entries in both formats', () => {
    for (const entry of ['index', 'toast', 'echo', 'testing']) {
      for (const ext of ['js', 'cjs', 'd.ts', 'd.cts']) {
        const file = join(packageDir, 'dist', `${entry}.${ext}`);
        expect(existsSync(file), `${file} is missing: build react-reverb first`).toBe(true);
      }
    }
  });

  it('every built module starts with "use client" (Next.js server components can render the provider)', () => {
    // Checked by hand with a Next.js 16 App Router build: without the directive, a server layout that
    // renders <ReverbProvider> fails with "createContext is not a function".
    const modules = readdirSync(join(packageDir, 'dist')).filter((f) => /\.c?js$/.test(f));
    expect(modules.length).toBeGreaterThanOrEqual(6);
    for (const file of modules) {
      expect(readFileSync(join(packageDir, 'dist', file), 'utf8').startsWith("'use client';\n"), file).toBe(
        true,
      );
    }
  });

  it.each([
    ['CommonJS', ['-e'], cjs],
    ['ESM', ['--input-type=module', '-e'], esm],
  ])(
    '%s: react-reverb/toast and react-reverb/echo render inside the provider from react-reverb (one shared context)',
    (_, args, script) => {
      const { html, toastInMain, echoInMain } = run(args, script);
      expect(html).toContain('data-rr-toaster');
      expect(html).toContain('aria-live="polite"');
      expect(toastInMain).toBe(false);
      // Echo's hook found the provider's client (else: "Echo has not been configured"); on the server
      // it reads the idle snapshot, which echo-react calls disconnected.
      expect(html).toContain('<i>disconnected</i>');
      expect(echoInMain).toBe(false);
    },
  );
});
