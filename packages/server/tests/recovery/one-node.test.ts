/**
 * Recovery on one node (docs/protocol.md §11.1), with real cuts: a raw client reaches the real server
 * through the fault proxy, which resets its TCP connection (the client sees 1006, never a frame) and
 * refuses reconnects while events are triggered with the `pusher` SDK straight at the server. The
 * client then reconnects through the proxy and resubscribes with `recover`, as our client will.
 */
import { DEMO_APP_CONFIG, type FaultProxy, startFaultProxy, waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { sdkFor } from '../support/auth';
import { cleanupAfterEach } from '../support/cleanup';
import { unique } from '../support/ids';
import {
  afterAnswer,
  eventsOn,
  expectContiguous,
  ns,
  RecoveringClient,
  triggerBatches,
  triggerRange,
  wsUrlAt,
} from '../support/recovery';
import { startTestServer, type TestServer } from '../support/server';

const APP = { ...DEMO_APP_CONFIG, history: { max_events: 1000 } };
/** An app whose events are kept one second only. */
const SHORT_APP = { id: '5001', key: 'short-key', secret: 'short-secret', history: { ttl: 1 } };

let t: TestServer;
let proxy: FaultProxy;
let sdk: Pusher;
const defer = cleanupAfterEach();

beforeAll(async () => {
  t = await startTestServer([APP, SHORT_APP]);
  proxy = await startFaultProxy({ target: t.port });
  sdk = sdkFor(t);
});
afterAll(async () => {
  await proxy.close();
  await t.close();
});
afterEach(() => {
  proxy.accept();
});

/** A client of the demo app that connects through the proxy. */
async function clientThroughProxy(key = t.app.key, target = t): Promise<RecoveringClient> {
  const c = new RecoveringClient(target, wsUrlAt(proxy.port, key));
  await c.connect();
  defer(() => c.client.ws.terminate());
  return c;
}

/** Cuts every connection through the proxy and refuses new ones until `reconnect` is called. */
async function cutAndReconnect(c: RecoveringClient, whileDown: () => Promise<void>): Promise<void> {
  proxy.cut();
  proxy.refuse();
  await c.client.closed();
  await whileDown();
  proxy.accept();
  await c.connect();
  defer(() => c.client.ws.terminate());
}

/** Nothing leaked: no subscription is still held, no connection or channel is left once all closed. */
async function expectNoHolds(): Promise<void> {
  for (const stats of Object.values(t.server.stats().apps)) expect(stats.held).toBe(0);
}

describe('recovery on one node, across a real cut', () => {
  it('a fresh subscribe gets the stream position; every event carries its position, contiguous', async () => {
    const channel = unique('private-chat.');
    const c = await clientThroughProxy();
    const answer = await c.subscribe(channel);
    expect(answer.stream).toEqual({ epoch: expect.any(String), offset: 0 });
    expect(answer.recovery).toBeUndefined();
    const epoch = answer.stream?.epoch as string;
    await triggerRange(sdk, channel, 0, 3);
    const events = await c.received(channel, 3);
    expectContiguous(events, epoch, 1);
    // The position comes last, after the Pusher fields, byte for byte.
    expect(c.client.raw).toContain(
      `{"event":"App\\\\Events\\\\Msg","channel":"${channel}","data":"{\\"n\\":0}","offset":1,"epoch":"${epoch}"}`,
    );
  });

  it('replays every missed event once, in order, before any live event', async () => {
    const channel = unique('private-chat.');
    const c = await clientThroughProxy();
    const { stream } = await c.subscribe(channel);
    await triggerRange(sdk, channel, 0, 3);
    await c.received(channel, 3);

    await cutAndReconnect(c, () => triggerRange(sdk, channel, 3, 8));
    const answer = await c.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 5 });
    expect(answer.stream).toEqual({ epoch: stream?.epoch, offset: 8 });
    await triggerRange(sdk, channel, 8, 10);
    const events = await c.received(channel, 7);
    expect(ns(events)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expectContiguous(events, stream?.epoch as string, 4);
    // Nothing of the channel came between the answer and the replay.
    expect(afterAnswer(c.client, channel).map((f) => f.event)).toEqual(Array(7).fill('App\\Events\\Msg'));
    await expectNoHolds();
  });

  it('1,000 events during a cut arrive in order, with no duplicate', async () => {
    const channel = unique('private-feed.');
    const c = await clientThroughProxy();
    const { stream } = await c.subscribe(channel);
    await cutAndReconnect(c, () => triggerBatches(sdk, channel, 0, 1000));
    const answer = await c.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 1000 });
    await triggerRange(sdk, channel, 1000, 1001);
    const events = await c.received(channel, 1001, 20_000);
    expect(ns(events)).toEqual(Array.from({ length: 1001 }, (_, n) => n));
    expectContiguous(events, stream?.epoch as string, 1);
  }, 60_000);

  it('does not replay what the client itself caused (socket_id of its previous socket, toOthers())', async () => {
    const channel = unique('private-chat.');
    const c = await clientThroughProxy();
    await c.subscribe(channel);
    const previous = c.client.socketId;
    await cutAndReconnect(c, async () => {
      await triggerRange(sdk, channel, 0, 1);
      // Sent by the client's own request as the cut happened: Laravel's toOthers() excludes its socket.
      await triggerRange(sdk, channel, 1, 2, { socket_id: previous });
      // Another client's toOthers(): this one must get it.
      await triggerRange(sdk, channel, 2, 3, { socket_id: '1.1' });
      await triggerRange(sdk, channel, 3, 4, { socket_id: previous });
    });
    const answer = await c.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: true, replayed: 2 });
    // The client stands at the top: its own newest event is skipped, not missed.
    expect(answer.stream?.offset).toBe(4);
    await c.client.ping();
    expect(ns(eventsOn(c.client, channel))).toEqual([0, 2]);
  });

  it('rewind replays the last N events of a first subscribe; beyond max_events it says so', async () => {
    const channel = unique('private-news.');
    await triggerRange(sdk, channel, 0, 5);
    const c = await clientThroughProxy();
    expect((await c.subscribe(channel, { rewind: 2 })).recovery).toEqual({ recovered: true, replayed: 2 });
    await c.client.ping();
    expect(ns(eventsOn(c.client, channel))).toEqual([3, 4]);

    const d = await clientThroughProxy();
    expect((await d.subscribe(channel, { rewind: 1001 })).recovery).toEqual({
      recovered: false,
      replayed: 5,
      reason: 'rewind_limit',
    });
    await d.client.ping();
    expect(ns(eventsOn(d.client, channel))).toEqual([0, 1, 2, 3, 4]);

    // `recover` wins over `rewind`.
    const e = await clientThroughProxy();
    const position = { epoch: d.positions.get(channel)?.epoch, offset: 5 };
    expect((await e.subscribe(channel, { recover: position, rewind: 3 })).recovery).toEqual({
      recovered: true,
      replayed: 0,
    });
  });

  it('the #server-to-user- channel of a signed-in user recovers too (sendToUser)', async () => {
    const user = unique('u');
    const channel = `#server-to-user-${user}`;
    const c = await clientThroughProxy();
    await c.signIn(user);
    await c.subscribe(channel);
    await sdk.sendToUser(user, 'notification', { n: 0 });
    await c.received(channel, 1);
    await cutAndReconnect(c, async () => {
      for (const n of [1, 2]) await sdk.sendToUser(user, 'notification', { n });
    });
    await c.signIn(user);
    expect((await c.subscribe(channel, 'recover')).recovery).toEqual({ recovered: true, replayed: 2 });
    const events = await c.received(channel, 2);
    expect(ns(events)).toEqual([1, 2]);
  });

  it('cache channels: after a complete recovery the cached event is not sent again; otherwise after the replay', async () => {
    const channel = unique('private-cache-prices.');
    const c = await clientThroughProxy();
    await c.subscribe(channel);
    await c.client.nextEvent('pusher:cache_miss', channel);
    await cutAndReconnect(c, () => triggerRange(sdk, channel, 0, 2));
    expect((await c.subscribe(channel, 'recover')).recovery).toEqual({ recovered: true, replayed: 2 });
    await c.client.ping();
    expect(ns(eventsOn(c.client, channel))).toEqual([0, 1]);

    // A position of another epoch: incomplete, so the cached (last) event follows the replay.
    const d = await clientThroughProxy();
    const answer = await d.subscribe(channel, { recover: { epoch: 'gone', offset: 9 } });
    expect(answer.recovery).toEqual({ recovered: false, replayed: 2, reason: 'epoch_changed' });
    await d.client.ping();
    const after = afterAnswer(d.client, channel);
    expect(after.map((f) => [f.event, (f as { offset?: number }).offset])).toEqual([
      ['App\\Events\\Msg', 1],
      ['App\\Events\\Msg', 2],
      ['App\\Events\\Msg', undefined],
    ]);
  });

  it('presence channels recover; the member list comes with the stream', async () => {
    const channel = unique('presence-room.');
    const c = await clientThroughProxy();
    const first = await c.subscribe(channel, {}, 'ada');
    expect(first.presence?.ids).toEqual(['ada']);
    expect(first.stream?.offset).toBe(0);
    await cutAndReconnect(c, () => triggerRange(sdk, channel, 0, 2));
    const again = await c.subscribe(channel, 'recover', 'ada');
    expect(again.presence?.ids).toEqual(['ada']);
    expect(again.recovery).toEqual({ recovered: true, replayed: 2 });
    expect(ns(await c.received(channel, 2))).toEqual([0, 1]);
  });

  it('events older than the ttl: a gap with reason expired', async () => {
    const short = { ...t, app: { id: SHORT_APP.id, key: SHORT_APP.key, secret: SHORT_APP.secret } };
    const shortSdk = sdkFor(short);
    const channel = unique('private-chat.');
    const c = await clientThroughProxy(SHORT_APP.key, short);
    await c.subscribe(channel);
    await cutAndReconnect(c, async () => {
      await triggerRange(shortSdk, channel, 0, 2);
      await new Promise((resolve) => setTimeout(resolve, 1_300));
      await triggerRange(shortSdk, channel, 2, 3);
    });
    const answer = await c.subscribe(channel, 'recover');
    expect(answer.recovery).toEqual({ recovered: false, replayed: 1, reason: 'expired' });
    expect(ns(await c.received(channel, 1))).toEqual([2]);
  });
});

