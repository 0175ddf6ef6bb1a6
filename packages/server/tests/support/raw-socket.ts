import WebSocket from 'ws';
import { EVENT_TIMEOUT_MS } from './events';
import type { Target } from './target';

/** A frame as it came off the wire, with `data` left exactly as the server encoded it. */
export interface RawFrame {
  readonly event: string;
  readonly channel?: string;
  readonly data?: unknown;
  readonly raw: string;
}

/**
 * A bare `ws` connection speaking protocol 7, for the few checks where pusher-js would hide what we
 * want to see (the exact bytes of `data`).
 */
export async function openRawSocket(target: Target) {
  const socket = new WebSocket(
    `ws://${target.host}:${target.port}/app/${target.app.key}?protocol=7&client=js&version=8.6.0&flash=false`,
  );
  const frames: RawFrame[] = [];
  const waiters: Array<() => void> = [];
  socket.on('message', (buffer) => {
    const raw = buffer.toString();
    frames.push({ ...(JSON.parse(raw) as { event: string }), raw });
    for (const wake of waiters.splice(0)) wake();
  });
  const next = (matches: (f: RawFrame) => boolean, what: string) =>
    new Promise<RawFrame>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`Timed out waiting for ${what}; got ${frames.map((f) => f.raw).join('\n')}`)),
        EVENT_TIMEOUT_MS,
      );
      const check = () => {
        const found = frames.find(matches);
        if (found) {
          clearTimeout(timer);
          resolve(found);
        } else waiters.push(check);
      };
      check();
    });
  await next((f) => f.event === 'pusher:connection_established', 'connection_established');
  return {
    frames,
    next,
    async subscribe(channel: string): Promise<void> {
      socket.send(JSON.stringify({ event: 'pusher:subscribe', data: { channel, auth: '' } }));
      await next(
        (f) => f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel,
        `subscription to ${channel}`,
      );
    },
    close(): void {
      socket.terminate();
    },
  };
}
