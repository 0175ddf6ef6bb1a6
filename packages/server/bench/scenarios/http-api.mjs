// The HTTP API under closed-loop load: signed `POST /events` and `POST /batch_events` from the
// `pusher` SDK over keep-alive agents, 32 requests in flight split over publisher processes. One
// subscriber on the first channel checks that accepted events are delivered.
import {
  connect,
  ms,
  resetClients,
  usage,
  usageDelta,
  waitDelivered,
  withTarget,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { Histogram, round } from '../stats.mjs';

/** @typedef {{ inflight: number, publishers: number, durationMs: number, batchSize?: number }} Params */

/**
 * @param {'ours' | 'soketi'} kind
 * @param {Params} params
 */
function measureHttp(kind, params) {
  const batch = params.batchSize ?? 0;
  // A batch spreads over `batch` channels (round robin), so the one subscriber sees one event per batch.
  const channels = Array.from({ length: Math.max(1, batch) }, (_, i) => `bench-http-${i}`);
  return withTarget(kind, (target) =>
    withWorkers('clients', 1, (clients) =>
      withWorkers('trigger', params.publishers, async (publishers) => {
        const opened = await connect(target, clients, [
          [{ channels: [/** @type {string} */ (channels[0])] }],
        ]);
        if (opened.failed > 0) return { failed: opened.failed, errors: opened.errors };
        await resetClients(clients);
        const before = usage(target);
        const clientsBefore = workersCpu(publishers);
        const inflight = Math.ceil(params.inflight / params.publishers);
        const runs = await Promise.all(
          publishers.map((p) =>
            p.call(
              'run',
              {
                server: { host: target.host, port: target.port, app: target.app },
                channels,
                durationMs: params.durationMs,
                inflight,
                batchSize: batch,
              },
              params.durationMs + 60_000,
            ),
          ),
        );
        const elapsedS = Math.max(...runs.map((r) => r.elapsedMs)) / 1000;
        const ok = runs.reduce((a, r) => a + r.ok, 0);
        const expected = runs.reduce((a, r) => a + (r.perChannel[0] ?? 0), 0);
        const got = await waitDelivered(clients, expected);
        const cpu = usageDelta(before, usage(target));
        const clientCpu = workersCpu(publishers) - clientsBefore;
        return {
          requests: ok,
          failed: runs.reduce((a, r) => a + r.failed, 0),
          errors: runs.flatMap((r) => r.errors).slice(0, 5),
          requestsPerSec: round(ok / elapsedS, 0),
          eventsPerSec: round(runs.reduce((a, r) => a + r.okEvents, 0) / elapsedS, 0),
          requestMs: ms(Histogram.from(runs.map((r) => r.requestLatency))),
          cpuPerRequestUs: round((cpu.cpuSeconds * 1e6) / Math.max(1, ok), 1),
          serverCpuPercent: cpu.cpuPercent,
          publisherCpuPercent: round((100 * clientCpu) / cpu.seconds, 1),
          subscriberExpected: expected,
          subscriberReceived: got.received,
          lost: Math.max(0, expected - got.received),
        };
      }),
    ),
  );
}

const RATIOS = ['requestsPerSec', 'eventsPerSec', 'requestMs.p50', 'requestMs.p99', 'cpuPerRequestUs'];

/** @type {import('./index.mjs').Scenario<Params>} */
export const httpEvents = {
  name: 'http-events',
  summary: 'signed POST /events, 32 in flight, keep-alive',
  variants: (size) => [{ name: 'http-events', params: size.httpEvents, connections: 1 }],
  measure: measureHttp,
  ratios: RATIOS,
  checks: () => [
    { metric: 'failed', label: 'no failed request', equals: 0 },
    { metric: 'lost', label: '0 events lost', equals: 0 },
    { metric: 'requestsPerSec', label: 'POST /events req/s ≥ 2× soketi', minRatio: 2 },
  ],
};

/** @type {import('./index.mjs').Scenario<Params>} */
export const httpBatch = {
  name: 'http-batch',
  summary: 'signed POST /batch_events (10 events each), 32 in flight, keep-alive',
  variants: (size) => [{ name: 'http-batch', params: size.httpBatch, connections: 1 }],
  measure: measureHttp,
  ratios: RATIOS,
  checks: () => [
    { metric: 'failed', label: 'no failed request', equals: 0 },
    { metric: 'lost', label: '0 events lost', equals: 0 },
  ],
};
