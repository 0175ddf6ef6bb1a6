/**
 * The fault proxy between real `ws` clients and real `ws` servers (and a real Chromium page): what each
 * fault looks like to both peers. Every wait is for an event, with a deadline; nothing sleeps.
 */
import { spawnSync } from 'node:child_process';
import type { AddressInfo } from 'node:net';
import { connect as tcpConnect } from 'node:net';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { launchBrowser } from '../src/browser';
import { type FaultProxy, startFaultProxy } from '../src/fault-proxy';
import { waitFor } from '../src/wait';

const packageDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');

interface EchoServer {
  readonly port: number;
  /** Every message each server-side socket received, by connection number. */
  readonly received: string[][];
  /** Close codes the server saw, in order. */
  readonly closes: number[];
  readonly open: () => number;
  close(): Promise<void>;
}

/** A `ws` server answering each message with `<name>:<message>`. */
async function startEcho(name: string): Promise<EchoServer> {
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
  const received: string[][] = [];
  const closes: number[] = [];
  wss.on('connection', (socket) => {
    const mine: string[] = [];
    received.push(mine);
    socket.on('message', (data) => {
      mine.push(String(data));
      socket.send(`${name}:${data}`);
    });
    socket.on('close', (code) => closes.push(code));
  });
  return {
    port: (wss.address() as AddressInfo).port,
    received,
    closes,
    open: () => wss.clients.size,
    close: () =>
      new Promise((resolve) => {
        for (const socket of wss.clients) socket.terminate();
        wss.close(() => resolve());
      }),
  };
}

interface Client {
  readonly ws: WebSocket;
  readonly messages: string[];
  /** 'open', 'error', 'close:<code>' in the order they happened. */
  readonly events: string[];
  send(text: string): void;
}

function openClient(port: number): Client {
  const ws = new WebSocket(`ws://127.0.0.1:${port}`);
  const messages: string[] = [];
  const events: string[] = [];
  ws.on('open', () => events.push('open'));
  ws.on('error', () => events.push('error'));
  ws.on('close', (code) => events.push(`close:${code}`));
  ws.on('message', (data) => messages.push(String(data)));
  return { ws, messages, events, send: (text) => ws.send(text) };
}

async function connected(port: number): Promise<Client> {
  const client = openClient(port);
  await waitFor(() => client.events.length > 0, 5_000, 'the client to open');
  expect(client.events).toEqual(['open']);
  return client;
}

const closed = (client: Client) =>
  waitFor(() => client.events.some((e) => e.startsWith('close:')), 5_000, 'the client to close');

/** TCP sockets and TCP listeners this process holds open now. */
const handles = (kind: string) => process.getActiveResourcesInfo().filter((r) => r === kind).length;
const tcpSockets = () => handles('TCPSocketWrap');
const tcpListeners = () => handles('TCPServerWrap');

let alpha: EchoServer;
let beta: EchoServer;
let proxy: FaultProxy | undefined;
const clients: Client[] = [];

async function track(client: Client | Promise<Client>): Promise<Client> {
  const c = await client;
  clients.push(c);
  return c;
}

beforeAll(async () => {
  alpha = await startEcho('alpha');
  beta = await startEcho('beta');
});

afterEach(async () => {
  for (const c of clients.splice(0)) c.ws.terminate();
  await proxy?.close();
  proxy = undefined;
  alpha.received.length = 0;
  alpha.closes.length = 0;
  beta.received.length = 0;
  beta.closes.length = 0;
});

afterAll(async () => {
  await alpha?.close();
  await beta?.close();
});

