/** Client events (whispers), every rule of docs/protocol.md §3.10, with literal frames. */
import { describe, expect, it } from 'vitest';
import { joinPresence, joinPrivate } from './support/auth';
import { rawClients } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer();
const connect = rawClients();

describe('delivery', () => {
  it('goes to the other subscribers, never back to the sender; object data is JSON-encoded once', async () => {
    const [a, b, c] = [await connect(t), await connect(t), await connect(t)];
    for (const x of [a, b, c]) await joinPrivate(t, x, 'private-chat');
    a.send('{"event":"client-typing","channel":"private-chat","data":{"typing":true}}');
    await b.nextEvent('client-typing');
    await c.nextEvent('client-typing');
    expect(b.raw.at(-1)).toBe(
      '{"event":"client-typing","channel":"private-chat","data":"{\\"typing\\":true}"}',
    );
    await a.ping();
    expect(a.all('client-typing')).toEqual([]);
  });

  it('string data passes through unchanged', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const x of [a, b]) await joinPrivate(t, x, 'private-str');
    a.send({ event: 'client-note', channel: 'private-str', data: 'plain text, not JSON' });
    expect((await b.nextEvent('client-note')).data).toBe('plain text, not JSON');
  });

  it('on presence channels the sender user_id is added', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const [x, id] of [
      [a, '17'],
      [b, '18'],
    ] as const) {
      await joinPresence(t, x, 'presence-room.1', id, { name: id });
    }
    a.send('{"event":"client-typing","channel":"presence-room.1","data":{"typing":true}}');
    await b.nextEvent('client-typing');
    expect(b.raw.at(-1)).toBe(
      '{"event":"client-typing","channel":"presence-room.1","data":"{\\"typing\\":true}","user_id":"17"}',
    );
  });
});

describe('refusals: pusher:error, the socket stays open, nobody receives it', () => {
  it('public channels', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const x of [a, b]) {
      await x.subscribe('public-room');
    }
    a.send('{"event":"client-x","channel":"public-room","data":{}}');
    expect((await a.nextEvent('pusher:error')).data).toEqual({
      code: 4009,
      message:
        'Client event client-x rejected: only private and presence channels accept client events (channel public-room)',
    });
    await b.ping();
    expect(b.all('client-x')).toEqual([]);
  });

  it('encrypted channels', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const x of [a, b]) await joinPrivate(t, x, 'private-encrypted-vault');
    a.send('{"event":"client-x","channel":"private-encrypted-vault","data":{}}');
    expect((await a.nextEvent('pusher:error')).data).toMatchObject({ code: 4009 });
    await b.ping();
    expect(b.all('client-x')).toEqual([]);
  });

  it('not subscribed', async () => {
    const a = await connect(t);
    a.send('{"event":"client-x","channel":"private-elsewhere","data":{}}');
    await a.nextEvent('pusher:error');
    expect(a.raw.at(-1)).toBe(
      '{"event":"pusher:error","data":{"code":4009,"message":"Cannot broadcast client event (connection not subscribed to channel private-elsewhere)"}}',
    );
  });

  it('data over 10 KB (with a max_message_size that lets the frame through)', async () => {
    const big = await startTestServer([{ id: '11', key: 'k11', secret: 's11', max_message_size: 50_000 }]);
    try {
      const [a, b] = [await connect(big), await connect(big)];
      for (const x of [a, b]) await joinPrivate(big, x, 'private-big');
      a.send({ event: 'client-big', channel: 'private-big', data: 'x'.repeat(10_241) });
      expect((await a.nextEvent('pusher:error')).data).toEqual({
        code: 4009,
        message: 'Client event client-big rejected: data over 10240 bytes',
      });
      a.send({ event: 'client-big', channel: 'private-big', data: 'x'.repeat(10_000) });
      expect((await b.nextEvent('client-big')).data).toHaveLength(10_000);
    } finally {
      await big.close();
    }
  });

  it('a frame over max_message_size', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const x of [a, b]) await joinPrivate(t, x, 'private-big');
    a.send({ event: 'client-big', channel: 'private-big', data: 'x'.repeat(10_241) });
    const error = await a.nextEvent('pusher:error');
    expect(error.data).toMatchObject({ code: 4200 });
    expect((error.data as { message: string }).message).toMatch(/^Message too large/);
    await b.ping();
    expect(b.all('client-big')).toEqual([]);
  });

  it('app with client events disabled', async () => {
    const off = await startTestServer([{ id: '8', key: 'k8', secret: 's8', client_events: false }]);
    try {
      const a = await connect(off);
      await joinPrivate(off, a, 'private-off');
      a.send('{"event":"client-x","channel":"private-off","data":{}}');
      expect((await a.nextEvent('pusher:error')).data).toEqual({
        code: 4009,
        message: 'Client events are disabled for this app (event client-x)',
      });
    } finally {
      await off.close();
    }
  });

  it('more than 10 per second: 4301, the connection stays open', async () => {
    const [a, b] = [await connect(t), await connect(t)];
    for (const x of [a, b]) await joinPrivate(t, x, 'private-flood');
    for (let i = 0; i < 15; i++) a.send({ event: 'client-flood', channel: 'private-flood', data: { i } });
    await a.nextEvent('pusher:error');
    expect(a.raw).toContain(
      '{"event":"pusher:error","data":{"code":4301,"message":"Client event rejected due to rate limit"}}',
    );
    await a.ping();
    await b.ping();
    // The window is one second: at most 10 got through, and the first 10 certainly did.
    const received = b.all('client-flood').map((f) => JSON.parse(f.data as string).i as number);
    expect(received.length).toBeLessThanOrEqual(10);
    expect(received.slice(0, 5)).toEqual([0, 1, 2, 3, 4]);
    expect(a.closeCode).toBeUndefined();
  });
});

describe('client_events_from', () => {
  it('"all" lets a connection whisper on a channel it has not subscribed to; "members" (default) does not', async () => {
    const open = await startTestServer([{ id: '12', key: 'k12', secret: 's12', client_events_from: 'all' }]);
    try {
      const [sender, listener] = [await connect(open), await connect(open)];
      await joinPrivate(open, listener, 'private-open');
      sender.send({ event: 'client-x', channel: 'private-open', data: 'hi' });
      expect((await listener.nextEvent('client-x')).data).toBe('hi');
      expect(sender.all('pusher:error')).toEqual([]);
    } finally {
      await open.close();
    }
  });
});