describe('recovery under a tiny memory budget', () => {
  it('events dropped by the budget: a gap with reason evicted; the retained rest is replayed', async () => {
    // About 430 bytes per stream and 150 per event of this size (docs/history.md): the second channel's
    // six events push out about three of the first channel's five, the least recently published.
    const small = await startTestServer([DEMO_APP_CONFIG], { history: { memoryBudgetBytes: 2_100 } });
    defer(() => small.close());
    const smallSdk = sdkFor(small);
    const channel = unique('private-a.');
    const c = new RecoveringClient(small, small.wsUrl());
    await c.connect();
    defer(() => c.client.ws.terminate());
    await c.subscribe(channel);
    c.client.ws.terminate();
    await triggerRange(smallSdk, channel, 0, 5);
    await triggerRange(smallSdk, unique('private-b.'), 0, 6);
    await c.connect();
    const answer = await c.subscribe(channel, 'recover');
    expect(answer.recovery).toMatchObject({ recovered: false, reason: 'evicted' });
    const replayed = answer.recovery?.replayed as number;
    expect(replayed).toBeGreaterThan(0);
    expect(replayed).toBeLessThan(5);
    const events = await c.received(channel, replayed);
    expect(ns(events)).toEqual([0, 1, 2, 3, 4].slice(5 - replayed));
    expectContiguous(events, answer.stream?.epoch as string, 6 - replayed);
  });
});

