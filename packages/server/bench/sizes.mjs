// Scenario parameters per size. `small` checks the harness in about 7 minutes (both servers; each
// recovery variant's cuts and back-off take 25 s per server); `full` is the benchmark (about 27
// minutes on 2 cores). Durations in milliseconds.

export const SIZES = {
  small: {
    connections: {
      counts: [1000],
      sharedCounts: [1000],
      pingIntervalMs: 5000,
      lagMs: 2000,
      probeEveryMs: 20,
    },
    fanout: { subscribers: 500, rate: 20, durationMs: 2000 },
    fanoutFrames: { subscribers: 500, perRequest: 10, rate: 4, durationMs: 2000, blocks: 1 },
    everyCore: {
      workers: 2,
      subscribers: 500,
      window: 32,
      fanoutMs: 2000,
      rate: 20,
      pacedMs: 2000,
      httpMs: 2000,
      inflight: 32,
      publishers: 2,
      blocks: 1,
    },
    fanoutRooms: { channels: 100, perChannel: 10, rate: 100, durationMs: 2000 },
    fanoutPresence: { channels: 3, members: 100, rate: 20, durationMs: 2000 },
    httpEvents: { inflight: 32, publishers: 2, durationMs: 2000 },
    httpBatch: { inflight: 32, publishers: 2, batchSize: 10, durationMs: 2000 },
    clientRtt: { pairs: 5, roundTrips: 40, minIntervalMs: 110, maxMs: 15_000 },
    clientLoad: { senders: 100, perSecond: 10, durationMs: 2000 },
    cluster: { nodes: 3, subscribers: 300, window: 32, durationMs: 2000 },
    recovery: {
      subscribers: 200,
      ratePerChannel: 1,
      durationMs: 22_000,
      cuts: 2,
      firstCutMs: 2000,
      cutEveryMs: 10_000,
      outageMs: 3000,
    },
    historyCost: {
      subscribers: 500,
      rate: 40,
      fanoutMs: 2000,
      httpMs: 2000,
      inflight: 32,
      publishers: 2,
      blocks: 1,
      clusterNodes: 2,
    },
  },
  full: {
    // Above 10k only against ours: an absolute target (lag p99 < 50 ms), and soketi at 50k would add
    // about a minute and a half to the run. 17k is the most a hard `ulimit -n` of 20,000 allows (the
    // server holds one descriptor per connection), so a machine that cannot run 50k still shows a
    // large held count.
    connections: {
      counts: [1000, 10_000, 17_000, 50_000],
      sharedCounts: [10_000],
      pingIntervalMs: 10_000,
      lagMs: 5000,
      probeEveryMs: 20,
    },
    fanout: { subscribers: 10_000, rate: 3, durationMs: 10_000 },
    // 10 frames per socket at once (a batch of 10, a burst of 10) to 5,000 subscribers, 0.6 times a
    // second: 30,000 deliveries/s, the fan-out scenario's pace.
    fanoutFrames: { subscribers: 5000, perRequest: 10, rate: 0.6, durationMs: 10_000, blocks: 1 },
    // --workers 2 against one process, side by side: 5,000 subscribers on each, two ABBA blocks
    // (4 samples per side); throughput with at most 32 events outstanding until every client process
    // has them (with 8, a loaded machine's scheduling delays bounded it, not CPU), CPU per delivery at
    // 6 events/s (30,000 deliveries/s, the fan-out scenario's pace).
    everyCore: {
      workers: 2,
      subscribers: 5000,
      window: 32,
      fanoutMs: 6000,
      rate: 6,
      pacedMs: 5000,
      httpMs: 5000,
      inflight: 32,
      publishers: 2,
      blocks: 2,
    },
    fanoutRooms: { channels: 1000, perChannel: 10, rate: 200, durationMs: 10_000 },
    fanoutPresence: { channels: 20, members: 100, rate: 50, durationMs: 10_000 },
    httpEvents: { inflight: 32, publishers: 2, durationMs: 10_000 },
    httpBatch: { inflight: 32, publishers: 2, batchSize: 10, durationMs: 10_000 },
    // 3,000 round trips: with fewer, the p99 is the 10th worst of a thousand and swings ±30 % run to run.
    clientRtt: { pairs: 10, roundTrips: 300, minIntervalMs: 110, maxMs: 60_000 },
    clientLoad: { senders: 1000, perSecond: 10, durationMs: 10_000 },
    cluster: { nodes: 3, subscribers: 3000, window: 32, durationMs: 10_000 },
    // A notification's pace per channel (1 event/s on each of 1,000 private channels: 1,000 HTTP
    // triggers/s in all), cut 3 times for 3 s. Our client's back-off (at once, 2–3 s, 4–6 s) brings a
    // client back 6–9 s after a cut, so cuts are 12 s apart (small: 10 s) and the last one is over
    // before the events stop. `recovery-2-nodes` runs the same on a 2-node cluster.
    recovery: {
      subscribers: 1000,
      ratePerChannel: 1,
      durationMs: 40_000,
      cuts: 3,
      firstCutMs: 4000,
      cutEveryMs: 12_000,
      outageMs: 3000,
    },
    // History on vs off: 5,000 subscribers × 6 events/s = 30,000 deliveries/s (the fan-out scenario's
    // pace), two ABBA blocks (4 samples per side). Two nodes in the cluster: on 2 cores, three nodes
    // per side would measure the scheduler more than the history.
    historyCost: {
      subscribers: 5000,
      rate: 6,
      fanoutMs: 6000,
      httpMs: 5000,
      inflight: 32,
      publishers: 2,
      blocks: 2,
      clusterNodes: 2,
    },
  },
};

/** @typedef {keyof typeof SIZES} SizeName */
/** @typedef {(typeof SIZES)['full']} SizeParams */
