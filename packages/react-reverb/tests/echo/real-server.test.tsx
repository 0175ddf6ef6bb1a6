// The same test bodies against `react-reverb/echo` and against the real `@laravel/echo-react` 2.5.0 (with
// its laravel-echo and pusher-js), both configured as resources/js/echo.js does and pointed at the real
// server, with a Laravel-like auth backend signing with the `pusher` SDK. Where echo-react has a known
// bug, the body says what each one does (`impl.fixed`), so the difference is shown, not claimed.

import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import * as echoReact from '@laravel/echo-react';
import { createReverbClient, type ReverbClient } from '@react-reverb/core';
import {
  type FaultProxy,
  type ServerHandle,
  startFaultProxy,
  startServer,
  waitFor,
} from '@react-reverb/test-helpers';
import { act, cleanup, render, screen } from '@testing-library/react';
import { StrictMode, useEffect, useState } from 'react';
import * as ours from 'react-reverb/echo';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { resetEcho } from '../../src/echo/config';
import { type AuthServer, startAuthServer } from '../support/auth-server';
import { withNodeFetch } from '../support/node-fetch';
import { recordingWebSocket, type WireLog } from '../support/recording-websocket';

type Echo = typeof ours;

interface Impl {
  readonly name: string;
  readonly mod: Echo;
  /** Ours: echo-react's known bugs are not there. */
  readonly fixed: boolean;
  /**
   * `configureEcho` with the echo.js object of user `user` (to `port`, the server's by default), and
   * `extra` options over it.
   */
  configure(user: string, port?: number, extra?: Extra): void;
  teardown(): void;
  /** Frames our client sent (ours only). */
  log?: WireLog;
}

/** More of laravel-echo's options, given to both implementations as they are. */
type Extra = Readonly<Record<string, unknown>>;

/**
 * A second channel authorization endpoint, signing as the auth server does, that records the headers of
 * each request: what laravel-echo adds to them is seen on the wire. CORS as a Laravel app sets it up.
 */
