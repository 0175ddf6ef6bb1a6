// Several frames for one socket at once, side by side with soketi: N subscribers on one public
// channel receive
// - `fanout-batch-*`: signed `POST /batch_events` of `batchSize` events, all on that channel;
// - `fanout-burst-*`: bursts of `burst` signed `POST /events` sent at once;
// - `fanout-single-*`, the control: one `POST /events` at a time, as many events per second;
// at a steady pace. Server CPU per delivery, delivery latency, messages lost.
//
// Ours runs twice side by side: as it ships (a socket's frames of one turn of the event loop go to
// the kernel in one write, socket/turn-writes.ts) and with `REVERB_WRITE_COALESCING=false` (a write
// per frame), samples alternating off, on, on, off (ABBA, `blocks` times) after a warm-up of each.
// The line's figures are ours as it ships, compared with soketi; `off` and the `coalescing…Ratio`s
// (on ÷ off) say what writing a turn's frames together saves.
import {
  connect,
  resetClients,
  split,
  waitDelivered,
  withTarget,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { cpuSeconds, systemCpuSeconds } from '../proc.mjs';
import { Histogram, round } from '../stats.mjs';

const CHANNEL = 'bench-frames';

/**
 * @typedef {{
 *   subscribers: number, rate: number, durationMs: number, batchSize?: number, burst?: number,
 *   blocks: number
 * }} Params
 * @typedef {import('../pool.mjs').Worker} Worker
 * @typedef {import('../targets.mjs').Target} Target
 * @typedef {{ figures: Record<string, number>, latency: Histogram }} Sample
 */

/**
 * One sample: the paced run for `durationMs`, then until every delivery arrived.
 * @param {Target} target
 * @param {Worker[]} clients
 * @param {Worker} publisher
 * @param {Params} p
 * @returns {Promise<Sample>}
 */
async function sample(target, clients, publisher, p) {
  await resetClients(clients);
  const at = performance.now();
  const cpu = cpuSeconds(target.pid);
  const system = systemCpuSeconds(target.pid);
  const clientsBefore = workersCpu([...clients, publisher]);
  const sent = await publisher.call(
    'run',
    {
      server: { host: target.host, port: target.port, app: target.app },
      channels: [CHANNEL],
      durationMs: p.durationMs,
      inflight: Math.max(32, p.burst ?? 1),
      rate: p.rate,
      ...(p.batchSize ? { batchSize: p.batchSize } : {}),
      ...(p.burst ? { burst: p.burst } : {}),
    },
    p.durationMs + 60_000,
  );
  const expected = (sent.perChannel[0] ?? 0) * p.subscribers;
  const got = await waitDelivered(clients, expected);
  const seconds = (performance.now() - at) / 1000;
  const used = cpuSeconds(target.pid) - cpu;
  return {
    figures: {
      requests: sent.ok,
      failed: sent.failed,
      expected,
      received: got.received,
      lost: Math.max(0, expected - got.received),
      deliveriesPerSec: round(got.received / (sent.elapsedMs / 1000), 0),
      cpuPerDeliveryUs: round((used * 1e6) / Math.max(1, got.received), 2),
      serverCpuPercent: round((100 * used) / seconds, 1),
      serverKernelPercent: round((100 * (systemCpuSeconds(target.pid) - system)) / Math.max(used, 1e-9), 1),
      clientCpuPercent: round((100 * (workersCpu([...clients, publisher]) - clientsBefore)) / seconds, 1),
    },
    latency: got.latency,
  };
}

/** Counts that add up over samples; the other figures are medians; latency merges every delivery. */
const SUMMED = new Set(['requests', 'failed', 'expected', 'received', 'lost']);

/** @param {Sample[]} samples */
function combine(samples) {
  /** @type {Record<string, unknown>} */
  const out = { samples: samples.length };
  for (const key of Object.keys(samples[0]?.figures ?? {})) {
    const values = samples.map((s) => /** @type {number} */ (s.figures[key])).sort((a, b) => a - b);
    const mid = Math.floor(values.length / 2);
    out[key] = SUMMED.has(key)
      ? values.reduce((a, v) => a + v, 0)
      : values.length % 2
        ? values[mid]
        : round(((values[mid - 1] ?? 0) + (values[mid] ?? 0)) / 2, 2);
  }
  const latency = new Histogram();
  for (const s of samples) latency.merge(s.latency.toJSON());
  out.latencyMs = latency.summary(1e-3);
  out.perSample = samples.map((s) => s.figures);
  return out;
}

/**
 * Subscribes `p.subscribers` connections of `clients` to CHANNEL on `target`.
 * @param {Target} target @param {Worker[]} clients @param {Params} p
 */
async function subscribe(target, clients, p) {
  const specs = Array.from({ length: p.subscribers }, () => ({ channels: [CHANNEL] }));
  const opened = await connect(target, clients, split(specs, clients.length));
  if (opened.failed > 0) throw new Error(`${opened.failed} subscriptions failed: ${opened.errors[0]}`);
}

/**
 * @param {'ours' | 'soketi'} kind
 * @param {Params} p
 * @param {import('../harness.mjs').Context} ctx
 */
function measure(kind, p, ctx) {
  return withWorkers('clients', ctx.clientWorkers, (clients) =>
    withWorkers('trigger', 1, async ([publisher]) => {
      const pub = /** @type {Worker} */ (publisher);
      const samples = 2 * p.blocks;
      if (kind === 'soketi') {
        return withTarget(kind, async (target) => {
          await subscribe(target, clients, p);
          await sample(target, clients, pub, { ...p, durationMs: 1500 });
          /** @type {Sample[]} */
          const taken = [];
          for (let i = 0; i < samples; i++) taken.push(await sample(target, clients, pub, p));
          return combine(taken);
        });
      }
      return withTarget('ours', (on) =>
        withTarget(
          'ours',
          async (off) => {
            await subscribe(on, clients, p);
            await subscribe(off, clients, p);
            const sides = { on, off };
            for (const side of /** @type {const} */ (['off', 'on'])) {
              await sample(sides[side], clients, pub, { ...p, durationMs: 1500 });
            }
            /** @type {Record<'on' | 'off', Sample[]>} */
            const taken = { on: [], off: [] };
            for (let block = 0; block < p.blocks; block++) {
              for (const side of /** @type {const} */ (['off', 'on', 'on', 'off'])) {
                const s = await sample(sides[side], clients, pub, p);
                taken[side].push(s);
                ctx.log(
                  `  coalescing ${side}: ${s.figures.cpuPerDeliveryUs} µs/delivery, p99 ` +
                    `${round(s.latency.summary(1e-3).p99 ?? Number.NaN, 1)} ms`,
                );
              }
            }
            const shipped = combine(taken.on);
            const plain = combine(taken.off);
            /** @param {string} key @returns {number | undefined} */
            const num = (key) => {
              const pick = (/** @type {Record<string, unknown>} */ o) =>
                key === 'p99'
                  ? /** @type {{ p99?: number }} */ (o.latencyMs).p99
                  : /** @type {number | undefined} */ (o[key]);
              const a = pick(shipped);
              const b = pick(plain);
              return a !== undefined && b ? round(a / b, 3) : undefined;
            };
            return {
              ...shipped,
              coalescingCpuRatio: num('cpuPerDeliveryUs'),
              coalescingP99Ratio: num('p99'),
              off: plain,
              lost: /** @type {number} */ (shipped.lost) + /** @type {number} */ (plain.lost),
            };
          },
          { env: { REVERB_WRITE_COALESCING: 'false' } },
        ),
      );
    }),
  );
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const fanoutFrames = {
  name: 'fanout-frames',
  summary: 'several frames per socket at once (batch_events of 10, bursts of 10; single: control)',
  variants(size) {
    const p = size.fanoutFrames;
    const label = p.subscribers >= 1000 ? `${p.subscribers / 1000}k` : `${p.subscribers}`;
    const common = { subscribers: p.subscribers, rate: p.rate, durationMs: p.durationMs, blocks: p.blocks };
    return [
      {
        name: `fanout-batch-${label}`,
        params: { ...common, batchSize: p.perRequest },
        // Ours holds its two servers' subscribers at once.
        connections: 2 * p.subscribers,
      },
      {
        name: `fanout-burst-${label}`,
        params: { ...common, burst: p.perRequest },
        connections: 2 * p.subscribers,
      },
      {
        name: `fanout-single-${label}`,
        params: { ...common, rate: p.rate * p.perRequest },
        connections: 2 * p.subscribers,
      },
    ];
  },
  measure,
  ratios: [
    'cpuPerDeliveryUs',
    'latencyMs.p50',
    'latencyMs.p99',
    'deliveriesPerSec',
    'serverKernelPercent',
    'clientCpuPercent',
  ],
  // Ours only: as it ships ÷ a write per frame, and the write-per-frame figures.
  shown: ['coalescingCpuRatio', 'coalescingP99Ratio', 'off.cpuPerDeliveryUs', 'off.latencyMs.p99'],
  checks: () => [
    { metric: 'lost', label: '0 messages lost', equals: 0 },
    { metric: 'cpuPerDeliveryUs', label: 'CPU per delivery ≤ 0.8× soketi', maxRatio: 0.8 },
    { metric: 'latencyMs.p99', label: 'delivery p99 ≤ 0.8× soketi', maxRatio: 0.8 },
  ],
};
