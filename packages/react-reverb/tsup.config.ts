import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

/**
 * Hooks, context and components are client code: without the directive, a Next.js (App Router) server
 * component that renders <ReverbProvider> fails its build ("createContext is not a function"). Added
 * after the build because tsup's tree-shaking pass drops module directives; each source map gets an
 * empty first line so it still points at the right code.
 */
function markClientModules(dir: string): void {
  for (const file of readdirSync(dir)) {
    if (!/\.c?js$/.test(file)) continue;
    const path = `${dir}/${file}`;
    writeFileSync(path, `'use client';\n${readFileSync(path, 'utf8')}`);
    const map = JSON.parse(readFileSync(`${path}.map`, 'utf8')) as { mappings: string };
    map.mappings = `;${map.mappings}`;
    writeFileSync(`${path}.map`, JSON.stringify(map));
  }
}

export default defineConfig({
  entry: {
    index: 'src/index.ts',
    toast: 'src/toast.ts',
    echo: 'src/echo/index.ts',
    testing: 'src/testing/index.ts',
  },
  // Shared modules go to chunks in CommonJS too, so `react-reverb/toast` finds the provider of
  // `react-reverb` (one ReverbContext) in both formats; tests/built-entries.test.ts checks it.
  splitting: true,
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: true,
  target: 'es2022',
  treeshake: true,
  // `react-reverb` itself is external so the testing entry shares the one ReverbContext in ESM and CJS.
  external: ['react', 'react-dom', 'react/jsx-runtime', '@react-reverb/core', 'react-reverb'],
  async onSuccess() {
    copyFileSync('src/styles.css', 'dist/styles.css');
    markClientModules('dist');
  },
});
