/**
 * What the recovery tests share (docs/protocol.md §11.1): a raw client that remembers, per channel,
 * the position it last saw and subscribes again with `recover`, the way our client is meant to; the
 * events it received, with their positions, in wire order; and events triggered with the `pusher` SDK.
 */
import { waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { expect } from 'vitest';
import { presenceAuth, privateAuth, type SigningTarget, userAuth } from './auth';
import { type Frame, PUSHER_JS_QUERY, RawClient } from './raw-client';

export interface Position {
  readonly epoch: string;
  readonly offset: number;
}

/** An app event as received: its Pusher fields and, on a history channel, its position. */
export interface ReceivedEvent {
  readonly event: string;
  readonly channel: string;
  readonly data: string;
  readonly offset?: number;
  readonly epoch?: string;
}

export interface Recovery {
  readonly recovered: boolean;
  readonly replayed: number;
  readonly reason?: string;
}

/** The `data` of `subscription_succeeded`, parsed. */
export interface Answer {
  readonly presence?: { ids: string[]; count: number };
  readonly stream?: Position;
  readonly recovery?: Recovery;
}

export interface HistoryAsk {
  readonly recover?: unknown;
  readonly rewind?: unknown;
}

/** `ws://127.0.0.1:{port}/app/{key}?…` */
export function wsUrlAt(port: number, key: string): string {
  return `ws://127.0.0.1:${port}/app/${key}?${PUSHER_JS_QUERY}`;
}

const isAppEvent = (f: Frame) => !f.event.startsWith('pusher');

/** The app events `client` received on `channel`, in order. */
export function eventsOn(client: RawClient, channel: string): ReceivedEvent[] {
  return client.frames.filter((f) => f.channel === channel && isAppEvent(f)) as ReceivedEvent[];
}

/** The `n` of each event (the tests trigger `{"n":…}`). */
export function ns(events: readonly ReceivedEvent[]): number[] {
  return events.map((e) => (JSON.parse(e.data) as { n: number }).n);
}

/**
 * Every frame `client` received on `channel` after its (last) `subscription_succeeded`, in order,
 * subscription counts left out (they come whenever a count changes).
 */
export function afterAnswer(client: RawClient, channel: string): Frame[] {
  const frames = client.frames;
  let at = -1;
  frames.forEach((f, i) => {
    if (f.event === 'pusher_internal:subscription_succeeded' && f.channel === channel) at = i;
  });
  if (at < 0) throw new Error(`no subscription_succeeded on ${channel}`);
  return frames
    .slice(at + 1)
    .filter((f) => f.channel === channel && f.event !== 'pusher_internal:subscription_count');
}

/** Offsets `from`, `from + 1`, … of one epoch: a stream without holes. */
export function expectContiguous(events: readonly ReceivedEvent[], epoch: string, from: number): void {
  expect(events.map((e) => [e.epoch, e.offset])).toEqual(events.map((_, i) => [epoch, from + i]));
}

/**
 * A connection of one client, which remembers where it stands on each channel (from `stream`, then from
 * every positioned event) and the socket ids it had, so it can subscribe again with `recover`.
 */
export class RecoveringClient {
  readonly positions = new Map<string, Position>();
  readonly socketIds: string[] = [];
  client!: RawClient;

  constructor(
    private readonly target: SigningTarget,
    private url: string,
  ) {}

  /** Opens a new connection (at `url` when given: another node, or the same one through a proxy). */
  async connect(url = this.url): Promise<RawClient> {
    this.url = url;
    const client = await RawClient.open(url);
    if (client.frames[0]?.event !== 'pusher:connection_established') {
      throw new Error(`not connected: ${client.raw[0] ?? `closed ${client.closeCode}`}`);
    }
    this.client = client;
    this.socketIds.push(client.socketId);
    return client;
  }

  /** Signs in (for `#server-to-user-{id}`). */
  async signIn(userId: string): Promise<void> {
    this.client.send({
      event: 'pusher:signin',
      data: userAuth(this.target, this.client.socketId, { id: userId }),
    });
    await this.client.nextEvent('pusher:signin_success');
  }

  /**
   * Subscribes (signing private and presence channels) with `ask` as extra subscribe data, or with `recover` from
   * the remembered position when `ask` is 'recover'; resolves with the parsed answer.
   */
  async subscribe(channel: string, ask: HistoryAsk | 'recover' = {}, presenceUserId = 'u1'): Promise<Answer> {
    const extra = ask === 'recover' ? { recover: this.recoverFor(channel) } : ask;
    const { socketId } = this.client;
    const signed = channel.startsWith('presence-')
      ? presenceAuth(this.target, socketId, channel, presenceUserId)
      : { auth: channel.startsWith('private-') ? privateAuth(this.target, socketId, channel) : '' };
    this.client.send({ event: 'pusher:subscribe', data: { channel, ...signed, ...extra } });
    const frame = await this.client.nextEvent('pusher_internal:subscription_succeeded', channel);
    const answer = JSON.parse(frame.data as string) as Answer;
    if (answer.stream) this.positions.set(channel, answer.stream);
    return answer;
  }

  /** `recover` as our client sends it: the last position and up to 5 previous socket ids. */
  recoverFor(channel: string): Record<string, unknown> {
    const position = this.positions.get(channel);
    if (!position) throw new Error(`no position on ${channel}`);
    const previous = this.socketIds.slice(0, -1).slice(-5);
    return { epoch: position.epoch, offset: position.offset, socket_ids: previous };
  }

  /** Waits for `count` app events on `channel` in total, then remembers the last position. */
  async received(channel: string, count: number, timeoutMs = 10_000): Promise<ReceivedEvent[]> {
    await waitFor(
      () => eventsOn(this.client, channel).length >= count,
      timeoutMs,
      `${count} events on ${channel} (got ${eventsOn(this.client, channel).length})`,
    );
    return this.remember(channel);
  }

  /** Remembers the last positioned event on `channel`; returns every event received there. */
  remember(channel: string): ReceivedEvent[] {
    const events = eventsOn(this.client, channel);
    const last = events.filter((e) => e.epoch !== undefined).at(-1);
    if (last?.epoch !== undefined && last.offset !== undefined) {
      this.positions.set(channel, { epoch: last.epoch, offset: last.offset });
    }
    return events;
  }
}

/** Triggers `{"n": from}` … `{"n": to - 1}` on `channel`, one request each, in order. */
export async function triggerRange(
  sdk: Pusher,
  channel: string,
  from: number,
  to: number,
  params: { socket_id?: string } = {},
): Promise<void> {
  for (let n = from; n < to; n++)
    await sdk.trigger(channel, 'App\\Events\\Msg', JSON.stringify({ n }), params);
}

/** Triggers `{"n": from}` … `{"n": to - 1}` on `channel` through `/batch_events`, 10 per request. */
export async function triggerBatches(sdk: Pusher, channel: string, from: number, to: number): Promise<void> {
  for (let start = from; start < to; start += 10) {
    const batch = [];
    for (let n = start; n < Math.min(start + 10, to); n++) {
      batch.push({ channel, name: 'App\\Events\\Msg', data: JSON.stringify({ n }) });
    }
    await sdk.triggerBatch(batch);
  }
}
