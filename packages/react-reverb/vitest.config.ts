import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/** Tests run on the sources of this package and of the core (no build step in between). */
const sourceAliases = [
  { find: /^react-reverb$/, replacement: here('./src/index.ts') },
  { find: /^react-reverb\/testing$/, replacement: here('./src/testing/index.ts') },
  { find: /^react-reverb\/toast$/, replacement: here('./src/toast.ts') },
  { find: /^react-reverb\/echo$/, replacement: here('./src/echo/index.ts') },
  { find: /^@react-reverb\/core$/, replacement: here('../core/src/index.ts') },
  { find: /^@react-reverb\/core\/protocol$/, replacement: here('../core/src/protocol/index.ts') },
  { find: /^@react-reverb\/core\/signing$/, replacement: here('../core/src/signing/index.ts') },
];

export default defineConfig({
  resolve: { alias: sourceAliases },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.{ts,tsx}'],
    setupFiles: ['tests/setup.ts'],
    testTimeout: 20_000,
  },
});
