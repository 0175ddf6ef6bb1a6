/**
 * No leaks (issue 10), measured in-process where they are visible: STRESS_CLIENTS (default 2,000)
 * clients connect, subscribe (some to presence), receive steady triggers and leave, some abruptly.
 * Afterwards the server's registry is empty, and the process's heap (after a full GC), active timers,
 * sockets and event listeners are back near their baseline.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { waitFor } from '@react-reverb/test-helpers';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { defineConfig } from '../../src/config/config';
import { createReverbServer } from '../../src/server';
import { sdkFor } from '../support/auth';
import { signedPath } from '../support/http';
import { PUSHER_JS_QUERY } from '../support/raw-client';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const CLIENTS = Number(process.env.STRESS_CLIENTS ?? 2000);
const APP = { id: '6161', key: 'leak-key', secret: 'leak-secret', client_events: true } as const;
const signer = sdkFor({ app: APP });

function heapMb(): number {
  gc();
  gc();
  return process.memoryUsage().heapUsed / 1024 / 1024;
}

function resources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1;
  return counts;
}

async function openClient(port: number, index: number): Promise<{ ws: WebSocket; events: number }> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/app/${APP.key}?${PUSHER_JS_QUERY}`);
  const client = { ws, events: 0 };
  await new Promise<void>((resolve, reject) => {
    const presence = index % 40 === 0; // at most 50 members: under the default limit of 100
    let pending = presence ? 2 : 1;
    ws.on('error', reject);
    ws.on('close', (code) => reject(new Error(`client ${index} closed with ${code}`)));
    ws.on('message', (raw) => {
      const frame = JSON.parse(raw.toString()) as { event: string; data?: string };
      if (frame.event === 'pusher:subscription_error')
        reject(new Error(`client ${index}: ${raw.toString()}`));
      if (frame.event === 'pusher:connection_established') {
        const socketId = (JSON.parse(frame.data as string) as { socket_id: string }).socket_id;
        ws.send(
          JSON.stringify({ event: 'pusher:subscribe', data: { channel: `load-${index % 50}`, auth: '' } }),
        );
        if (presence) {
          const auth = signer.authorizeChannel(socketId, 'presence-leak', { user_id: String(index) });
          ws.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel: 'presence-leak', ...auth } }));
        }
      } else if (frame.event === 'pusher_internal:subscription_succeeded') {
        if (--pending === 0) resolve();
      } else if (frame.event === 'tick') {
        client.events++;
      }
    });
  });
  return client;
}

async function trigger(port: number, channels: string[], seq: number): Promise<void> {
  const body = JSON.stringify({ name: 'tick', channels, data: String(seq) });
  const path = signedPath(APP, 'POST', `/apps/${APP.id}/events`, { body });
  const response = await fetch(`http://127.0.0.1:${port}${path}`, {
    method: 'POST',
    body,
    headers: { 'Content-Type': 'application/json' },
  });
  expect(response.status).toBe(200);
  await response.text();
}

/** Connects everyone, triggers on every channel, then half close cleanly and half vanish. */
async function round(port: number): Promise<void> {
  const clients: Array<{ ws: WebSocket; events: number }> = [];
  for (let start = 0; start < CLIENTS; start += 100) {
    clients.push(
      ...(await Promise.all(
        Array.from({ length: Math.min(100, CLIENTS - start) }, (_, i) => openClient(port, start + i)),
      )),
    );
  }
  const channels = Array.from({ length: 50 }, (_, i) => `load-${i}`);
  for (let seq = 0; seq < 10; seq++) {
    await trigger(port, channels.slice(0, 25), seq);
    await trigger(port, channels.slice(25), seq);
  }
  await waitFor(() => clients.every((c) => c.events === 10), 30_000, 'every client to get 10 events');
  clients.forEach((c, i) => {
    if (i % 2 === 0) c.ws.close();
    else c.ws.terminate();
  });
}

describe(`${CLIENTS} clients in-process`, () => {
  it('leave nothing behind: registry, heap, timers, sockets, listeners', async () => {
    const config = defineConfig({ apps: [APP], host: '127.0.0.1', port: 0 });
    const server = createReverbServer(config, { quiet: true });
    const { port } = await server.listen();
    try {
      // Warm-up round: code paths compiled, pools and caches at their steady size.
      await round(port);
      await waitFor(() => server.stats().connections === 0, 30_000, 'warm-up clients gone');
      const baseline = {
        heap: heapMb(),
        resources: resources(),
        listeners: server.events.eventNames().length,
      };

      await round(port);
      await waitFor(() => server.stats().connections === 0, 30_000, 'clients gone');
      expect(server.stats()).toMatchObject({
        connections: 0,
        channels: 0,
        subscriptions: 0,
        presenceMembers: 0,
        users: 0,
        watchers: 0,
      });

      // Sockets and timers of the departed clients disappear (closing handshakes may take a moment).
      await waitFor(
        () => (resources().TCPSocketWrap ?? 0) <= (baseline.resources.TCPSocketWrap ?? 0) + 2,
        30_000,
        'sockets back to baseline',
      );
      await waitFor(
        () => (resources().Timeout ?? 0) <= (baseline.resources.Timeout ?? 0) + 5,
        15_000,
        'timers back to baseline',
      );
      expect(server.events.eventNames().length).toBe(baseline.listeners);
      const after = heapMb();
      console.log(
        `heap: baseline ${baseline.heap.toFixed(1)} MB, after ${after.toFixed(1)} MB; resources ${JSON.stringify(resources())}`,
      );
      // A leaked connection costs several KB: 2,000 of them would show as megabytes.
      expect(after - baseline.heap).toBeLessThan(5);
    } finally {
      await server.close();
    }
  });
});
