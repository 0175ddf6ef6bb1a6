/**
 * Run by vitest.workers.config.ts only: the server the interop suites start (`startServer()`, as
 * tests/support/target.ts calls it) really is a primary with two worker processes, so their green run
 * in that configuration means what it says.
 */
import { startServer, waitFor } from '@react-reverb/test-helpers';
import { expect, it } from 'vitest';
import { childPids } from '../support/workers';

it('the interop suites run against reverb start --workers 2', async () => {
  expect(process.env.REVERB_WORKERS).toBe('2');
  const server = await startServer();
  try {
    await waitFor(() => server.output().includes('with 2 worker processes'), 10_000, 'the listening line');
    expect(childPids(server.process.pid as number)).toHaveLength(2);
  } finally {
    expect(await server.stop()).toBe(0);
  }
});
