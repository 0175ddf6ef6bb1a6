/**
 * Encode once, frame once: both write paths deliver identical frames, and a socket over its buffer
 * budget is closed with 4100 while the others keep receiving. One write per socket per turn: a
 * socket's frames of one turn are written together, in order, and held frames never count against a
 * client's buffer budget.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { broadcastStats, frameOnceSupported, isFrameOnce, setFrameOnce } from '../src/socket/broadcast';
import { isWriteCoalescing, setWriteCoalescing, turnWriteStats } from '../src/socket/turn-writes';
import { sdkFor } from './support/auth';
import { RawClient, rawClients } from './support/raw-client';
import { sharedTestServer, startTestServer } from './support/server';

const t = sharedTestServer();
const connect = rawClients();
afterEach(() => {
  setFrameOnce(true);
  setWriteCoalescing(true);
});

async function subscribers(channel: string, n: number): Promise<RawClient[]> {
  const clients: RawClient[] = [];
  for (let i = 0; i < n; i++) {
    const c = await connect(t.wsUrl());
    await c.subscribe(channel);
    clients.push(c);
  }
  return clients;
}

describe('write paths', () => {
  it('this ws build supports frame-once, and it is on by default', () => {
    expect(frameOnceSupported).toBe(true);
    expect(isFrameOnce()).toBe(true);
  });

  it.each([
    ['frame once (Sender.frame + sendFrame)', true, 'framedOnce'],
    ['fallback ws.send(buffer)', false, 'sentPlain'],
  ] as const)('%s delivers the same literal frame to every subscriber', async (_name, frameOnce, counter) => {
    setFrameOnce(frameOnce);
    const clients = await subscribers(`paths-${counter}`, 4);
    const before = broadcastStats[counter];
    const data = JSON.stringify({ text: 'héllo ✓', n: 1 });
    await sdkFor(t).trigger(`paths-${counter}`, 'greet', { text: 'héllo ✓', n: 1 });
    for (const c of clients) {
      await c.nextEvent('greet');
      expect(c.raw.at(-1)).toBe(JSON.stringify({ event: 'greet', channel: `paths-${counter}`, data }));
    }
    expect(broadcastStats[counter] - before).toBe(4);
  });

  it('10 KB frames (16-bit length header) go through the frame-once path intact', async () => {
    const big = await startTestServer([{ id: '1', key: 'k', secret: 's' }], { maxRequestSize: 200_000 });
    try {
      const c = await RawClient.open(big.wsUrl());
      await c.subscribe('big');
      // HTTP data is limited to 10 KB, so a long channel-name-free payload is built from a batch of events.
      const payload = 'y'.repeat(10_000);
      await sdkFor(big).triggerBatch(
        Array.from({ length: 10 }, (_, i) => ({ channel: 'big', name: `e${i}`, data: payload })),
      );
      for (let i = 0; i < 10; i++) expect((await c.nextEvent(`e${i}`)).data).toBe(payload);
      c.close();
    } finally {
      await big.close();
    }
  });
});

describe('one write per socket per turn', () => {
  it('is on by default', () => {
    expect(isWriteCoalescing()).toBe(true);
  });

  it.each([
    ['on', true, 1],
    ['off', false, 0],
  ] as const)(
    '%s: a batch of 10 events reaches every subscriber in order, corked once per socket',
    async (_name, on, corksPerSocket) => {
      setWriteCoalescing(on);
      const channel = `turn-${_name}`;
      const clients = await subscribers(channel, 3);
      const before = turnWriteStats.corked;
      await sdkFor(t).triggerBatch(
        Array.from({ length: 10 }, (_, i) => ({ channel, name: 'step', data: String(i) })),
      );
      for (const c of clients) {
        for (let i = 0; i < 10; i++) expect((await c.nextEvent('step')).data).toBe(String(i));
      }
      // The 10 frames of the batch share one cork (and so one write) per socket; none when off.
      expect(turnWriteStats.corked - before).toBe(3 * corksPerSocket);
    },
  );

  it('a fast client is not judged by the frames held for the turn: 50 KB in one batch under a 32 KB budget', async () => {
    const tight = await startTestServer([{ id: '1', key: 'k', secret: 's' }], {
      maxBufferedBytes: 32 * 1024,
      maxRequestSize: 200_000,
    });
    try {
      const c = await connect(tight.wsUrl());
      await c.subscribe('held');
      const payload = 'h'.repeat(5_000);
      const skippedBefore = broadcastStats.skippedOverCapacity;
      await sdkFor(tight).triggerBatch(
        Array.from({ length: 10 }, (_, i) => ({ channel: 'held', name: `e${i}`, data: payload })),
      );
      for (let i = 0; i < 10; i++) expect((await c.nextEvent(`e${i}`)).data).toBe(payload);
      expect(broadcastStats.skippedOverCapacity).toBe(skippedBefore);
      expect(c.closeCode).toBeUndefined();
    } finally {
      await tight.close();
    }
  });
});

describe('backpressure', () => {
  it('a socket that stops reading is closed with 4100; the others keep receiving', async () => {
    const small = await startTestServer([{ id: '1', key: 'k', secret: 's' }], {
      maxBufferedBytes: 64 * 1024,
      maxRequestSize: 200_000,
    });
    try {
      const open = async () => {
        const c = await connect(small.wsUrl());
        await c.subscribe('firehose');
        return c;
      };
      const slow = await open();
      const fast = await open();
      // The slow client stops reading from its TCP socket: the server's send buffer fills up.
      slow.pauseReading();
      const sdk = sdkFor(small);
      const payload = 'z'.repeat(9_000);
      const skippedBefore = broadcastStats.skippedOverCapacity;
      let closedSlow = false;
      for (let round = 0; round < 200 && !closedSlow; round++) {
        await sdk.triggerBatch(
          Array.from({ length: 10 }, () => ({ channel: 'firehose', name: 'load', data: payload })),
        );
        closedSlow = broadcastStats.skippedOverCapacity > skippedBefore;
      }
      expect(closedSlow).toBe(true);
      slow.resumeReading();
      const closed = await slow.closed(35_000);
      expect(closed.code).toBe(4100);
      await sdk.trigger('firehose', 'after', 'ok');
      await fast.nextEvent('after');
    } finally {
      await small.close();
    }
  });
});

describe('permessage-deflate (opt-in)', () => {
  it('sockets that negotiate it get the plain path and still receive every frame', async () => {
    const deflate = await startTestServer([{ id: '1', key: 'k', secret: 's' }], { perMessageDeflate: true });
    try {
      const c = await RawClient.open(deflate.wsUrl(), { perMessageDeflate: true });
      expect(c.ws.extensions).toContain('permessage-deflate');
      await c.subscribe('zipped');
      const before = broadcastStats.framedOnce;
      await sdkFor(deflate).trigger('zipped', 'e', 'x'.repeat(2000));
      expect((await c.nextEvent('e')).data).toBe('x'.repeat(2000));
      expect(broadcastStats.framedOnce).toBe(before);
      c.close();
    } finally {
      await deflate.close();
    }
  });

  it('is off by default: the server declines the extension', async () => {
    const c = await connect(t.wsUrl(), { perMessageDeflate: true });
    expect(c.ws.extensions).toBe('');
  });
});
