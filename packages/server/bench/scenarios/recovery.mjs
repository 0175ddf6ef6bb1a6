// Recovery across real network cuts (docs/protocol.md §11.1): N subscribers, each on its own private
// channel (a user's notifications channel; every `private-*` channel keeps history on our server by
// default), receive events triggered over the signed HTTP API at a notification's pace per channel.
// Their TCP connections go through fault proxies (workers/proxies.mjs, a process of their own), which
// cut them all several times while events flow: RST both ways, then reconnects reset on arrival for
// `outageMs`. The clients (workers/recovery-clients.mjs) reconnect with our client's back-off and
// subscribe again: against our server with `recover` (their last position and previous socket ids),
// dropping anything at or below their position; against soketi plainly. What the app would see is
// counted per event (`n`, numbered per channel): delivered, lost, duplicates, replayed, gaps.
import {
  deploymentCpu,
  resetClients,
  sleep,
  split,
  withDeployment,
  withWorkers,
  workersCpu,
} from '../harness.mjs';
import { Histogram, round } from '../stats.mjs';

/**
 * @typedef {{
 *   nodes: number, subscribers: number, ratePerChannel: number, durationMs: number, cuts: number,
 *   firstCutMs: number, cutEveryMs: number, outageMs: number
 * }} Params
 * @typedef {import('../pool.mjs').Worker} Worker
 */

/** @param {string} wsUrl @param {number} serverPort @param {number} proxyPort */
function viaProxy(wsUrl, serverPort, proxyPort) {
  return wsUrl.replace(`:${serverPort}/`, `:${proxyPort}/`);
}

