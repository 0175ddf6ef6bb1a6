/** The server's event hooks (for the later webhooks/metrics issue) fire with the webhook semantics of §8. */
import { waitFor } from '@react-reverb/test-helpers';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ReverbEventMap, ReverbEventName } from '../src/shared/hooks';
import { joinPresence, joinPrivate } from './support/auth';
import { RawClient, subscribeFrame } from './support/raw-client';
import { sharedTestServer } from './support/server';

const t = sharedTestServer();
const seen: { name: ReverbEventName; payload: ReverbEventMap[ReverbEventName] }[] = [];
beforeAll(() => {
  for (const name of [
    'channel_occupied',
    'channel_vacated',
    'member_added',
    'member_removed',
    'client_event',
    'cache_miss',
  ] as const) {
    t.server.events.on(name, (payload) => seen.push({ name, payload }));
  }
});

describe('event hooks', () => {
  it('occupied/vacated once per channel, member events once per user, client events with user_id', async () => {
    const a = await RawClient.open(t.wsUrl());
    const b = await RawClient.open(t.wsUrl());
    for (const [c, user] of [
      [a, '1'],
      [b, '1'],
    ] as const) {
      await joinPresence(t, c, 'presence-hooks', user);
    }
    a.send({ event: 'client-hi', channel: 'presence-hooks', data: 'x' });
    await b.nextEvent('client-hi');
    a.send(subscribeFrame('cache-hooks'));
    await a.nextEvent('pusher:cache_miss');
    await joinPrivate(t, a, 'private-hooks');
    a.ws.terminate();
    b.close();
    await waitFor(() => seen.filter((e) => e.name === 'channel_vacated').length === 3, 5000, 'three vacated');
    const names = (n: ReverbEventName) => seen.filter((e) => e.name === n).map((e) => e.payload);
    expect(names('channel_occupied')).toEqual([
      { appId: t.app.id, channel: 'presence-hooks' },
      { appId: t.app.id, channel: 'cache-hooks' },
      { appId: t.app.id, channel: 'private-hooks' },
    ]);
    expect(names('member_added')).toEqual([{ appId: t.app.id, channel: 'presence-hooks', userId: '1' }]);
    expect(names('member_removed')).toEqual([{ appId: t.app.id, channel: 'presence-hooks', userId: '1' }]);
    expect(names('cache_miss')).toEqual([{ appId: t.app.id, channel: 'cache-hooks' }]);
    expect(names('client_event')).toEqual([
      {
        appId: t.app.id,
        channel: 'presence-hooks',
        event: 'client-hi',
        data: 'x',
        socketId: a.socketId,
        userId: '1',
      },
    ]);
  });
});
