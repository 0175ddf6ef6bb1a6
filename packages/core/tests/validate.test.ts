import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  Limits,
  type PresenceChannelData,
  parsePresenceChannelData,
  parseSigninUserData,
  utf8Length,
  type Validated,
} from '../src/protocol';

function value<T>(result: Validated<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.value;
}

function refusal<T>(result: Validated<T>): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  // Every refusal here is an authorization problem: 4009 on the wire.
  expect(result.error.pusherCode).toBe(4009);
  return result.error.message;
}

describe('parsePresenceChannelData (§3.4, §7.4)', () => {
  const channel = 'presence-room.1';

  it('parses the §3.4 fixture', () => {
    expect(value(parsePresenceChannelData('{"user_id":"17","user_info":{"name":"Ada"}}', channel))).toEqual({
      user_id: '17',
      user_info: { name: 'Ada' },
    });
  });

  it('stringifies numeric user ids and allows no user_info', () => {
    const parsed: PresenceChannelData = value(parsePresenceChannelData('{"user_id":10}', channel));
    expect(parsed).toEqual({ user_id: '10' });
    expect(value(parsePresenceChannelData('{"user_id":1.5,"user_info":null}', channel))).toEqual({
      user_id: '1.5',
      user_info: null,
    });
  });

  it.each([
    [undefined, /needs channel_data/],
    ['', /needs channel_data/],
    ['not json', /not a JSON object/],
    ['[1]', /not a JSON object/],
    ['"s"', /not a JSON object/],
    ['{}', /needs a user_id/],
    ['{"user_id":""}', /needs a user_id/],
    ['{"user_id":true}', /needs a user_id/],
    ['{"user_id":null}', /needs a user_id/],
    ['{"user_id":{"a":1}}', /needs a user_id/],
  ])('refuses %j', (raw, message) => {
    const error = refusal(parsePresenceChannelData(raw, channel));
    expect(error).toMatch(message);
  });

  it('names the channel in the error', () => {
    const result = parsePresenceChannelData('{}', channel);
    expect(result.ok ? undefined : result.error.channel).toBe(channel);
  });

  it('user_id up to 128 characters', () => {
    expect(Limits.MAX_PRESENCE_USER_ID_LENGTH).toBe(128);
    expect(
      value(parsePresenceChannelData(JSON.stringify({ user_id: 'u'.repeat(128) }), channel)).user_id,
    ).toHaveLength(128);
    expect(refusal(parsePresenceChannelData(JSON.stringify({ user_id: 'u'.repeat(129) }), channel))).toMatch(
      /128/,
    );
  });

  it('user_info up to 1 KB of UTF-8 JSON', () => {
    // {"n":"…"} is 8 bytes of framing.
    const fits = { n: 'x'.repeat(1024 - 8) };
    expect(JSON.stringify(fits)).toHaveLength(1024);
    expect(
      value(parsePresenceChannelData(JSON.stringify({ user_id: '1', user_info: fits }), channel)).user_info,
    ).toEqual(fits);
    const over = { n: 'x'.repeat(1024 - 9) + 'é' }; // 'é' is 2 bytes in UTF-8
    expect(
      refusal(parsePresenceChannelData(JSON.stringify({ user_id: '1', user_info: over }), channel)),
    ).toMatch(/1024 bytes/);
  });

  it('custom limits apply', () => {
    const limits = { maxUserIdLength: 2, maxUserInfoBytes: 5 };
    expect(parsePresenceChannelData('{"user_id":"123"}', channel, limits).ok).toBe(false);
    expect(parsePresenceChannelData('{"user_id":"12","user_info":"abcd"}', channel, limits).ok).toBe(false);
    expect(parsePresenceChannelData('{"user_id":"12","user_info":"abc"}', channel, limits).ok).toBe(true);
  });
});

describe('parseSigninUserData (§3.11)', () => {
  it('parses the §3.11 fixture', () => {
    expect(
      value(parseSigninUserData('{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}')),
    ).toEqual({
      id: '17',
      user_info: { name: 'Ada' },
      watchlist: ['18', '19'],
    });
    expect(value(parseSigninUserData('{"id":"17"}'))).toEqual({ id: '17' });
  });

  it.each([
    ['nope', /not a JSON object/],
    ['[]', /not a JSON object/],
    ['{}', /non-empty string id/],
    ['{"id":""}', /non-empty string id/],
    // pusher-js rejects non-string ids; so do we (unlike presence user_id).
    ['{"id":17}', /non-empty string id/],
    ['{"id":"1","watchlist":"2"}', /watchlist/],
    ['{"id":"1","watchlist":[2]}', /watchlist/],
  ])('refuses %j', (raw, message) => {
    expect(refusal(parseSigninUserData(raw))).toMatch(message);
  });

  it("keeps a watchlist over 100 ids: truncation to 100 with 4302 is the server's job", () => {
    const watchlist = Array.from({ length: 150 }, (_, i) => String(i));
    expect(value(parseSigninUserData(JSON.stringify({ id: '1', watchlist }))).watchlist).toHaveLength(150);
  });
});

describe('utf8Length', () => {
  it('counts like a UTF-8 encoder, lone surrogates as U+FFFD', () => {
    for (const s of [
      '',
      'a',
      'é',
      '✓',
      '😀',
      '\uD800',
      '\uDC00',
      '\uD800a',
      '\uD800\u4e00',
      '\uD800\uD800\uDC00',
      'a\uDBFF',
    ]) {
      expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
    }
  });

  it('property: equals Buffer.byteLength for any UTF-16 string', () => {
    const anyCodeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    const interesting = fc.constantFrom('\uD83D', '\uDE00', 'é', '✓', 'a');
    fc.assert(
      fc.property(fc.array(fc.oneof(anyCodeUnit, interesting), { maxLength: 40 }), (units) => {
        const s = units.join('');
        expect(utf8Length(s)).toBe(Buffer.byteLength(s, 'utf8'));
      }),
      { numRuns: 1000 },
    );
  });
});
