import type { TimerProvider } from './types';

/**
 * The platform's timers, looked up at call time (not captured at module load) so fake timers
 * installed later by tests, and workers without `window`, both work.
 */
export const platformTimers: TimerProvider = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  now: () => Date.now(),
};
