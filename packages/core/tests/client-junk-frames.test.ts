/**
 * Frames from a non-conforming server: whatever arrives, the socket handler must not throw (in Node an
 * exception out of a `ws` message handler is an uncaught exception) and the client must go on working.
 */
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createReverbClient } from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

const CHANNELS = ['orders', 'private-orders', 'presence-room', '#server-to-user-17'];
const EVENTS = [
  'pusher:connection_established',
  'pusher:error',
  'pusher:ping',
  'pusher:pong',
  'pusher:signin_success',
  'pusher:subscription_error',
  'pusher:cache_miss',
  'pusher_internal:subscription_succeeded',
  'pusher_internal:member_added',
  'pusher_internal:member_removed',
  'pusher_internal:subscription_count',
  'pusher_internal:watchlist_events',
  'shipped',
];

// Normalized through JSON text: what the wire can carry.
const json = fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
/** A value, or the JSON string of one (servers double-encode `data`). */
const maybeEncoded = <T>(value: fc.Arbitrary<T>) =>
  fc.oneof(
    value,
    value.map((v) => JSON.stringify(v)),
  );
/** `data` shaped like the real one, with fields of the wrong type. */
const nearMiss = fc.record(
  {
    socket_id: json,
    activity_timeout: json,
    code: json,
    message: json,
    user_id: json,
    user_info: json,
    user_data: maybeEncoded(json),
    subscription_count: json,
    type: json,
    error: json,
    status: json,
    presence: fc.oneof(json, fc.record({ ids: json, hash: json, count: json }, { requiredKeys: [] })),
    events: fc.oneof(
      json,
      fc.array(fc.oneof(json, fc.record({ name: json, user_ids: json }, { requiredKeys: [] }))),
    ),
  },
  { requiredKeys: [] },
);
const junk = fc.oneof(
  fc.string({ unit: 'binary' }),
  json.map((v) => JSON.stringify(v)),
  fc
    .record(
      {
        event: fc.oneof(fc.constantFrom(...EVENTS), json),
        channel: fc.oneof(fc.constantFrom(...CHANNELS), json),
        data: maybeEncoded(fc.oneof(json, nearMiss)),
        user_id: json,
      },
      { requiredKeys: [] },
    )
    .map((v) => JSON.stringify(v)),
);

/** Frames that each broke a handler once: always tried, whatever the random ones hit. */
const KNOWN_BAD: Array<Record<string, unknown>> = [
  { event: 'pusher_internal:watchlist_events', data: { events: 5 } },
  { event: 'pusher_internal:watchlist_events', data: { events: [[]] } },
  { event: 'pusher_internal:watchlist_events', data: { events: [null] } },
  {
    event: 'pusher_internal:subscription_succeeded',
    channel: 'presence-room',
    data: { presence: { ids: 5 } },
  },
  { event: 'pusher_internal:subscription_succeeded', channel: 'presence-room', data: 'null' },
  { event: 'pusher_internal:member_added', channel: 'presence-room', data: 'null' },
  { event: 'pusher_internal:member_removed', channel: 'presence-room', data: {} },
  { event: 'pusher:connection_established', data: null },
  { event: 'pusher:error', data: 'null' },
  { event: 'pusher:signin_success', data: { user_data: 5 } },
  { event: 'pusher:subscription_error', channel: 'orders', data: null },
  { event: 'pusher_internal:subscription_count', channel: 'orders' },
  { event: 'shipped', channel: 5, data: '{}' },
  { event: 5, channel: 'orders' },
];

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
});

afterEach(() => {
  vi.useRealTimers();
});

describe('junk frames', () => {
  it('never make the socket handler throw, and the client keeps working', async () => {
    const client = createReverbClient({
      key: 'k',
      host: 'h',
      WebSocket: FakeWebSocket,
      autoConnect: false,
      authorize: async ({ channelName }) => ({
        auth: `k:${channelName}`,
        channel_data: JSON.stringify({ user_id: 17 }),
      }),
      authenticateUser: async () => ({ auth: 'k:u', user_data: '{"id":"17"}' }),
    });
    client.connect();
    const socket = FakeWebSocket.last;
    socket.establish();
    const held = ['orders', 'private-orders', 'presence-room'].map((name) => client.retain(name).channel);
    client.user.signin();
    await flush();
    socket.receive({ event: 'pusher:signin_success', data: { user_data: '{"id":"17"}' } });
    const [orders] = held;
    const received = vi.fn();
    orders?.bind('shipped', received);

    fc.assert(
      fc.property(junk, (frame) => {
        expect(() => socket.onmessage?.({ data: frame }), frame).not.toThrow();
      }),
      { numRuns: 2000, examples: KNOWN_BAD.map((frame) => [JSON.stringify(frame)]) },
    );

    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connected', socketId: '1.1' });
    received.mockClear();
    socket.receive({ event: 'shipped', channel: 'orders', data: '{"id":1}' });
    expect(received).toHaveBeenCalledExactlyOnceWith({ id: 1 }, { event: 'shipped', channel: 'orders' });
  });

  it('a handshake without a socket id does not connect', () => {
    const client = createReverbClient({ key: 'k', host: 'h', WebSocket: FakeWebSocket, autoConnect: false });
    client.connect();
    FakeWebSocket.last.readyState = 1;
    FakeWebSocket.last.receive({ event: 'pusher:connection_established', data: '{"activity_timeout":30}' });
    expect(client.connection.getSnapshot().state).toBe('connecting');
    FakeWebSocket.last.establish('2.2');
    expect(client.connection.getSnapshot()).toMatchObject({ state: 'connected', socketId: '2.2' });
  });
});
