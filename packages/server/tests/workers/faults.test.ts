/**
 * A worker of `reverb start --workers 2` SIGKILLed under load (a crash): the clients of the other
 * worker lose no event whose trigger was answered, the dead worker's presence members leave at once
 * (no ghost in the member lists or counts, webhooks sent), and the primary starts a new worker in its
 * slot, which serves clients as before. Metrics and the dashboard count the restart.
 */
import { DEMO_APP_CONFIG, type ServerHandle, waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { joinPresence, sdkFor } from '../support/auth';
import { channelInfo, getJson } from '../support/http-api';
import { dataOf, PUSHER_JS_QUERY, RawClient } from '../support/raw-client';
import { WebhookReceiver } from '../support/webhook-receiver';
import { childPids, clientsOnDistinctWorkers, startWorkers, workerOf } from '../support/workers';

let server: ServerHandle;
let hooks: WebhookReceiver;
let sdk: Pusher;
const url = () => `${server.wsUrl}/app/${DEMO_APP_CONFIG.key}?${PUSHER_JS_QUERY}`;

/** A new connection on the worker with `pid` (others opened meanwhile are closed). */
async function connectionOn(pid: number): Promise<RawClient> {
  for (let tries = 0; tries < 20; tries++) {
    const client = await RawClient.open(url());
    if ((await workerOf(server, client.socketId)).pid === pid) return client;
    client.close();
  }
  throw new Error(`no connection landed on worker ${pid}`);
}

beforeAll(async () => {
  hooks = await WebhookReceiver.start();
  server = await startWorkers(2, {
    apps: [
      {
        ...DEMO_APP_CONFIG,
        webhooks: [{ url: hooks.url, event_types: ['member_removed', 'channel_vacated'] }],
      },
    ],
    config: { metrics: { enabled: true }, dashboard: { enabled: true, token: 'dash' } },
  });
  sdk = sdkFor({ app: server.app, port: server.port });
});

afterAll(async () => {
  const code = await server?.stop();
  await hooks?.close();
  expect(code).toBe(0);
});

describe('a worker killed under load', () => {
  it('loses no event for the other worker’s clients, leaves no presence ghost, and is replaced', async () => {
    const room = 'presence-crash';
    const clients = await clientsOnDistinctWorkers(server, url());
    const [survivorSide, victimSide] = clients;
    const { client: survivor, worker: survivorWorker } = survivorSide as (typeof clients)[number];
    const { client: victim, worker: victimWorker } = victimSide as (typeof clients)[number];
    const victimPid = victimWorker.pid;
    // A second connection of the survivor's user on the victim's worker: it dies, the member stays.
    const twin = await connectionOn(victimPid);

    await survivor.subscribe('ticks');
    await victim.subscribe('ticks');
    await victim.subscribe('only-on-the-victim');
    await joinPresence(server, survivor, room, 'stays');
    await joinPresence(server, twin, room, 'stays');
    await joinPresence(server, victim, room, 'leaves');
    await survivor.nextEvent('pusher_internal:member_added', room);

    // One event at a time, so they are answered in order; SIGKILL in the middle.
    const answered: number[] = [];
    let stop = false;
    const publishing = (async () => {
      for (let n = 0; !stop && n < 2_000; n++) {
        try {
          await sdk.trigger('ticks', 'tick', { n });
          answered.push(n);
        } catch {
          // The request died with the worker that had it: the publisher knows it failed.
        }
      }
    })();
    await waitFor(() => answered.length >= 100, 10_000, '100 events before the kill');
    const killedAt = Date.now();
    process.kill(victimPid, 'SIGKILL');
    const removed = await survivor.nextEvent('pusher_internal:member_removed', room);
    const purgeMs = Date.now() - killedAt;
    const answeredAtKill = answered.length;
    await waitFor(() => answered.length >= answeredAtKill + 100, 15_000, '100 events after the kill');
    stop = true;
    await publishing;
    await survivor.ping();

    // Every answered event reached the survivor, once, in order.
    const received = survivor.all('tick', 'ticks').map((f) => dataOf<{ n: number }>(f).n);
    expect(received.filter((n) => answered.includes(n))).toEqual(answered);
    expect(new Set(received).size).toBe(received.length);
    expect(received).toEqual([...received].sort((a, b) => a - b));

    // The dead worker's member left at once; the member the survivor also holds did not.
    expect(dataOf(removed)).toEqual({ user_id: 'leaves' });
    expect(purgeMs).toBeLessThan(2_000);
    expect(survivor.all('pusher_internal:member_removed', room)).toHaveLength(1);
    expect(await getJson(sdk, `/channels/${room}/users`)).toEqual({ users: [{ id: 'stays' }] });
    expect(await channelInfo(sdk, 'ticks', 'subscription_count')).toEqual({
      occupied: true,
      subscription_count: 1,
    });
    expect(await channelInfo(sdk, 'only-on-the-victim')).toEqual({ occupied: false });
    expect(await getJson(sdk, '/connections')).toEqual({ connections: 1 });
    await waitFor(
      () =>
        hooks.events().some((e) => e.name === 'member_removed' && e.user_id === 'leaves') &&
        hooks.events().some((e) => e.name === 'channel_vacated' && e.channel === 'only-on-the-victim'),
      10_000,
      'the webhooks of the purge',
    );
    expect(hooks.events().filter((e) => e.name === 'member_removed')).toHaveLength(1);

    // A new worker took the slot: two workers again, one of them new, and it serves clients.
    await waitFor(() => childPids(server.process.pid as number).length === 2, 10_000, 'a new worker');
    const workers = childPids(server.process.pid as number);
    expect(workers).not.toContain(victimPid);
    expect(workers).toContain(survivorWorker.pid);
    const fresh = await connectionOn(workers.find((pid) => pid !== survivorWorker.pid) as number);
    const joined = await joinPresence(server, fresh, room, 'newcomer');
    expect(dataOf<{ presence: { ids: string[] } }>(joined).presence.ids).toEqual(['stays', 'newcomer']);
    await fresh.subscribe('ticks');
    await sdk.trigger('ticks', 'after', {});
    await fresh.nextEvent('after', 'ticks');
    await survivor.nextEvent('after', 'ticks');

    const metrics = await (await fetch(`${server.httpUrl}/metrics`)).text();
    expect(metrics).toMatch(/^reverb_worker_restarts_total 1$/m);
    expect(metrics).toMatch(/^reverb_workers 2$/m);
    // The machine's history lives in the primary: its gauges come once, from there (the presence room's stream).
    expect(metrics.match(/^reverb_history_streams (\d+)$/gm)).toHaveLength(1);
    expect(Number(/^reverb_history_streams (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThan(0);
    const stats = (await (await fetch(`${server.httpUrl}/dashboard/stats.json?token=dash`)).json()) as {
      workers: { restarts: number; connections: number }[];
    };
    expect(stats.workers.map((w) => w.restarts).sort()).toEqual([0, 1]);
    expect(stats.workers.reduce((total, w) => total + w.connections, 0)).toBe(2);
    for (const c of [survivor, victim, twin, fresh]) c.ws.terminate();
  });
});
