import { createReverbClient, type ReverbClient } from '@react-reverb/core';
import { type ServerHandle, startServer, waitFor } from '@react-reverb/test-helpers';
import { createMockClient, type MockReverbClient } from 'react-reverb/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthServer, startAuthServer } from '../support/auth-server';
import { withNodeFetch } from '../support/node-fetch';
import { recordingWebSocket, type WireLog } from '../support/recording-websocket';

/**
 * The mock must behave like the real client where apps can see it. The same scenarios run against
 * `createMockClient()` and against `createReverbClient()` on the real server.
 */
interface Driver {
  readonly client: ReverbClient;
  /** Server-side: send an event to a channel. */
  send(channel: string, event: string, data: unknown): Promise<void>;
  subscribeFrames(channel: string): number;
  unsubscribeFrames(channel: string): number;
  close(): void;
}

let server: ServerHandle;
let auth: AuthServer;

beforeAll(async () => {
  server = await withNodeFetch(() => startServer());
  auth = await startAuthServer({ ...server.app, port: server.port });
}, 30_000);
afterAll(async () => {
  await auth?.close();
  await server?.stop();
});

function mockDriver(_connect = true): Driver {
  const client: MockReverbClient = createMockClient({ me: { id: '1', info: { name: 'Ada' } } });
  return {
    client,
    send: async (channel, event, data) => void client.emit(channel, event, data),
    subscribeFrames: (c) => client.subscribeCount(c),
    unsubscribeFrames: (c) => client.unsubscribeCount(c),
    close: () => client.disconnect(),
  };
}

function realDriver(connect = true): Driver {
  const { WebSocket, log }: { WebSocket: unknown; log: WireLog } = recordingWebSocket();
  const client = createReverbClient({
    key: server.app.key,
    host: '127.0.0.1',
    port: server.port,
    forceTLS: false,
    WebSocket,
    authEndpoint: `${auth.url}/broadcasting/auth`,
    auth: { headers: { 'X-User': '1' } },
    autoConnect: connect,
  });
  return {
    client,
    send: async (channel, event, data) => void (await auth.pusher.trigger(channel, event, data)),
    subscribeFrames: (c) => log.count('pusher:subscribe', c),
    unsubscribeFrames: (c) => log.count('pusher:unsubscribe', c),
    close: () => client.disconnect(),
  };
}

const status = (d: Driver, name: string) => d.client.channel(name)?.getSnapshot().status;
const macrotask = () => new Promise((r) => setTimeout(r, 20));

describe.each([
  ['mock', mockDriver],
  ['real client + server', realDriver],
])('ReverbClient contract: %s', (_label, make) => {
  it('one subscribe for many holds; a release and re-hold in one task keeps it; the last release unsubscribes', async () => {
    const d = make();
    try {
      await waitFor(() => d.client.connection.getSnapshot().state === 'connected', 10_000, 'connected');
      const a = d.client.retain('contract');
      const b = d.client.retain('contract');
      await waitFor(() => status(d, 'contract') === 'subscribed', 10_000, 'subscribed');
      a.release();
      b.release();
      const c = d.client.retain('contract');
      await macrotask();
      expect(d.subscribeFrames('contract')).toBe(1);
      expect(d.unsubscribeFrames('contract')).toBe(0);
      const got: unknown[] = [];
      const unbind = c.channel.bind('ping', (data, meta) => got.push([data, meta.channel, meta.event]));
      await d.send('contract', 'ping', { n: 1 });
      await waitFor(() => got.length === 1, 10_000, 'event');
      expect(got).toEqual([[{ n: 1 }, 'contract', 'ping']]);
      unbind();
      c.release();
      await waitFor(() => d.unsubscribeFrames('contract') === 1, 10_000, 'unsubscribe');
      expect(d.client.channel('contract')).toBeUndefined();
    } finally {
      d.close();
    }
  });

  it('sessionReplaced(): the terminal replaced state (4010), kept by disconnect(), left by connect()', async () => {
    const d = make();
    try {
      await waitFor(() => d.client.connection.getSnapshot().state === 'connected', 10_000, 'connected');
      const { channel, release } = d.client.retain('contract-replaced');
      await waitFor(() => channel.getSnapshot().status === 'subscribed', 10_000, 'subscribed');
      expect(channel.getSnapshot().recovery).toBeNull();
      d.client.sessionReplaced();
      expect(d.client.connection.getSnapshot()).toMatchObject({
        state: 'replaced',
        socketId: null,
        lastError: { code: 4010, message: 'Session replaced' },
      });
      expect(channel.getSnapshot().status).toBe('subscribing');
      d.client.disconnect();
      expect(d.client.connection.getSnapshot().state).toBe('replaced');
      d.client.connect();
      await waitFor(() => d.client.connection.getSnapshot().state === 'connected', 10_000, 'connected again');
      await waitFor(() => channel.getSnapshot().status === 'subscribed', 10_000, 'subscribed again');
      release();
    } finally {
      d.close();
    }
  });

  it('presence: me is a member once subscribed, with myId', async () => {
    const d = make();
    try {
      const { channel, release } = d.client.retainPresence<{ name: string }>('presence-contract');
      await waitFor(() => channel.getSnapshot().status === 'subscribed', 10_000, 'subscribed');
      expect(channel.presence.getSnapshot()).toMatchObject({
        me: { id: '1', info: { name: 'Ada' } },
        myId: '1',
        count: 1,
        stale: false,
      });
      release();
    } finally {
      d.close();
    }
  });

  // No socket here: closing a `ws` socket that is still connecting would emit an unhandled error.
  it('whispers need a private or presence channel (ClientEventError)', () => {
    const d = make(false);
    try {
      const { channel, release } = d.client.retain('public-contract');
      expect(() => channel.whisper('typing', {})).toThrow(
        expect.objectContaining({ name: 'ClientEventError' }),
      );
      release();
    } finally {
      d.close();
    }
  });

  it('idle server snapshots and Laravel event names', () => {
    const d = make(false);
    try {
      expect(d.client.connection.getServerSnapshot()).toEqual({
        state: 'initialized',
        socketId: null,
        attempt: 0,
        nextRetryAt: null,
        lastError: null,
      });
      expect(d.client.user.getServerSnapshot()).toMatchObject({ status: 'signed-out', id: null });
      expect(d.client.formatEventName('Orders.Shipped')).toBe('App\\Events\\Orders\\Shipped');
      expect(d.client.formatEventName('.shipped')).toBe('shipped');
    } finally {
      d.close();
    }
  });
});
