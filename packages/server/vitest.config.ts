import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // The bounded load-with-faults suite runs on its own: `pnpm test:stress` (vitest.stress.config.ts).
    exclude: ['tests/stress/**', '**/node_modules/**'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
