/**
 * The node side of an adapter, for adapter tests: it records every message it is asked to apply and
 * answers questions from snapshots the test sets. The adapters under test are the real ones.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { deserialize, serialize } from 'node:v8';
import { type RedisHandle, waitFor } from '@react-reverb/test-helpers';
import { pino } from 'pino';
import {
  type Adapter,
  type AdapterMessage,
  type AdapterQuery,
  type AdapterQueryResults,
  type ChannelSnapshot,
  LocalAdapter,
  type LocalNode,
  type QueryOf,
} from '../../src/scaling/adapter';
import { MachineAdapter } from '../../src/scaling/machine-adapter';
import { MachineHub, type PurgedMember } from '../../src/scaling/machine-hub';
import { type Envelope, MachinePeer } from '../../src/scaling/machine-peer';
import { type AdapterLogger, RedisAdapter, type RedisAdapterOptions } from '../../src/scaling/redis-adapter';
import { redisConfig } from './redis';

export class RecordingNode implements LocalNode {
  readonly applied: AdapterMessage[] = [];
  /** appId → channel → what this node holds. */
  readonly snapshots = new Map<string, Record<string, ChannelSnapshot>>();

  constructor(readonly apps: readonly string[]) {}

  apply(message: AdapterMessage): void {
    this.applied.push(message);
  }

  answer<T extends AdapterQuery['type']>(query: QueryOf<T>): AdapterQueryResults[T] {
    return this.answerAny(query as AdapterQuery) as AdapterQueryResults[T];
  }

  private answerAny(query: AdapterQuery): unknown {
    if (!this.apps.includes(query.appId)) throw new Error(`Unknown app ${query.appId}`);
    const channels = this.snapshots.get(query.appId) ?? {};
    switch (query.type) {
      case 'channels':
        return Object.fromEntries(
          Object.entries(channels).filter(([name]) => name.startsWith(query.prefix ?? '')),
        );
      case 'channel':
        return channels[query.channel] ?? { subscriptionCount: 0 };
      case 'users':
        return [];
      case 'cache':
        return null;
    }
  }

  broadcasts(channel?: string): Extract<AdapterMessage, { type: 'broadcast' }>[] {
    return this.applied.filter(
      (m): m is Extract<AdapterMessage, { type: 'broadcast' }> =>
        m.type === 'broadcast' && (channel === undefined || m.channel === channel),
    );
  }
}

export interface TestCluster {
  readonly nodes: RecordingNode[];
  readonly adapters: Adapter[];
  /** The adapter of node `i`, wrapping around: tests spread work over however many nodes there are. */
  on(i: number): Adapter;
  node(i: number): RecordingNode;
  close(): Promise<void>;
}

export type ClusterFactory = (apps: readonly string[]) => Promise<TestCluster>;

function cluster(nodes: RecordingNode[], adapters: Adapter[]): TestCluster {
  return {
    nodes,
    adapters,
    on: (i) => adapters[i % adapters.length] as Adapter,
    node: (i) => nodes[i % nodes.length] as RecordingNode,
    close: async () => {
      await Promise.all(adapters.map((a) => a.close()));
    },
  };
}

export const localCluster: ClusterFactory = async (apps) => {
  const node = new RecordingNode(apps);
  return cluster([node], [new LocalAdapter(node)]);
};

/** A pino logger whose JSON lines the test can read. */
export function recordingLogger(): { logger: AdapterLogger; lines: () => Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) if (line !== '') lines.push(JSON.parse(line));
      done();
    },
  });
  return { logger: pino({ level: 'debug' }, stream), lines: () => lines };
}

export type RedisNodeOptions = Partial<Omit<RedisAdapterOptions, 'apps'>>;

/** Starts a Redis adapter for `node` and waits until it is connected and subscribed. */
export async function startRedisAdapter(
  redis: RedisHandle,
  node: RecordingNode,
  options: RedisNodeOptions & { prefix: string },
): Promise<RedisAdapter> {
  const adapter = new RedisAdapter(node, {
    nodeId: randomUUID(),
    redis: redisConfig(redis),
    apps: node.apps,
    logger: recordingLogger().logger,
    heartbeatMs: 500,
    ...options,
  });
  await adapter.ready();
  return adapter;
}

/** Three Redis adapters on one Redis, each under a fresh prefix, that know each other. */
export function redisClusterFactory(redis: () => RedisHandle, size = 3): ClusterFactory {
  return async (apps) => {
    const prefix = `t-${randomUUID().slice(0, 8)}`;
    const nodes = Array.from({ length: size }, () => new RecordingNode(apps));
    const adapters = await Promise.all(nodes.map((node) => startRedisAdapter(redis(), node, { prefix })));
    await waitFor(
      () => adapters.every((a) => a.stats().peers.length === size - 1),
      10_000,
      'nodes to see each other',
    );
    return cluster(nodes, adapters);
  };
}

/**
 * The in-machine adapter of `reverb start --workers N`, in one process: a `MachineHub` (the primary's
 * side) and `size` worker `MachineAdapter`s. The link is a faithful stand-in for the cluster's IPC
 * channel with `serialization: 'advanced'`: every batch goes through V8's serializer (what arrives is a
 * structured clone, never the sender's objects) and arrives in a later turn of the event loop, in order.
 * The real channel between real processes is tested in tests/workers/.
 */
export interface MachineTestCluster extends TestCluster {
  readonly hub: MachineHub;
  /** Members the hub told each worker about after a purge (for webhooks). */
  readonly purged: PurgedMember[][];
  /** Ends worker `i` as a crash would: its link is cut and the hub purges its share. */
  crash(i: number): void;
  /** Cuts worker `i`'s link without telling the hub (a worker that hangs). */
  silence(i: number): void;
}

export function machineClusterFactory(
  size = 3,
  hubOptions: { queryTimeoutMs?: number; now?: () => number } = {},
): (apps: readonly string[]) => Promise<MachineTestCluster> {
  return async (apps) => {
    const hub = new MachineHub({ logger: recordingLogger().logger, ...hubOptions });
    const nodes = Array.from({ length: size }, () => new RecordingNode(apps));
    const purged: PurgedMember[][] = nodes.map(() => []);
    const alive = nodes.map(() => true);
    const later = (deliver: (batch: Envelope[]) => void) => (batch: Envelope[]) => {
      const copy = deserialize(serialize(batch)) as Envelope[];
      setImmediate(() => deliver(copy));
    };
    const adapters = nodes.map((node, i) => {
      const workerPeer: MachinePeer = new MachinePeer(
        later((batch) => {
          if (alive[i]) hub.receive(i, batch);
        }),
      );
      hub.attach(
        i,
        later((batch) => {
          if (alive[i]) workerPeer.receive(batch);
        }),
      );
      const adapter = new MachineAdapter(node, workerPeer, {
        onPurged: (member) => purged[i]?.push(member),
      });
      hub.markListening(i);
      return adapter;
    });
    const base = cluster(nodes, adapters);
    return {
      ...base,
      hub,
      purged,
      crash(i) {
        alive[i] = false;
        hub.detach(i);
      },
      silence(i) {
        alive[i] = false;
      },
    };
  };
}

/**
 * One worker's `adapter` of a machine whose primary runs on `clock` (for the store contracts: the
 * history and the session state a worker reaches through the primary).
 */
export async function machineWorkerAdapter(clock: { now: number }): Promise<MachineTestCluster> {
  return machineClusterFactory(1, { now: () => clock.now })(['app-1', 'app-2']);
}
