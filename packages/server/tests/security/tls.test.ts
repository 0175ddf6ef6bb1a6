/**
 * TLS with a real certificate pair made for the test (issue 10): `reverb start` with REVERB_SSL_CERT /
 * REVERB_SSL_KEY serves https and wss, verified against the certificate as CA; plain bytes on the TLS
 * port and a client that never starts the handshake do not hurt it.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { DEMO_APP_CONFIG, freePort, makeCertificate, REVERB_BIN, waitFor } from '@react-reverb/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signedPath } from '../support/http';
import { RawClient } from '../support/raw-client';
import { startTestServer } from '../support/server';

let dir: string;
let cert: string;
let key: string;
let ca: Buffer;

beforeAll(() => {
  const pair = makeCertificate();
  dir = pair.dir;
  cert = pair.certPath;
  key = pair.keyPath;
  ca = pair.cert;
});

function httpsCall(
  port: number,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: 'localhost',
        port,
        method,
        path,
        ca,
        headers: body ? { 'Content-Type': 'application/json' } : {},
      },
      (res) => {
        let text = '';
        res.on('data', (d) => {
          text += d;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('reverb start with REVERB_SSL_CERT / REVERB_SSL_KEY', () => {
  let server: { port: number; child: ChildProcess };
  beforeAll(async () => {
    server = await startCliOverTls();
  });
  afterAll(() => {
    server?.child.kill('SIGKILL');
  });

  /** Like test-helpers' startServer, which probes plain http://…/up; this one probes https with the CA. */
  async function startCliOverTls(): Promise<{ port: number; child: ChildProcess }> {
    const port = await freePort();
    const config = join(dir, 'reverb.json');
    writeFileSync(config, JSON.stringify({ apps: [{ ...DEMO_APP_CONFIG, ssl_only: true }] }));
    const child = spawn(
      process.execPath,
      [REVERB_BIN, 'start', '--host', '127.0.0.1', '--port', String(port), '--config', config],
      {
        cwd: dir,
        env: { ...process.env, REVERB_SSL_CERT: cert, REVERB_SSL_KEY: key },
        stdio: 'ignore',
      },
    );
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`reverb exited with ${child.exitCode}`);
        return (await httpsCall(port, 'GET', '/up').catch(() => ({ status: 0 }))).status === 200;
      },
      15_000,
      'reverb over TLS',
    );
    return { port, child };
  }

  it('https (verified with the CA) answers /up and a signed trigger; wss delivers the event', async () => {
    expect((await httpsCall(server.port, 'GET', '/up')).status).toBe(200);
    const client = await RawClient.open(
      `wss://localhost:${server.port}/app/${DEMO_APP_CONFIG.key}?protocol=7&client=js&version=8.6.0`,
      { ca },
    );
    expect(client.frames[0]?.event).toBe('pusher:connection_established');
    await client.subscribe('orders');
    const path = `/apps/${DEMO_APP_CONFIG.id}/events`;
    const body = JSON.stringify({ name: 'shipped', channels: ['orders'], data: '{"id":1}' });
    const answer = await httpsCall(
      server.port,
      'POST',
      signedPath(DEMO_APP_CONFIG, 'POST', path, { body }),
      body,
    );
    expect(answer).toEqual({ status: 200, text: '{}' });
    expect((await client.nextEvent('shipped')).data).toBe('{"id":1}');
    client.close();
  });

  it('plain HTTP bytes on the TLS port are refused and the server keeps serving', async () => {
    await new Promise<void>((resolve) => {
      const socket = createConnection({ host: '127.0.0.1', port: server.port }, () =>
        socket.write('GET /up HTTP/1.1\r\nHost: x\r\n\r\n'),
      );
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
    });
    expect((await httpsCall(server.port, 'GET', '/up')).status).toBe(200);
  });
});

describe('TLS handshake timeout', () => {
  it('a TCP client that never starts the TLS handshake is dropped after the headers timeout', async () => {
    const t = await startTestServer(
      [DEMO_APP_CONFIG],
      {
        tls: { cert, key },
        httpHeadersTimeout: 0.5,
        httpRequestTimeout: 1,
      },
      { captureLogs: true },
    );
    try {
      const socket = createConnection({ host: '127.0.0.1', port: t.port });
      let closed = false;
      socket.on('close', () => {
        closed = true;
      });
      socket.on('error', () => {});
      await waitFor(() => closed, 10_000, 'the silent TLS client to be dropped');
    } finally {
      await t.close();
    }
  });
});
