import { defineConfig } from 'vitest/config';

/** The load-with-faults suite (tests/stress): thousands of sockets on 127.0.0.1, one file at a time. */
export default defineConfig({
  test: {
    include: ['tests/stress/**/*.test.ts'],
    testTimeout: 240_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