describe('recovery: bad input gets a clear answer, and nothing else', () => {
  it.each([
    ['an offset beyond the top', (epoch: string) => ({ epoch, offset: 99 })],
    ['a negative offset', (epoch: string) => ({ epoch, offset: -1 })],
    ['a fractional offset', (epoch: string) => ({ epoch, offset: 1.5 })],
    ['an offset as a string', (epoch: string) => ({ epoch, offset: '1' })],
    ['an epoch of 33 characters', () => ({ epoch: 'e'.repeat(33), offset: 1 })],
    ['an empty epoch', () => ({ epoch: '', offset: 1 })],
    ['six socket ids', (epoch: string) => ({ epoch, offset: 1, socket_ids: Array(6).fill('1.1') })],
    ['a socket id that is none', (epoch: string) => ({ epoch, offset: 1, socket_ids: ['x'] })],
    ['not an object', () => 'k2x9q1:1'],
  ])('%s: invalid_position, nothing replayed', async (_name, recover) => {
    const channel = unique('private-chat.');
    await triggerRange(sdk, channel, 0, 2);
    const probe = await clientThroughProxy();
    const epoch = (await probe.subscribe(channel)).stream?.epoch as string;
    const c = await clientThroughProxy();
    const answer = await c.subscribe(channel, { recover: recover(epoch) });
    expect(answer.recovery).toEqual({ recovered: false, replayed: 0, reason: 'invalid_position' });
    expect(answer.stream).toEqual({ epoch, offset: 2 });
    // Still subscribed: live events flow, and the socket is fine.
    await triggerRange(sdk, channel, 2, 3);
    expect(ns(await c.received(channel, 1))).toEqual([2]);
    expect(c.client.all('pusher:error')).toEqual([]);
  });

  it.each([[0], [-3], [2.5], ['5'], [true]])(
    'rewind %j: invalid_rewind, nothing replayed',
    async (rewind) => {
      const channel = unique('private-chat.');
      await triggerRange(sdk, channel, 0, 2);
      const c = await clientThroughProxy();
      const answer = await c.subscribe(channel, { rewind });
      expect(answer.recovery).toEqual({ recovered: false, replayed: 0, reason: 'invalid_rewind' });
      await c.client.ping();
      expect(eventsOn(c.client, channel)).toEqual([]);
    },
  );

  it("a position of another channel or another app replays only this channel's events, as a new epoch", async () => {
    const mine = unique('private-mine.');
    const theirs = unique('private-theirs.');
    await triggerRange(sdk, theirs, 100, 103);
    await triggerRange(sdk, mine, 0, 2);
    const spy = await clientThroughProxy();
    const theirEpoch = (await spy.subscribe(theirs)).stream?.epoch as string;
    const c = await clientThroughProxy();
    const answer = await c.subscribe(mine, { recover: { epoch: theirEpoch, offset: 1 } });
    expect(answer.recovery).toEqual({ recovered: false, replayed: 2, reason: 'epoch_changed' });
    await c.client.ping();
    expect(c.client.frames.filter((f) => f.channel === theirs)).toEqual([]);
    expect(ns(eventsOn(c.client, mine))).toEqual([0, 1]);

    // The same channel name in another app is another stream: its epoch means nothing here.
    const short = { ...t, app: { id: SHORT_APP.id, key: SHORT_APP.key, secret: SHORT_APP.secret } };
    const other = await clientThroughProxy(SHORT_APP.key, short);
    const otherAnswer = await other.subscribe(mine, { recover: answer.stream });
    expect(otherAnswer.recovery).toEqual({ recovered: false, replayed: 0, reason: 'epoch_changed' });
    expect(otherAnswer.stream?.epoch).not.toBe(answer.stream?.epoch);
  });

  it('a channel without history answers not_kept and no stream; no position on its events', async () => {
    const channel = unique('news.');
    const c = await clientThroughProxy();
    const answer = await c.subscribe(channel, { recover: { epoch: 'abc', offset: 3 } });
    expect(answer).toEqual({ recovery: { recovered: false, replayed: 0, reason: 'not_kept' } });
    const plain = await clientThroughProxy();
    expect(await plain.subscribe(channel)).toEqual({});
    await triggerRange(sdk, channel, 0, 1);
    const [event] = await c.received(channel, 1);
    expect(event).toEqual({ event: 'App\\Events\\Msg', channel, data: '{"n":0}' });
  });

  it('the server stays up and holds nothing once the clients are gone', async () => {
    const channel = unique('private-chat.');
    const c = await clientThroughProxy();
    c.client.send({
      event: 'pusher:subscribe',
      data: { channel, auth: 'x:y', recover: { epoch: 'a'.repeat(5_000), offset: 1e300 } },
    });
    await c.client.nextEvent('pusher:subscription_error', channel);
    for (const bad of [null, [], 'x', { epoch: 1 }, { offset: {} }]) {
      const name = unique('private-chat.');
      await c.subscribe(name, { recover: bad, rewind: bad });
    }
    await c.client.ping();
    await expectNoHolds();
    c.client.close();
    await waitFor(() => t.server.stats().connections === 0, 5_000, 'every connection gone');
    expect(t.server.stats()).toMatchObject({ connections: 0, channels: 0, subscriptions: 0, held: 0 });
  });
});
