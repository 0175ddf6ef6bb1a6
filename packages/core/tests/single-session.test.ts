/**
 * The wire of single session (docs/protocol.md §11.2): `user_data.session_id` in `pusher:signin`, the
 * `reverb:session_replaced` event, the close 4010 and the `session_replaced` webhook, as literal frames.
 */
import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import {
  type DecodeResult,
  decodeClientMessage,
  decodeServerMessage,
  ERROR_CODES,
  ErrorCode,
  encodeServerMessage,
  errorMessageFor,
  Limits,
  parseSigninUserData,
  readServerMessageLoosely,
  reconnectPolicyFor,
  SESSION_REPLACED,
  SESSION_REPLACED_CODE,
  type SigninMessage,
  type Validated,
  WEBHOOK_CONTENT_TYPE,
  type WebhookBody,
} from '../src/protocol';
import { signUser, signWebhook, verifyUserAuth } from '../src/signing';

const DEMO = { appId: '4242', key: 'demo-key-0001', secret: 'demo-secret-0001', socketId: '1234.5678' };

function ok<T>(result: DecodeResult<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.message;
}

function value<T>(result: Validated<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.error.message}`);
  return result.value;
}

/** The refusal's message; every refusal of user_data is 4009 on the wire (the connection stays open). */
function refusal<T>(result: Validated<T>): string {
  if (result.ok) throw new Error(`expected a refusal, got ${JSON.stringify(result.value)}`);
  expect(result.error.pusherCode).toBe(4009);
  expect(result.error.code).toBe('REVERB_ERR_USER_DATA');
  return result.error.message;
}

describe('user_data.session_id in pusher:signin', () => {
  const userData = '{"id":"17","user_info":{"name":"Ada"},"session_id":"9f2c6a"}';

  it('the §11.2 frame, signed by the pusher SDK, decodes and parses with its session_id', () => {
    const pusher = new Pusher({ appId: DEMO.appId, key: DEMO.key, secret: DEMO.secret, host: '127.0.0.1' });
    const signed = pusher.authenticateUser(DEMO.socketId, {
      id: '17',
      user_info: { name: 'Ada' },
      session_id: '9f2c6a',
    });
    expect(signed.user_data).toBe(userData);
    const frame = `{"event":"pusher:signin","data":{"auth":"${signed.auth}","user_data":${JSON.stringify(userData)}}}`;
    const message = ok(decodeClientMessage(frame)) as SigninMessage;
    expect(message.data.user_data).toBe(userData);
    expect(verifyUserAuth({ ...DEMO, userData: message.data.user_data, auth: message.data.auth })).toBe(true);
    expect(signUser({ ...DEMO, userData })).toBe(signed.auth);
    expect(value(parseSigninUserData(message.data.user_data))).toEqual({
      id: '17',
      user_info: { name: 'Ada' },
      session_id: '9f2c6a',
    });
  });

  it('is optional: without it the value carries no session_id key', () => {
    const parsed = value(parseSigninUserData('{"id":"17"}'));
    expect(parsed).toEqual({ id: '17' });
    expect('session_id' in parsed).toBe(false);
  });

  it('keeps every character as signed: 1 and 128 characters, unicode, separators', () => {
    expect(Limits.MAX_SESSION_ID_LENGTH).toBe(128);
    for (const sessionId of ['a', 'x'.repeat(128), 'é:ü|"\\/ ', '😀']) {
      expect(value(parseSigninUserData(JSON.stringify({ id: '1', session_id: sessionId }))).session_id).toBe(
        sessionId,
      );
    }
  });

  it.each([
    ['empty', '{"id":"17","session_id":""}'],
    ['129 characters', JSON.stringify({ id: '17', session_id: 'x'.repeat(129) })],
    ['a number', '{"id":"17","session_id":42}'],
    ['null', '{"id":"17","session_id":null}'],
    ['a boolean', '{"id":"17","session_id":true}'],
    ['an object', '{"id":"17","session_id":{"id":"s"}}'],
    ['an array', '{"id":"17","session_id":["s"]}'],
  ])('refuses a session_id that is %s with 4009 and a message naming it', (_, raw) => {
    expect(refusal(parseSigninUserData(raw))).toBe(
      'user_data.session_id must be a string of 1 to 128 characters',
    );
  });

  it('the other fields are still checked first', () => {
    expect(refusal(parseSigninUserData('{"session_id":"s"}'))).toMatch(/non-empty string id/);
    expect(refusal(parseSigninUserData('{"id":"1","watchlist":"2","session_id":"s"}'))).toMatch(/watchlist/);
  });
});

describe('reverb:session_replaced and the close 4010', () => {
  const FRAME = '{"event":"reverb:session_replaced","data":"{}"}';

  it('the server encodes the event byte for byte: no channel, data "{}"', () => {
    expect(SESSION_REPLACED).toBe('reverb:session_replaced');
    expect(encodeServerMessage({ event: SESSION_REPLACED, data: {} })).toBe(FRAME);
  });

  it('a client reads it as a channel-less event with empty data', () => {
    expect(ok(decodeServerMessage(FRAME))).toEqual({ event: SESSION_REPLACED, data: {} });
    expect(readServerMessageLoosely(FRAME)).toStrictEqual({
      event: SESSION_REPLACED,
      channel: undefined,
      data: {},
      user_id: undefined,
    });
  });

  it('4010 is a close code with the documented reason, and clients never reconnect from it', () => {
    expect(SESSION_REPLACED_CODE).toBe(4010);
    expect(ErrorCode.SessionReplaced).toBe(4010);
    expect(ERROR_CODES[4010]).toEqual({
      code: 4010,
      message: 'Session replaced by a newer sign-in',
      policy: 'stop',
      closes: true,
    });
    expect(errorMessageFor(ErrorCode.SessionReplaced)).toBe('Session replaced by a newer sign-in');
    expect(reconnectPolicyFor(4010)).toBe('stop');
    expect(new TextEncoder().encode(errorMessageFor(4010)).length).toBeLessThanOrEqual(
      Limits.MAX_CLOSE_REASON_BYTES,
    );
  });
});

describe('the session_replaced webhook', () => {
  const BODY =
    '{"time_ms":1700000000123,"events":[{"name":"session_replaced","user_id":"17","session_id":"old-session","replaced_by":"new-session"}]}';

  it('is the §11.2 body, and the pusher SDK reads it from a signed POST', () => {
    const body: WebhookBody = {
      time_ms: 1700000000123,
      events: [
        { name: 'session_replaced', user_id: '17', session_id: 'old-session', replaced_by: 'new-session' },
      ],
    };
    expect(JSON.stringify(body)).toBe(BODY);
    const pusher = new Pusher({ appId: DEMO.appId, key: DEMO.key, secret: DEMO.secret, host: '127.0.0.1' });
    const webhook = pusher.webhook({
      headers: {
        'content-type': WEBHOOK_CONTENT_TYPE,
        'x-pusher-key': DEMO.key,
        'x-pusher-signature': signWebhook(DEMO.secret, BODY),
      },
      rawBody: BODY,
    });
    expect(webhook.isValid()).toBe(true);
    expect(webhook.getEvents()).toEqual(body.events);
  });
});
