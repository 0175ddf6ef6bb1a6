/**
 * What only the in-machine adapter of `--workers N` does, beyond the contract: purging a dead worker's
 * share (its members leave once, the others hear it, one worker fires the webhooks, counts and quotas
 * drop), answering questions when a worker is silent, and the link itself (one batch per turn, order,
 * errors, close). The workers are in one process over the structured-clone stand-in of the IPC
 * channel (tests/support/adapters.ts); tests/workers/ kill real worker processes.
 */
import { encodeChannelEvent } from '@react-reverb/core/protocol';
import { waitFor } from '@react-reverb/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import { MachineHub, Topic } from '../../src/scaling/machine-hub';
import { type Envelope, MachineLinkError, MachinePeer } from '../../src/scaling/machine-peer';
import { type MachineTestCluster, machineClusterFactory, recordingLogger } from '../support/adapters';

const APP = 'app-1';
let c: MachineTestCluster | undefined;
afterEach(async () => {
  await c?.close();
  c = undefined;
});

const framesOn = (cluster: MachineTestCluster, i: number, channel: string) =>
  cluster
    .node(i)
    .broadcasts(channel)
    .map((m) => m.frame);

describe('a dead worker’s share of the machine', () => {
  it('is purged at once: its members leave, the others hear it once, one worker fires the webhooks', async () => {
    c = await machineClusterFactory(3)([APP]);
    const room = 'presence-room';
    await c.on(0).state.joinPresence(APP, room, 'shared', null, null);
    await c.on(2).state.joinPresence(APP, room, 'shared', null, null);
    await c.on(2).state.joinPresence(APP, room, 'gone', { name: 'G' }, null);
    await c.on(2).state.joinPresence(APP, room, 'gone', { name: 'G' }, null); // two tabs
    await c.on(2).state.joinPresence(APP, '#webhook-occupancy:news', 'occupied', undefined, null);
    await c.on(2).state.userOnline(APP, 'signed-in');
    expect(await c.on(2).state.reserveConnection(APP, 3)).toBe(true);
    expect(await c.on(2).state.reserveConnection(APP, 3)).toBe(true);
    expect(await c.on(0).state.reserveConnection(APP, 3)).toBe(true);
    expect(await c.on(0).state.reserveConnection(APP, 3)).toBe(false);
    await c.on(0).state.countSubscription(APP, 'counted', 1);
    expect(await c.on(2).state.countSubscription(APP, 'counted', 1)).toBe(2);

    c.crash(2);
    const survivors = [0, 1];
    await waitFor(
      () => survivors.every((i) => c?.node(i).applied.some((m) => m.type === 'user_status')),
      5_000,
      'the purge to reach the survivors',
    );
    for (const i of survivors) {
      const removed = framesOn(c, i, room);
      expect(removed).toHaveLength(1);
      expect(JSON.parse(removed[0] as string)).toEqual({
        event: 'pusher_internal:member_removed',
        channel: room,
        data: '{"user_id":"gone"}',
      });
      expect(c.node(i).applied).toContainEqual({
        type: 'user_status',
        appId: APP,
        userId: 'signed-in',
        online: false,
      });
      expect(framesOn(c, i, 'counted').map((f) => JSON.parse(f))).toEqual([
        { event: 'pusher_internal:subscription_count', channel: 'counted', data: '{"subscription_count":1}' },
      ]);
    }
    // Webhooks: exactly one worker is told, once, of each member that left (occupancy included).
    await waitFor(() => c !== undefined && c.purged.flat().length === 2, 5_000, 'the purge notice');
    expect(c.purged.filter((notices) => notices.length > 0)).toHaveLength(1);
    expect(c.purged.flat()).toEqual(
      expect.arrayContaining([
        { appId: APP, channel: room, userId: 'gone' },
        { appId: APP, channel: '#webhook-occupancy:news', userId: 'occupied' },
      ]),
    );
    // The machine's state no longer holds anything of the dead worker.
    expect((await c.on(0).state.presenceMembers(APP, room)).ids).toEqual(['shared']);
    expect(await c.on(1).state.onlineUsers(APP, ['signed-in'])).toEqual(new Set());
    expect(await c.on(1).state.openConnections(APP)).toBe(1);
    expect(await c.on(1).state.reserveConnection(APP, 3)).toBe(true);
    expect(await c.on(1).state.countSubscription(APP, 'counted', 1)).toBe(2);
    expect(c.node(2).applied).toEqual([]);
  });

  it('a leave or release a worker never joined or reserved changes nothing', async () => {
    c = await machineClusterFactory(2)([APP]);
    await c.on(0).state.joinPresence(APP, 'presence-x', 'u', null, null);
    expect(await c.on(1).state.leavePresence(APP, 'presence-x', 'u')).toBe('remaining');
    expect((await c.on(1).state.presenceMembers(APP, 'presence-x')).ids).toEqual(['u']);
    expect(await c.on(0).state.reserveConnection(APP, 1)).toBe(true);
    await c.on(1).state.releaseConnection(APP);
    expect(await c.on(1).state.reserveConnection(APP, 1)).toBe(false);
    expect(await c.on(0).state.countSubscription(APP, 'ch', 1)).toBe(1);
    expect(await c.on(1).state.countSubscription(APP, 'ch', -1)).toBe(1);
  });
});

