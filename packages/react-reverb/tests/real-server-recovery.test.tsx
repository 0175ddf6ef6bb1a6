/**
 * `useNotifications` and `useSessionReplaced` against our real server (one app with single session on and
 * a short history, 3 events per channel), the core client behind a fault proxy for real cuts, and the
 * test auth backend signing with the `pusher` SDK. StrictMode throughout.
 */
import { createReverbClient, type ReverbClient } from '@react-reverb/core';
import {
  DEMO_APP_CONFIG,
  type FaultProxy,
  type ServerHandle,
  startFaultProxy,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import { act, render, screen } from '@testing-library/react';
import { StrictMode, useEffect } from 'react';
import {
  BROADCAST_NOTIFICATION_EVENT,
  notificationChannel,
  ReverbProvider,
  useConnectionState,
  useNotifications,
  useSessionReplaced,
  useUser,
} from 'react-reverb';
import { createToastStore, NotificationToast } from 'react-reverb/toast';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { type AuthServer, startAuthServer } from './support/auth-server';
import { withNodeFetch } from './support/node-fetch';

let server: ServerHandle;
let proxy: FaultProxy;
let auth: AuthServer;
const clients: ReverbClient[] = [];

beforeAll(async () => {
  server = await withNodeFetch(() =>
    startServer({ apps: [{ ...DEMO_APP_CONFIG, single_session: true, history: { max_events: 3 } }] }),
  );
  proxy = await startFaultProxy({ target: server.port });
  auth = await startAuthServer({ ...server.app, port: server.port });
}, 30_000);
afterAll(async () => {
  await auth?.close();
  await proxy?.close();
  await server?.stop();
});
afterEach(() => {
  for (const client of clients.splice(0)) client.disconnect();
});

function client(user: string, session?: string): ReverbClient {
  const created = createReverbClient({
    key: server.app.key,
    host: '127.0.0.1',
    port: proxy.port,
    forceTLS: false,
    WebSocket,
    authEndpoint: `${auth.url}/broadcasting/auth`,
    userAuthEndpoint: `${auth.url}/broadcasting/user-auth`,
    auth: { headers: { 'X-User': user, ...(session ? { 'X-Session': session } : {}) } },
    autoConnect: true,
  });
  clients.push(created);
  return created;
}

const state = (c: ReverbClient) => c.connection.getSnapshot().state;

/** Cuts every connection through the proxy and refuses new ones while `during` runs. */
async function outage(c: ReverbClient, during: () => Promise<void>): Promise<void> {
  proxy.cut();
  proxy.refuse();
  try {
    await waitFor(() => state(c) !== 'connected', 10_000, 'the cut noticed');
    await during();
  } finally {
    proxy.accept();
  }
}

const text = (id: string) => screen.getByTestId(id).textContent ?? '';
const notify = (user: string, id: string) =>
  auth.pusher.trigger(notificationChannel(user), BROADCAST_NOTIFICATION_EVENT, {
    id,
    type: 'App\\Notifications\\MessageReceived',
  });

function Panel({ user, onGap }: { user: string; onGap: (reason: string | undefined) => void }) {
  const { notifications } = useNotifications(notificationChannel(user), { onGap });
  return <p data-testid="panel">{notifications.map((n) => n.id).join(',')}</p>;
}

describe('useNotifications through a real cut', () => {
  it('gets the notifications missed during the outage, each once, and no gap when all were kept', async () => {
    const c = client('1');
    const onGap = vi.fn();
    render(
      <StrictMode>
        <ReverbProvider client={c}>
          <Panel user="1" onGap={onGap} />
        </ReverbProvider>
      </StrictMode>,
    );
    await waitFor(
      () => c.channel(notificationChannel('1'))?.getSnapshot().status === 'subscribed',
      10_000,
      'subscribed',
    );
    await notify('1', 'a');
    await waitFor(() => text('panel') === 'a', 10_000, 'a live');
    await outage(c, async () => {
      await notify('1', 'b');
      await notify('1', 'c');
    });
    await waitFor(() => text('panel') === 'c,b,a', 15_000, 'the missed ones');
    await act(() => new Promise((resolve) => setTimeout(resolve, 200)));
    expect(text('panel')).toBe('c,b,a');
    expect(onGap).not.toHaveBeenCalled();
  });

  it('calls onGap once when more were missed than the history keeps, and shows the kept ones', async () => {
    const c = client('2');
    const onGap = vi.fn();
    render(
      <StrictMode>
        <ReverbProvider client={c}>
          <Panel user="2" onGap={onGap} />
        </ReverbProvider>
      </StrictMode>,
    );
    await waitFor(
      () => c.channel(notificationChannel('2'))?.getSnapshot().status === 'subscribed',
      10_000,
      'subscribed',
    );
    await outage(c, async () => {
      for (const id of ['n1', 'n2', 'n3', 'n4', 'n5']) await notify('2', id);
    });
    await waitFor(() => onGap.mock.calls.length > 0, 15_000, 'the gap');
    await waitFor(() => text('panel') === 'n5,n4,n3', 10_000, 'the kept ones');
    expect(onGap.mock.calls).toEqual([['too_far_behind']]);
  });
});

function Device({ onReplaced }: { onReplaced: (code: number | null) => void }) {
  const { signin, status } = useUser();
  const { state: connection } = useConnectionState();
  useEffect(() => signin(), [signin]);
  useSessionReplaced((error) => onReplaced(error.code));
  return <p data-testid="device">{`${connection}:${status}`}</p>;
}

/** The same hook on a server without single session: the app's own `.session.replaced` broadcast. */
function FallbackGuard({ user, onReplaced }: { user: string; onReplaced: (code: number | null) => void }) {
  useSessionReplaced((error) => onReplaced(error.code), {
    channel: notificationChannel(user),
    event: '.session.replaced',
  });
  return <p data-testid="state">{useConnectionState().state}</p>;
}

describe('useSessionReplaced on the real server', () => {
  it('our server: a sign-in elsewhere calls back once, shows the toast, and the state stays replaced', async () => {
    const laptop = client('1', 'laptop-session');
    const onReplaced = vi.fn();
    const store = createToastStore();
    render(
      <StrictMode>
        <ReverbProvider client={laptop}>
          <Device onReplaced={onReplaced} />
          <NotificationToast sessionReplaced store={store} hotkey={false} />
        </ReverbProvider>
      </StrictMode>,
    );
    await waitFor(() => text('device') === 'connected:signed-in', 10_000, 'laptop signed in');
    const phone = client('1', 'phone-session');
    phone.user.signin();
    await waitFor(() => text('device').startsWith('replaced'), 10_000, 'laptop replaced');
    expect(onReplaced.mock.calls).toEqual([[4010]]);
    expect(screen.getByRole('status').textContent).toContain('You were signed in on another device');
    await act(() => new Promise((resolve) => setTimeout(resolve, 2_000)));
    expect(text('device').startsWith('replaced')).toBe(true);
    expect(onReplaced).toHaveBeenCalledTimes(1);
    expect(state(phone)).toBe('connected');
  });

  it('servers without single session: the app broadcast on the user channel puts the client in replaced', async () => {
    const device = client('2');
    const onReplaced = vi.fn();
    render(
      <StrictMode>
        <ReverbProvider client={device}>
          <FallbackGuard user="2" onReplaced={onReplaced} />
        </ReverbProvider>
      </StrictMode>,
    );
    await waitFor(
      () => device.channel(notificationChannel('2'))?.getSnapshot().status === 'subscribed',
      10_000,
      'subscribed',
    );
    await auth.pusher.trigger(notificationChannel('2'), 'session.replaced', {
      reason: 'signed-in-elsewhere',
    });
    await waitFor(() => text('state') === 'replaced', 10_000, 'replaced');
    expect(onReplaced.mock.calls).toEqual([[4010]]);
  });
});
