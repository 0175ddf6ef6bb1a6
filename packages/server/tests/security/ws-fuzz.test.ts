/**
 * Fuzzing the WebSocket decoder (issue 10): property-based frames with a wrong type in every field,
 * plus raw bytes `ws` itself would never send (invalid UTF-8, binary, fragments, bad opcodes, unmasked
 * frames, absurd lengths, deep JSON, huge numbers). The server never crashes, each input gets the
 * protocol's answer, and a bystander on the same node receives every event throughout.
 */
import { DEMO_APP_CONFIG, waitFor } from '@react-reverb/test-helpers';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sdkFor } from '../support/auth';
import { BareClient, encodeFrame, Opcode } from '../support/bare-client';
import { Bystander } from '../support/bystander';
import { RawClient, type ReceivedFrames, subscribeFrame } from '../support/raw-client';
import { sharedTestServer } from '../support/server';

const MAX_MESSAGE_SIZE = 4_000;
const t = sharedTestServer(
  [{ ...DEMO_APP_CONFIG, max_message_size: MAX_MESSAGE_SIZE }],
  {},
  { captureLogs: true },
);
let bystander: Bystander;

beforeAll(async () => {
  bystander = await Bystander.join(t, t.wsUrl());
});
afterAll(() => bystander.close());

/**
 * Sends pusher:ping and waits for one more pong than before: proves the connection is open and frames
 * before it were handled. Counts pongs rather than taking the next one: fuzzed frames may ping too.
 */
async function roundTrip(client: ReceivedFrames): Promise<void> {
  const before = client.all('pusher:pong').length;
  client.send({ event: 'pusher:ping', data: {} });
  await waitFor(() => client.all('pusher:pong').length > before, 5000, 'pong');
}

/** Every frame the server sent is a JSON envelope, and every pusher:error carries a 4xxx code and a message. */
function expectWellFormedAnswers(client: RawClient): void {
  for (const frame of client.frames) {
    expect(typeof frame.event).toBe('string');
    if (frame.event === 'pusher:error') {
      const data = frame.data as { code?: unknown; message?: unknown };
      expect(data.code).toBeGreaterThanOrEqual(4000);
      expect(data.code).toBeLessThan(4400);
      expect(typeof data.message).toBe('string');
    }
  }
}

/** A value of any JSON type, including the nasty ones: huge/negative/fractional numbers, deep nesting. */
const anyValue = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.constantFrom(
    1e308,
    -1e308,
    2 ** 53 + 1,
    -0,
    0.1,
    Number('12345678901234567890'),
    '',
    ' ',
    '\u0000',
    '💥',
  ),
  fc.integer({ min: 2, max: 200 }).map((depth) => JSON.parse(`${'['.repeat(depth)}${']'.repeat(depth)}`)),
);

/** Valid-looking messages of every event; one field path gets replaced with `anyValue`. */
const templates: Array<Record<string, unknown>> = [
  { event: 'pusher:subscribe', data: { channel: 'fuzz', auth: '' } },
  { event: 'pusher:subscribe', data: { channel: 'private-fuzz', auth: 'demo-key-0001:00' } },
  {
    event: 'pusher:subscribe',
    data: { channel: 'presence-fuzz', auth: 'x:y', channel_data: '{"user_id":"1"}' },
  },
  { event: 'pusher:unsubscribe', data: { channel: 'fuzz' } },
  { event: 'pusher:signin', data: { auth: 'demo-key-0001:00', user_data: '{"id":"1"}' } },
  { event: 'pusher:ping', data: {} },
  { event: 'pusher:pong', data: {} },
  { event: 'client-typing', channel: 'private-fuzz', data: { a: 1 } },
  { event: 'pusher_internal:member_added', channel: 'presence-fuzz', data: '{}' },
  { event: 'totally-unknown', channel: 'fuzz', data: 'x' },
];

function withField(template: Record<string, unknown>, path: readonly string[], value: unknown): unknown {
  const copy = structuredClone(template) as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const step of path.slice(0, -1)) {
    const next = node[step];
    if (typeof next !== 'object' || next === null) return copy;
    node = next as Record<string, unknown>;
  }
  const last = path[path.length - 1] as string;
  if (value === undefined) delete node[last];
  else node[last] = value;
  return copy;
}

