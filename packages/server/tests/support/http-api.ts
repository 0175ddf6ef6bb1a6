import { waitFor } from '@react-reverb/test-helpers';
import type Pusher from 'pusher';
import { EVENT_TIMEOUT_MS } from './events';

/** `GET /apps/{id}/{path}` through the SDK, parsed; throws (with status) on a non-200 answer. */
export async function getJson<T = Record<string, unknown>>(
  sdk: Pusher,
  path: string,
  params: Record<string, string> = {},
): Promise<T> {
  const response = await sdk.get({ path, params });
  return (await response.json()) as T;
}

export interface ChannelInfo {
  occupied: boolean;
  user_count?: number;
  subscription_count?: number;
  cache?: { data: string; ttl: number } | null;
}

export function channelInfo(sdk: Pusher, channel: string, info?: string): Promise<ChannelInfo> {
  return getJson<ChannelInfo>(sdk, `/channels/${channel}`, info ? { info } : {});
}

/**
 * Waits until the server reports `count` subscriptions on a public channel. Used as a barrier after a
 * client disconnects: once the count dropped, the server has finished handling that close.
 */
export async function untilSubscriptionCount(sdk: Pusher, channel: string, count: number): Promise<void> {
  let last: ChannelInfo | undefined;
  await waitFor(
    async () => {
      last = await channelInfo(sdk, channel, 'subscription_count');
      return (last.subscription_count ?? 0) === count;
    },
    EVENT_TIMEOUT_MS,
    `${count} subscriptions on ${channel} (last: ${JSON.stringify(last)})`,
  );
}

/** The HTTP status of a failed SDK request (`Pusher.RequestError`), or 200 when it succeeded. */
export async function statusOf(request: Promise<unknown>): Promise<number> {
  try {
    await request;
    return 200;
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    if (typeof status === 'number') return status;
    throw error;
  }
}

/**
 * `POST /apps/{id}/{path}` with a body the SDK's own helpers would not send (too many channels, an
 * internal channel name). `sdk.post` is typed as taking a string but JSON-encodes whatever it gets,
 * so it is handed the object.
 */
export function postJson(sdk: Pusher, path: string, body: Record<string, unknown>) {
  return sdk.post({ path, body: body as unknown as string });
}
