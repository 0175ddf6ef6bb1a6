import {
  type FaultProxy,
  launchBrowser,
  type RedisHandle,
  type ServerHandle,
  startFaultProxy,
  startRedis,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { DemoBackend } from '../server/app';
import { apiStatus, connectionState, Devices, kickedOut, live, login, SIGNED_IN_ELSEWHERE } from './devices';
import { demoApps, ensureBuilt, startBackend } from './harness';

/**
 * The edges of "signed in on another device" that an app doing it by hand gets wrong (issue 19): a
 * device offline during the new login, two nodes, and a server without single session (the app's own
 * broadcast, through `useSessionReplaced`'s fallback). Each part runs its own servers; one chromium.
 */
describe('single session edges (chromium)', () => {
  let browser: Browser;
  const stops: Array<() => Promise<unknown>> = [];
  const backendLog: string[] = [];
  let devices: Devices | undefined;

  beforeAll(async () => {
    await ensureBuilt();
    browser = await launchBrowser();
  });
  afterEach(async (context) => {
    if (context.task.result?.state === 'fail') {
      console.error(`backend log:\n${backendLog.join('\n')}\n\ndevice consoles:\n${devices?.log.join('\n')}`);
    }
    await devices?.closeAll();
    for (const stop of stops.splice(0).reverse()) await stop().catch(() => {});
    backendLog.length = 0;
  });
  afterAll(async () => {
    await browser?.close();
  });

  /** The backend for `reverbPort`'s server, and devices on it. */
  async function demoOn(reverbPort: number, kick: 'server' | 'broadcast' = 'server'): Promise<Devices> {
    const { backend, url } = await startBackend(reverbPort, { kick, log: (l) => backendLog.push(l) });
    stops.push(() => (backend as DemoBackend).close());
    devices = new Devices(browser, url);
    return devices;
  }

  async function server(options: Parameters<typeof startServer>[0] = {}): Promise<ServerHandle> {
    const handle = await startServer({ apps: demoApps(), ...options });
    stops.push(() => handle.stop());
    return handle;
  }

  it('a device offline while the user signs in elsewhere is kicked when it comes back', async () => {
    const reverb = await server();
    const proxy: FaultProxy = await startFaultProxy({ target: reverb.port });
    stops.push(() => proxy.close());
    const on = await demoOn(reverb.port);

    const deviceB = await on.open({ reverbPort: proxy.port });
    await login(deviceB, 'ada@example.com');
    // A real cut: B's socket is reset and its reconnects are refused, as on a phone in a tunnel.
    expect(proxy.cut()).toBe(1);
    proxy.refuse();
    await deviceB
      .locator('[data-testid="connection"][data-state="reconnecting"]')
      .waitFor({ timeout: 10_000 });

    const deviceC = await on.open();
    await login(deviceC, 'ada@example.com');
    await waitFor(async () => proxy.counts.refused > 0, 10_000, 'B tried to reconnect and was refused');
    // B knows nothing yet: still the dashboard, reconnecting.
    expect(await deviceB.getByTestId('dashboard').count()).toBe(1);
    expect(await connectionState(deviceB)).toBe('reconnecting');

    await new Promise((r) => setTimeout(r, 2_000));
    proxy.accept();
    // Back online: its sign-in is refused (the backend ended its session), /api/me says 401, and the
    // client enters the same `replaced` state the server's own kick gives.
    await kickedOut(deviceB);
    expect(on.sessionEndedBy(deviceB)).toBe(`${SIGNED_IN_ELSEWHERE} (4010)`);
    expect(await apiStatus(deviceB, '/api/me')).toBe(401);
    await live(deviceC, 5_000);
    expect(await apiStatus(deviceC, '/api/me')).toBe(200);
  });

  it('two nodes over Redis, one device on each: the second sign-in kicks the first across nodes', async () => {
    const redis: RedisHandle = await startRedis();
    stops.push(() => redis.stop());
    const cluster = { REVERB_SCALING_ENABLED: 'true', REDIS_URL: redis.url };
    const node1 = await server({ env: cluster });
    const node2 = await server({ env: cluster });
    // The backend triggers and signs through node 1; each device's socket goes where the test says.
    const on = await demoOn(node1.port);

    const onNode1 = await on.open({ reverbPort: node1.port });
    await login(onNode1, 'grace@example.com');
    const onNode2 = await on.open({ reverbPort: node2.port });
    await login(onNode2, 'grace@example.com');

    expect(new Set(on.socketPorts(onNode1))).toEqual(new Set([node1.port]));
    expect(new Set(on.socketPorts(onNode2))).toEqual(new Set([node2.port]));
    await kickedOut(onNode1);
    expect(on.sessionEndedBy(onNode1)).toBe('Session replaced (4010)');
    expect(await apiStatus(onNode1, '/api/me')).toBe(401);
    // The device on node 2 stays, and events triggered on node 1 reach it.
    await onNode2.getByTestId('ship-order').click();
    await onNode2.locator('[data-rr-toast]', { hasText: /Order #\d+ shipped/ }).waitFor({ timeout: 15_000 });
    expect(await connectionState(onNode2)).toBe('connected');
  });

  it("a server without single session: the backend's session.replaced broadcast kicks through the same hook", async () => {
    const plain = await server({ apps: demoApps({ single_session: false }) });
    const on = await demoOn(plain.port, 'broadcast');

    const first = await on.open();
    await login(first, 'alan@example.com');
    const second = await on.open();
    await login(second, 'alan@example.com');

    await kickedOut(first);
    // The app's event, through useSessionReplaced's fallback (not the 4009 of terminate_connections and
    // the app's own check, which would say SIGNED_IN_ELSEWHERE).
    expect(on.sessionEndedBy(first)).toBe('Session replaced (4010)');
    expect(await apiStatus(first, '/api/me')).toBe(401);
    await live(second, 5_000);
    expect(backendLog.filter((l) => l.includes('failed'))).toEqual([]);
  });
});
