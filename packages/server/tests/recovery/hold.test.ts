/**
 * The hold of docs/protocol.md §11.1: while a subscribe's history is read, live events of the channel
 * are kept for that connection and sent after the replay, each once. The real server, with its
 * one-node history behind a wrapper that can hold a read: either its answer (the read saw the stream
 * BEFORE the live events: they must follow the replay) or its start (the read sees them: the replay
 * brings them and the held copies must be dropped).
 */
import { waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  type Adapter,
  type AdapterQuery,
  type AdapterQueryResults,
  LocalAdapter,
  type QueryOf,
} from '../../src/scaling/adapter';
import type { AppendOptions, HistoryRead, HistoryStore, ReadRequest } from '../../src/scaling/history';
import type { MemoryHistory } from '../../src/scaling/memory-history';
import { presenceAuth, sdkFor } from '../support/auth';
import { unique } from '../support/ids';
import { rawClients } from '../support/raw-client';
import {
  afterAnswer,
  eventsOn,
  expectContiguous,
  ns,
  RecoveringClient,
  triggerRange,
} from '../support/recovery';
import { sharedTestServer } from '../support/server';

type Mode = 'answer' | 'start';

/** The node's MemoryHistory, with reads of chosen channels held until the test lets them go. */
class GatedHistory implements HistoryStore {
  private readonly gates = new Map<string, { mode: Mode; opened: Promise<void>; open: () => void }>();
  /** Reads waiting at a gate, by channel. */
  readonly waiting = new Map<string, number>();

  constructor(private readonly inner: MemoryHistory) {}

  gate(channel: string, mode: Mode): () => void {
    let open = () => {};
    const opened = new Promise<void>((resolve) => {
      open = resolve;
    });
    this.gates.set(channel, { mode, opened, open });
    return () => {
      this.gates.delete(channel);
      open();
    };
  }

  append(appId: string, channel: string, frame: string, options: AppendOptions) {
    return this.inner.append(appId, channel, frame, options);
  }

  async read(appId: string, channel: string, request: ReadRequest): Promise<HistoryRead> {
    const gate = this.gates.get(channel);
    if (!gate) return this.inner.read(appId, channel, request);
    this.waiting.set(channel, (this.waiting.get(channel) ?? 0) + 1);
    const early = gate.mode === 'answer' ? this.inner.read(appId, channel, request) : undefined;
    await gate.opened;
    return early ?? this.inner.read(appId, channel, request);
  }
}

let gated: GatedHistory;

function gatedAdapter(node: ConstructorParameters<typeof LocalAdapter>[0]): Adapter {
  const local = new LocalAdapter(node);
  gated = new GatedHistory(local.history);
  return {
    state: local.state,
    sessions: local.sessions,
    history: gated,
    publish: (message) => local.publish(message),
    query: <T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> =>
      local.query(query),
    close: () => local.close(),
  };
}

const t = sharedTestServer(undefined, {}, { adapter: gatedAdapter });
const open = rawClients();
let sdk: Pusher;
beforeAll(() => {
  sdk = sdkFor(t);
});

/** A client that has seen events 0..2 of `channel` and stands at offset 3. */
async function clientAtThree(channel: string): Promise<RecoveringClient> {
  await triggerRange(sdk, channel, 0, 3);
  const c = new RecoveringClient(t, t.wsUrl());
  c.client = await open(t);
  c.socketIds.push(c.client.socketId);
  await c.subscribe(channel, { rewind: 3 });
  await c.received(channel, 3);
  return c;
}

/** The same client on a new connection; the old one is cut. */
async function reconnected(c: RecoveringClient): Promise<RecoveringClient> {
  c.client?.ws.terminate();
  c.client = await open(t);
  c.socketIds.push(c.client.socketId);
  return c;
}

function sendRecover(c: RecoveringClient, channel: string): Promise<unknown> {
  return c.subscribe(channel, 'recover');
}

