/** Undo steps for tests that start their own servers, clients and receivers. */
import { afterEach } from 'vitest';

/**
 * Returns `defer(step)`: every step deferred during a test runs after it, last deferred first (clients
 * before the server they are on). Call once at module scope.
 */
export function cleanupAfterEach(): (step: () => unknown) => void {
  const steps: Array<() => unknown> = [];
  afterEach(async () => {
    for (const step of steps.splice(0).reverse()) await step();
  });
  return (step) => {
    steps.push(step);
  };
}
