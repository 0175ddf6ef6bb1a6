/**
 * Webhooks (docs/protocol.md §8) against a real HTTP receiver, verified with the official `pusher` SDK's
 * webhook helper: signatures, exact Content-Type, every event kind, the reconnect window, batching,
 * retries, and the flush on shutdown.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_APP, DEMO_APP_CONFIG, startRedis, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { defineConfig } from '../src/config/config';
import { parseWebhooks } from '../src/config/webhooks-config';
import { joinPresence, sdkFor } from './support/auth';
import { cleanupAfterEach } from './support/cleanup';
import { startCliNode } from './support/cli';
import { rawClients, subscribeFrame } from './support/raw-client';
import { scalingOver } from './support/redis';
import { startOpsServer, type TestServer } from './support/server';
import { type Received, WebhookReceiver } from './support/webhook-receiver';

/** Verifies webhooks as an app would, with the `pusher` SDK's webhook helper. */
const sdk = sdkFor({ app: DEMO_APP_CONFIG });
const defer = cleanupAfterEach();
const connect = rawClients();

async function setup(
  webhook: Record<string, unknown> = {},
  operations: {
    webhookDelayMs?: number;
    webhookRetry?: { initialMs: number; maxMs: number; forMs: number };
  } = {
    webhookDelayMs: 1500,
  },
  app: Record<string, unknown> = {},
): Promise<{ t: TestServer; receiver: WebhookReceiver }> {
  const receiver = await WebhookReceiver.start();
  defer(() => receiver.close());
  const t = await startOpsServer({
    apps: [{ ...DEMO_APP, ...app, webhooks: [{ url: receiver.url, ...webhook }] }],
    operations,
  });
  let closed = false;
  defer(async () => {
    if (!closed) await t.close();
    closed = true;
  });
  return { t, receiver };
}

const names = (r: WebhookReceiver) => r.events().map((e) => `${e.name}:${e.channel}`);

