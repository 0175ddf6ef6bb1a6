/**
 * The scale-out seam: every HTTP broadcast, client event and terminate goes through the adapter, and
 * the HTTP API's questions are answered by `adapter.query` (so a Redis adapter can answer for the cluster).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineConfig } from '../../src/config/config';
import {
  type Adapter,
  type AdapterMessage,
  type AdapterQuery,
  type AdapterQueryResults,
  LocalAdapter,
  type QueryOf,
} from '../../src/scaling/adapter';
import { createReverbServer, type ReverbServer } from '../../src/server';
import { privateAuth, sdkFor, userAuth } from '../helpers/auth';
import { RawClient, subscribeFrame } from '../helpers/raw-client';
import { DEMO_APP_CONFIG, type TestServer } from '../helpers/server';

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

let server: ReverbServer;
let t: TestServer;
beforeAll(async () => {
  server = createReverbServer(defineConfig({ apps: [DEMO_APP_CONFIG], host: '127.0.0.1', port: 0 }), {
    quiet: true,
    adapter: (node) => new RecordingAdapter(node),
  });
  const { port } = await server.listen();
  t = {
    server,
    port,
    httpUrl: `http://127.0.0.1:${port}`,
    app: DEMO_APP_CONFIG,
    wsUrl: (key = DEMO_APP_CONFIG.key) => `ws://127.0.0.1:${port}/app/${key}?protocol=7`,
    close: () => server.close(),
  };
});
afterAll(() => server.close());

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
      c.send(subscribeFrame('private-seam', privateAuth(t, c.socketId, 'private-seam')));
      await c.nextEvent('pusher_internal:subscription_succeeded');
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
    c.send({ event: 'pusher:signin', data: userAuth(t, c.socketId, { id: 'zed' }) });
    await c.nextEvent('pusher:signin_success');
    await sdkFor(t).terminateUserConnections('zed');
    expect(published.at(-1)).toEqual({ type: 'terminate_user', appId: '4242', userId: 'zed' });
    expect((await c.closed()).code).toBe(4009);
    await sdkFor(t).get({ path: '/channels' });
    await sdkFor(t).get({ path: '/channels/presence-x/users' });
    await sdkFor(t).get({ path: '/channels/cache-b', params: { info: 'cache' } });
    expect(queried).toEqual(expect.arrayContaining(['channels', 'users', 'channel', 'cache']));
  });
});
