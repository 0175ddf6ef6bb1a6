import { describe, expect, it } from 'vitest';
import {
  ERROR_CODES,
  ErrorCode,
  type ErrorCodeValue,
  errorMessageFor,
  reconnectPolicyFor,
} from '../src/protocol';

describe('error-code table (§4)', () => {
  it('has exactly the documented codes with their messages', () => {
    expect(Object.keys(ERROR_CODES).map(Number).sort()).toEqual([
      4000, 4001, 4003, 4004, 4005, 4006, 4007, 4008, 4009, 4010, 4100, 4200, 4201, 4202, 4301, 4302,
    ]);
    expect(errorMessageFor(ErrorCode.AppNotFound)).toBe('Application does not exist');
    expect(errorMessageFor(ErrorCode.SslOnly)).toBe(
      'Application only accepts SSL connections, reconnect using wss://',
    );
    expect(errorMessageFor(ErrorCode.NoProtocol)).toBe('No protocol version supplied');
    expect(errorMessageFor(ErrorCode.Unauthorized)).toBe('Connection is unauthorized');
    expect(errorMessageFor(ErrorCode.ClientEventRateLimit)).toBe('Client event rejected due to rate limit');
    for (const [code, info] of Object.entries(ERROR_CODES)) {
      expect(info.code).toBe(Number(code));
      // Close reasons are limited to 123 bytes.
      expect(new TextEncoder().encode(info.message).length).toBeLessThanOrEqual(123);
    }
  });

  it('43xx codes are pusher:error only: closing with them would stop pusher-js for good', () => {
    for (const info of Object.values(ERROR_CODES)) {
      expect(info.closes).toBe(info.code < 4300);
    }
  });

  it('the table policy agrees with reconnectPolicyFor', () => {
    for (const info of Object.values(ERROR_CODES)) {
      expect(reconnectPolicyFor(info.code)).toBe(info.policy);
    }
  });
});

describe('reconnectPolicyFor', () => {
  const cases: [number, ReturnType<typeof reconnectPolicyFor>][] = [
    [4000, 'now'],
    [4001, 'stop'],
    [4009, 'stop'],
    [4050, 'stop'],
    [4099, 'stop'],
    [4100, 'backoff'],
    [4150, 'backoff'],
    [4199, 'backoff'],
    [4200, 'now'],
    [4201, 'now'],
    [4202, 'now'],
    [4299, 'now'],
    [4300, 'stop'],
    [4301, 'stop'],
    [4399, 'stop'],
    [4999, 'stop'],
    [1002, 'backoff'],
    [1003, 'backoff'],
    [1004, 'backoff'],
    [1000, 'retry'],
    [1001, 'retry'],
    [1005, 'retry'],
    [1006, 'retry'],
    [1011, 'retry'],
    [3999, 'retry'],
  ];
  it.each(cases)('%i → %s', (code, policy) => {
    expect(reconnectPolicyFor(code)).toBe(policy);
  });

  it('every ErrorCode constant is in the table', () => {
    for (const code of Object.values(ErrorCode)) {
      expect(ERROR_CODES[code as ErrorCodeValue]).toBeDefined();
    }
  });
});
