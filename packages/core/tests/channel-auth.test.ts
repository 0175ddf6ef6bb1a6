import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import {
  encryptedSharedSecret,
  hmacSha256Hex,
  signChannel,
  timingSafeEqualHex,
  verifyChannelAuth,
} from '../src/signing';

const OFFICIAL = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8', socketId: '1234.1234' };
const DEMO = { key: 'demo-key-0001', secret: 'demo-secret-0001', socketId: '1234.5678' };
const MASTER_KEY = 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwc=';

describe('docs/protocol.md §6.2 channel vectors', () => {
  it('official private-foobar', () => {
    expect(signChannel({ ...OFFICIAL, channel: 'private-foobar' })).toBe(
      '278d425bdf160c739803:58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4',
    );
  });

  it('official presence-foobar (the digest matches "Mr. Pusher", not the docs\' "Mr. Channels")', () => {
    const channelData = '{"user_id":10,"user_info":{"name":"Mr. Pusher"}}';
    expect(signChannel({ ...OFFICIAL, channel: 'presence-foobar', channelData })).toBe(
      '278d425bdf160c739803:afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c',
    );
    expect(
      signChannel({
        ...OFFICIAL,
        channel: 'presence-foobar',
        channelData: '{"user_id":10,"user_info":{"name":"Mr. Channels"}}',
      }),
    ).not.toContain('afaed3695da2ffd16931f457e338e6c9f2921fa133ce7dac49f529792be6304c');
  });

  it('demo private-orders.17', () => {
    expect(signChannel({ ...DEMO, channel: 'private-orders.17' })).toBe(
      'demo-key-0001:4ffef04ac9d63bfd9f9f26d63e739ddbb5654ec7abac5f0b20353ef2adb8c582',
    );
  });

  it('demo presence-room.1', () => {
    const channelData = '{"user_id":"17","user_info":{"name":"Ada"}}';
    const auth = signChannel({ ...DEMO, channel: 'presence-room.1', channelData });
    expect(auth).toBe('demo-key-0001:6f72a26c09b03f4efddb1f41d81cd034da94f91508a15c6e7cf171ec2935ea86');
    expect(verifyChannelAuth({ ...DEMO, channel: 'presence-room.1', channelData, auth })).toBe(true);
  });

  it('demo private-encrypted-vault', () => {
    expect(signChannel({ ...DEMO, channel: 'private-encrypted-vault' })).toBe(
      'demo-key-0001:383b772e7861788dc880e217c4e0f63de07d3d38485570b6e875c76c23e1d179',
    );
  });

  it('hmacSha256Hex is the raw primitive under them', () => {
    expect(hmacSha256Hex(OFFICIAL.secret, '1234.1234:private-foobar')).toBe(
      '58df8b0c36d6982b82c3ecf6b4662e34fe8c25bba48f5369f135bf843651c3a4',
    );
  });
});

describe('docs/protocol.md §6.4 shared secret', () => {
  it('reproduces the vector', () => {
    expect(encryptedSharedSecret('private-encrypted-vault', MASTER_KEY)).toBe(
      'u0V/HwEMaXw1MXzYL8NtEPFPqyUSB24/LQHzwwpH7AM=',
    );
  });

  it('refuses a master key that is not 32 bytes, without echoing it', () => {
    const short = Buffer.alloc(16, 7).toString('base64');
    expect(() => encryptedSharedSecret('private-encrypted-vault', short)).toThrow(/32 bytes/);
    try {
      encryptedSharedSecret('private-encrypted-vault', short);
    } catch (error) {
      expect(String(error)).not.toContain(short);
    }
  });
});