function fieldPaths(template: Record<string, unknown>): string[][] {
  const paths: string[][] = [['event'], ['data'], ['channel']];
  const data = template.data;
  if (typeof data === 'object' && data !== null) {
    for (const key of Object.keys(data)) paths.push(['data', key]);
  }
  return paths;
}

const mutatedFrame = fc
  .tuple(
    fc.nat({ max: templates.length - 1 }),
    fc.nat(),
    fc.option(anyValue, { nil: undefined }),
    fc.boolean(),
  )
  .map(([t0, p, value, replaceData]) => {
    const template = templates[t0] as Record<string, unknown>;
    const paths = fieldPaths(template);
    const path = paths[p % paths.length] as string[];
    const mutated = withField(template, path, value);
    // pusher-js sends `data` as an object for pusher:* events, but some clients double-encode it.
    if (replaceData && typeof (mutated as { data?: unknown }).data === 'object') {
      return JSON.stringify({
        ...(mutated as object),
        data: JSON.stringify((mutated as { data: unknown }).data),
      });
    }
    return JSON.stringify(mutated);
  });

const garbageText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'binary', maxLength: 200 }),
  fc.json({ maxDepth: 3 }),
  fc.constantFrom(
    '',
    'null',
    '[]',
    '{}',
    '"pusher:ping"',
    '{"event":null}',
    '{"event":1e400}',
    '{"event":"pusher:ping","data":{',
  ),
);

describe('property: every frame gets a protocol answer and the connection survives', () => {
  it('a wrong type (or nothing) in every field of every event', async () => {
    const fuzzer = await RawClient.open(t.wsUrl());
    let round = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(mutatedFrame, { minLength: 1, maxLength: 8 }), async (frames) => {
        for (const frame of frames) fuzzer.send(frame);
        await roundTrip(fuzzer);
        if (round++ % 10 === 0) await bystander.tick();
      }),
      { numRuns: 150 },
    );
    expectWellFormedAnswers(fuzzer);
    expect(fuzzer.closeCode).toBeUndefined();
    // The fuzzer was answered with coded errors, not silence.
    expect(fuzzer.all('pusher:error').length).toBeGreaterThan(0);
    fuzzer.close();
    await bystander.expectAllDelivered();
  });

  it('arbitrary text (any unicode, broken JSON, lone surrogates)', async () => {
    const fuzzer = await RawClient.open(t.wsUrl());
    let round = 0;
    await fc.assert(
      fc.asyncProperty(garbageText, async (text) => {
        fuzzer.send(text);
        await roundTrip(fuzzer);
        if (round++ % 10 === 0) await bystander.tick();
      }),
      { numRuns: 150 },
    );
    expectWellFormedAnswers(fuzzer);
    expect(fuzzer.closeCode).toBeUndefined();
    fuzzer.close();
    await bystander.expectAllDelivered();
  });
});

