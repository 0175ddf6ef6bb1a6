/**
 * The server-side activity probe of docs/protocol.md §9, as Reverb reads its settings: after ping_interval
 * seconds of silence the server sends pusher:ping (and a ping control frame); no answer within
 * ping_interval more → 4201. activity_timeout is only told to the client.
 */
import { waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { RawClient } from './support/raw-client';
import { sharedTestServer } from './support/server';

// Short timings so the probe happens within the test: 0.5 s of silence, 0.5 s to answer. The
// activity_timeout told to clients is longer: the server probes on its own setting only.
const t = sharedTestServer([{ id: '1', key: 'fast', secret: 's', activity_timeout: 5, ping_interval: 0.5 }]);

describe('activity probe', () => {
  it('sends activity_timeout from the app config', async () => {
    const c = await RawClient.open(t.wsUrl());
    expect(JSON.parse(c.frames[0]?.data as string).activity_timeout).toBe(5);
    c.close();
  });

  it('a silent client gets pusher:ping after ping_interval, then pusher:error 4201 and close 4201', async () => {
    const opened = Date.now();
    const c = await RawClient.open(t.wsUrl(), { autoPong: false });
    await c.nextEvent('pusher:ping');
    const probed = Date.now();
    expect(c.raw).toContain('{"event":"pusher:ping","data":"{}"}');
    // ping_interval (0.5 s) decides, not the 5 s activity_timeout the client was told.
    expect(probed - opened).toBeGreaterThanOrEqual(400);
    expect(probed - opened).toBeLessThan(4_500);
    const closed = await c.closed();
    expect(closed.code).toBe(4201);
    // The probed client had ping_interval more to answer.
    expect(Date.now() - probed).toBeGreaterThanOrEqual(400);
    expect(c.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4201,"message":"Pong reply not received"}}',
    );
    expect(t.server.stats().connections).toBe(0);
  });

  it('a client answering pusher:ping with pusher:pong stays connected', async () => {
    const c = await RawClient.open(t.wsUrl(), { autoPong: false });
    for (let i = 0; i < 2; i++) {
      await c.nextEvent('pusher:ping');
      c.send('{"event":"pusher:pong","data":{}}');
    }
    await c.nextEvent('pusher:ping');
    expect(c.closeCode).toBeUndefined();
    c.close();
  });

  it('a client answering ping control frames stays connected', async () => {
    const c = await RawClient.open(t.wsUrl()); // ws answers control pings by itself
    let pings = 0;
    c.ws.on('ping', () => {
      pings++;
    });
    await waitFor(() => pings >= 3, 10_000, 'three probes answered by control pongs');
    expect(c.closeCode).toBeUndefined();
    c.close();
  });
});
