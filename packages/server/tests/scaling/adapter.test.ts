/**
 * The scale-out seam: every HTTP broadcast, client event and terminate goes through the adapter, and
 * the HTTP API's questions are answered by `adapter.query` (so a Redis adapter can answer for the cluster).
 */
import { describe, expect, it } from 'vitest';
import {
  type Adapter,
  type AdapterMessage,
  type AdapterQuery,
  type AdapterQueryResults,
  LocalAdapter,
  type QueryOf,
} from '../../src/scaling/adapter';
import { joinPrivate, sdkFor, signIn } from '../support/auth';
import { RawClient } from '../support/raw-client';
import { sharedTestServer } from '../support/server';

const published: AdapterMessage[] = [];
const queried: AdapterQuery['type'][] = [];

/** A LocalAdapter that records what passes through it. */
class RecordingAdapter extends LocalAdapter implements Adapter {
  override async publish(message: AdapterMessage): Promise<void> {
    published.push(message);
    return super.publish(message);
  }
  override async query<T extends AdapterQuery['type']>(query: QueryOf<T>): Promise<AdapterQueryResults[T]> {
    queried.push(query.type);
    return super.query(query);
  }
}

const t = sharedTestServer(undefined, {}, { adapter: (node) => new RecordingAdapter(node) });

describe('adapter seam', () => {
  it('HTTP triggers publish one encoded frame per channel, with exclusion and cache data', async () => {
    await sdkFor(t).trigger(['a', 'cache-b'], 'ev', 'payload', { socket_id: '1.2' });
    expect(published.slice(-2)).toEqual([
      {
        type: 'broadcast',
        appId: '4242',
        channel: 'a',
        frame: '{"event":"ev","channel":"a","data":"payload"}',
        exceptSocketId: '1.2',
        cache: undefined,
      },
      {
        type: 'broadcast',
        appId: '4242',
        channel: 'cache-b',
        frame: '{"event":"ev","channel":"cache-b","data":"payload"}',
        exceptSocketId: '1.2',
        cache: { data: 'payload', ttlSeconds: 1800 },
      },
    ]);
  });

  it('client events publish with the sender excluded', async () => {
    const [a, b] = [await RawClient.open(t.wsUrl()), await RawClient.open(t.wsUrl())];
    for (const c of [a, b]) {
      await joinPrivate(t, c, 'private-seam');
    }
    a.send({ event: 'client-x', channel: 'private-seam', data: {} });
    await b.nextEvent('client-x');
    expect(published.at(-1)).toEqual({
      type: 'broadcast',
      appId: '4242',
      channel: 'private-seam',
      frame: '{"event":"client-x","channel":"private-seam","data":"{}"}',
      exceptSocketId: a.socketId,
    });
    a.close();
    b.close();
  });

  it('terminate_connections publishes terminate_user; queries go through adapter.query', async () => {
    const c = await RawClient.open(t.wsUrl());
    await signIn(t, c, { id: 'zed' });
    await sdkFor(t).terminateUserConnections('zed');
    expect(published.at(-1)).toEqual({ type: 'terminate_user', appId: '4242', userId: 'zed' });
    expect((await c.closed()).code).toBe(4009);
    await sdkFor(t).get({ path: '/channels' });
    await sdkFor(t).get({ path: '/channels/presence-x/users' });
    await sdkFor(t).get({ path: '/channels/cache-b', params: { info: 'cache' } });
    expect(queried).toEqual(expect.arrayContaining(['channels', 'users', 'channel', 'cache']));
  });
});