describe('startFaultProxy', () => {
  it('forwards messages both ways and counts the bytes per connection', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const client = await track(connected(proxy.port));
    client.send('hello');
    await waitFor(() => client.messages.length === 1, 5_000, 'the echo');
    expect(client.messages).toEqual(['alpha:hello']);
    expect(proxy.counts).toEqual({ accepted: 1, refused: 0, cut: 0 });
    const [connection] = proxy.connections;
    expect(connection).toMatchObject({
      id: 1,
      target: { host: '127.0.0.1', port: alpha.port },
      frozen: false,
    });
    // The HTTP upgrade both ways, then one frame each way.
    expect(connection?.bytesFromClient).toBeGreaterThan(100);
    expect(connection?.bytesFromTarget).toBeGreaterThan(100);
  });

  it('a clean close passes through as a clean close', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const client = await track(connected(proxy.port));
    client.ws.close(1000, 'bye');
    await closed(client);
    expect(client.events).toEqual(['open', 'close:1000']);
    await waitFor(() => alpha.closes.length === 1, 5_000, 'the server to see the close');
    expect(alpha.closes).toEqual([1000]);
    await waitFor(() => proxy?.connections.length === 0, 5_000, 'the connection list to empty');
    expect(proxy.counts.cut).toBe(0);
  });

  it('the compiled copy imports from a plain .mjs (as the benchmark does)', () => {
    const script = [
      "import { startFaultProxy } from '@react-reverb/test-helpers/fault-proxy';",
      `const proxy = await startFaultProxy({ target: ${alpha.port} });`,
      'console.log(JSON.stringify({ port: proxy.port > 0, counts: proxy.counts }));',
      'await proxy.close();',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: packageDir,
      encoding: 'utf8',
      timeout: 10_000,
    });
    expect(run.stderr, 'dist/fault-proxy.js is built by `pnpm build`').toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ port: true, counts: { accepted: 0, refused: 0, cut: 0 } });
  });

  it('listens on the port it is given', async () => {
    const first = await startFaultProxy({ target: alpha.port });
    const port = first.port;
    await first.close();
    proxy = await startFaultProxy({ target: alpha.port, port });
    expect(proxy.port).toBe(port);
    await track(connected(port));
  });

  it('cut() resets every connection: the client closes with 1006, the server sees it close, no close frame', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const one = await track(connected(proxy.port));
    const two = await track(connected(proxy.port));
    await waitFor(() => alpha.open() === 2, 5_000, 'two server sockets');
    expect(proxy.cut()).toBe(2);
    await closed(one);
    await closed(two);
    // ws reports a socket that ended without a close frame as 1006; a close frame would carry 1000/1005.
    expect(one.events).toEqual(['open', 'close:1006']);
    expect(two.events).toEqual(['open', 'close:1006']);
    await waitFor(() => alpha.closes.length === 2, 5_000, 'the server to see both close');
    expect(alpha.closes).toEqual([1006, 1006]);
    expect(proxy.counts.cut).toBe(2);
    await waitFor(() => proxy?.connections.length === 0, 5_000, 'the connection list to empty');
    // Cutting is not refusing: the next connection goes through.
    const three = await track(connected(proxy.port));
    three.send('again');
    await waitFor(() => three.messages.length === 1, 5_000, 'the echo after a cut');
  });

  it('one connection can be destroyed alone', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const one = await track(connected(proxy.port));
    const two = await track(connected(proxy.port));
    proxy.connections.find((c) => c.id === 1)?.destroy();
    await closed(one);
    expect(one.events).toEqual(['open', 'close:1006']);
    two.send('still here');
    await waitFor(() => two.messages.length === 1, 5_000, 'the other connection');
    expect(two.events).toEqual(['open']);
    expect(proxy.counts.cut).toBe(1);
  });

  it('refuse() makes new connections fail to open, leaves current ones alone, until accept()', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const before = await track(connected(proxy.port));
    proxy.refuse();
    expect(proxy.refusing).toBe(true);
    const refused = await track(openClient(proxy.port));
    await closed(refused);
    expect(refused.events).toEqual(['error', 'close:1006']);
    expect(proxy.counts).toMatchObject({ accepted: 1, refused: 1 });
    expect(alpha.received).toHaveLength(1);
    before.send('through');
    await waitFor(() => before.messages.length === 1, 5_000, 'the current connection');

    proxy.accept();
    const after = await track(connected(proxy.port));
    after.send('back');
    await waitFor(() => after.messages.length === 1, 5_000, 'the echo after accept()');
    expect(after.messages).toEqual(['alpha:back']);
  });

  it('outage(ms) cuts, refuses, and resolves when a reconnect works again', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const client = await track(connected(proxy.port));
    const outage = proxy.outage(300);
    await closed(client);
    expect(client.events).toEqual(['open', 'close:1006']);
    const during = await track(openClient(proxy.port));
    await closed(during);
    expect(during.events).toEqual(['error', 'close:1006']);
    await outage;
    expect(proxy.refusing).toBe(false);
    const reconnected = await track(connected(proxy.port));
    reconnected.send('after the outage');
    await waitFor(() => reconnected.messages.length === 1, 5_000, 'the echo after the outage');
    expect(proxy.counts).toEqual({ accepted: 2, refused: 1, cut: 1 });
  });

  it('accept() ends an outage early', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const outage = proxy.outage(60_000);
    proxy.accept();
    await outage;
    await track(connected(proxy.port));
  });

  it('retarget() sends new connections to the other server; current ones stay', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const old = await track(connected(proxy.port));
    proxy.retarget({ host: '127.0.0.1', port: beta.port });
    expect(proxy.target).toEqual({ host: '127.0.0.1', port: beta.port });
    const moved = await track(connected(proxy.port));
    old.send('old');
    moved.send('new');
    await waitFor(() => old.messages.length === 1 && moved.messages.length === 1, 5_000, 'both echoes');
    expect(old.messages).toEqual(['alpha:old']);
    expect(moved.messages).toEqual(['beta:new']);
    expect(proxy.connections.map((c) => [c.id, c.target.port])).toEqual([
      [1, alpha.port],
      [2, beta.port],
    ]);
  });

  it('a client reconnecting after a cut lands on the new target', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const first = await track(connected(proxy.port));
    proxy.retarget(beta.port);
    proxy.cut();
    await closed(first);
    const again = await track(connected(proxy.port));
    again.send('where am i');
    await waitFor(() => again.messages.length === 1, 5_000, 'the echo');
    expect(again.messages).toEqual(['beta:where am i']);
  });

  it('a target that is down resets the client', async () => {
    const gone = await startFaultProxy({ target: alpha.port });
    const deadPort = gone.port;
    await gone.close();
    proxy = await startFaultProxy({ target: deadPort });
    const client = await track(openClient(proxy.port));
    await closed(client);
    expect(client.events).toEqual(['error', 'close:1006']);
    await waitFor(() => proxy?.connections.length === 0, 5_000, 'the connection list to empty');
  });

  it('freeze() holds bytes both ways without a close; thaw() delivers them in order', async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const frozen = await track(connected(proxy.port));
    frozen.send('before');
    await waitFor(() => frozen.messages.length === 1, 5_000, 'the echo before freezing');
    proxy.freeze();
    const [connection] = proxy.connections;
    expect(connection?.frozen).toBe(true);
    const bytesBefore = connection?.bytesFromClient;
    frozen.send('held 1');
    frozen.send('held 2');
    // A connection opened after freeze() is not frozen: what it sends is the proof that the held
    // messages, sent earlier, had every chance to arrive and did not.
    const fresh = await track(connected(proxy.port));
    fresh.send('marker');
    await waitFor(() => fresh.messages.length === 1, 5_000, 'the marker echo');
    expect(alpha.received[0]).toEqual(['before']);
    expect(connection?.bytesFromClient).toBe(bytesBefore);
    expect(frozen.messages).toEqual(['alpha:before']);
    expect(alpha.closes).toEqual([]);
    expect(frozen.events).toEqual(['open']);

    proxy.thaw();
    await waitFor(() => frozen.messages.length === 3, 5_000, 'the held echoes');
    expect(alpha.received[0]).toEqual(['before', 'held 1', 'held 2']);
    expect(frozen.messages).toEqual(['alpha:before', 'alpha:held 1', 'alpha:held 2']);
    expect(frozen.events).toEqual(['open']);
    expect(alpha.closes).toEqual([]);
  });

  it('close() leaves no socket behind, whatever state the connections were in', async () => {
    // The sockets of earlier tests may still be closing: start from none.
    await waitFor(() => tcpSockets() === 0, 5_000, 'no TCP socket before the test');
    const listenersBefore = tcpListeners();
    proxy = await startFaultProxy({ target: alpha.port });
    const port = proxy.port;
    const live = await track(connected(port));
    const frozen = await track(connected(port));
    proxy.connections[1]?.freeze();
    frozen.send('held');
    proxy.refuse();
    const refused = await track(openClient(port));
    await closed(refused);
    await proxy.close();
    expect(proxy.connections).toEqual([]);
    await closed(live);
    await closed(frozen);
    await waitFor(() => alpha.open() === 0, 5_000, 'the server sockets to close');
    await waitFor(
      () => tcpSockets() === 0 && tcpListeners() === listenersBefore,
      5_000,
      `no TCP socket, ${listenersBefore} listeners`,
    );
    const refusedAfterClose = await new Promise<string>((resolve) => {
      const socket = tcpConnect(port, '127.0.0.1');
      socket.on('connect', () => resolve('connected'));
      socket.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refusedAfterClose).toBe('ECONNREFUSED');
    proxy = undefined;
  });
});

