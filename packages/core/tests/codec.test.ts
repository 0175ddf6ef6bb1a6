import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type ClientMessage,
  type DecodeResult,
  decodeClientMessage,
  decodeEnvelope,
  decodeServerMessage,
  encodeChannelEvent,
  encodeClientFrame,
  encodeClientMessage,
  encodeDataString,
  encodeServerMessage,
  isProtocolEvent,
  ProtocolError,
  parseData,
  readServerMessageLoosely,
  type ServerMessage,
} from '../src/protocol';

function ok<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.message;
}

function refused<T>(result: DecodeResult<T>): ProtocolError {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.message)}`);
  expect(result.error).toBeInstanceOf(ProtocolError);
  expect(result.error.pusherCode).toBe(4200);
  return result.error;
}

// Literal frames of docs/protocol.md §3, server → client.
const S2C = {
  established:
    '{"event":"pusher:connection_established","data":"{\\"socket_id\\":\\"123.456\\",\\"activity_timeout\\":120}"}',
  error: '{"event":"pusher:error","data":{"code":4301,"message":"Client event rejected due to rate limit"}}',
  pong: '{"event":"pusher:pong","data":"{}"}',
  ping: '{"event":"pusher:ping","data":"{}"}',
  succeeded: '{"event":"pusher_internal:subscription_succeeded","channel":"orders","data":"{}"}',
  succeededPresence:
    '{"event":"pusher_internal:subscription_succeeded","channel":"presence-room.1","data":"{\\"presence\\":{\\"ids\\":[\\"17\\",\\"18\\"],\\"hash\\":{\\"17\\":{\\"name\\":\\"Ada\\"},\\"18\\":{\\"name\\":\\"Bob\\"}},\\"count\\":2}}"}',
  subscriptionError:
    '{"event":"pusher:subscription_error","channel":"private-orders.17","data":{"type":"AuthError","error":"Invalid signature","status":401}}',
  memberAdded:
    '{"event":"pusher_internal:member_added","channel":"presence-room.1","data":"{\\"user_id\\":\\"18\\",\\"user_info\\":{\\"name\\":\\"Bob\\"}}"}',
  memberRemoved:
    '{"event":"pusher_internal:member_removed","channel":"presence-room.1","data":"{\\"user_id\\":\\"18\\"}"}',
  appEvent:
    '{"event":"App\\\\Events\\\\OrderShipped","channel":"private-orders.17","data":"{\\"id\\":17,\\"status\\":\\"shipped\\"}"}',
  whisperReceived:
    '{"event":"client-typing","channel":"presence-room.1","data":"{\\"typing\\":true}","user_id":"17"}',
  signinSuccess:
    '{"event":"pusher:signin_success","data":{"user_data":"{\\"id\\":\\"17\\",\\"user_info\\":{\\"name\\":\\"Ada\\"},\\"watchlist\\":[\\"18\\",\\"19\\"]}"}}',
  watchlist:
    '{"event":"pusher_internal:watchlist_events","data":"{\\"events\\":[{\\"name\\":\\"online\\",\\"user_ids\\":[\\"18\\"]},{\\"name\\":\\"offline\\",\\"user_ids\\":[\\"19\\"]}]}"}',
  cacheMiss: '{"event":"pusher:cache_miss","channel":"cache-prices","data":"{}"}',
  subscriptionCount:
    '{"event":"pusher_internal:subscription_count","channel":"orders","data":"{\\"subscription_count\\":3}"}',
} as const;

// Literal frames of docs/protocol.md §3, client → server.
const PRESENCE_AUTH = 'demo-key-0001:6f72a26c09b03f4efddb1f41d81cd034da94f91508a15c6e7cf171ec2935ea86';
const C2S = {
  ping: '{"event":"pusher:ping","data":{}}',
  pong: '{"event":"pusher:pong","data":{}}',
  subscribePresence: `{"event":"pusher:subscribe","data":{"channel":"presence-room.1","auth":"${PRESENCE_AUTH}","channel_data":"{\\"user_id\\":\\"17\\",\\"user_info\\":{\\"name\\":\\"Ada\\"}}"}}`,
  subscribePublic: '{"event":"pusher:subscribe","data":{"auth":"","channel":"orders"}}',
  unsubscribe: '{"event":"pusher:unsubscribe","data":{"channel":"orders"}}',
  whisper: '{"event":"client-typing","channel":"presence-room.1","data":{"typing":true}}',
  signin:
    '{"event":"pusher:signin","data":{"auth":"demo-key-0001:ac9916cd3dda5f9dc78ffa529d69fdf5e4cbf3cc44eda69e47601e2a5207c4e2","user_data":"{\\"id\\":\\"17\\",\\"user_info\\":{\\"name\\":\\"Ada\\"},\\"watchlist\\":[\\"18\\",\\"19\\"]}"}}',
} as const;

describe('server → client fixtures (§3)', () => {
  it('decodes each to its meaning', () => {
    expect(ok(decodeServerMessage(S2C.established))).toMatchObject({
      event: 'pusher:connection_established',
      data: { socket_id: '123.456', activity_timeout: 120 },
    });
    expect(ok(decodeServerMessage(S2C.error)).data).toEqual({
      code: 4301,
      message: 'Client event rejected due to rate limit',
    });
    expect(ok(decodeServerMessage(S2C.succeededPresence))).toMatchObject({
      channel: 'presence-room.1',
      data: { presence: { ids: ['17', '18'], hash: { 17: { name: 'Ada' }, 18: { name: 'Bob' } }, count: 2 } },
    });
    expect(ok(decodeServerMessage(S2C.memberAdded))).toEqual({
      event: 'pusher_internal:member_added',
      channel: 'presence-room.1',
      data: { user_id: '18', user_info: { name: 'Bob' } },
    });
    expect(ok(decodeServerMessage(S2C.appEvent))).toEqual({
      event: 'App\\Events\\OrderShipped',
      channel: 'private-orders.17',
      data: { id: 17, status: 'shipped' },
    });
    expect(ok(decodeServerMessage(S2C.whisperReceived))).toEqual({
      event: 'client-typing',
      channel: 'presence-room.1',
      data: { typing: true },
      user_id: '17',
    });
    expect(ok(decodeServerMessage(S2C.signinSuccess)).data).toEqual({
      user_data: '{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}',
    });
    expect(ok(decodeServerMessage(S2C.watchlist)).data).toEqual({
      events: [
        { name: 'online', user_ids: ['18'] },
        { name: 'offline', user_ids: ['19'] },
      ],
    });
    expect(ok(decodeServerMessage(S2C.subscriptionCount)).data).toEqual({ subscription_count: 3 });
  });

  it.each(Object.entries(S2C))('%s re-encodes to the same bytes', (_name, frame) => {
    expect(encodeServerMessage(ok(decodeServerMessage(frame)))).toBe(frame);
  });

  it('encodeChannelEvent builds the §3.9 and §3.10 frames byte for byte', () => {
    expect(
      encodeChannelEvent('App\\Events\\OrderShipped', 'private-orders.17', '{"id":17,"status":"shipped"}'),
    ).toBe(S2C.appEvent);
    expect(encodeChannelEvent('client-typing', 'presence-room.1', '{"typing":true}', '17')).toBe(
      S2C.whisperReceived,
    );
  });

  it('always sends data, "{}" when empty, and objects only for error/signin_success/subscription_error', () => {
    expect(encodeServerMessage({ event: 'pusher:pong' })).toBe('{"event":"pusher:pong","data":"{}"}');
    expect(encodeServerMessage({ event: 'pusher:cache_miss', channel: 'cache-x', data: {} })).toBe(
      '{"event":"pusher:cache_miss","channel":"cache-x","data":"{}"}',
    );
    expect(
      JSON.parse(encodeServerMessage({ event: 'pusher:error', data: { code: 4009, message: 'm' } })).data,
    ).toEqual({
      code: 4009,
      message: 'm',
    });
    const channelEvent = JSON.parse(encodeServerMessage({ event: 'x', channel: 'c', data: 'not json' }));
    expect(channelEvent.data).toBe('not json');
  });
});

describe('both data encodings are accepted (§2)', () => {
  it('server → client: pusher:error as a JSON string (Reverb) and member data as an object (old Reverb)', () => {
    expect(
      ok(decodeServerMessage('{"event":"pusher:error","data":"{\\"code\\":4009,\\"message\\":\\"x\\"}"}'))
        .data,
    ).toEqual({ code: 4009, message: 'x' });
    expect(
      ok(
        decodeServerMessage(
          '{"event":"pusher_internal:member_added","channel":"presence-a","data":{"user_id":7}}',
        ),
      ).data,
    ).toEqual({ user_id: '7' });
    expect(
      ok(
        decodeServerMessage(
          '{"event":"pusher:connection_established","data":{"socket_id":"1.2","activity_timeout":30}}',
        ),
      ).data,
    ).toEqual({ socket_id: '1.2', activity_timeout: 30 });
  });

  it('server → client: Reverb frames without data (pong, ping, cache_miss, old subscription_succeeded)', () => {
    for (const event of ['pusher:pong', 'pusher:ping']) {
      expect(ok(decodeServerMessage(JSON.stringify({ event }))).event).toBe(event);
    }
    expect(ok(decodeServerMessage('{"event":"pusher:cache_miss","channel":"cache-prices"}'))).toMatchObject({
      channel: 'cache-prices',
      data: {},
    });
    expect(
      ok(decodeServerMessage('{"event":"pusher_internal:subscription_succeeded","channel":"orders"}')),
    ).toMatchObject({ channel: 'orders', data: {} });
  });

  it('server → client: a numeric user_id on a forwarded whisper becomes a string', () => {
    const message = ok(
      decodeServerMessage('{"event":"client-x","channel":"presence-a","data":"{}","user_id":17}'),
    );
    expect(message).toMatchObject({ user_id: '17' });
  });

  it('readServerMessageLoosely reads every fixture as decodeServerMessage does', () => {
    for (const frame of Object.values(S2C)) {
      expect(readServerMessageLoosely(frame)).toEqual(ok(decodeServerMessage(frame)));
    }
    expect(
      readServerMessageLoosely('{"event":"client-x","channel":"presence-a","user_id":17}'),
    ).toMatchObject({
      user_id: '17',
    });
  });

  it('readServerMessageLoosely: protocol data is always an object, app data is kept as sent', () => {
    for (const data of [undefined, null, '', 'null', '5', '[1]', 'x']) {
      const read = readServerMessageLoosely(JSON.stringify({ event: 'pusher:error', data }));
      expect(read?.data).toBeInstanceOf(Object);
    }
    expect(readServerMessageLoosely('{"event":"x","channel":"c","data":"not json"}')?.data).toBe('not json');
    expect(readServerMessageLoosely('{"event":"x","channel":"c"}')?.data).toBeUndefined();
    // toEqual skips undefined properties: a channel that is not a string would show up here.
    expect(readServerMessageLoosely('{"event":"x","channel":5}')).toEqual({ event: 'x' });
    for (const frame of ['', 'null', '[]', '"pusher:ping"', '{"event":5}', '{"data":{}}', '{']) {
      expect(readServerMessageLoosely(frame)).toBeUndefined();
    }
  });

  it('readServerMessageLoosely keeps a valid §11.1 position, and leaves out an invalid one', () => {
    const frame = (position: string) =>
      `{"event":"Msg","channel":"private-chat.1","data":"{\\"id\\":7}"${position}}`;
    expect(readServerMessageLoosely(frame(',"offset":18,"epoch":"k2x9q1"'))).toStrictEqual({
      event: 'Msg',
      channel: 'private-chat.1',
      data: { id: 7 },
      user_id: undefined,
      epoch: 'k2x9q1',
      offset: 18,
    });
    for (const bad of [
      ',"offset":"18","epoch":"k"',
      ',"offset":-1,"epoch":"k"',
      ',"offset":1,"epoch":""',
      ',"offset":1',
    ]) {
      const read = readServerMessageLoosely(frame(bad));
      expect(read).toMatchObject({ event: 'Msg', data: { id: 7 } });
      expect(read).not.toHaveProperty('offset');
      expect(read).not.toHaveProperty('epoch');
    }
  });

  it('client → server: subscribe with data as a JSON string', () => {
    const frame = JSON.stringify({
      event: 'pusher:subscribe',
      data: JSON.stringify({ channel: 'orders', auth: '' }),
    });
    expect(ok(decodeClientMessage(frame))).toEqual({
      event: 'pusher:subscribe',
      data: { channel: 'orders', auth: '' },
    });
    const signin = JSON.stringify({
      event: 'pusher:signin',
      data: JSON.stringify({ auth: 'k:s', user_data: '{"id":"1"}' }),
    });
    expect(ok(decodeClientMessage(signin))).toEqual({
      event: 'pusher:signin',
      data: { auth: 'k:s', user_data: '{"id":"1"}' },
    });
  });

  it('client → server: a whisper with string data passes it unchanged; an object is encoded once', () => {
    const asString = ok(
      decodeClientMessage('{"event":"client-a","channel":"private-x","data":"{\\"b\\":1}"}'),
    );
    expect(asString).toEqual({ event: 'client-a', channel: 'private-x', data: '{"b":1}' });
    const raw = ok(decodeClientMessage('{"event":"client-a","channel":"private-x","data":"plain text"}'));
    expect(raw).toMatchObject({ data: 'plain text' });
    const missing = ok(decodeClientMessage('{"event":"client-a","channel":"private-x"}'));
    expect(missing).toMatchObject({ data: '{}' });
  });

  it('parseData keeps a non-JSON string and passes objects through', () => {
    expect(parseData('{"a":1}')).toEqual({ a: 1 });
    expect(parseData('hello')).toBe('hello');
    const object = { a: 1 };
    expect(parseData(object)).toBe(object);
    expect(encodeDataString('x')).toBe('x');
    expect(encodeDataString(undefined)).toBe('{}');
    expect(encodeDataString({ a: [1] })).toBe('{"a":[1]}');
  });
});

describe('client → server fixtures (§3)', () => {
  it('decodes each to its meaning', () => {
    expect(ok(decodeClientMessage(C2S.ping))).toEqual({ event: 'pusher:ping' });
    expect(ok(decodeClientMessage(C2S.pong))).toEqual({ event: 'pusher:pong' });
    expect(ok(decodeClientMessage(C2S.subscribePresence))).toEqual({
      event: 'pusher:subscribe',
      data: {
        channel: 'presence-room.1',
        auth: PRESENCE_AUTH,
        channel_data: '{"user_id":"17","user_info":{"name":"Ada"}}',
      },
    });
    expect(ok(decodeClientMessage(C2S.subscribePublic))).toEqual({
      event: 'pusher:subscribe',
      data: { channel: 'orders', auth: '' },
    });
    expect(ok(decodeClientMessage(C2S.unsubscribe))).toEqual({
      event: 'pusher:unsubscribe',
      data: { channel: 'orders' },
    });
    expect(ok(decodeClientMessage(C2S.whisper))).toEqual({
      event: 'client-typing',
      channel: 'presence-room.1',
      data: '{"typing":true}',
    });
    expect(ok(decodeClientMessage(C2S.signin))).toMatchObject({
      event: 'pusher:signin',
      data: { user_data: '{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}' },
    });
  });

  it.each(Object.entries(C2S))('%s re-encodes to the same meaning', (_name, frame) => {
    const message = ok(decodeClientMessage(frame));
    expect(ok(decodeClientMessage(encodeClientMessage(message)))).toEqual(message);
  });

  it('encodes protocol data as an object, the way pusher-js does', () => {
    expect(JSON.parse(encodeClientMessage({ event: 'pusher:ping' }))).toEqual({
      event: 'pusher:ping',
      data: {},
    });
    expect(encodeClientMessage({ event: 'pusher:subscribe', data: { channel: 'orders' } })).toBe(
      '{"event":"pusher:subscribe","data":{"channel":"orders","auth":""}}',
    );
  });

  it('encodeClientFrame sends the message as given: no subscribe defaults, data {} when absent', () => {
    expect(encodeClientFrame({ event: 'pusher:pong' })).toBe('{"event":"pusher:pong","data":{}}');
    expect(encodeClientFrame({ event: 'pusher:subscribe', data: { channel: 'orders' } })).toBe(
      '{"event":"pusher:subscribe","data":{"channel":"orders"}}',
    );
    const whisper: ClientMessage = { event: 'client-typing', channel: 'private-a', data: { on: true } };
    expect(encodeClientFrame(whisper)).toBe(encodeClientMessage(whisper));
    expect(encodeClientFrame(whisper)).toBe(
      '{"event":"client-typing","data":{"on":true},"channel":"private-a"}',
    );
  });

  it('refuses bad frames with a 4200 ProtocolError and a clear code', () => {
    expect(refused(decodeClientMessage('not json')).code).toBe('REVERB_ERR_INVALID_JSON');
    expect(refused(decodeClientMessage('[]')).code).toBe('REVERB_ERR_INVALID_ENVELOPE');
    expect(refused(decodeClientMessage('{"event":1}')).code).toBe('REVERB_ERR_INVALID_ENVELOPE');
    expect(refused(decodeClientMessage('{"event":"x","channel":5}')).code).toBe(
      'REVERB_ERR_INVALID_ENVELOPE',
    );
    expect(refused(decodeClientMessage('{"event":"pusher:subscribe","data":{}}')).code).toBe(
      'REVERB_ERR_MISSING_CHANNEL',
    );
    expect(
      refused(decodeClientMessage('{"event":"pusher:subscribe","data":{"channel":"a","auth":1}}')).channel,
    ).toBe('a');
    expect(refused(decodeClientMessage('{"event":"pusher:subscribe","data":[1]}')).code).toBe(
      'REVERB_ERR_INVALID_DATA',
    );
    expect(refused(decodeClientMessage('{"event":"pusher:signin","data":{"auth":"a"}}')).code).toBe(
      'REVERB_ERR_INVALID_DATA',
    );
    expect(refused(decodeClientMessage('{"event":"client-a","data":{}}')).code).toBe(
      'REVERB_ERR_MISSING_CHANNEL',
    );
    expect(
      refused(decodeClientMessage(JSON.stringify({ event: `client-${'x'.repeat(200)}`, channel: 'c' }))).code,
    ).toBe('REVERB_ERR_EVENT_NAME');
    expect(refused(decodeClientMessage('{"event":"pusher:whatever","data":{}}')).code).toBe(
      'REVERB_ERR_UNKNOWN_EVENT',
    );
    expect(refused(decodeServerMessage('{"event":"pusher:connection_established","data":"{}"}')).code).toBe(
      'REVERB_ERR_INVALID_DATA',
    );
    expect(
      refused(
        decodeServerMessage('{"event":"pusher_internal:member_removed","channel":"presence-a","data":"{}"}'),
      ).channel,
    ).toBe('presence-a');
  });
});

// ───────────── properties ─────────────

// Normalized through JSON text: what the wire can carry (-0 becomes 0, as it does on any socket).
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const jsonObject = fc.dictionary(fc.string({ maxLength: 8 }), json, { maxKeys: 4 });
const text = fc.string({ unit: 'grapheme', maxLength: 20 });
const nonEmpty = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 });

const clientMessage: fc.Arbitrary<ClientMessage> = fc.oneof(
  fc.constantFrom<ClientMessage>({ event: 'pusher:ping' }, { event: 'pusher:pong' }),
  fc
    .record({ channel: nonEmpty, auth: text, channel_data: fc.option(text, { nil: undefined }) })
    .map((data): ClientMessage => ({ event: 'pusher:subscribe', data })),
  nonEmpty.map((channel): ClientMessage => ({ event: 'pusher:unsubscribe', data: { channel } })),
  fc.record({ auth: text, user_data: text }).map((data): ClientMessage => ({ event: 'pusher:signin', data })),
  fc
    .record({ name: fc.string({ maxLength: 30 }), channel: nonEmpty, data: text })
    .map(({ name, channel, data }): ClientMessage => ({ event: `client-${name}`, channel, data })),
);

const appEventName = fc.string({ maxLength: 30 }).filter((e) => !isProtocolEvent(e));
const serverMessage: fc.Arbitrary<ServerMessage> = fc.oneof(
  fc
    .record({
      socket_id: fc.stringMatching(/^\d{1,9}\.\d{1,9}$/),
      activity_timeout: fc.integer({ min: 1, max: 1000 }),
    })
    .map((data): ServerMessage => ({ event: 'pusher:connection_established', data })),
  fc
    .record({ code: fc.option(fc.integer({ min: 4000, max: 4399 }), { nil: null }), message: text })
    .map((data): ServerMessage => ({ event: 'pusher:error', data })),
  fc
    .record({ channel: nonEmpty, user_id: nonEmpty, user_info: json })
    .map(({ channel, ...data }): ServerMessage => ({ event: 'pusher_internal:member_added', channel, data })),
  fc.record({ channel: nonEmpty, user_id: nonEmpty }).map(
    ({ channel, user_id }): ServerMessage => ({
      event: 'pusher_internal:member_removed',
      channel,
      data: { user_id },
    }),
  ),
  fc.record({ channel: nonEmpty, n: fc.nat() }).map(
    ({ channel, n }): ServerMessage => ({
      event: 'pusher_internal:subscription_count',
      channel,
      data: { subscription_count: n },
    }),
  ),
  text.map((user_data): ServerMessage => ({ event: 'pusher:signin_success', data: { user_data } })),
  fc
    .record({
      event: appEventName,
      channel: nonEmpty,
      data: jsonObject,
      user_id: fc.option(nonEmpty, { nil: undefined }),
    })
    .map(({ user_id, ...rest }): ServerMessage => (user_id === undefined ? rest : { ...rest, user_id })),
);

describe('properties', () => {
  it('decodeClientMessage(encodeClientMessage(m)) equals m', () => {
    fc.assert(
      fc.property(clientMessage, (m) => {
        expect(ok(decodeClientMessage(encodeClientMessage(m)))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  it('decodeServerMessage(encodeServerMessage(m)) equals m, and so does readServerMessageLoosely', () => {
    fc.assert(
      fc.property(serverMessage, (m) => {
        expect(ok(decodeServerMessage(encodeServerMessage(m)))).toEqual(m);
        expect(readServerMessageLoosely(encodeServerMessage(m))).toEqual(m);
      }),
      { numRuns: 500 },
    );
  });

  const junk = fc.oneof(
    fc.string({ unit: 'binary' }),
    json.map((v) => JSON.stringify(v)),
    fc
      .record(
        {
          event: fc.oneof(
            fc.constantFrom(
              'pusher:subscribe',
              'pusher:unsubscribe',
              'pusher:signin',
              'pusher:ping',
              'pusher:connection_established',
              'pusher_internal:member_added',
              'pusher:error',
              'client-x',
            ),
            json,
          ),
          channel: json,
          data: fc.oneof(
            json,
            json.map((v) => JSON.stringify(v)),
          ),
          user_id: json,
        },
        { requiredKeys: [] },
      )
      .map((v) => JSON.stringify(v)),
  );

  it('junk never makes decode throw; refusals are 4200 ProtocolErrors', () => {
    fc.assert(
      fc.property(junk, (frame) => {
        for (const result of [
          decodeClientMessage(frame),
          decodeServerMessage(frame),
          decodeEnvelope(frame),
        ]) {
          if (!result.ok) {
            expect(result.error).toBeInstanceOf(ProtocolError);
            expect(result.error.pusherCode).toBe(4200);
            expect(result.error.message.length).toBeGreaterThan(0);
          }
        }
        const read = readServerMessageLoosely(frame);
        if (read !== undefined) expect(typeof read.event).toBe('string');
      }),
      { numRuns: 1000 },
    );
  });

  it('random strings that are not JSON objects are always refused', () => {
    fc.assert(
      fc.property(
        fc.string({ unit: 'binary' }).filter((s) => !s.trim().startsWith('{')),
        (frame) => {
          refused(decodeClientMessage(frame));
          refused(decodeServerMessage(frame));
        },
      ),
      { numRuns: 500 },
    );
  });
});
