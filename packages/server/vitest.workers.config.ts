import { defineConfig } from 'vitest/config';

/**
 * The interop suites (pusher-js, laravel-echo, the `pusher` SDK, Reverb's app settings) once more,
 * against `reverb start --workers 2`: the suites start the real CLI through startServer(), which hands
 * this environment on, so every client, trigger and API question lands on one of two workers, round
 * robin, and every cross-worker path of the suites is taken. `tests/workers/interop-mode.check.ts`
 * makes sure the run really had two workers. Part of `pnpm test` (package.json).
 */
export default defineConfig({
  test: {
    include: ['tests/interop-*.test.ts', 'tests/workers/interop-mode.check.ts'],
    env: { REVERB_WORKERS: '2' },
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
