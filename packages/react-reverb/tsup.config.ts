import { copyFileSync } from 'node:fs';
import { defineConfig } from 'tsup';

export default defineConfig({
  entry: { index: 'src/index.ts', toast: 'src/toast.ts', testing: 'src/testing/index.ts' },
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
  },
});