describe('delivery', () => {
  it('signs every POST so the pusher SDK accepts it, with Content-Type exactly application/json', async () => {
    const { t, receiver } = await setup();
    const c = await connect(t);
    await c.subscribe('orders');
    await waitFor(() => receiver.received.length >= 1, 5000, 'channel_occupied webhook');
    const hook = receiver.received[0] as Received;
    expect(hook.headers['content-type']).toBe('application/json');
    expect(hook.headers['x-pusher-key']).toBe(DEMO_APP_CONFIG.key);
    const webhook = sdk.webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.rawBody });
    expect(webhook.isValid()).toBe(true);
    expect(webhook.getEvents()).toEqual([{ name: 'channel_occupied', channel: 'orders' }]);
    const body = JSON.parse(hook.rawBody) as { time_ms: number };
    expect(Math.abs(body.time_ms - Date.now())).toBeLessThan(60_000);
    // A tampered body fails the same check: the test can fail.
    const tampered = sdk.webhook({
      headers: hook.headers as Record<string, string>,
      rawBody: hook.rawBody.replace('orders', 'orderz'),
    });
    expect(tampered.isValid()).toBe(false);
  });

  it('sends every event kind with the fields of docs/protocol.md §8', async () => {
    const { t, receiver } = await setup({}, { webhookDelayMs: 200 }, { client_events: true });
    const a = await connect(t);
    const b = await connect(t);
    await joinPresence(t, a, 'presence-room', 'u1');
    await joinPresence(t, b, 'presence-room', 'u2');
    a.send({ event: 'client-typing', channel: 'presence-room', data: { on: true } });
    await b.nextEvent('client-typing', 'presence-room');
    await a.subscribe('cache-prices');
    b.send({ event: 'pusher:unsubscribe', data: { channel: 'presence-room' } });
    await waitFor(
      () => receiver.events().some((e) => e.name === 'member_removed'),
      5000,
      'member_removed webhook',
    );
    const events = receiver.events();
    expect(events).toContainEqual({ name: 'channel_occupied', channel: 'presence-room' });
    expect(events).toContainEqual({ name: 'member_added', channel: 'presence-room', user_id: 'u1' });
    expect(events).toContainEqual({ name: 'member_added', channel: 'presence-room', user_id: 'u2' });
    expect(events).toContainEqual({
      name: 'client_event',
      channel: 'presence-room',
      event: 'client-typing',
      data: '{"on":true}',
      socket_id: a.socketId,
      user_id: 'u1',
    });
    expect(events).toContainEqual({ name: 'cache_miss', channel: 'cache-prices' });
    expect(events).toContainEqual({ name: 'member_removed', channel: 'presence-room', user_id: 'u2' });
    for (const hook of receiver.received) {
      expect(
        sdk.webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.rawBody }).isValid(),
      ).toBe(true);
    }
  });

  it('sends subscription_count when the app enables it', async () => {
    const { t, receiver } = await setup(
      { event_types: ['subscription_count'] },
      { webhookDelayMs: 1500 },
      { subscription_count: true },
    );
    const a = await connect(t);
    const b = await connect(t);
    await a.subscribe('feed');
    await b.subscribe('feed');
    await waitFor(
      () => receiver.events().some((e) => e.subscription_count === 2),
      5000,
      'subscription_count 2',
    );
    expect(receiver.events().every((e) => e.name === 'subscription_count')).toBe(true);
    expect(receiver.events()).toContainEqual({
      name: 'subscription_count',
      channel: 'feed',
      subscription_count: 2,
    });
  });

  it('only sends the configured event_types', async () => {
    const { t, receiver } = await setup({ event_types: ['channel_vacated'] }, { webhookDelayMs: 100 });
    const c = await connect(t);
    await c.subscribe('only-vacated');
    c.send({ event: 'pusher:unsubscribe', data: { channel: 'only-vacated' } });
    await waitFor(() => receiver.received.length >= 1, 5000, 'channel_vacated webhook');
    expect(names(receiver)).toEqual(['channel_vacated:only-vacated']);
  });

  it('batches events within batch_ms into one signed POST', async () => {
    const { t, receiver } = await setup({ batch_ms: 300 });
    const c = await connect(t);
    for (const channel of ['b1', 'b2', 'b3']) c.send(subscribeFrame(channel));
    await c.nextEvent('pusher_internal:subscription_succeeded', 'b3');
    await waitFor(() => receiver.events().length >= 3, 5000, 'three batched events');
    expect(receiver.received).toHaveLength(1);
    expect(names(receiver)).toEqual(['channel_occupied:b1', 'channel_occupied:b2', 'channel_occupied:b3']);
    const hook = receiver.received[0] as Received;
    expect(
      sdk.webhook({ headers: hook.headers as Record<string, string>, rawBody: hook.rawBody }).isValid(),
    ).toBe(true);
  });
});

describe('the reconnect window', () => {
  it('drops channel_vacated and member_removed when the client comes back in time', async () => {
    const { t, receiver } = await setup({}, { webhookDelayMs: 1500 });
    const first = await connect(t);
    await joinPresence(t, first, 'presence-blip', 'u9');
    await waitFor(() => receiver.events().length >= 2, 5000, 'occupied + member_added');
    first.ws.terminate();
    // The client reconnects with a new socket and subscribes again, well inside the window.
    const again = await connect(t);
    await joinPresence(t, again, 'presence-blip', 'u9');
    // Something after the window proves time has passed: a fresh channel's occupied arrives after it.
    await new Promise((resolve) => setTimeout(resolve, 1800));
    await again.subscribe('marker');
    await waitFor(() => names(receiver).includes('channel_occupied:marker'), 5000, 'marker');
    // Each event is its own POST, so only the set is fixed, not the arrival order.
    expect(names(receiver).sort()).toEqual([
      'channel_occupied:marker',
      'channel_occupied:presence-blip',
      'member_added:presence-blip',
    ]);
  });

  it('sends them once the window has passed', async () => {
    const { t, receiver } = await setup({}, { webhookDelayMs: 300 });
    const c = await connect(t);
    await joinPresence(t, c, 'presence-gone', 'u5');
    c.ws.terminate();
    await waitFor(() => receiver.events().length >= 4, 5000, 'four events');
    // Separate POSTs: the two delayed ones may arrive in either order.
    const events = receiver.events();
    expect(events).toHaveLength(4);
    expect(events).toContainEqual({ name: 'channel_occupied', channel: 'presence-gone' });
    expect(events).toContainEqual({ name: 'member_added', channel: 'presence-gone', user_id: 'u5' });
    expect(events).toContainEqual({ name: 'member_removed', channel: 'presence-gone', user_id: 'u5' });
    expect(events).toContainEqual({ name: 'channel_vacated', channel: 'presence-gone' });
  });
});

