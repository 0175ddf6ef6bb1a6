/**
 * §11.1 on the wire: positioned events, `recover` / `rewind` on subscribe, `stream` / `recovery` on
 * `subscription_succeeded`. Literal frames are the ones of SPEC §11.1 (docs/protocol.md §11.1).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decodeClientMessage,
  decodeServerMessage,
  encodeChannelEvent,
  encodeServerMessage,
  type HistoryRequest,
  InternalEvent,
  MAX_EPOCH_LENGTH,
  positionFrame,
  RECOVERY_REASONS,
  type RecoveryReason,
  readHistoryRequest,
  readStreamPosition,
  type SubscribeMessage,
  type SubscriptionSucceededMessage,
  streamAnswer,
} from '../src/protocol';

function ok<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.code}: ${result.error.message}`);
  return result.message;
}

function subscribe(data: Record<string, unknown>): SubscribeMessage['data'] {
  const message = ok(decodeClientMessage(JSON.stringify({ event: 'pusher:subscribe', data })));
  return (message as SubscribeMessage).data;
}

const historyOf = (extra: Record<string, unknown>): HistoryRequest | undefined =>
  subscribe({ channel: 'private-chat.1', auth: 'k:s', ...extra }).history;

describe('positioned events', () => {
  it('adds offset and epoch after the Pusher fields (the literal frame of §11.1)', () => {
    const frame = encodeChannelEvent('App\\Events\\Msg', 'private-chat.1', '{"id":7}');
    expect(positionFrame(frame, { epoch: 'k2x9q1', offset: 18 })).toBe(
      '{"event":"App\\\\Events\\\\Msg","channel":"private-chat.1","data":"{\\"id\\":7}","offset":18,"epoch":"k2x9q1"}',
    );
  });

  it('keeps user_id (a whisper on presence) and puts the position last', () => {
    const frame = encodeChannelEvent('client-typing', 'presence-room.1', '{}', '17');
    expect(positionFrame(frame, { epoch: 'e', offset: 0 })).toBe(
      '{"event":"client-typing","channel":"presence-room.1","data":"{}","user_id":"17","offset":0,"epoch":"e"}',
    );
  });

  it('parses back to the event plus its position for every frame encodeChannelEvent produces', () => {
    const text = fc.oneof(fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'grapheme' }));
    fc.assert(
      fc.property(
        text,
        text,
        text,
        fc.option(text, { nil: undefined }),
        fc.string({ unit: 'binary', minLength: 1, maxLength: MAX_EPOCH_LENGTH }),
        fc.maxSafeNat(),
        (event, channel, data, userId, epoch, offset) => {
          const frame = encodeChannelEvent(event, channel, data, userId);
          const positioned = positionFrame(frame, { epoch, offset });
          const parsed = JSON.parse(positioned);
          const expected =
            userId === undefined
              ? { event, channel, data, offset, epoch }
              : { event, channel, data, user_id: userId, offset, epoch };
          expect(parsed).toEqual(expected);
          expect(Object.keys(parsed)).toEqual(Object.keys(expected));
          // What a client reads back is what the server wrote.
          expect(readStreamPosition(parsed)).toEqual({ epoch, offset });
          expect(positioned.startsWith(frame.slice(0, -1))).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('refuses a frame that is not a JSON object rather than sending broken JSON', () => {
    expect(() => positionFrame('["x"]', { epoch: 'e', offset: 1 })).toThrow(TypeError);
    expect(() => positionFrame('', { epoch: 'e', offset: 1 })).toThrow(TypeError);
  });
});

describe('readStreamPosition', () => {
  it('reads a position from an event, a `stream` or a `recover` object', () => {
    expect(readStreamPosition({ event: 'x', offset: 18, epoch: 'k2x9q1' })).toEqual({
      epoch: 'k2x9q1',
      offset: 18,
    });
    expect(readStreamPosition({ epoch: 'a', offset: 0 })).toEqual({ epoch: 'a', offset: 0 });
    expect(readStreamPosition({ epoch: 'a'.repeat(32), offset: Number.MAX_SAFE_INTEGER })).toEqual({
      epoch: 'a'.repeat(32),
      offset: Number.MAX_SAFE_INTEGER,
    });
  });

  it('ignores an event without a position (other servers) and malformed ones', () => {
    for (const value of [
      { event: 'x', channel: 'c', data: '{}' },
      { epoch: 'a' },
      { offset: 1 },
      { epoch: '', offset: 1 },
      { epoch: 'a'.repeat(33), offset: 1 },
      { epoch: 7, offset: 1 },
      { epoch: 'a', offset: -1 },
      { epoch: 'a', offset: 1.5 },
      { epoch: 'a', offset: '18' },
      { epoch: 'a', offset: Number.MAX_SAFE_INTEGER + 1 },
      { epoch: 'a', offset: Number.NaN },
      [1, 2],
      null,
      'epoch',
      undefined,
    ]) {
      expect(readStreamPosition(value)).toBeUndefined();
    }
  });
});

describe('pusher:subscribe with recover / rewind', () => {
  it('decodes the literal subscribe of §11.1', () => {
    const frame =
      '{"event":"pusher:subscribe","data":{"channel":"private-chat.1","auth":"k:s","recover":{"epoch":"k2x9q1","offset":18,"socket_ids":["123.456"]}}}';
    const message = ok(decodeClientMessage(frame)) as SubscribeMessage;
    expect(message.data).toEqual({
      channel: 'private-chat.1',
      auth: 'k:s',
      channel_data: undefined,
      history: { recover: { epoch: 'k2x9q1', offset: 18, socketIds: ['123.456'] } },
    });
  });

  it('decodes data sent as a JSON string too (what some clients do)', () => {
    const frame = JSON.stringify({
      event: 'pusher:subscribe',
      data: JSON.stringify({ channel: 'private-chat.1', auth: 'k:s', rewind: 10 }),
    });
    expect((ok(decodeClientMessage(frame)) as SubscribeMessage).data.history).toEqual({ rewind: 10 });
  });

  it('asks nothing when neither is sent, or when they are null (a plain pusher-js subscribe)', () => {
    expect(historyOf({})).toBeUndefined();
    expect('history' in subscribe({ channel: 'orders', auth: '' })).toBe(false);
    expect(historyOf({ recover: null, rewind: null })).toBeUndefined();
  });

  it('accepts recover without socket_ids, at offset 0, and with up to 5 previous socket ids', () => {
    expect(historyOf({ recover: { epoch: 'e', offset: 0 } })).toEqual({
      recover: { epoch: 'e', offset: 0, socketIds: [] },
    });
    const ids = ['1.1', '2.2', '3.3', '4.4', '5.5'];
    expect(historyOf({ recover: { epoch: 'e', offset: 3, socket_ids: ids } })).toEqual({
      recover: { epoch: 'e', offset: 3, socketIds: ids },
    });
  });

  it('lets recover win over rewind (rewind is for a first subscribe)', () => {
    expect(historyOf({ recover: { epoch: 'e', offset: 2 }, rewind: 5 })).toEqual({
      recover: { epoch: 'e', offset: 2, socketIds: [] },
    });
    expect(historyOf({ recover: { epoch: 'e', offset: -2 }, rewind: 5 })).toEqual({
      invalid: 'invalid_position',
    });
  });

  it('answers a malformed recover with invalid_position and still subscribes', () => {
    const malformed: unknown[] = [
      'k2x9q1:18',
      18,
      true,
      [],
      { offset: 18 },
      { epoch: 'e' },
      { epoch: '', offset: 1 },
      { epoch: 'x'.repeat(33), offset: 1 },
      { epoch: 5, offset: 1 },
      { epoch: 'e', offset: -1 },
      { epoch: 'e', offset: 1.5 },
      { epoch: 'e', offset: '18' },
      { epoch: 'e', offset: 2 ** 53 },
      { epoch: 'e', offset: 1, socket_ids: '123.456' },
      { epoch: 'e', offset: 1, socket_ids: ['1.1', '2.2', '3.3', '4.4', '5.5', '6.6'] },
      { epoch: 'e', offset: 1, socket_ids: [123.456] },
      { epoch: 'e', offset: 1, socket_ids: ['abc'] },
      { epoch: 'e', offset: 1, socket_ids: ['1.'] },
      { epoch: 'e', offset: 1, socket_ids: [`${'1'.repeat(40)}.${'2'.repeat(40)}`] },
    ];
    for (const recover of malformed) {
      const data = subscribe({ channel: 'private-chat.1', auth: 'k:s', recover });
      expect(data.channel).toBe('private-chat.1');
      expect(data.auth).toBe('k:s');
      expect(data.history, JSON.stringify(recover)).toEqual({ invalid: 'invalid_position' });
    }
  });

  it('answers a malformed rewind with invalid_rewind and still subscribes', () => {
    for (const rewind of [0, -1, 1.5, '3', true, {}, [3]]) {
      const data = subscribe({ channel: 'presence-room.1', auth: 'k:s', channel_data: '{}', rewind });
      expect(data.channel_data).toBe('{}');
      expect(data.history, String(rewind)).toEqual({ invalid: 'invalid_rewind' });
    }
    // JSON can spell infinity: 1e400 parses as Infinity, which is no integer.
    const frame = '{"event":"pusher:subscribe","data":{"channel":"private-x","rewind":1e400}}';
    expect((ok(decodeClientMessage(frame)) as SubscribeMessage).data.history).toEqual({
      invalid: 'invalid_rewind',
    });
    // Beyond max_events is not malformed: the server clamps and answers rewind_limit.
    expect(historyOf({ rewind: 1e9 })).toEqual({ rewind: 1e9 });
  });

  it('never refuses a subscribe whatever recover and rewind hold', () => {
    fc.assert(
      fc.property(fc.anything(), fc.anything(), (recover, rewind) => {
        const data = JSON.stringify({ channel: 'private-x', recover, rewind });
        const result = decodeClientMessage(`{"event":"pusher:subscribe","data":${data}}`);
        expect(result.ok).toBe(true);
        // The values as they arrive: JSON turns what it cannot spell (Infinity, undefined…) into null or nothing.
        expect((ok(result) as SubscribeMessage).data.history).toEqual(readHistoryRequest(JSON.parse(data)));
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('subscription_succeeded with stream and recovery', () => {
  it('encodes the literal answer of §11.1', () => {
    const frame = encodeServerMessage({
      event: InternalEvent.SubscriptionSucceeded,
      channel: 'private-chat.1',
      data: streamAnswer({ offset: 21, epoch: 'k2x9q1' }, { replayed: 3, recovered: true }),
    });
    expect(frame).toBe(
      '{"event":"pusher_internal:subscription_succeeded","channel":"private-chat.1","data":"{\\"stream\\":{\\"epoch\\":\\"k2x9q1\\",\\"offset\\":21},\\"recovery\\":{\\"recovered\\":true,\\"replayed\\":3}}"}',
    );
  });

  it('carries the reason of a gap, sits next to presence, and reads back on the client side', () => {
    const frame = encodeServerMessage({
      event: InternalEvent.SubscriptionSucceeded,
      channel: 'presence-room.1',
      data: {
        presence: { ids: ['17'], hash: { '17': null }, count: 1 },
        ...streamAnswer(
          { epoch: 'n3w', offset: 4 },
          { recovered: false, replayed: 4, reason: 'epoch_changed' },
        ),
      },
    });
    const message = ok(decodeServerMessage(frame)) as SubscriptionSucceededMessage;
    expect(readStreamPosition(message.data.stream)).toEqual({ epoch: 'n3w', offset: 4 });
    expect(message.data.recovery).toEqual({ recovered: false, replayed: 4, reason: 'epoch_changed' });
    expect(message.data.presence?.ids).toEqual(['17']);
  });

  it('leaves out stream when the channel keeps no history (not_kept), and both when nothing applies', () => {
    expect(streamAnswer(undefined, { recovered: false, replayed: 0, reason: 'not_kept' })).toEqual({
      recovery: { recovered: false, replayed: 0, reason: 'not_kept' },
    });
    expect(streamAnswer(undefined, undefined)).toEqual({});
  });

  it('names every reason of §11.1 once', () => {
    const all: Record<RecoveryReason, true> = {
      epoch_changed: true,
      expired: true,
      evicted: true,
      too_far_behind: true,
      unavailable: true,
      invalid_position: true,
      invalid_rewind: true,
      rewind_limit: true,
      not_kept: true,
    };
    expect([...RECOVERY_REASONS].sort()).toEqual(Object.keys(all).sort());
  });
});
