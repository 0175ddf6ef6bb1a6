import { describe, expect, it } from 'vitest';
import {
  DEFAULT_EVENT_LIMITS,
  type HttpValidation,
  Limits,
  type PublishableEvent,
  validateBatchRequest,
  validateTriggerRequest,
} from '../src/protocol';

function value<T>(result: HttpValidation<T>): T {
  if (!result.ok) throw new Error(`expected ok, got ${result.status} ${result.error}`);
  return result.value;
}

function rejected<T>(result: HttpValidation<T>, status: 400 | 413): string {
  if (result.ok) throw new Error(`expected ${status}, got ${JSON.stringify(result.value)}`);
  expect(result.status).toBe(status);
  return result.error;
}

const base = { name: 'order-shipped', data: '{"id":17}' };

describe('validateTriggerRequest (§7.3)', () => {
  it('accepts the §7.2 demo body', () => {
    const event: PublishableEvent = value(
      validateTriggerRequest(
        JSON.parse(
          '{"name":"order-shipped","channels":["private-orders.17","orders"],"data":"{\\"id\\":17,\\"status\\":\\"shipped\\"}","socket_id":"1234.5678"}',
        ),
      ),
    );
    expect(event).toEqual({
      name: 'order-shipped',
      channels: ['private-orders.17', 'orders'],
      data: '{"id":17,"status":"shipped"}',
      socketId: '1234.5678',
      info: [],
    });
  });

  it("accepts PHP's singular channel; channels wins when both are present", () => {
    expect(value(validateTriggerRequest({ ...base, channel: 'orders' })).channels).toEqual(['orders']);
    expect(value(validateTriggerRequest({ ...base, channel: 'a', channels: ['b', 'c'] })).channels).toEqual([
      'b',
      'c',
    ]);
  });

  it('parses info as a comma list', () => {
    expect(
      value(validateTriggerRequest({ ...base, channels: ['a'], info: 'user_count, subscription_count,' }))
        .info,
    ).toEqual(['user_count', 'subscription_count']);
    rejected(validateTriggerRequest({ ...base, channels: ['a'], info: ['user_count'] }), 400);
  });

  it('allows 100 channels, refuses 101', () => {
    const channels = Array.from({ length: 100 }, (_, i) => `c${i}`);
    expect(value(validateTriggerRequest({ ...base, channels })).channels).toHaveLength(100);
    expect(rejected(validateTriggerRequest({ ...base, channels: [...channels, 'x'] }), 400)).toMatch(/100/);
  });

  it('data of 10 240 bytes passes; one byte more is 413, counted in UTF-8', () => {
    expect(Limits.MAX_EVENT_DATA_BYTES).toBe(10_240);
    expect(
      value(validateTriggerRequest({ ...base, channels: ['a'], data: 'x'.repeat(10_240) })).data,
    ).toHaveLength(10_240);
    expect(
      rejected(validateTriggerRequest({ ...base, channels: ['a'], data: 'x'.repeat(10_241) }), 413),
    ).toBe('The data content of this event exceeds the allowed maximum (10240 bytes).');
    // 5 121 two-byte characters: 5 121 UTF-16 units but 10 242 bytes.
    rejected(validateTriggerRequest({ ...base, channels: ['a'], data: 'é'.repeat(5_121) }), 413);
    expect(
      value(validateTriggerRequest({ ...base, channels: ['a'], data: 'é'.repeat(5_120) })).data,
    ).toHaveLength(5_120);
    // 2 560 emoji: 5 120 units, 10 240 bytes; one more is over.
    value(validateTriggerRequest({ ...base, channels: ['a'], data: '😀'.repeat(2_560) }));
    rejected(validateTriggerRequest({ ...base, channels: ['a'], data: '😀'.repeat(2_560) + 'x' }), 413);
  });

  it.each(['pusher:subscribe', 'pusher:anything', 'pusher_internal:member_added', 'reverb:session_replaced'])(
    'reserved name %s is 400',
    (name) => {
      expect(rejected(validateTriggerRequest({ ...base, name, channels: ['a'] }), 400)).toMatch(/reserved/);
    },
  );

  it('event names up to 200 characters', () => {
    value(validateTriggerRequest({ ...base, name: 'e'.repeat(200), channels: ['a'] }));
    rejected(validateTriggerRequest({ ...base, name: 'e'.repeat(201), channels: ['a'] }), 400);
  });

  it.each<[string, unknown]>([
    ['not an object', 'x'],
    ['an array', []],
    ['no name', { data: 'x', channels: ['a'] }],
    ['an empty name', { name: '', data: 'x', channels: ['a'] }],
    ['object data', { name: 'e', data: { a: 1 }, channels: ['a'] }],
    ['no data', { name: 'e', channels: ['a'] }],
    ['no channels', { name: 'e', data: 'x' }],
    ['empty channels', { name: 'e', data: 'x', channels: [] }],
    ['channels as a string', { name: 'e', data: 'x', channels: 'a' }],
    ['a bad channel name', { name: 'e', data: 'x', channels: ['a b'] }],
    ['a non-string channel', { name: 'e', data: 'x', channels: [1] }],
    ['a 201-character channel', { name: 'e', data: 'x', channels: ['c'.repeat(201)] }],
    ['a numeric socket_id', { name: 'e', data: 'x', channels: ['a'], socket_id: 1 }],
  ])('400 on %s', (_what, body) => {
    expect(rejected(validateTriggerRequest(body), 400).length).toBeGreaterThan(0);
  });

  it('#server-to-user- channels are valid targets (sendToUser)', () => {
    expect(value(validateTriggerRequest({ ...base, channel: '#server-to-user-17' })).channels).toEqual([
      '#server-to-user-17',
    ]);
  });

  it('honours custom limits', () => {
    const limits = { ...DEFAULT_EVENT_LIMITS, maxChannelsPerTrigger: 1, maxEventDataBytes: 3 };
    rejected(validateTriggerRequest({ ...base, channels: ['a', 'b'] }, limits), 400);
    rejected(validateTriggerRequest({ name: 'e', data: 'abcd', channels: ['a'] }, limits), 413);
  });
});

describe('validateBatchRequest (§7.3)', () => {
  const item = (i: number) => ({ name: `e${i}`, channel: `c${i}`, data: '{}' });

  it('accepts up to 10 events, in order', () => {
    const events = value(validateBatchRequest({ batch: Array.from({ length: 10 }, (_, i) => item(i)) }));
    expect(events.map((e) => e.channels)).toEqual(Array.from({ length: 10 }, (_, i) => [`c${i}`]));
  });

  it('refuses 11 events, an empty batch and a non-batch body', () => {
    expect(
      rejected(validateBatchRequest({ batch: Array.from({ length: 11 }, (_, i) => item(i)) }), 400),
    ).toMatch(/10/);
    rejected(validateBatchRequest({ batch: [] }), 400);
    rejected(validateBatchRequest({ events: [] }), 400);
    rejected(validateBatchRequest({ batch: [1] }), 400);
  });

  it('each entry is validated like a trigger: 413 on big data, 400 on reserved names', () => {
    rejected(validateBatchRequest({ batch: [item(0), { ...item(1), data: 'x'.repeat(10_241) }] }), 413);
    rejected(validateBatchRequest({ batch: [{ ...item(0), name: 'pusher:x' }] }), 400);
    rejected(validateBatchRequest({ batch: [{ name: 'e', data: 'x' }] }), 400);
  });
});