interface RecordingEndpoint {
  readonly url: string;
  readonly headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

async function startRecordingEndpoint(): Promise<RecordingEndpoint> {
  const headers: IncomingHttpHeaders[] = [];
  const http = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Access-Control-Allow-Headers', req.headers['access-control-request-headers'] ?? '*');
    if (req.method === 'OPTIONS') {
      res.writeHead(204).end();
      return;
    }
    headers.push(req.headers);
    let body = '';
    req.on('data', (chunk) => {
      body += chunk;
    });
    req.on('end', () => {
      const form = new URLSearchParams(body);
      const signed = auth.pusher.authorizeChannel(
        form.get('socket_id') ?? '',
        form.get('channel_name') ?? '',
      );
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(signed));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    headers,
    close: () => new Promise((resolve) => http.close(() => resolve())),
  };
}

let server: ServerHandle;
let proxy: FaultProxy;
let auth: AuthServer;
let recorder: RecordingEndpoint;
const others: ReverbClient[] = [];

beforeAll(async () => {
  server = await withNodeFetch(() => startServer());
  auth = await startAuthServer({ ...server.app, port: server.port });
  proxy = await startFaultProxy({ target: server.port });
  recorder = await startRecordingEndpoint();
}, 30_000);
afterAll(async () => {
  await recorder?.close();
  await proxy?.close();
  await auth?.close();
  await server?.stop();
});

/** What `php artisan install:broadcasting` writes, pointed at the test server, for one user. */
const echoJs = (user: string, port = server.port) => ({
  broadcaster: 'reverb' as const,
  key: server.app.key,
  wsHost: '127.0.0.1',
  wsPort: port,
  wssPort: port,
  forceTLS: false,
  enabledTransports: ['ws', 'wss'] as Array<'ws' | 'wss'>,
  authEndpoint: `${auth.url}/broadcasting/auth`,
  auth: { headers: { 'X-User': user } },
});

const IMPLS: Impl[] = [
  {
    name: 'react-reverb/echo',
    mod: ours,
    fixed: true,
    configure(user, port, extra) {
      const { WebSocket, log } = recordingWebSocket();
      this.log = log;
      ours.configureEcho({ ...echoJs(user, port), ...extra, WebSocket });
    },
    teardown: () => resetEcho(),
  },
  {
    name: '@laravel/echo-react 2.5.0',
    mod: echoReact as unknown as Echo,
    fixed: false,
    configure(user, port, extra) {
      echoReact.configureEcho({
        ...echoJs(user, port),
        ...extra,
        disableStats: true,
        withoutInterceptors: true,
      });
    },
    teardown: () => echoReact.echo().disconnect(),
  },
];

/** A second user on its own socket (our core client), the same for both implementations. */
function otherUser(user: string): ReverbClient {
  const client = createReverbClient({
    key: server.app.key,
    host: '127.0.0.1',
    port: server.port,
    forceTLS: false,
    WebSocket: recordingWebSocket().WebSocket,
    authEndpoint: `${auth.url}/broadcasting/auth`,
    auth: { headers: { 'X-User': user } },
    autoConnect: true,
  });
  others.push(client);
  return client;
}

async function occupied(channel: string): Promise<boolean> {
  const response = await auth.pusher.get({ path: `/channels/${channel}` });
  return ((await response.json()) as { occupied: boolean }).occupied;
}

const text = (id: string) => screen.getByTestId(id).textContent ?? '';

async function waitText(id: string, expected: string | RegExp, ms = 10_000): Promise<void> {
  const ok = () => (typeof expected === 'string' ? text(id) === expected : expected.test(text(id)));
  try {
    await waitFor(ok, ms, `${id} = ${expected}`);
  } catch (error) {
    throw new Error(`${(error as Error).message}; last text: ${text(id)}`);
  }
}

const trigger = (channel: string, event: string, data: unknown) => auth.pusher.trigger(channel, event, data);

/** The implementation under test: the components below call its hooks. */
let mod: Echo = ours;

/** Events of `channelName` as text, `ready` once channel().subscribed() fired, and its controls. */
function Feed({
  id,
  channelName,
  events,
  visibility = 'private',
}: {
  id: string;
  channelName: string;
  events: string[];
  visibility?: 'private' | 'public';
}) {
  const [got, setGot] = useState<string[]>([]);
  const [ready, setReady] = useState(false);
  const result = mod.useEcho<{ n: number }, 'reverb', 'private' | 'public'>(
    channelName,
    events,
    (e) => setGot((prev) => [...prev, String(e.n)]), // inline, new on every render
    [],
    visibility,
  );
  useEffect(() => {
    result.channel()?.subscribed(() => setReady(true));
  }, [result]);
  return (
    <div>
      <p data-testid={id}>{`${ready ? 'ready' : 'waiting'}:${got.join(',')}`}</p>
      <button type="button" onClick={result.stopListening}>{`${id} stop`}</button>
      <button type="button" onClick={result.listen}>{`${id} listen`}</button>
      <button type="button" onClick={() => result.leaveChannel()}>{`${id} leaveChannel`}</button>
      <button type="button" onClick={result.leave}>{`${id} leave`}</button>
    </div>
  );
}

/** Its callback reads a prop, with echo-react's default dependency array (none given). */
function Labelled({ label }: { label: string }) {
  const [got, setGot] = useState<string[]>([]);
  const [ready, setReady] = useState(false);
  const { channel } = mod.useEcho<{ n: number }>('orders.4', 'OrderShipped', (e) =>
    setGot((prev) => [...prev, `${label}${e.n}`]),
  );
  useEffect(() => {
    channel()?.subscribed(() => setReady(true));
  }, [channel]);
  return <p data-testid="labelled">{`${ready ? 'ready' : 'waiting'}:${got.join(',')}`}</p>;
}

function Page() {
  const [first, setFirst] = useState(true);
  return (
    <>
      {first && <Feed id="a" channelName="orders.3" events={['OrderShipped']} />}
      <Feed id="b" channelName="orders.3" events={['OrderShipped']} />
      <button type="button" onClick={() => setFirst(false)}>
        unmount a
      </button>
    </>
  );
}

function Room({ log }: { log: string[] }) {
  const { channel } = mod.useEchoPresence<{ text: string }>('room', 'Said', (e) =>
    log.push(`said ${e.text}`),
  );
  useEffect(() => {
    channel()
      ?.here((users: Array<{ name: string }>) => log.push(`here ${users.map((u) => u.name).join(',')}`))
      .joining((user: { name: string }) => log.push(`joining ${user.name}`))
      .leaving((user: { name: string }) => log.push(`leaving ${user.name}`))
      .listenForWhisper('typing', (e: { who: string }) => log.push(`typing ${e.who}`));
  }, [channel, log]);
  return (
    <button type="button" onClick={() => channel()?.whisper('typing', { who: 'Ada' })}>
      whisper
    </button>
  );
}

function Inbox({ got }: { got: string[] }) {
  const { channel } = mod.useEchoNotification<{ amount?: number }>(
    'App.Models.User.1',
    (n) => got.push(`${n.type}#${n.id}`),
    ['App.Notifications.InvoicePaid', 'App\\Notifications\\OrderShipped'],
  );
  const [ready, setReady] = useState(false);
  useEffect(() => {
    channel()?.subscribed(() => setReady(true));
  }, [channel]);
  return <p data-testid="inbox">{ready ? 'ready' : 'waiting'}</p>;
}

interface Post {
  id: number;
  title: string;
}

function PostView({ got }: { got: string[] }) {
  const { channel } = mod.useEchoModel<Post, 'App.Models.Post'>(
    'App.Models.Post',
    7,
    ['PostUpdated', 'PostDeleted'],
    (e) => got.push(`${e.model.title}:${e.afterCommit}`),
  );
  const [ready, setReady] = useState(false);
  useEffect(() => {
    channel()?.subscribed(() => setReady(true));
  }, [channel]);
  return <p data-testid="post">{ready ? 'ready' : 'waiting'}</p>;
}

function Status() {
  const status = mod.useConnectionStatus();
  const socketId = mod.useSocketId();
  return <p data-testid="status">{`${status}:${socketId ?? ''}`}</p>;
}

describe.each(IMPLS)('$name against the real server', (impl) => {
  beforeAll(() => {
    mod = impl.mod;
  });
  afterEach(() => {
    cleanup();
    impl.teardown();
    for (const client of others.splice(0)) client.disconnect();
  });

  const click = (label: string) => act(() => screen.getByText(label).click());

  it('useEcho with several events (class names and a broadcastAs name), in StrictMode', async () => {
    impl.configure('1');
    render(
      <StrictMode>
        <Feed
          id="orders"
          channelName="orders.1"
          events={['OrderShipped', 'OrderUpdated', '.order.cancelled']}
        />
      </StrictMode>,
    );
    await waitText('orders', 'ready:');
    await trigger('private-orders.1', 'App\\Events\\OrderShipped', { n: 1 });
    await trigger('private-orders.1', 'App\\Events\\OrderUpdated', { n: 2 });
    await trigger('private-orders.1', 'order.cancelled', { n: 3 });
    await trigger('private-orders.1', 'App\\Events\\OrderShipped', { n: 4 });
    await waitText('orders', 'ready:1,2,3,4');
    if (impl.log) {
      // Ours: StrictMode's remount costs nothing on the wire.
      expect(impl.log.count('pusher:subscribe', 'private-orders.1')).toBe(1);
      expect(impl.log.count('pusher:unsubscribe', 'private-orders.1')).toBe(0);
    }
  });

  it('stopListening() keeps the channel, listen() binds again, leaveChannel() leaves it, listen() joins again (not echo-react)', async () => {
    impl.configure('1');
    render(<Feed id="a" channelName="orders.2" events={['OrderShipped']} />);
    await waitText('a', 'ready:');
    click('a stop');
    await trigger('private-orders.2', 'App\\Events\\OrderShipped', { n: 1 });
    expect(await occupied('private-orders.2')).toBe(true);
    click('a listen');
    await trigger('private-orders.2', 'App\\Events\\OrderShipped', { n: 2 });
    // One socket, in order: had n=1 been heard, it would be in the text before n=2.
    await waitText('a', 'ready:2');
    click('a leaveChannel');
    await waitFor(async () => !(await occupied('private-orders.2')), 10_000, 'left');
    click('a listen');
    if (impl.fixed) {
      // listen() after leaveChannel() joins again.
      await waitFor(async () => await occupied('private-orders.2'), 10_000, 'joined again');
      await trigger('private-orders.2', 'App\\Events\\OrderShipped', { n: 3 });
      await waitText('a', 'ready:2,3');
    } else {
      // echo-react binds to the channel object it left: nothing is subscribed, nothing arrives.
      await new Promise((r) => setTimeout(r, 500));
      expect(await occupied('private-orders.2')).toBe(false);
    }
  });

  it("the callback of the latest render is called (echo-react's default [] keeps the first one)", async () => {
    impl.configure('1');
    const { rerender } = render(<Labelled label="first-" />);
    await waitText('labelled', 'ready:');
    rerender(<Labelled label="latest-" />);
    await trigger('private-orders.4', 'App\\Events\\OrderShipped', { n: 1 });
    await waitText('labelled', impl.fixed ? 'ready:latest-1' : 'ready:first-1');
  });

  it('leaveChannel() then unmount: the other component keeps the channel (echo-react leaves it)', async () => {
    impl.configure('1');
    render(<Page />);
    await waitText('b', 'ready:');
    click('a leaveChannel');
    click('unmount a');
    await new Promise((r) => setTimeout(r, 300));
    if (impl.fixed) {
      await trigger('private-orders.3', 'App\\Events\\OrderShipped', { n: 7 });
      await waitText('b', 'ready:7');
      expect(await occupied('private-orders.3')).toBe(true);
    } else {
      // The hook was counted out twice (leaveChannel, then the unmount): the channel b holds is gone.
      await waitFor(async () => !(await occupied('private-orders.3')), 10_000, 'echo-react left b’s channel');
    }
  });

  it('leave() on the public channel: the private one another component holds stays (echo-react leaves it)', async () => {
    impl.configure('1');
    render(
      <>
        <Feed id="pub" channelName="news" events={['Published']} visibility="public" />
        <Feed id="priv" channelName="news" events={['Published']} />
      </>,
    );
    await waitText('pub', 'ready:');
    await waitText('priv', 'ready:');
    click('pub leave');
    await waitFor(async () => !(await occupied('news')), 10_000, 'the public channel left');
    if (impl.fixed) {
      await trigger('private-news', 'App\\Events\\Published', { n: 1 });
      await waitText('priv', 'ready:1');
    } else {
      await waitFor(
        async () => !(await occupied('private-news')),
        10_000,
        'echo-react left private-news too',
      );
    }
  });

  it('useEchoPresence: here, joining, leaving, events and whispers with a second user', async () => {
    impl.configure('1');
    const log: string[] = [];
    render(<Room log={log} />);
    await waitFor(() => log.includes('here Ada'), 10_000, 'here Ada');
    const bob = otherUser('2');
    const heard: unknown[] = [];
    const held = bob.retainPresence('presence-room');
    held.channel.bind('client-typing', (data) => heard.push(data));
    await waitFor(() => log.includes('joining Bob'), 10_000, 'joining Bob');
    await waitFor(() => held.channel.getSnapshot().status === 'subscribed', 10_000, 'Bob subscribed');
    held.channel.whisper('typing', { who: 'Bob' });
    click('whisper');
    await trigger('presence-room', 'App\\Events\\Said', { text: 'hi' });
    await waitFor(
      () => heard.length === 1 && log.includes('said hi') && log.includes('typing Bob'),
      10_000,
      'messages',
    );
    held.release();
    await waitFor(() => log.includes('leaving Bob'), 10_000, 'leaving Bob');
    expect(log).toEqual(['here Ada', 'joining Bob', expect.any(String), expect.any(String), 'leaving Bob']);
    expect(log.slice(2, 4).sort()).toEqual(['said hi', 'typing Bob']);
    expect(heard).toEqual([{ who: 'Ada' }]);
  });

  it('useEchoNotification: several types in dot and backslash forms (and a redelivered id)', async () => {
    impl.configure('1');
    const got: string[] = [];
    render(<Inbox got={got} />);
    await waitText('inbox', 'ready');
    const event = 'Illuminate\\Notifications\\Events\\BroadcastNotificationCreated';
    const channel = 'private-App.Models.User.1';
    await trigger(channel, event, { amount: 5, id: 'n1', type: 'App\\Notifications\\InvoicePaid' });
    await trigger(channel, event, { id: 'n2', type: 'App\\Notifications\\Other' });
    await trigger(channel, event, { id: 'n3', type: 'App\\Notifications\\OrderShipped' });
    await trigger(channel, event, { amount: 5, id: 'n1', type: 'App\\Notifications\\InvoicePaid' });
    await trigger(channel, event, { id: 'n4', type: 'App\\Notifications\\OrderShipped' });
    await waitFor(() => got.at(-1)?.endsWith('#n4') === true, 10_000, 'n4');
    const paid = 'App\\Notifications\\InvoicePaid#n1';
    const shipped = (id: string) => `App\\Notifications\\OrderShipped#${id}`;
    expect(got).toEqual(
      impl.fixed ? [paid, shipped('n3'), shipped('n4')] : [paid, shipped('n3'), paid, shipped('n4')],
    );
  });

  it('useEchoModel: App.Models.Post.{id} with .PostUpdated and .PostDeleted, the model payload', async () => {
    impl.configure('1');
    const got: string[] = [];
    render(<PostView got={got} />);
    await waitText('post', 'ready');
    const payload = (title: string) => ({
      model: { id: 7, title },
      connection: null,
      queue: null,
      afterCommit: false,
    });
    await trigger('private-App.Models.Post.7', 'PostUpdated', payload('Draft'));
    await trigger('private-App.Models.Post.7', 'PostCreated', payload('not listened'));
    await trigger('private-App.Models.Post.7', 'PostDeleted', payload('Gone'));
    await waitFor(() => got.length === 2, 10_000, 'two model events');
    expect(got).toEqual(['Draft:false', 'Gone:false']);
  });

  it('laravel-echo\'s headers reach the auth endpoint: X-CSRF-TOKEN from <meta name="csrf-token">, the bearer token, auth.headers', async () => {
    document.head.innerHTML = '<meta name="csrf-token" content="meta-token">';
    try {
      const endpoint = `${recorder.url}/broadcasting/auth`;
      impl.configure('1', server.port, { authEndpoint: endpoint, bearerToken: 'sanctum-token' });
      render(<Feed id="headers" channelName="orders.6" events={['OrderShipped']} />);
      await waitText('headers', 'ready:');
      expect(recorder.headers.at(-1)).toMatchObject({
        'x-csrf-token': 'meta-token',
        authorization: 'Bearer sanctum-token',
        'x-user': '1',
      });
    } finally {
      document.head.innerHTML = '';
    }
  });

  it('channelAuthorization.customHandler authorizes, called as pusher-js calls it', async () => {
    const asked: string[] = [];
    impl.configure('1', server.port, {
      channelAuthorization: {
        customHandler(
          { socketId, channelName }: { socketId: string; channelName: string },
          callback: (error: Error | null, data: unknown) => void,
        ) {
          asked.push(channelName);
          callback(null, auth.pusher.authorizeChannel(socketId, channelName));
        },
      },
    });
    render(<Feed id="custom" channelName="orders.7" events={['OrderShipped']} />);
    await waitText('custom', 'ready:');
    await trigger('private-orders.7', 'App\\Events\\OrderShipped', { n: 1 });
    await waitText('custom', 'ready:1');
    expect(asked).toEqual(['private-orders.7']);
  });

  it('events sent during a cut: replayed after the reconnect on our server (echo-react loses them)', async () => {
    impl.configure('1', proxy.port);
    render(
      <>
        <Status />
        <Feed id="feed" channelName="orders.5" events={['OrderShipped']} />
      </>,
    );
    await waitText('feed', 'ready:');
    await waitText('status', /^connected:/);
    proxy.cut();
    proxy.refuse();
    try {
      await waitText('status', /^(reconnecting|connecting|failed):/);
      await trigger('private-orders.5', 'App\\Events\\OrderShipped', { n: 1 });
      await trigger('private-orders.5', 'App\\Events\\OrderShipped', { n: 2 });
    } finally {
      proxy.accept();
    }
    // pusher-js waits out its attempt timeout (~15 s) before it tries again.
    await waitText('status', /^connected:/, 60_000);
    await waitFor(async () => await occupied('private-orders.5'), 20_000, 'resubscribed');
    await trigger('private-orders.5', 'App\\Events\\OrderShipped', { n: 3 });
    await waitText('feed', impl.fixed ? 'ready:1,2,3' : 'ready:3');
  }, 120_000);

  // Last: it restarts the server.
  it('useConnectionStatus and useSocketId through a server restart; events resume', async () => {
    impl.configure('1');
    render(
      <>
        <Status />
        <Feed id="feed" channelName="orders.9" events={['OrderShipped']} />
      </>,
    );
    await waitText('status', /^connected:\d+\.\d+$/);
    await waitText('feed', 'ready:');
    const before = text('status');
    await server.kill();
    // Ours says reconnecting, with no socket id. laravel-echo maps pusher-js's retrying states to
    // connecting (then failed), and useSocketId keeps the dead connection's id.
    await waitText('status', impl.fixed ? 'reconnecting:' : /^(connecting|failed):[\d.]+$/);
    server = await withNodeFetch(() => server.restart());
    // Both back off (ours 1 s, 2 s, 4 s … with jitter; pusher-js ~15 s, 30 s … against a dead port).
    await waitText('status', /^connected:\d+\.\d+$/, 90_000);
    expect(text('status')).not.toBe(before);
    // The channel was subscribed again: an event reaches the same callback.
    await waitFor(async () => await occupied('private-orders.9'), 20_000, 'resubscribed');
    await trigger('private-orders.9', 'App\\Events\\OrderShipped', { n: 1 });
    await waitText('feed', /:1$/);
  }, 150_000);
});
