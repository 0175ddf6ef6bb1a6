/** Prometheus metrics against the real server: off by default, token-protected, separate port, real traffic. */

import { encodeChannelEvent } from '@react-reverb/core/protocol';
import { DEMO_APP, freePort, startRedis, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { parseOperationsConfig } from '../src/config/operations-config';
import { ENTRY_OVERHEAD_BYTES, STREAM_OVERHEAD_BYTES } from '../src/scaling/memory-history';
import { joinPresence, joinPrivate, presenceAuth, privateAuth, sdkFor } from './support/auth';
import { cleanupAfterEach } from './support/cleanup';
import { rawClients, subscribeFrame } from './support/raw-client';
import { scalingOver } from './support/redis';
import { startOpsServer, type TestServer } from './support/server';

const defer = cleanupAfterEach();
const connect = rawClients();

async function server(file: Record<string, unknown>): Promise<TestServer> {
  const t = await startOpsServer({ apps: [{ ...DEMO_APP, client_events: true }], file });
  defer(() => t.close());
  return t;
}

/** The value of one sample line, e.g. `reverb_connections{app="4242"}`. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string, token?: string): Promise<string> {
  const response = await fetch(
    url,
    token === undefined ? {} : { headers: { Authorization: `Bearer ${token}` } },
  );
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
  return response.text();
}

describe('metrics', () => {
  it('are off by default', async () => {
    const t = await server({});
    expect((await fetch(`${t.httpUrl}/metrics`)).status).toBe(404);
  });

  it('on the main port need the token, and count real traffic by app', async () => {
    const t = await server({ metrics: { enabled: true, token: 'scrape-secret' } });
    const unauthorized = await fetch(`${t.httpUrl}/metrics`);
    expect(unauthorized.status).toBe(401);
    expect((await fetch(`${t.httpUrl}/metrics`, { headers: { Authorization: 'Bearer wrong' } })).status).toBe(
      401,
    );

    const a = await connect(t);
    const b = await connect(t);
    a.send(subscribeFrame('private-room', privateAuth(t, a.socketId, 'private-room')));
    await joinPrivate(t, b, 'private-room');
    await a.subscribe('news');
    for (let i = 0; i < 5; i++) a.send({ event: 'client-hi', channel: 'private-room', data: { i } });
    await waitFor(() => b.all('client-hi').length === 5, 5000, 'five whispers');
    await sdkFor(t).trigger('news', 'headline', { n: 1 });
    await a.nextEvent('headline', 'news');
    const badRequest = await fetch(`${t.httpUrl}/apps/${DEMO_APP.id}/events`, { method: 'POST', body: '{}' });
    expect(badRequest.status).toBeGreaterThanOrEqual(400);

    const text = await scrape(`${t.httpUrl}/metrics`, 'scrape-secret');
    const app = `app="${DEMO_APP.id}"`;
    expect(sample(text, `reverb_connections{${app}}`)).toBe(2);
    expect(sample(text, `reverb_connections_opened_total{${app}}`)).toBe(2);
    expect(sample(text, `reverb_subscriptions{${app},type="private"}`)).toBe(2);
    expect(sample(text, `reverb_subscriptions{${app},type="public"}`)).toBe(1);
    expect(sample(text, `reverb_channels{${app}}`)).toBe(2);
    // 3 subscribes + 5 whispers from the clients; at least that many frames went out.
    expect(sample(text, `reverb_messages_received_total{${app}}`)).toBe(8);
    expect(sample(text, `reverb_messages_sent_total{${app}}`)).toBeGreaterThanOrEqual(2 + 3 + 5 + 1);
    expect(sample(text, `reverb_bytes_received_total{${app}}`)).toBeGreaterThan(100);
    expect(sample(text, `reverb_bytes_sent_total{${app}}`)).toBeGreaterThan(100);
    expect(sample(text, `reverb_http_requests_total{${app},status="200"}`)).toBe(1);
    expect(sample(text, `reverb_http_requests_total{${app},status="${badRequest.status}"}`)).toBe(1);
    expect(text).toContain('nodejs_eventloop_lag_seconds');
    expect(text).toContain('process_resident_memory_bytes');
    expect(text).toContain('reverb_adapter_latency_seconds_bucket{le="0.001",op="publish"}');
    expect(text).toContain('reverb_webhooks_delivered_total');

    a.ws.terminate();
    await waitFor(
      async () =>
        sample(await scrape(`${t.httpUrl}/metrics`, 'scrape-secret'), `reverb_connections{${app}}`) === 1,
      5000,
      'connection gauge going down',
    );
  });

  it('count the bytes sent in UTF-8, replies and broadcasts alike', async () => {
    const t = await server({ metrics: { enabled: true } });
    const a = await connect(t);
    // Three bytes per ☃ on the wire, one UTF-16 unit in a string: a reply and a broadcast carry some.
    await joinPresence(t, a, 'presence-snow', '1', { name: '☃☃☃☃☃☃☃☃' });
    await sdkFor(t).trigger('presence-snow', 'flake', { text: '❄❄❄❄❄❄❄❄' });
    await a.nextEvent('flake', 'presence-snow');

    const sent = a.raw.reduce((bytes, frame) => bytes + Buffer.byteLength(frame), 0);
    expect(sent).toBeGreaterThan(a.raw.reduce((units, frame) => units + frame.length, 0));
    const text = await scrape(`${t.httpUrl}/metrics`);
    expect(sample(text, `reverb_bytes_sent_total{app="${DEMO_APP.id}"}`)).toBe(sent);
  });

  it('can live on a separate port, and the main port does not serve them', async () => {
    const port = await freePort();
    const t = await server({ metrics: { enabled: true, port } });
    expect(t.server.operations.metricsPort).toBe(port);
    await connect(t);
    const text = await scrape(`http://127.0.0.1:${port}/metrics`);
    expect(sample(text, `reverb_connections{app="${DEMO_APP.id}"}`)).toBe(1);
    expect((await fetch(`${t.httpUrl}/metrics`)).status).toBe(404);
    expect((await fetch(`http://127.0.0.1:${port}/other`)).status).toBe(404);
  });

  it('show the channel history this node keeps (one node), as the memory budget counts it', async () => {
    const t = await server({ metrics: { enabled: true } });
    const sdk = sdkFor(t);
    const frames: string[] = [];
    for (let n = 0; n < 3; n++) {
      await sdk.trigger('private-inbox', 'note', { n });
      frames.push(encodeChannelEvent('note', 'private-inbox', JSON.stringify({ n })));
    }
    // Public channels keep no history by default.
    await sdk.trigger('news', 'headline', { n: 1 });
    const text = await scrape(`${t.httpUrl}/metrics`);
    expect(sample(text, 'reverb_history_streams')).toBe(1);
    expect(sample(text, 'reverb_history_events')).toBe(3);
    expect(sample(text, 'reverb_history_bytes')).toBe(
      STREAM_OVERHEAD_BYTES +
        `${DEMO_APP.id}\u0000private-inbox`.length +
        frames.reduce((sum, frame) => sum + ENTRY_OVERHEAD_BYTES + frame.length, 0),
    );
  });

  it('time the Redis adapter and count its failures (real redis-server)', async () => {
    const redis = await startRedis();
    // stop() twice would wait for a second exit (test-helpers checks exitCode, not signalCode).
    let redisStopped = false;
    const stopRedis = async () => {
      if (!redisStopped) await redis.stop();
      redisStopped = true;
    };
    defer(stopRedis);
    const t = await startOpsServer({
      apps: [{ ...DEMO_APP }],
      file: { metrics: { enabled: true } },
      server: {
        scaling: scalingOver(redis, `metrics-${Date.now()}`),
      },
    });
    defer(() => t.close());
    await sdkFor(t).trigger('news', 'up', {});
    const before = await scrape(`${t.httpUrl}/metrics`);
    expect(sample(before, 'reverb_adapter_latency_seconds_count{op="publish"}')).toBe(1);
    expect(before).not.toMatch(/^reverb_adapter_errors_total\{/m);
    // The history is in Redis: this node has none of its own to show.
    expect(before).not.toContain('reverb_history_');
    // Presence joins go through the adapter's shared state (`adapter.state`): timed as well.
    const member = await connect(t);
    const auth = presenceAuth(t, member.socketId, 'presence-timed', 'u0');
    member.send({ event: 'pusher:subscribe', data: { channel: 'presence-timed', ...auth } });
    await member.nextEvent('pusher_internal:subscription_succeeded', 'presence-timed');
    const joined = await scrape(`${t.httpUrl}/metrics`);
    expect(sample(joined, 'reverb_adapter_latency_seconds_count{op="joinPresence"}')).toBe(1);

    await stopRedis();
    const c = await connect(t);
    const p = presenceAuth(t, c.socketId, 'presence-down', 'u1');
    c.send(subscribeFrame('presence-down', p.auth, p.channel_data));
    await waitFor(
      async () =>
        (await scrape(`${t.httpUrl}/metrics`)).match(/^reverb_adapter_errors_total\{op="[^"]+"\} [1-9]/m) !==
        null,
      10_000,
      'an adapter error counted',
    );
  });

  it('read REVERB_METRICS_* and refuse bad values', () => {
    const config = parseOperationsConfig(
      {},
      { REVERB_METRICS_ENABLED: 'true', REVERB_METRICS_PORT: '9100', REVERB_METRICS_TOKEN: 't' },
    );
    expect(config.metrics).toEqual({ enabled: true, port: 9100, path: '/metrics', token: 't' });
    expect(() => parseOperationsConfig({}, { REVERB_METRICS_PORT: 'abc' })).toThrow(/REVERB_METRICS_PORT/);
    expect(() => parseOperationsConfig({}, { REVERB_METRICS_ENABLED: 'maybe' })).toThrow(
      /REVERB_METRICS_ENABLED/,
    );
  });
});
