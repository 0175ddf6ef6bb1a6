/**
 * disconnect() while the socket is still connecting, with the real `ws` package: `ws` answers the
 * close of a CONNECTING socket with an error event ("closed before the connection was established"),
 * and an `error` event without a handler is thrown by Node's EventEmitter as an uncaught exception.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { freePort, waitFor } from '@react-reverb/test-helpers';
import { afterEach, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createReverbClient } from '../src/index';

let server: Server | undefined;
const accepted: Socket[] = [];

afterEach(async () => {
  for (const socket of accepted.splice(0)) socket.destroy();
  await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  server = undefined;
});

/** A TCP server that accepts and never answers the upgrade: the WebSocket stays CONNECTING. */
async function silentServer(): Promise<number> {
  const port = await freePort();
  server = createServer((socket) => accepted.push(socket));
  await new Promise<void>((resolve) => server?.listen(port, '127.0.0.1', resolve));
  return port;
}

describe('disconnect() during the handshake with ws', () => {
  it('closes the connecting socket without an unhandled error', async () => {
    const port = await silentServer();
    const sockets: WebSocket[] = [];
    class TrackedWebSocket extends WebSocket {
      constructor(url: string) {
        super(url);
        sockets.push(this);
      }
    }
    const uncaught: unknown[] = [];
    const onUncaught = (error: unknown) => uncaught.push(error);
    process.on('uncaughtException', onUncaught);
    try {
      const client = createReverbClient({
        key: 'demo-key-0001',
        host: '127.0.0.1',
        port,
        WebSocket: TrackedWebSocket,
        autoConnect: false,
      });
      client.connect();
      await waitFor(() => accepted.length === 1, 5_000, 'the TCP connection of the socket');
      const socket = sockets[0];
      expect(socket?.readyState).toBe(WebSocket.CONNECTING);
      // No 'error' listener of ours: only the client's handler stands between ws's error and a throw.
      let closed = false;
      socket?.on('close', () => {
        closed = true;
      });
      client.disconnect();
      expect(socket?.listenerCount('error')).toBe(1);
      await waitFor(() => closed, 5_000, 'the close of the connecting socket');
      expect(uncaught).toEqual([]);
      expect(client.connection.getSnapshot().state).toBe('disconnected');
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });
});