describe('retries', () => {
  it('retries a non-2xx answer with backoff until it is accepted, with the same signed body', async () => {
    const { t, receiver } = await setup({}, { webhookRetry: { initialMs: 50, maxMs: 200, forMs: 10_000 } });
    receiver.statuses = [500, 503];
    const c = await connect(t);
    await c.subscribe('retry-me');
    await waitFor(() => receiver.received.length >= 3, 5000, 'three attempts');
    expect(receiver.received.map((r) => r.status)).toEqual([500, 503, 200]);
    const bodies = new Set(receiver.received.map((r) => r.rawBody));
    expect(bodies.size).toBe(1);
    expect(t.server.operations.metrics).toBeUndefined();
  });

  it('retries network failures and gives up after the retry window, logging the drop', async () => {
    const dead = await WebhookReceiver.start();
    const url = dead.url;
    await dead.close(); // nothing listens there any more: connection refused
    const t = await startOpsServer({
      apps: [{ ...DEMO_APP, webhooks: [url] }],
      operations: { webhookRetry: { initialMs: 50, maxMs: 100, forMs: 400 } },
    });
    defer(() => t.close());
    const c = await connect(t);
    await c.subscribe('nobody-listens');
    await waitFor(() => traffic(t).webhooksDropped === 1, 5000, 'webhook dropped');
    expect(traffic(t).webhookFailures).toBeGreaterThanOrEqual(3);
    expect(traffic(t).webhooksDelivered).toBe(0);
  });
});

describe('shutdown', () => {
  it('sends pending channel_vacated at once when the server stops', async () => {
    const { t, receiver } = await setup({}, { webhookDelayMs: 60_000 });
    const c = await connect(t);
    await c.subscribe('closing-time');
    await waitFor(() => receiver.received.length >= 1, 5000, 'occupied');
    await t.close();
    // close() resolved only after the delayed channel_vacated was delivered.
    expect(names(receiver)).toEqual(['channel_occupied:closing-time', 'channel_vacated:closing-time']);
  });
});

describe('cluster (two nodes on a real redis-server)', () => {
  it('sends channel_occupied and channel_vacated once for the cluster, member events once', async () => {
    const redis = await startRedis();
    defer(() => redis.stop());
    const receiver = await WebhookReceiver.start();
    defer(() => receiver.close());
    const prefix = `wh-${Date.now()}`;
    const node = async () => {
      const t = await startOpsServer({
        apps: [{ ...DEMO_APP, webhooks: [receiver.url] }],
        operations: { webhookDelayMs: 300 },
        server: {
          scaling: scalingOver(redis, prefix),
        },
      });
      defer(() => t.close());
      return t;
    };
    const [n1, n2] = [await node(), await node()];
    const a = await connect(n1);
    const b = await connect(n2);
    await joinPresence(n1, a, 'presence-shared', 'ua');
    await waitFor(() => receiver.events().length >= 2, 5000, 'first node announces');
    await joinPresence(n2, b, 'presence-shared', 'ub');
    await waitFor(
      () => receiver.events().some((e) => e.name === 'member_added' && e.user_id === 'ub'),
      5000,
      'second member',
    );
    // The second node's local "occupied" is not a cluster change: no second channel_occupied.
    a.ws.terminate();
    await waitFor(
      () => receiver.events().some((e) => e.name === 'member_removed' && e.user_id === 'ua'),
      5000,
      'member_removed ua',
    );
    b.ws.terminate();
    await waitFor(() => names(receiver).includes('channel_vacated:presence-shared'), 5000, 'cluster vacated');
    await waitFor(
      () => names(receiver).filter((n) => n.startsWith('member_removed')).length === 2,
      5000,
      'ub removed',
    );
    const all = names(receiver);
    expect(all.filter((n) => n === 'channel_occupied:presence-shared')).toHaveLength(1);
    expect(all.filter((n) => n === 'channel_vacated:presence-shared')).toHaveLength(1);
    expect(all.filter((n) => n === 'member_added:presence-shared')).toHaveLength(2);
    expect(all.filter((n) => n === 'member_removed:presence-shared')).toHaveLength(2);
  });
});

