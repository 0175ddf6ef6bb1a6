import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { decrypt, encryption, encryptionWith } from '../src/encrypted/index';
import {
  type AuthRequest,
  createReverbClient,
  type Encryption,
  type ReverbClientOptions,
} from '../src/index';
import { FakeWebSocket, flush } from './support/fake-websocket';

const MASTER_KEY = Buffer.alloc(32, 7);
const sharedSecret = (channel: string) =>
  createHash('sha256')
    .update(Buffer.concat([Buffer.from(channel), MASTER_KEY]))
    .digest('base64');

/** What the pusher SDK puts in `data` for an encrypted channel (docs/protocol.md §6.4). */
function encrypt(channel: string, payload: unknown, secret = sharedSecret(channel)): string {
  const nonce = nacl.randomBytes(24);
  const box = nacl.secretbox(
    new TextEncoder().encode(JSON.stringify(payload)),
    nonce,
    Buffer.from(secret, 'base64'),
  );
  return JSON.stringify({
    nonce: Buffer.from(nonce).toString('base64'),
    ciphertext: Buffer.from(box).toString('base64'),
  });
}

let secretFor = sharedSecret;
const authorize = vi.fn(async ({ socketId, channelName }: AuthRequest) => ({
  auth: `k:${socketId}`,
  shared_secret: secretFor(channelName),
}));

function connected(options: Partial<ReverbClientOptions> = {}) {
  const client = createReverbClient({
    key: 'k',
    host: 'h',
    WebSocket: FakeWebSocket,
    autoConnect: false,
    authorize,
    ...options,
  });
  client.connect();
  FakeWebSocket.last.establish();
  return client;
}

beforeEach(() => {
  vi.useFakeTimers();
  FakeWebSocket.reset();
  authorize.mockClear();
  secretFor = sharedSecret;
});

afterEach(() => {
  vi.useRealTimers();
});

describe('decrypt (the ./encrypted entry)', () => {
  it('opens what the SDK seals, from a string or an object', () => {
    const data = encrypt('private-encrypted-vault', { gold: 3 });
    expect(decrypt(sharedSecret('private-encrypted-vault'), data)).toEqual({ gold: 3 });
    expect(decrypt(sharedSecret('private-encrypted-vault'), JSON.parse(data))).toEqual({ gold: 3 });
  });

  it('matches the shared-secret vector of docs/protocol.md §6.4', () => {
    expect(sharedSecret('private-encrypted-vault')).toBe('u0V/HwEMaXw1MXzYL8NtEPFPqyUSB24/LQHzwwpH7AM=');
  });

  it('throws a coded error on a wrong key or a malformed payload', () => {
    const data = encrypt('private-encrypted-vault', { gold: 3 });
    expect(() => decrypt(sharedSecret('private-encrypted-other'), data)).toThrow(
      expect.objectContaining({ code: 'REVERB_ERR_DECRYPT' }),
    );
    expect(() => decrypt(sharedSecret('x'), { nonce: 1 })).toThrow(/nonce and ciphertext/);
  });
});

describe('encrypted channels in the client', () => {
  it('loads the encryption lazily through the loader, per encrypted subscription, and delivers plaintext', async () => {
    const loader = vi.fn(() => import('../src/encrypted/index'));
    const client = connected({ encryption: loader });
    client.retain('private-plain');
    await flush();
    expect(loader).not.toHaveBeenCalled();
    const { channel } = client.retain('private-encrypted-vault');
    client.retain('private-encrypted-other');
    await vi.waitFor(() => expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(3));
    // Once per encrypted subscription; `import()` itself loads the module once.
    expect(loader).toHaveBeenCalledTimes(2);
    const listener = vi.fn();
    channel.bind('opened', listener);
    FakeWebSocket.last.receive({
      event: 'opened',
      channel: 'private-encrypted-vault',
      data: encrypt('private-encrypted-vault', { gold: 3 }),
    });
    expect(listener).toHaveBeenCalledWith(
      { gold: 3 },
      { event: 'opened', channel: 'private-encrypted-vault' },
    );
  });

  it('puts an encrypted channel in error when no decryptor was configured', async () => {
    const client = connected();
    const { channel } = client.retain('private-encrypted-vault');
    await flush();
    expect(channel.getSnapshot()).toMatchObject({
      status: 'error',
      error: { type: 'SubscriptionError', message: expect.stringMatching(/options\.encryption/) },
    });
    expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(0);
  });

  it('tries the loader again after it failed (a chunk that did not load)', async () => {
    const loader = vi
      .fn<() => Promise<Encryption>>()
      .mockRejectedValueOnce(new Error('chunk load failed'))
      .mockImplementation(() => import('../src/encrypted/index'));
    const client = connected({ encryption: loader });
    const first = client.retain('private-encrypted-vault');
    await flush();
    expect(first.channel.getSnapshot()).toMatchObject({
      status: 'error',
      error: { message: 'chunk load failed' },
    });
    first.release();
    vi.advanceTimersByTime(0);
    client.retain('private-encrypted-vault');
    await vi.waitFor(() => expect(FakeWebSocket.last.framesOf('pusher:subscribe')).toHaveLength(1));
    expect(loader).toHaveBeenCalledTimes(2);
  });

  it('uses a decrypt function of your own through encryptionWith', async () => {
    const injected = vi.fn(decrypt);
    const client = connected({ encryption: encryptionWith(injected) });
    const { channel } = client.retain('private-encrypted-vault');
    await flush();
    const listener = vi.fn();
    channel.bind('opened', listener);
    FakeWebSocket.last.receive({
      event: 'opened',
      channel: 'private-encrypted-vault',
      data: encrypt('private-encrypted-vault', 1),
    });
    expect(injected).toHaveBeenCalledWith(sharedSecret('private-encrypted-vault'), expect.anything());
    expect(listener).toHaveBeenCalledWith(1, expect.anything());
  });

  it('fails the subscription when the authorization has no shared_secret', async () => {
    const client = connected({ authorize: async () => ({ auth: 'k:s' }), encryption });
    const { channel } = client.retain('private-encrypted-vault');
    await flush();
    expect(channel.getSnapshot()).toMatchObject({ status: 'error', error: { type: 'AuthError' } });
  });

  it('re-authorizes once for a fresh key when a payload does not open, then drops it', async () => {
    secretFor = () => sharedSecret('stale');
    const client = connected({ encryption });
    const { channel } = client.retain('private-encrypted-vault');
    await flush();
    const listener = vi.fn();
    channel.bind('opened', listener);
    secretFor = sharedSecret; // the key rotated
    FakeWebSocket.last.receive({
      event: 'opened',
      channel: 'private-encrypted-vault',
      data: encrypt('private-encrypted-vault', 'ok'),
    });
    await flush();
    expect(authorize).toHaveBeenCalledTimes(2);
    expect(listener).toHaveBeenCalledWith('ok', expect.anything());

    secretFor = () => sharedSecret('still-wrong');
    FakeWebSocket.last.receive({
      event: 'opened',
      channel: 'private-encrypted-vault',
      data: encrypt('private-encrypted-vault', 'lost', sharedSecret('unknown')),
    });
    await flush();
    expect(authorize).toHaveBeenCalledTimes(3);
    expect(listener).toHaveBeenCalledTimes(1);
  });
});