describe('verifyChannelAuth', () => {
  const channel = 'private-orders.17';
  const auth = signChannel({ ...DEMO, channel });

  it('accepts the right signature and refuses any change', () => {
    expect(verifyChannelAuth({ ...DEMO, channel, auth })).toBe(true);
    expect(verifyChannelAuth({ ...DEMO, channel: 'private-orders.18', auth })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, socketId: '1234.5679', channel, auth })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, secret: 'other', channel, auth })).toBe(false);
    const flipped = `${auth.slice(0, -1)}${auth.endsWith('0') ? '1' : '0'}`;
    expect(verifyChannelAuth({ ...DEMO, channel, auth: flipped })).toBe(false);
  });

  it('compares the key: a right digest under another key fails', () => {
    const digest = auth.slice(auth.indexOf(':') + 1);
    expect(verifyChannelAuth({ ...DEMO, channel, auth: `other-key:${digest}` })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, channel, auth: digest })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, channel, auth: '' })).toBe(false);
  });

  it('splits at the first colon only', () => {
    // The key is "demo-key-0001"; moving the colon must not let "demo-key" + "0001:…" pass.
    const digest = auth.slice(auth.indexOf(':') + 1);
    expect(verifyChannelAuth({ ...DEMO, channel, auth: `demo-key:0001:${digest}` })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, channel, auth: `${auth}:` })).toBe(false);
    // A key that itself contains no colon but a digest followed by junk fails too.
    expect(verifyChannelAuth({ ...DEMO, channel, auth: `${auth}00` })).toBe(false);
    // The split point is observable with a key that contains ':': "a:b:hex" splits into "a" and
    // "b:hex". Pusher keys never contain ':' (the server should refuse such keys in its config).
    const colonKey = { ...DEMO, key: 'a:b' };
    const colonAuth = signChannel({ ...colonKey, channel });
    expect(colonAuth.startsWith('a:b:')).toBe(true);
    expect(verifyChannelAuth({ ...colonKey, channel, auth: colonAuth })).toBe(false);
  });

  it('signs channel_data exactly as received (PHP escapes "/" and non-ASCII)', () => {
    const php = '{"user_id":"17","user_info":{"avatar":"https:\\/\\/x.test\\/a.png","name":"J\\u00fcrgen"}}';
    const js = JSON.stringify(JSON.parse(php));
    expect(js).not.toBe(php);
    const presence = 'presence-room.1';
    const phpAuth = signChannel({ ...DEMO, channel: presence, channelData: php });
    expect(verifyChannelAuth({ ...DEMO, channel: presence, channelData: php, auth: phpAuth })).toBe(true);
    expect(verifyChannelAuth({ ...DEMO, channel: presence, channelData: js, auth: phpAuth })).toBe(false);
  });

  it('a presence signature needs its channel_data and vice versa', () => {
    const presence = 'presence-room.1';
    const channelData = '{"user_id":"17"}';
    const withData = signChannel({ ...DEMO, channel: presence, channelData });
    const without = signChannel({ ...DEMO, channel: presence });
    expect(verifyChannelAuth({ ...DEMO, channel: presence, auth: withData })).toBe(false);
    expect(verifyChannelAuth({ ...DEMO, channel: presence, channelData, auth: without })).toBe(false);
  });
});

describe('timingSafeEqualHex', () => {
  it('is plain equality with false on any length mismatch', () => {
    expect(timingSafeEqualHex('abc123', 'abc123')).toBe(true);
    expect(timingSafeEqualHex('abc123', 'abc124')).toBe(false);
    expect(timingSafeEqualHex('abc123', 'abc1234')).toBe(false);
    expect(timingSafeEqualHex('', '')).toBe(true);
    // Non-hex input is compared as text, not silently decoded to nothing.
    expect(timingSafeEqualHex('zz', 'yy')).toBe(false);
    expect(timingSafeEqualHex('é', 'e')).toBe(false);
  });
});

describe('cross-check with the official pusher SDK', () => {
  const pusher = new Pusher({
    appId: '4242',
    host: '127.0.0.1',
    key: DEMO.key,
    secret: DEMO.secret,
    encryptionMasterKeyBase64: MASTER_KEY,
  });

  it('authorizeChannel on a private channel gives our signature', () => {
    const response = pusher.authorizeChannel(DEMO.socketId, 'private-orders.17');
    expect(response.auth).toBe(signChannel({ ...DEMO, channel: 'private-orders.17' }));
    expect(verifyChannelAuth({ ...DEMO, channel: 'private-orders.17', auth: response.auth })).toBe(true);
  });

  it('authorizeChannel on a presence channel: we verify its channel_data as it serialized it', () => {
    const response = pusher.authorizeChannel(DEMO.socketId, 'presence-room.1', {
      user_id: '17',
      user_info: { name: 'Ada', url: 'https://x.test/é' },
    });
    const channelData = response.channel_data;
    expect(channelData).toBeTypeOf('string');
    expect(verifyChannelAuth({ ...DEMO, channel: 'presence-room.1', channelData, auth: response.auth })).toBe(
      true,
    );
    expect(response.auth).toBe(signChannel({ ...DEMO, channel: 'presence-room.1', channelData }));
  });

  it('authorizeChannel on an encrypted channel gives our shared secret', () => {
    const response = pusher.authorizeChannel(DEMO.socketId, 'private-encrypted-vault');
    expect(response.shared_secret).toBe(encryptedSharedSecret('private-encrypted-vault', MASTER_KEY));
    expect(response.auth).toBe(
      'demo-key-0001:383b772e7861788dc880e217c4e0f63de07d3d38485570b6e875c76c23e1d179',
    );
  });
});