describe('the purge notice (webhooks) when no other worker listens', () => {
  it('waits for the next worker that listens, and goes to it alone', async () => {
    const hub = new MachineHub({ logger: recordingLogger().logger });
    const notices: unknown[][] = [[], []];
    const connect = (id: number) => {
      const worker = new MachinePeer((batch) => setImmediate(() => hub.receive(id, structuredClone(batch))));
      worker.listen(Topic.purged, (body) => notices[id]?.push(...(body as unknown[])));
      hub.attach(id, (batch) => setImmediate(() => worker.receive(structuredClone(batch))));
      return worker;
    };
    const dying = connect(0);
    hub.markListening(0);
    const call = { target: 'state', method: 'joinPresence', args: [APP, 'presence-a', 'u', null, null] };
    expect(await dying.request(Topic.call, call)).toBe('first');
    hub.detach(0);
    connect(1);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(notices[1]).toEqual([]);
    hub.markListening(1);
    await waitFor(() => notices[1]?.length === 1, 1_000, 'the notice');
    expect(notices[1]).toEqual([{ appId: APP, channel: 'presence-a', userId: 'u' }]);
    expect(notices[0]).toEqual([]);
  });
});

describe('questions', () => {
  it('a silent worker is waited for at most the query timeout; the others’ answers are used', async () => {
    c = await machineClusterFactory(3, { queryTimeoutMs: 300 })([APP]);
    c.nodes.forEach((node, i) => {
      node.snapshots.set(APP, { orders: { subscriptionCount: i + 1 } });
    });
    c.silence(2);
    const started = Date.now();
    expect(await c.on(0).query({ type: 'channel', appId: APP, channel: 'orders' })).toEqual({
      subscriptionCount: 3,
    });
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
  });

  it('a worker that does not serve the app answers at once, and is not counted', async () => {
    c = await machineClusterFactory(2)([APP]);
    c.node(0).snapshots.set(APP, { orders: { subscriptionCount: 4 } });
    expect(await c.on(0).query({ type: 'channels', appId: APP })).toEqual({
      orders: { subscriptionCount: 4 },
    });
    expect(await c.on(1).query({ type: 'channel', appId: 'unknown', channel: 'x' })).toEqual({
      subscriptionCount: 0,
    });
  });

  it('relays broadcasts to the other workers only; the origin applied its own', async () => {
    c = await machineClusterFactory(3)([APP]);
    const frame = encodeChannelEvent('tick', 'orders', '1');
    await c.on(1).publish({ type: 'broadcast', appId: APP, channel: 'orders', frame });
    await waitFor(() => c?.nodes.every((n) => n.applied.length === 1) === true, 5_000, 'the broadcast');
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(c.nodes.map((n) => n.applied.length)).toEqual([1, 1, 1]);
  });
});

describe('the link (MachinePeer)', () => {
  function pair() {
    const sent: Envelope[][] = [];
    let b: MachinePeer;
    const a = new MachinePeer((batch) => {
      sent.push(batch);
      setImmediate(() => b.receive(structuredClone(batch)));
    });
    const errors: unknown[] = [];
    b = new MachinePeer(
      (batch) => setImmediate(() => a.receive(structuredClone(batch))),
      (error) => errors.push(error),
    );
    return { a, b, sent, errors };
  }

  it('sends everything of one turn as one batch, in order, requests and messages alike', async () => {
    const { a, b, sent } = pair();
    const seen: unknown[] = [];
    b.listen('m', (body) => seen.push(body));
    b.handle('q', (body) => {
      seen.push(body);
      return (body as number) * 2;
    });
    a.send('m', 1);
    const answer = a.request<number>('q', 2);
    a.send('m', 3);
    expect(await answer).toBe(4);
    await waitFor(() => seen.length === 3, 1_000, 'three');
    expect(seen).toEqual([1, 2, 3]);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.map((e) => e.kind)).toEqual(['message', 'request', 'message']);
  });

  it('a handler that throws or rejects answers with its error; a missing handler too', async () => {
    const { a, b } = pair();
    b.handle('boom', () => {
      throw new Error('sync boom');
    });
    b.handle('later', async () => {
      throw new Error('async boom');
    });
    await expect(a.request('boom', null)).rejects.toThrow('sync boom');
    await expect(a.request('later', null)).rejects.toThrow('async boom');
    await expect(a.request('nobody', null)).rejects.toMatchObject({ reason: 'remote' });
  });

  it('close rejects what is in flight and every later request; a timeout rejects one request', async () => {
    const { a } = pair();
    const silent = new MachinePeer(() => {});
    const timed = silent.request('q', null, 50);
    await expect(timed).rejects.toMatchObject({ reason: 'timeout' });
    const pending = a.request('never-answered', null);
    a.close('gone');
    await expect(pending).rejects.toBeInstanceOf(MachineLinkError);
    await expect(a.request('q', null)).rejects.toMatchObject({ reason: 'closed' });
    expect(a.inFlight).toBe(0);
  });
});