describe('live events during the history read (§11.1 hold)', () => {
  it('published after the read saw the stream: sent after the replay, once, in order', async () => {
    const channel = unique('private-chat.');
    const c = await reconnected(await clientAtThree(channel));
    const epoch = c.positions.get(channel)?.epoch as string;
    // The client missed 3 and 4 while away.
    await triggerRange(sdk, channel, 3, 5);
    c.positions.set(channel, { epoch, offset: 3 });
    const release = gated.gate(channel, 'answer');
    const answered = sendRecover(c, channel);
    await waitFor(() => gated.waiting.get(channel) === 1, 5_000, 'the read at the gate');
    // Live now: the read already answered offset 5 as the top.
    await triggerRange(sdk, channel, 5, 8);
    await c.client.ping();
    expect(c.client.frames.filter((f) => f.channel === channel)).toEqual([]);
    expect(t.server.stats().held).toBe(1);
    release();
    expect(await answered).toMatchObject({
      stream: { epoch, offset: 5 },
      recovery: { recovered: true, replayed: 2 },
    });
    await c.received(channel, 5);
    const after = afterAnswer(c.client, channel);
    expect(ns(after as never)).toEqual([3, 4, 5, 6, 7]);
    expectContiguous(after as never, epoch, 4);
    expect(t.server.stats().held).toBe(0);
  });

  it('published before the read looked: brought by the replay, the held copies dropped', async () => {
    const channel = unique('private-chat.');
    const c = await reconnected(await clientAtThree(channel));
    const epoch = c.positions.get(channel)?.epoch as string;
    const release = gated.gate(channel, 'start');
    const answered = sendRecover(c, channel);
    await waitFor(() => gated.waiting.get(channel) === 1, 5_000, 'the read at the gate');
    await triggerRange(sdk, channel, 3, 6);
    release();
    expect(await answered).toMatchObject({ recovery: { recovered: true, replayed: 3 } });
    await triggerRange(sdk, channel, 6, 7);
    await c.received(channel, 4);
    await c.client.ping();
    const after = afterAnswer(c.client, channel);
    expect(ns(after as never)).toEqual([3, 4, 5, 6]);
    expectContiguous(after as never, epoch, 4);
  });

  it('presence: a member_added that arrives meanwhile comes after the replay', async () => {
    const channel = unique('presence-room.');
    await triggerRange(sdk, channel, 0, 2);
    const c = new RecoveringClient(t, t.wsUrl());
    c.client = await open(t);
    const release = gated.gate(channel, 'answer');
    const answered = c.subscribe(channel, { rewind: 2 }, 'ada');
    await waitFor(() => gated.waiting.get(channel) === 1, 5_000, 'the read at the gate');
    release();
    await answered;
    // A second member joins while the first one's second subscribe is being read.
    const d = new RecoveringClient(t, t.wsUrl());
    d.client = await open(t);
    const releaseAgain = gated.gate(channel, 'answer');
    const secondAnswer = d.subscribe(channel, { rewind: 2 }, 'bob');
    await waitFor(() => gated.waiting.get(channel) === 2, 5_000, 'the second read at the gate');
    const late = await open(t);
    const p = presenceAuth(t, late.socketId, channel, 'cyd');
    late.send({ event: 'pusher:subscribe', data: { channel, auth: p.auth, channel_data: p.channel_data } });
    await c.client.next(
      (f) => f.event === 'pusher_internal:member_added' && String(f.data).includes('cyd'),
      'cyd joining',
    );
    releaseAgain();
    await secondAnswer;
    await waitFor(() => d.client.all('pusher_internal:member_added', channel).length === 1, 5_000, 'cyd');
    expect(afterAnswer(d.client, channel).map((f) => f.event)).toEqual([
      'App\\Events\\Msg',
      'App\\Events\\Msg',
      'pusher_internal:member_added',
    ]);
  });

  it('a connection that unsubscribes or goes away while held gets nothing more and leaves no hold', async () => {
    const channel = unique('private-chat.');
    const c = await reconnected(await clientAtThree(channel));
    const release = gated.gate(channel, 'answer');
    void sendRecover(c, channel).catch(() => {});
    const gone = await reconnected(new RecoveringClient(t, t.wsUrl()));
    gone.positions.set(channel, c.positions.get(channel) as never);
    void sendRecover(gone, channel).catch(() => {});
    await waitFor(() => gated.waiting.get(channel) === 2, 5_000, 'both reads at the gate');
    expect(t.server.stats().held).toBe(2);
    c.client.send({ event: 'pusher:unsubscribe', data: { channel } });
    gone.client.ws.terminate();
    await triggerRange(sdk, channel, 3, 4);
    await waitFor(() => t.server.stats().held === 0, 5_000, 'no hold left');
    release();
    await c.client.ping();
    expect(c.client.all('pusher_internal:subscription_succeeded', channel)).toEqual([]);
    expect(eventsOn(c.client, channel)).toEqual([]);
    expect(t.server.stats().apps[t.app.id]?.subscriptions).toBe(0);
  });
});
