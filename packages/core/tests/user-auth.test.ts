import Pusher from 'pusher';
import { describe, expect, it } from 'vitest';
import { signChannel, signUser, verifyUserAuth } from '../src/signing';

const OFFICIAL = { key: '278d425bdf160c739803', secret: '7ad3773142a6692b25b8', socketId: '1234.1234' };
const DEMO = { key: 'demo-key-0001', secret: 'demo-secret-0001', socketId: '1234.5678' };

describe('docs/protocol.md §6.2 user sign-in vectors', () => {
  it('official {"id":"12345"}', () => {
    expect(signUser({ ...OFFICIAL, userData: '{"id":"12345"}' })).toBe(
      '278d425bdf160c739803:4708d583dada6a56435fb8bc611c77c359a31eebde13337c16ab43aa6de336ba',
    );
  });

  it('demo user with watchlist', () => {
    const userData = '{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}';
    const auth = signUser({ ...DEMO, userData });
    expect(auth).toBe('demo-key-0001:ac9916cd3dda5f9dc78ffa529d69fdf5e4cbf3cc44eda69e47601e2a5207c4e2');
    expect(verifyUserAuth({ ...DEMO, userData, auth })).toBe(true);
  });
});

describe('verifyUserAuth', () => {
  const userData = '{"id":"17"}';
  const auth = signUser({ ...DEMO, userData });

  it('refuses other data, socket, secret or key', () => {
    expect(verifyUserAuth({ ...DEMO, userData: '{"id":"18"}', auth })).toBe(false);
    expect(verifyUserAuth({ ...DEMO, userData: '{"id": "17"}', auth })).toBe(false);
    expect(verifyUserAuth({ ...DEMO, socketId: '1.2', userData, auth })).toBe(false);
    expect(verifyUserAuth({ ...DEMO, secret: 'nope', userData, auth })).toBe(false);
    expect(verifyUserAuth({ ...DEMO, key: 'other-key', userData, auth })).toBe(false);
  });

  it('refuses the docs typo form key::user::sig', () => {
    const digest = auth.slice(auth.indexOf(':') + 1);
    expect(verifyUserAuth({ ...DEMO, userData, auth: `${DEMO.key}::user::${digest}` })).toBe(false);
  });

  it('a channel signature does not sign a user in', () => {
    const channelAuth = signChannel({ ...DEMO, channel: 'private-orders.17', channelData: userData });
    expect(verifyUserAuth({ ...DEMO, userData, auth: channelAuth })).toBe(false);
  });
});

describe('cross-check with the official pusher SDK', () => {
  it('authenticateUser gives our signature over its user_data string', () => {
    const pusher = new Pusher({ appId: '4242', key: DEMO.key, secret: DEMO.secret, host: '127.0.0.1' });
    const response = pusher.authenticateUser(DEMO.socketId, {
      id: '17',
      user_info: { name: 'Ada' },
      watchlist: ['18', '19'],
    });
    expect(response.user_data).toBe('{"id":"17","user_info":{"name":"Ada"},"watchlist":["18","19"]}');
    expect(response.auth).toBe(signUser({ ...DEMO, userData: response.user_data }));
    expect(verifyUserAuth({ ...DEMO, userData: response.user_data, auth: response.auth })).toBe(true);
  });
});
