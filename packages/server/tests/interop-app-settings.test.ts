// pusher-js and the `pusher` SDK against the per-app settings of the config file, as an operator
// sets them: several apps on one server, a disabled app, a connection quota, client events off,
// subscription counts off. Needs a server started with these apps, so it is skipped against an
// external REVERB_TEST_TARGET_URL.
import { type ServerHandle, startServer } from '@react-reverb/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type AppBackend, startAppBackend } from './support/app-backend';
import { SMALL_APP } from './support/apps';
import { sdkFor } from './support/auth';
import { nextEvent, nextMatching, record } from './support/events';
import { statusOf } from './support/http-api';
import { drain, pusherJsPool, subscribed } from './support/pusher-js-clients';
import { type Target, targetOf } from './support/target';

const APPS = {
  orders: { id: '1001', key: 'orders-key', secret: 'orders-secret', client_events: false },
  shop: { id: '1002', key: 'shop-key', secret: 'shop-secret', client_events: true },
  off: { id: '1003', key: 'off-key', secret: 'off-secret', enabled: false },
  small: SMALL_APP,
} as const;
type AppName = keyof typeof APPS;

let server: ServerHandle;
const targets = {} as Record<AppName, Target>;
const backends = {} as Record<AppName, AppBackend>;
const pools = Object.fromEntries(
  (Object.keys(APPS) as AppName[]).map((name) => [
    name,
    pusherJsPool(
      () => targets[name],
      () => backends[name],
    ),
  ]),
) as Record<AppName, ReturnType<typeof pusherJsPool>>;

interface RefusedError {
  error?: { data?: { code?: number } };
}

describe.skipIf(Boolean(process.env.REVERB_TEST_TARGET_URL))('app settings from the config file', () => {
  beforeAll(async () => {
    server = await startServer({ apps: Object.values(APPS) });
    for (const name of Object.keys(APPS) as AppName[]) {
      targets[name] = targetOf(server, APPS[name]);
      backends[name] = await startAppBackend(targets[name]);
    }
  });
  afterEach(() => {
    for (const pool of Object.values(pools)) pool.closeAll();
  });
  afterAll(async () => {
    await Promise.all(Object.values(backends).map((b) => b.close()));
    await server?.stop();
  });

  it('keeps apps apart: the same channel name in two apps does not share events', async () => {
    const [inOrders, inShop] = await Promise.all([pools.orders.connect(), pools.shop.connect()]);
    const [chOrders, chShop] = await Promise.all([subscribed(inOrders, 'news'), subscribed(inShop, 'news')]);
    const leaked = record(chOrders, 'headline');
    const got = nextEvent(chShop, 'headline', 'event in the shop app');
    await backends.shop.pusher.trigger('news', 'headline', { app: 'shop' });
    expect(await got).toEqual({ app: 'shop' });
    await drain(backends.orders, inOrders, 'news');
    expect(leaked).toEqual([]);
  });

  it("refuses another app's id with this app's credentials (401)", async () => {
    const crossed = sdkFor({ ...targets.orders, app: { ...targets.orders.app, id: APPS.shop.id } });
    expect(await statusOf(crossed.trigger('news', 'headline', {}))).toBe(401);
  });

  it('a disabled app: pusher-js is refused with 4003 and the HTTP API answers 403', async () => {
    const client = pools.off.create();
    const error = await nextEvent<RefusedError>(client.connection, 'error', 'disabled app');
    expect(error.error?.data?.code).toBe(4003);
    expect(await statusOf(backends.off.pusher.trigger('news', 'headline', {}))).toBe(403);
  });

  it('max_connections: the connection over the quota is refused with 4004', async () => {
    await Promise.all([pools.small.connect(), pools.small.connect()]);
    const third = pools.small.create();
    const error = await nextEvent<RefusedError>(third.connection, 'error', 'over quota');
    expect(error.error?.data?.code).toBe(4004);
  });

  it('client_events: false refuses whispers with pusher:error and delivers nothing', async () => {
    const [a, b] = await Promise.all([pools.orders.connect('1'), pools.orders.connect('2')]);
    const [chA, chB] = await Promise.all([subscribed(a, 'private-chat'), subscribed(b, 'private-chat')]);
    const received = record(chB, 'client-typing');
    const error = nextMatching<{ type?: string; data?: { code?: number } }>(
      a.connection,
      'error',
      (e) => e.type === 'PusherError',
      'refused client event',
    );
    chA.trigger('client-typing', { typing: true });
    expect((await error).data?.code).toBe(4009);
    await drain(backends.orders, b, 'private-chat');
    expect(received).toEqual([]);
  });

  it('subscription_count off (the default): no pusher:subscription_count events', async () => {
    const [a, b] = await Promise.all([pools.shop.connect(), pools.shop.connect()]);
    const counts = record(a.subscribe('counted'), 'pusher:subscription_count');
    await subscribed(a, 'counted');
    await subscribed(b, 'counted');
    await drain(backends.shop, a, 'counted');
    expect(counts).toEqual([]);
  });
});
