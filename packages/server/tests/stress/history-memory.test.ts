/**
 * What history costs a node (issue 18): a real server process (`reverb start`, one node, default
 * history settings, metrics on) keeps the history of STRESS_HISTORY_CHANNELS (default 10,000) private
 * channels, each given STRESS_HISTORY_EVENTS (default 30) notification-sized events (~300-byte frames)
 * through `/batch_events`. That is about the default memory budget (128 MiB of accounted history,
 * packages/server/docs/history.md). Prints the process's RSS before and after, and the history's own
 * numbers from the Prometheus gauges; fails when the accounting drifts from what was published or
 * when RSS grows far beyond what the history accounts for. Figures: packages/server/docs/history.md.
 */
import { readFileSync } from 'node:fs';
import { type ServerHandle, startServer } from '@react-reverb/test-helpers';
import { afterAll, describe, expect, it } from 'vitest';
import { signedPath } from '../support/http';

const CHANNELS = Number(process.env.STRESS_HISTORY_CHANNELS ?? 10_000);
const EVENTS = Number(process.env.STRESS_HISTORY_EVENTS ?? 30);
const APP = { id: '6262', key: 'history-key', secret: 'history-secret' } as const;
/** A notification as Laravel broadcasts it: about 200 characters of JSON, so frames of about 300 bytes. */
const DATA = JSON.stringify({
  id: '9b2f7c1e-5a3d-4e8f-b6a1-0c9d8e7f6a5b',
  type: 'App\\Notifications\\InvoicePaid',
  title: 'Invoice paid',
  body: 'Invoice #12345 of 99.00 EUR was paid by Ada Lovelace.',
});

let server: ServerHandle | undefined;
afterAll(async () => {
  await server?.stop();
});

/** Resident set size of a process, in MB (Linux). */
function rssMb(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'));
  return Number(line?.split(/\s+/)[1]) / 1024;
}

async function post(port: number, path: string, body: string): Promise<void> {
  const signed = signedPath(APP, 'POST', `/apps/${APP.id}${path}`, { body });
  const response = await fetch(`http://127.0.0.1:${port}${signed}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });
  expect(response.status).toBe(200);
  await response.text();
}

/** One event on each of `channels` (10 at most), in one batch. */
function batch(channels: readonly string[], round: number): string {
  return JSON.stringify({
    batch: channels.map((channel) => ({
      channel,
      name: 'App\\Events\\Notification',
      data: `${DATA}${round}`,
    })),
  });
}

async function gauges(port: number) {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const values = {
    reverb_history_streams: 0,
    reverb_history_events: 0,
    reverb_history_bytes: 0,
    nodejs_heap_size_used_bytes: 0,
  };
  for (const name of Object.keys(values)) {
    const line = text.split('\n').find((l) => l.startsWith(`${name} `));
    values[name as keyof typeof values] = Number(line?.split(' ')[1]);
  }
  return values;
}

describe(`history of ${CHANNELS} channels × ${EVENTS} events in a server process`, () => {
  it('stays within its accounting; RSS reported', async () => {
    server = await startServer({
      apps: [APP],
      // `reverb start` runs node with this flag (bin/reverb.js); startServer runs the file with plain node.
      env: { REVERB_METRICS_ENABLED: 'true', NODE_OPTIONS: '--max-semi-space-size=2' },
    });
    const { port } = server;
    const pid = server.process.pid as number;
    const channels = Array.from({ length: CHANNELS }, (_, i) => `private-user.${i}`);
    // Warm-up: code paths compiled and pools at their size, on channels that keep no history.
    for (let i = 0; i < 200; i++) await post(port, '/batch_events', batch([`warm-${i % 10}`], i));
    const before = rssMb(pid);

    const started = Date.now();
    for (let round = 0; round < EVENTS; round++) {
      const requests: Promise<void>[] = [];
      for (let start = 0; start < CHANNELS; start += 10) {
        requests.push(post(port, '/batch_events', batch(channels.slice(start, start + 10), round)));
        if (requests.length === 50) await Promise.all(requests.splice(0));
      }
      await Promise.all(requests);
    }
    const seconds = (Date.now() - started) / 1000;
    const after = rssMb(pid);
    // Idle for a while: V8 runs its idle-time GCs and may give pages back.
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    const settled = rssMb(pid);
    const history = await gauges(port);
    const accountedMb = history.reverb_history_bytes / 1024 / 1024;
    const heapMb = history.nodejs_heap_size_used_bytes / 1024 / 1024;
    console.log(
      `history: ${CHANNELS} channels × ${EVENTS} events (${CHANNELS * EVENTS} published in ${seconds.toFixed(1)} s): ` +
        `RSS ${before.toFixed(1)} MB → ${after.toFixed(1)} MB (+${(after - before).toFixed(1)} MB), ` +
        `${settled.toFixed(1)} MB after 10 s idle; heap used ${heapMb.toFixed(1)} MB; ` +
        `kept ${history.reverb_history_events} events in ${history.reverb_history_streams} streams, ` +
        `${accountedMb.toFixed(1)} MB accounted (budget 128 MiB)`,
    );

    expect(history.reverb_history_streams).toBe(CHANNELS);
    // Everything fits the default budget, or the budget holds it back: never more than the budget.
    expect(history.reverb_history_bytes).toBeLessThanOrEqual(128 * 1024 * 1024);
    if (history.reverb_history_bytes < 120 * 1024 * 1024) {
      expect(history.reverb_history_events).toBe(CHANNELS * EVENTS);
    }
    // The heap follows the accounting (garbage of the HTTP traffic comes on top), and RSS the heap:
    // V8 keeps pages it freed (docs/history.md), never many times more.
    expect(heapMb).toBeLessThan(2 * accountedMb + 64);
    expect(settled - before).toBeLessThan(4 * accountedMb + 64);
  }, 600_000);
});
