/**
 * Property test for "never crash on bad input": arbitrary frames and arbitrary signed HTTP bodies get a
 * protocol answer (pusher:error or a 4xx JSON), the sender stays usable, and a bystander keeps receiving.
 */
import { signHttpRequest } from '@react-reverb/core/signing';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkFor } from './support/auth';
import { RawClient } from './support/raw-client';
import { sharedTestServer } from './support/server';

const t = sharedTestServer();
let bystander: RawClient;
beforeAll(async () => {
  bystander = await RawClient.open(t.wsUrl());
  await bystander.subscribe('bystander');
});
afterAll(() => bystander.close());

const eventNames = fc.constantFrom(
  'pusher:subscribe',
  'pusher:unsubscribe',
  'pusher:signin',
  'pusher:ping',
  'pusher:pong',
  'client-x',
  'pusher_internal:member_added',
  'other',
);

const frames = fc.oneof(
  fc.string(),
  fc.json(),
  fc
    .record({ event: eventNames, data: fc.jsonValue(), channel: fc.oneof(fc.string(), fc.jsonValue()) })
    .map((f) => JSON.stringify(f)),
  fc
    .record({
      event: eventNames,
      data: fc.record(
        {
          channel: fc.string(),
          auth: fc.jsonValue(),
          channel_data: fc.jsonValue(),
          user_data: fc.jsonValue(),
        },
        { requiredKeys: [] },
      ),
    })
    .map((f) => JSON.stringify(f)),
);

describe('fuzz', () => {
  it('arbitrary frames never break the server', async () => {
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(frames, { minLength: 1, maxLength: 8 }), async (batch) => {
        const c = await RawClient.open(t.wsUrl());
        for (const frame of batch) c.send(frame);
        await c.ping();
        expect(c.closeCode).toBeUndefined();
        c.ws.terminate();
        round++;
        await sdkFor(t).trigger('bystander', 'tick', String(round));
        expect((await bystander.nextEvent('tick')).data).toBe(String(round));
      }),
      { numRuns: 40 },
    );
  });

  it('arbitrary signed HTTP bodies get 200 or a 4xx JSON error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(fc.string(), fc.json()),
        fc.constantFrom('events', 'batch_events'),
        async (body, endpoint) => {
          const path = `/apps/${t.app.id}/${endpoint}`;
          const query = signHttpRequest({ method: 'POST', path, body, key: t.app.key, secret: t.app.secret });
          const response = await fetch(`${t.httpUrl}${path}?${new URLSearchParams(query)}`, {
            method: 'POST',
            body,
          });
          const json = (await response.json()) as Record<string, unknown>;
          if (response.status === 200) expect(json).not.toHaveProperty('error');
          else {
            expect([400, 401, 413]).toContain(response.status);
            expect(json).toEqual({ error: expect.any(String) });
          }
        },
      ),
      { numRuns: 60 },
    );
    const after = await fetch(`${t.httpUrl}/up`);
    expect(after.status).toBe(200);
  });
});