describe('in chromium', () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launchBrowser();
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
  });

  /** A blank page whose script opens a WebSocket and logs what happens to `window.events`. */
  async function pageOpening(port: number) {
    const page = await browser.newPage();
    await page.setContent(`<script>
      window.events = [];
      const ws = new WebSocket('ws://127.0.0.1:${port}');
      ws.onopen = () => events.push('open');
      ws.onerror = () => events.push('error');
      ws.onmessage = (e) => events.push('message:' + e.data);
      ws.onclose = (e) => events.push('close:' + e.code + ':' + (e.wasClean ? 'clean' : 'unclean'));
      window.send = (text) => ws.send(text);
    </script>`);
    const events = () => page.evaluate('window.events') as Promise<string[]>;
    const until = (what: string) =>
      waitFor(async () => (await events()).some((e) => e.startsWith(what)), 10_000, `page: ${what}`);
    return { page, events, until };
  }

  it("a cut closes the page's WebSocket with 1006; a refused one fails to open", async () => {
    proxy = await startFaultProxy({ target: alpha.port });
    const { page, events, until } = await pageOpening(proxy.port);
    try {
      await until('open');
      await page.evaluate('window.send("from chromium")');
      await until('message:');
      proxy.cut();
      await until('close:');
      expect(await events()).toEqual(['open', 'message:alpha:from chromium', 'close:1006:unclean']);
      await waitFor(() => alpha.closes.length === 1, 5_000, 'the server to see the close');
      expect(alpha.closes).toEqual([1006]);

      proxy.refuse();
      const refused = await pageOpening(proxy.port);
      try {
        await refused.until('close:');
        expect(await refused.events()).toEqual(['error', 'close:1006:unclean']);
        expect(proxy.counts.refused).toBe(1);
      } finally {
        await refused.page.close();
      }
    } finally {
      await page.close();
    }
  });
});