/** @param {Worker[]} clients */
async function mergedStats(clients) {
  const parts = await Promise.all(clients.map((c) => c.call('stats')));
  /** @param {string} key */
  const sum = (key) => parts.reduce((a, p) => a + p[key], 0);
  /** @param {string} key */
  const tallies = (key) => {
    /** @type {Record<string, number>} */
    const out = {};
    for (const p of parts) for (const [k, v] of Object.entries(p[key])) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  /** @param {string} key */
  const histogram = (key) => Histogram.from(parts.map((p) => p[key]));
  return {
    connections: sum('connections'),
    subscribed: sum('subscribed'),
    delivered: sum('delivered'),
    duplicates: sum('duplicates'),
    droppedAtOrBelowPosition: sum('droppedAtOrBelowPosition'),
    replayedAnnounced: sum('replayedAnnounced'),
    replayed: sum('replayed'),
    resubscribes: sum('resubscribes'),
    recoverAsked: sum('recoverAsked'),
    recovered: sum('recovered'),
    gaps: tallies('gaps'),
    cutsSeen: sum('cutsSeen'),
    failedAttempts: sum('failedAttempts'),
    reconnects: sum('reconnects'),
    serverErrors: tallies('serverErrors'),
    latency: histogram('latency'),
    recoveryMs: histogram('recoveryMs'),
    downMs: histogram('downMs'),
  };
}

/** @param {Worker[]} clients @param {Record<string, number>} expected */
async function missing(clients, expected) {
  const parts = await Promise.all(clients.map((c) => c.call('check', { expected })));
  return {
    expected: parts.reduce((a, p) => a + p.expected, 0),
    distinct: parts.reduce((a, p) => a + p.distinct, 0),
  };
}

/**
 * After the last event: waits until every connection is subscribed again with its replay done and
 * every expected event reached the app, or nothing changed for `quietMs` (events lost for good).
 * @param {Worker[]} clients
 * @param {Record<string, number>} expected
 */
async function settle(clients, expected, quietMs = 3000, maxMs = 40_000) {
  const end = Date.now() + maxMs;
  let last = '';
  let lastChange = Date.now();
  for (;;) {
    const [stats, seen] = await Promise.all([mergedStats(clients), missing(clients, expected)]);
    const allBack = stats.subscribed === stats.connections;
    if (allBack && seen.distinct >= seen.expected) return { stats, seen };
    const now = `${stats.subscribed}/${seen.distinct}/${stats.delivered}`;
    if (now !== last) {
      last = now;
      lastChange = Date.now();
    }
    if ((allBack && Date.now() - lastChange > quietMs) || Date.now() > end) return { stats, seen };
    await sleep(200);
  }
}

/**
 * @param {'ours' | 'soketi'} kind
 * @param {Params} params
 * @param {import('../harness.mjs').Context} ctx
 */
function measureRecovery(kind, params, ctx) {
  return withDeployment(kind, params.nodes, (deployment) =>
    withWorkers('proxies', 1, ([proxies]) =>
      withWorkers('recovery-clients', ctx.clientWorkers, (clients) =>
        withWorkers('trigger', 1, ([publisher]) =>
          recoverAcrossCuts(
            kind,
            deployment,
            /** @type {Worker} */ (proxies),
            clients,
            /** @type {Worker} */ (publisher),
            params,
            ctx,
          ),
        ),
      ),
    ),
  );
}

/**
 * @param {'ours' | 'soketi'} kind
 * @param {import('../harness.mjs').Deployment} deployment
 * @param {Worker} proxies
 * @param {Worker[]} clients
 * @param {Worker} publisher
 * @param {Params} params
 * @param {import('../harness.mjs').Context} ctx
 */
async function recoverAcrossCuts(kind, deployment, proxies, clients, publisher, params, ctx) {
  const { nodes } = deployment;
  const first = /** @type {import('../targets.mjs').Target} */ (nodes[0]);
  const channels = Array.from({ length: params.subscribers }, (_, i) => `private-bench-recovery.${i}`);
  // Client process i goes through proxy i, first to node i mod N; in a cluster every cut sends the
  // reconnects to the next node (another node behind the load balancer).
  /** @param {number} round @returns {number[]} */
  const nodePorts = (round) =>
    clients.map((_, i) => /** @type {number} */ (nodes[(i + round) % nodes.length]?.port));
  const { ports } = await proxies.call('start', { targets: nodePorts(0) });
  const perClient = split(channels, clients.length);
  const connectStarted = performance.now();
  const opened = await Promise.all(
    clients.map((c, i) =>
      c.call(
        'open',
        {
          url: viaProxy(first.wsUrl, first.port, ports[i]),
          app: first.app,
          channels: perClient[i] ?? [],
          mode: kind === 'ours' ? 'recover' : 'plain',
          concurrency: 50,
          timeoutMs: 30_000,
        },
        600_000,
      ),
    ),
  );
  const failed = opened.reduce((a, r) => a + r.failed, 0);
  const connectMs = round(performance.now() - connectStarted, 1);
  ctx.log(`  ${kind}: ${params.subscribers - failed}/${params.subscribers} subscribed in ${connectMs} ms`);
  if (failed > 0) return { failed, errors: opened.flatMap((r) => r.errors).slice(0, 5), connectMs };
  await resetClients(clients);

  const before = { server: deploymentCpu(deployment), at: performance.now() };
  const cpuBefore = {
    clients: workersCpu(clients),
    publisher: workersCpu([publisher]),
    proxies: workersCpu([proxies]),
  };
  const started = performance.now();
  // Events are triggered on every node in turn, straight (not through the proxies).
  const servers = nodes.map((n) => ({ host: n.host, port: n.port, app: n.app }));
  const publishing = publisher.call(
    'run',
    {
      server: servers[0],
      servers,
      channels,
      durationMs: params.durationMs,
      inflight: 32,
      rate: params.subscribers * params.ratePerChannel,
      numbered: true,
    },
    params.durationMs + 60_000,
  );
  /** @type {{ atMs: number, connectionsCut: number }[]} */
  const cuts = [];
  for (let k = 0; k < params.cuts; k++) {
    const at = params.firstCutMs + k * params.cutEveryMs;
    await sleep(Math.max(0, at - (performance.now() - started)));
    const { cut } = await proxies.call('outage', {
      ms: params.outageMs,
      ...(nodes.length > 1 ? { retarget: nodePorts(k + 1) } : {}),
    });
    cuts.push({ atMs: round(performance.now() - started, 0), connectionsCut: cut });
    ctx.log(
      `  ${kind}: cut ${cut} connections, reconnects refused for ${params.outageMs} ms` +
        (nodes.length > 1 ? ', then sent to another node' : ''),
    );
  }
  const sent = await publishing;
  /** @type {Record<string, number>} */
  const expectedByChannel = Object.fromEntries(channels.map((c, i) => [c, sent.perChannel[i] ?? 0]));
  const { stats, seen } = await settle(clients, expectedByChannel);
  const server = deploymentCpu(deployment);
  const seconds = (performance.now() - before.at) / 1000;
  /** @param {number} cpuSeconds */
  const percent = (cpuSeconds) => round((100 * cpuSeconds) / seconds, 1);
  const proxyCounts = await proxies.call('counts');
  const gaps = Object.values(stats.gaps).reduce((a, n) => a + n, 0);
  return {
    subscribers: params.subscribers,
    connectMs,
    eventsSent: sent.ok,
    triggerFailed: sent.failed,
    triggerErrors: sent.errors,
    eventsPerSec: round(sent.ok / (sent.elapsedMs / 1000), 1),
    cuts,
    connectionsCut: cuts.reduce((a, c) => a + c.connectionsCut, 0),
    reconnectsRefused: proxyCounts.refused,
    deliveriesExpected: seen.expected,
    delivered: seen.distinct,
    lost: seen.expected - seen.distinct,
    duplicates: stats.duplicates,
    // Sent twice by the server and dropped by the client's position check (the app never saw them).
    droppedAtOrBelowPosition: stats.droppedAtOrBelowPosition,
    replayed: stats.replayed,
    replayedAnnounced: stats.replayedAnnounced,
    resubscribes: stats.resubscribes,
    recoverAsked: stats.recoverAsked,
    recovered: stats.recovered,
    gaps,
    gapsByReason: stats.gaps,
    notBackAtEnd: stats.connections - stats.subscribed,
    // Reconnected socket open → replay done; and connection lost → replay done (outage + back-off).
    recoveryMs: stats.recoveryMs.summary(1e-3),
    downMs: stats.downMs.summary(1e-3),
    liveLatencyMs: stats.latency.summary(1e-3),
    nodes: nodes.length,
    // Of one core, summed over the nodes; Redis apart (a cluster only).
    serverCpuPercent: percent(server.nodes - before.server.nodes),
    ...(deployment.redis ? { redisCpuPercent: percent(server.redis - before.server.redis) } : {}),
    clientCpuPercent: percent(workersCpu(clients) - cpuBefore.clients),
    publisherCpuPercent: percent(workersCpu([publisher]) - cpuBefore.publisher),
    // The proxies' own process: counted in none of the figures above.
    proxyCpuPercent: percent(workersCpu([proxies]) - cpuBefore.proxies),
    serverErrors: stats.serverErrors,
  };
}

/** @type {import('./index.mjs').Scenario<Params>} */
export const recovery = {
  name: 'recovery',
  summary:
    'subscribers on private history channels cut by fault proxies while events flow; lost, duplicates, replay',
  variants: (size) => [
    { name: 'recovery', params: { ...size.recovery, nodes: 1 }, connections: size.recovery.subscribers + 64 },
    {
      name: 'recovery-2-nodes',
      params: { ...size.recovery, nodes: 2 },
      connections: size.recovery.subscribers + 64,
    },
  ],
  measure: measureRecovery,
  ratios: [],
  shown: [
    'eventsSent',
    'deliveriesExpected',
    'delivered',
    'lost',
    'duplicates',
    'replayed',
    'gaps',
    'connectionsCut',
    'recoveryMs.p50',
    'recoveryMs.p99',
    'downMs.p50',
    'serverCpuPercent',
    'redisCpuPercent',
    'clientCpuPercent',
    'publisherCpuPercent',
    'proxyCpuPercent',
  ],
  checks: (variant) => [
    {
      metric: 'connectionsCut',
      label: 'every client cut at least once',
      atLeast: variant.params.subscribers,
    },
    { metric: 'triggerFailed', label: 'no failed trigger', equals: 0 },
    { metric: 'lost', label: '0 events lost across the cuts', equals: 0 },
    { metric: 'duplicates', label: 'no duplicate reaches the app', equals: 0 },
    { metric: 'gaps', label: 'no gap reported within the defaults', equals: 0 },
    { metric: 'notBackAtEnd', label: 'every client back and recovered', equals: 0 },
  ],
};
