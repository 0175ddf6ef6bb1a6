import Module from 'node:module';
import { join } from 'node:path';
import { version } from 'react';
import { expect } from 'vitest';

// react-dom 18 is CommonJS and requires 'react' itself: send those requires to React 18 too.
const modules = process.env.REACT_18_MODULES ?? '';
const targets: Record<string, string> = {
  react: join(modules, 'react-18/index.js'),
  'react/jsx-runtime': join(modules, 'react-18/jsx-runtime.js'),
  'react-dom': join(modules, 'react-dom-18/index.js'),
};
type Resolve = (request: string, ...rest: unknown[]) => string;
const mod = Module as unknown as { _resolveFilename: Resolve };
const original = mod._resolveFilename;
mod._resolveFilename = (request, ...rest) => original.call(Module, targets[request] ?? request, ...rest);

// Fail loudly if the aliases did not apply.
expect(version).toMatch(/^18\./);
// Imported after the hook is in place (static imports would be evaluated before it).
const { version: domVersion } = await import('react-dom');
expect(domVersion).toMatch(/^18\./);
