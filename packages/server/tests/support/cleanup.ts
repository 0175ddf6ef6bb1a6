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

/**
 * Runs teardown steps in order, each bounded by `ms`: a step that does not settle in time is reported
 * on stderr by name and the next one runs, so one stuck close (a socket that never reports its end on a
 * loaded machine) cannot time the whole hook out and hide which step it was.
 */
export async function teardownInOrder(
  steps: ReadonlyArray<readonly [name: string, step: () => unknown]>,
  ms = 8_000,
): Promise<void> {
  for (const [name, step] of steps) {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => {
      timer = setTimeout(() => resolve('late'), ms);
    });
    const outcome = await Promise.race([Promise.resolve().then(step), late]).catch((error: unknown) => error);
    clearTimeout(timer);
    if (outcome === 'late') process.stderr.write(`teardown: "${name}" did not finish within ${ms} ms\n`);
    else if (outcome instanceof Error)
      process.stderr.write(`teardown: "${name}" failed: ${outcome.message}\n`);
  }
}