describe('raw frames', () => {
  /** A raw client whose connection_established arrived. */
  async function rawClient(): Promise<BareClient> {
    const client = await BareClient.open(t.port, t.appPath);
    expect(client.frames[0]?.event).toBe('pusher:connection_established');
    return client;
  }

  const closesWith = async (bytes: Buffer, code: number) => {
    const client = await rawClient();
    client.sendBytes(bytes);
    const closed = await client.closed();
    expect(closed.code).toBe(code);
    await waitFor(() => client.ended, 5000, 'server to drop the socket');
    await bystander.tick();
  };

  it('invalid UTF-8 in a text frame: close 1007', async () => {
    await closesWith(encodeFrame(Opcode.Text, Buffer.from([0x7b, 0xc3, 0x28, 0xff, 0xfe, 0x7d])), 1007);
  });

  it('an unmasked client frame: close 1002', async () => {
    await closesWith(encodeFrame(Opcode.Text, '{"event":"pusher:ping","data":{}}', { mask: false }), 1002);
  });

  it('a reserved opcode, RSV bits without an extension, a stray continuation: close 1002', async () => {
    await closesWith(encodeFrame(3, 'x'), 1002);
    await closesWith(encodeFrame(Opcode.Text, 'x', { rsv: 4 }), 1002);
    await closesWith(encodeFrame(Opcode.Continuation, 'x'), 1002);
  });

  it('a fragmented control frame: close 1002', async () => {
    await closesWith(encodeFrame(Opcode.Ping, 'x', { fin: false }), 1002);
  });

  it('a declared length of 2^63-1 bytes: close 1009 at once, nothing allocated', async () => {
    const header = Buffer.alloc(14);
    header[0] = 0x80 | Opcode.Text;
    header[1] = 0x80 | 127;
    header.writeBigUInt64BE(2n ** 63n - 1n, 2);
    await closesWith(header, 1009);
  });

  it('a frame over the frame-level maxPayload: close 1009', async () => {
    await closesWith(encodeFrame(Opcode.Text, 'a'.repeat(MAX_MESSAGE_SIZE * 4 + 2048)), 1009);
  });

  it('a frame over max_message_size (under maxPayload): pusher:error, connection stays', async () => {
    const client = await rawClient();
    client.send({ event: 'pusher:subscribe', data: { channel: 'x'.repeat(MAX_MESSAGE_SIZE) } });
    await waitFor(() => client.all('pusher:error').length > 0, 5000, 'pusher:error for the large frame');
    const error = client.all('pusher:error')[0];
    expect(JSON.stringify(error?.data)).toMatch(/Message too large/);
    await roundTrip(client);
    client.destroy();
  });

  it('a binary frame: pusher:error, connection stays', async () => {
    const client = await rawClient();
    client.sendBytes(encodeFrame(Opcode.Binary, Buffer.from([0, 1, 2, 255])));
    await waitFor(() => client.all('pusher:error').length > 0, 5000, 'binary refusal');
    await roundTrip(client);
    expect(client.closeCode).toBeUndefined();
    client.destroy();
  });

  it('a text message in three fragments with a ping between them is one message', async () => {
    const client = await rawClient();
    const text = JSON.stringify(subscribeFrame('fragmented'));
    client.sendBytes(encodeFrame(Opcode.Text, text.slice(0, 10), { fin: false }));
    client.sendBytes(encodeFrame(Opcode.Ping, 'mid'));
    client.sendBytes(encodeFrame(Opcode.Continuation, text.slice(10, 20), { fin: false }));
    client.sendBytes(encodeFrame(Opcode.Continuation, text.slice(20)));
    await waitFor(
      () => client.all('pusher_internal:subscription_succeeded').length > 0,
      5000,
      'subscription from fragments',
    );
    expect(client.wireFrames.some((f) => f.opcode === Opcode.Pong && f.payload.toString() === 'mid')).toBe(
      true,
    );
    await sdkFor(t).trigger('fragmented', 'hello', 'x');
    await waitFor(() => client.all('hello').length > 0, 5000, 'event on the fragmented sub');
    client.destroy();
  });

  it('fragments that add up to more than maxPayload: close 1009', async () => {
    const client = await rawClient();
    const piece = 'b'.repeat(MAX_MESSAGE_SIZE);
    for (let i = 0; i < 6; i++)
      client.sendBytes(encodeFrame(i === 0 ? Opcode.Text : Opcode.Continuation, piece, { fin: false }));
    const closed = await client.closed();
    expect(closed.code).toBe(1009);
  });

  it('deep JSON and huge numbers: coded pusher:error, connection stays', async () => {
    const client = await rawClient();
    const deep = (n: number) => `${'['.repeat(n)}${']'.repeat(n)}`;
    const inputs = [
      deep(1900),
      `{"event":"pusher:subscribe","data":{"channel":${deep(1000)}}}`,
      `{"event":"pusher:subscribe","data":${'{"a":'.repeat(600)}1${'}'.repeat(600)}}`,
      '{"event":"pusher:subscribe","data":{"channel":1e999999}}',
      `{"event":"client-x","channel":"private-a","data":${'9'.repeat(3000)}}`,
      '{"event":"pusher:signin","data":{"auth":-1e308,"user_data":NaN}}',
    ];
    for (const input of inputs) client.send(input);
    await roundTrip(client);
    const errors = client.all('pusher:error');
    expect(errors.length).toBe(inputs.length);
    client.destroy();
    await bystander.tick();
  });

  it('after all of it, the bystander got every event and nothing leaked', async () => {
    await bystander.expectAllDelivered();
    await waitFor(() => t.server.stats().connections === 1, 10_000, 'only the bystander left');
    expect(t.logs()).not.toMatch(/frame handling failed/);
  });
});
