import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';

// Any attempt to load React from the core fails this file.
vi.mock('react', () => {
  throw new Error('the core must not import react');
});
vi.mock('react-dom', () => {
  throw new Error('the core must not import react-dom');
});

const root = join(import.meta.dirname, '..');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : [path];
  });
}

const REACT_IMPORT =
  /(?:from\s*|import\s*\(\s*|require\s*\(\s*|import\s+)['"](?:react|react-dom)(?:\/[^'"]*)?['"]/;

describe('the core without React', () => {
  it('loads and runs every client entry with react mocked to throw', async () => {
    const core = await import('../src/index');
    const encrypted = await import('../src/encrypted/index');
    const client = core.createReverbClient({ key: 'k', host: 'h', autoConnect: false });
    expect(client.connection.getSnapshot().state).toBe('initialized');
    expect(typeof encrypted.decrypt).toBe('function');
  });

  it('no source file imports react', () => {
    const offenders = files(join(root, 'src')).filter((f) => REACT_IMPORT.test(readFileSync(f, 'utf8')));
    expect(offenders).toEqual([]);
  });

  it('the built bundles do not import react', () => {
    const built = files(join(root, 'dist')).filter((f) => /\.(c?js)$/.test(f));
    expect(built.length).toBeGreaterThan(0);
    expect(built.filter((f) => REACT_IMPORT.test(readFileSync(f, 'utf8')))).toEqual([]);
  });

  it('the pattern does catch a react import', () => {
    expect(REACT_IMPORT.test("import { useState } from 'react';")).toBe(true);
    expect(REACT_IMPORT.test('const r = require("react-dom/client")')).toBe(true);
    expect(REACT_IMPORT.test('// react-reverb is the React package')).toBe(false);
  });
});
