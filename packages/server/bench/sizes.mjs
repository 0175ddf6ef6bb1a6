// Scenario parameters per size. `small` builds and checks the harness in under 2 minutes (both
// servers); `full` is the benchmark (about 10 minutes on 2 cores). Durations in milliseconds.

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
    fanoutRooms: { channels: 100, perChannel: 10, rate: 100, durationMs: 2000 },
    fanoutPresence: { channels: 3, members: 100, rate: 20, durationMs: 2000 },
    httpEvents: { inflight: 32, publishers: 2, durationMs: 2000 },
    httpBatch: { inflight: 32, publishers: 2, batchSize: 10, durationMs: 2000 },
    clientRtt: { pairs: 5, roundTrips: 40, minIntervalMs: 110, maxMs: 15_000 },
    clientLoad: { senders: 100, perSecond: 10, durationMs: 2000 },
    cluster: { nodes: 3, subscribers: 300, window: 32, durationMs: 2000 },
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
    fanoutRooms: { channels: 1000, perChannel: 10, rate: 200, durationMs: 10_000 },
    fanoutPresence: { channels: 20, members: 100, rate: 50, durationMs: 10_000 },
    httpEvents: { inflight: 32, publishers: 2, durationMs: 10_000 },
    httpBatch: { inflight: 32, publishers: 2, batchSize: 10, durationMs: 10_000 },
    // 3,000 round trips: with fewer, the p99 is the 10th worst of a thousand and swings ±30 % run to run.
    clientRtt: { pairs: 10, roundTrips: 300, minIntervalMs: 110, maxMs: 60_000 },
    clientLoad: { senders: 1000, perSecond: 10, durationMs: 10_000 },
    cluster: { nodes: 3, subscribers: 3000, window: 32, durationMs: 10_000 },
  },
};

/** @typedef {keyof typeof SIZES} SizeName */
/** @typedef {(typeof SIZES)['full']} SizeParams */