describe('cluster: a node that crashes', () => {
  it('the node that purges it sends channel_vacated for channels only the dead node held', async () => {
    const redis = await startRedis();
    defer(() => redis.stop());
    const receiver = await WebhookReceiver.start();
    defer(() => receiver.close());
    const prefix = `crash-${Date.now()}`;
    const app = {
      ...DEMO_APP,
      webhooks: [{ url: receiver.url, event_types: ['channel_occupied', 'channel_vacated'] }],
    };
    // The survivor runs in-process; the victim is a real process we can SIGKILL.
    const survivor = await startOpsServer({
      apps: [app],
      server: {
        scaling: scalingOver(redis, prefix),
      },
    });
    defer(() => survivor.close());
    const victim = await startCliNode(
      { apps: [app] },
      {
        REVERB_SCALING_ENABLED: 'true',
        REDIS_URL: redis.url,
        REVERB_SCALING_CHANNEL: prefix,
        REVERB_PID_DIR: mkdtempSync(join(tmpdir(), 'rr-pids-')),
      },
    );
    defer(() => victim.kill());
    const c = await connect(victim.wsUrl(DEMO_APP.key));
    await c.subscribe('orphaned');
    await waitFor(
      () => names(receiver).includes('channel_occupied:orphaned'),
      5000,
      'occupied by the victim',
    );
    victim.kill();
    // Heartbeat 2 s × (3 missed + 1) plus a round trip is 8 s; the rest is headroom for a loaded CI
    // machine (this once timed out at 20 s there). On failure, say what did arrive.
    await waitFor(
      () => names(receiver).includes('channel_vacated:orphaned'),
      30_000,
      'vacated by the survivor',
    ).catch((error: Error) => {
      throw new Error(`${error.message}; webhooks received: ${names(receiver).join(', ')}`);
    });
    expect(names(receiver)).toEqual(['channel_occupied:orphaned', 'channel_vacated:orphaned']);
  }, 50_000);
});

describe('configuration', () => {
  it('refuses bad webhook entries with the setting named', () => {
    const app = (webhooks: unknown[]) => defineConfig({ apps: [{ ...DEMO_APP_CONFIG, webhooks }] }).apps[0];
    const bad: [unknown, RegExp][] = [
      ['ftp://x', /webhooks\[0\]\.url must be an http/],
      [{ url: 'http://x', event_types: ['nope'] }, /event_types has an unknown event "nope"/],
      [{ url: 'http://x', batch_ms: -1 }, /batch_ms must be/],
      [{ url: 'http://x', headers: { 'X-Pusher-Signature': 'x' } }, /is set by the server/],
      [{ url: 'http://x', retries: 3 }, /webhooks\[0\]\.retries is not a known webhook setting/],
    ];
    for (const [entry, message] of bad) {
      const config = app([entry]);
      if (!config) throw new Error('no app');
      expect(() => parseWebhooks(config)).toThrow(message);
    }
    const good = app(['https://example.test/hook']);
    if (!good) throw new Error('no app');
    // Without event_types, every event: §8's seven and §11.2's session_replaced.
    expect([...(parseWebhooks(good)[0]?.eventTypes ?? [])]).toEqual([
      'channel_occupied',
      'channel_vacated',
      'member_added',
      'member_removed',
      'client_event',
      'cache_miss',
      'subscription_count',
      'session_replaced',
    ]);
  });
});

function traffic(t: TestServer) {
  return t.server.operations.traffic.forApp(t.app.id);
}
