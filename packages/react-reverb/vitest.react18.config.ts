import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * The same tests on React 18.3 (the low end of the peer range): `react`/`react-dom` resolve to the
 * `react-18`/`react-dom-18` aliases for our sources and for Testing Library (inlined so the aliases
 * apply); tests/react18-setup.ts does the same for CommonJS `require('react')` inside react-dom 18.
 * The real-server and mock-client suites (no React in them, or a server) run once, on React 19.
 */
export default defineConfig({
  resolve: {
    alias: [
      // As in vitest.config.ts (not imported from it: Vite's config loader warns on extensionless imports).
      { find: /^react-reverb$/, replacement: here('./src/index.ts') },
      { find: /^react-reverb\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^react-reverb\/toast$/, replacement: here('./src/toast.ts') },
      { find: /^react-reverb\/echo$/, replacement: here('./src/echo/index.ts') },
      { find: /^@react-reverb\/core$/, replacement: here('../core/src/index.ts') },
      { find: /^@react-reverb\/core\/protocol$/, replacement: here('../core/src/protocol/index.ts') },
      // Its `main` is CommonJS (whose requires no alias reaches); its ESM build imports through the aliases.
      {
        find: /^@testing-library\/react$/,
        replacement: here('./node_modules/@testing-library/react/dist/@testing-library/react.esm.js'),
      },
      { find: /^react$/, replacement: here('./node_modules/react-18/index.js') },
      { find: /^react\/jsx-runtime$/, replacement: here('./node_modules/react-18/jsx-runtime.js') },
      { find: /^react\/jsx-dev-runtime$/, replacement: here('./node_modules/react-18/jsx-dev-runtime.js') },
      { find: /^react-dom$/, replacement: here('./node_modules/react-dom-18/index.js') },
      { find: /^react-dom\/client$/, replacement: here('./node_modules/react-dom-18/client.js') },
      { find: /^react-dom\/server$/, replacement: here('./node_modules/react-dom-18/server.node.js') },
      { find: /^react-dom\/test-utils$/, replacement: here('./node_modules/react-dom-18/test-utils.js') },
    ],
  },
  test: {
    environment: 'happy-dom',
    include: ['tests/**/*.test.{ts,tsx}'],
    exclude: [
      'tests/real-server.test.tsx',
      'tests/real-server-recovery.test.tsx',
      'tests/echo/real-server.test.tsx',
      'tests/testing/**',
      '**/node_modules/**',
    ],
    setupFiles: ['tests/react18-setup.ts', 'tests/setup.ts'],
    testTimeout: 20_000,
    env: { REACT_18_MODULES: here('./node_modules') },
    server: { deps: { inline: [/@testing-library\/react/] } },
  },
});
