/**
 * Slow consumers (issue 10): a client that completes the upgrade and then stops reading its TCP socket
 * must not make the server buffer without bound. Past REVERB_MAX_BUFFERED_BYTES it is closed with
 * 4100 (Over capacity, "back off and reconnect"), while fast clients keep getting every event.
 */
import { DEMO_APP_CONFIG, waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import { BareClient, encodeFrame, Opcode } from '../support/bare-client';
import { cleanupAfterEach } from '../support/cleanup';
import { signedRequest } from '../support/http';
import { RawClient, subscribeFrame } from '../support/raw-client';
import { startTestServer, type TestServer } from '../support/server';

const MAX_BUFFERED = 256 * 1024;
const defer = cleanupAfterEach();

/** The `bufferedAmount` the server logged when it gave up on a slow socket. */
function slowCloses(t: TestServer): number[] {
  return t
    .logs()
    .split('\n')
    .filter((line) => line.includes('closing slow connection (4100)'))
    .map((line) => (JSON.parse(line) as { bufferedAmount: number }).bufferedAmount);
}

async function setup(): Promise<{ t: TestServer; slow: BareClient; fast: RawClient[] }> {
  const t = await startTestServer(
    [DEMO_APP_CONFIG],
    {
      maxBufferedBytes: MAX_BUFFERED,
      maxRequestSize: 200_000,
    },
    { captureLogs: true },
  );
  defer(() => t.close());
  const slow = await BareClient.open(t.port, t.appPath);
  defer(() => slow.destroy());
  await slow.subscribe('firehose');
  const fast: RawClient[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await RawClient.open(t.wsUrl());
    defer(() => c.close());
    await c.subscribe('firehose');
    fast.push(c);
  }
  // From now on the slow client never reads: the kernel buffers fill, then the server's.
  slow.pauseReading();
  return { t, slow, fast };
}

/** After the server gave up, reading again shows what it sent last: the 4100 close frame. */
async function expectClosedWith4100(slow: BareClient): Promise<void> {
  slow.resumeReading();
  const closed = await slow.closed(15_000);
  expect(closed).toEqual({ code: 4100, reason: 'Over capacity' });
}

describe('a client that stops reading', () => {
  it('is closed with 4100 under a broadcast firehose; fast clients get every event, in order', async () => {
    const { t, slow, fast } = await setup();
    const payload = 'z'.repeat(9_000);
    let sent = 0;
    for (let round = 0; round < 400 && slowCloses(t).length === 0; round++) {
      const batch = Array.from({ length: 10 }, (_, i) => ({
        channel: 'firehose',
        name: 'load',
        data: `${sent + i}:${payload}`,
      }));
      const answer = await signedRequest(t, 'POST', '/batch_events', { body: JSON.stringify({ batch }) });
      expect(answer.status).toBe(200);
      sent += batch.length;
    }
    const [buffered] = slowCloses(t);
    expect(buffered).toBeDefined();
    // Bounded: the threshold plus at most one frame (the check happens before each write).
    expect(buffered as number).toBeLessThanOrEqual(MAX_BUFFERED + 10_000);
    for (const c of fast) {
      await waitFor(() => c.all('load').length === sent, 15_000, `${sent} events at a fast client`);
      expect(c.all('load').map((f) => Number((f.data as string).split(':')[0]))).toEqual(
        Array.from({ length: sent }, (_, i) => i),
      );
      expect(c.closeCode).toBeUndefined();
    }
    await expectClosedWith4100(slow);
    await waitFor(() => t.server.stats().connections === 3, 10_000, 'the slow connection to be gone');
  });

  it('is closed with 4100 when it floods requests and never reads the answers', async () => {
    const { t, slow, fast } = await setup();
    // Off the firehose: only its own answers can fill its buffer, no broadcast checks it.
    slow.send({ event: 'pusher:unsubscribe', data: { channel: 'firehose' } });
    // Each invalid subscription is answered with two frames larger than the request.
    const request = JSON.stringify(subscribeFrame(`bad name ${'x'.repeat(150)}`));
    for (let round = 0; round < 400 && slowCloses(t).length === 0 && !slow.ended; round++) {
      const burst: Buffer[] = [];
      for (let i = 0; i < 200; i++) burst.push(frameOf(request));
      slow.sendBytes(Buffer.concat(burst));
      // Let the server read and answer; a trigger in between checks the fast clients.
      await signedRequest(t, 'POST', '/events', {
        body: JSON.stringify({ name: 'tick', channels: ['firehose'], data: String(round) }),
      });
    }
    const [buffered] = slowCloses(t);
    expect(buffered, 'the server kept buffering answers for a client that does not read').toBeDefined();
    expect(buffered as number).toBeLessThanOrEqual(MAX_BUFFERED + 10_000);
    const ticks = fast[0]?.all('tick').length ?? 0;
    expect(ticks).toBeGreaterThan(0);
    await expectClosedWith4100(slow);
  });

  it('is cut when it floods ping control frames and never reads the pongs (ws maxPendingAutoPongs)', async () => {
    const { t, slow } = await setup();
    const ping = encodeFrame(Opcode.Ping, 'p'.repeat(125));
    for (let round = 0; round < 400 && !slow.ended; round++) {
      slow.sendBytes(Buffer.concat(Array.from({ length: 500 }, () => ping)));
      await signedRequest(t, 'GET', '/channels');
    }
    // ws terminates a socket with too many unanswered auto-pongs: no close frame, but nothing piles up.
    expect(slow.ended).toBe(true);
    await waitFor(() => t.server.stats().connections === 3, 10_000, 'the flooding connection to be gone');
  });
});

function frameOf(text: string): Buffer {
  return encodeFrame(Opcode.Text, text);
}
