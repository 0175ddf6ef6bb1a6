import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHANNEL_PREFIXES,
  type ChannelType,
  channelNameProblem,
  channelTraits,
  channelType,
  clientChannelTraits,
  isValidChannelName,
  isValidSocketId,
  Limits,
  serverToUserChannel,
  serverToUserId,
} from '../src/protocol';

describe('channel type by prefix (§5 table, longest prefix first)', () => {
  const table: [string, ChannelType][] = [
    ['#server-to-user-17', 'server-to-user'],
    ['private-encrypted-cache-vault', 'private-encrypted-cache'],
    ['private-encrypted-vault', 'private-encrypted'],
    ['private-cache-orders', 'private-cache'],
    ['private-orders.17', 'private'],
    ['presence-cache-room', 'presence-cache'],
    ['presence-room.1', 'presence'],
    ['cache-prices', 'cache'],
    ['orders', 'public'],
    // Prefixes need the dash (Reverb's dashless test is a deviation, §10).
    ['privateorders', 'public'],
    ['presence', 'public'],
    ['cacheprices', 'public'],
    ['private-cachex', 'private'],
    ['private-encryptedx', 'private'],
    ['presence-cachex', 'presence'],
    ['server-to-user-17', 'public'],
    ['Private-orders', 'public'],
  ];
  it.each(table)('%s → %s', (name, type) => {
    expect(channelType(name)).toBe(type);
  });

  it('the prefix list is ordered so that no earlier prefix is a prefix of a later one', () => {
    CHANNEL_PREFIXES.forEach(([later], j) => {
      for (const [earlier] of CHANNEL_PREFIXES.slice(0, j)) expect(later.startsWith(earlier)).toBe(false);
    });
  });

  it('property: any suffix keeps the type of the longest matching prefix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...CHANNEL_PREFIXES),
        fc.string({ maxLength: 20 }),
        ([prefix, type], rest) => {
          const longest = CHANNEL_PREFIXES.filter(([p]) => (prefix + rest).startsWith(p)).sort(
            (a, b) => b[0].length - a[0].length,
          )[0];
          expect(channelType(prefix + rest)).toBe(longest?.[1] ?? type);
        },
      ),
    );
  });
});

describe('channel traits', () => {
  it('auth, presence, encryption, cache, client events and counts per type', () => {
    expect(channelTraits('orders')).toEqual({
      requiresAuth: false,
      isPresence: false,
      isEncrypted: false,
      isCache: false,
      allowsClientEvents: false,
      countsSubscriptions: true,
    });
    expect(channelTraits('cache-prices')).toMatchObject({ requiresAuth: false, isCache: true });
    expect(channelTraits('private-orders')).toMatchObject({ requiresAuth: true, allowsClientEvents: true });
    expect(channelTraits('private-cache-orders')).toMatchObject({
      requiresAuth: true,
      isCache: true,
      allowsClientEvents: true,
    });
    expect(channelTraits('private-encrypted-vault')).toMatchObject({
      requiresAuth: true,
      isEncrypted: true,
      allowsClientEvents: false,
    });
    expect(channelTraits('private-encrypted-cache-vault')).toMatchObject({
      isEncrypted: true,
      isCache: true,
    });
    expect(channelTraits('presence-room')).toMatchObject({
      requiresAuth: true,
      isPresence: true,
      allowsClientEvents: true,
      countsSubscriptions: false,
    });
    expect(channelTraits('presence-cache-room')).toMatchObject({
      isPresence: true,
      isCache: true,
      countsSubscriptions: false,
    });
    expect(channelTraits('#server-to-user-17')).toMatchObject({
      requiresAuth: false,
      allowsClientEvents: false,
      countsSubscriptions: false,
    });
  });

  it('clientChannelTraits gives the answers of channelTraits for the four a client reads', () => {
    const same = (name: string) => {
      const { requiresAuth, isPresence, isEncrypted, allowsClientEvents } = channelTraits(name);
      expect(clientChannelTraits(name)).toEqual({
        requiresAuth,
        isPresence,
        isEncrypted,
        allowsClientEvents,
      });
    };
    for (const [prefix] of CHANNEL_PREFIXES) {
      same(prefix);
      same(`${prefix}x`);
      same(prefix.slice(0, -1));
      same(`${prefix.slice(0, -1)}x`);
    }
    fc.assert(
      fc.property(
        fc.constantFrom('', ...CHANNEL_PREFIXES.map(([p]) => p)),
        fc.string({ maxLength: 20 }),
        (prefix, rest) => same(prefix + rest),
      ),
    );
  });
});

describe('channel name rules (§5)', () => {
  it('accepts the allowed characters', () => {
    expect(channelNameProblem('AZaz09_-=@,.;')).toBeUndefined();
    expect(isValidChannelName('private-orders.17')).toBe(true);
  });

  it.each([' ', '/', ':', '#', 'é', '*', '\n', '+', '%', '"'])('refuses %j', (c) => {
    expect(channelNameProblem(`orders${c}x`)).toBe('bad-characters');
  });

  it('empty is refused', () => {
    expect(channelNameProblem('')).toBe('empty');
  });

  it('allows 200 characters, refuses 201 (the docs say 164; we accept up to 200)', () => {
    expect(Limits.MAX_CHANNEL_NAME_LENGTH).toBe(200);
    expect(channelNameProblem('a'.repeat(164))).toBeUndefined();
    expect(channelNameProblem('a'.repeat(200))).toBeUndefined();
    expect(channelNameProblem('a'.repeat(201))).toBe('too-long');
    expect(channelNameProblem(`#server-to-user-${'1'.repeat(200 - 16)}`)).toBeUndefined();
    expect(channelNameProblem(`#server-to-user-${'1'.repeat(201 - 16)}`)).toBe('too-long');
  });

  it('# only in #server-to-user-{id}, with a non-empty valid id', () => {
    expect(channelNameProblem('#server-to-user-17')).toBeUndefined();
    expect(channelNameProblem('#server-to-user-')).toBe('bad-characters');
    expect(channelNameProblem('#server-to-user-a#b')).toBe('bad-characters');
    expect(channelNameProblem('#server-to-user-a b')).toBe('bad-characters');
    expect(channelNameProblem('#orders')).toBe('bad-characters');
    expect(channelNameProblem('#server-to-users-17')).toBe('bad-characters');
    expect(channelNameProblem('private-#server-to-user-1')).toBe('bad-characters');
  });

  it('server-to-user helpers round-trip', () => {
    expect(serverToUserChannel('17')).toBe('#server-to-user-17');
    expect(serverToUserId('#server-to-user-17')).toBe('17');
    expect(serverToUserId('private-17')).toBeUndefined();
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), (id) => {
        expect(serverToUserId(serverToUserChannel(id))).toBe(id);
      }),
    );
  });

  it('property: a name is valid iff it is 1..200 allowed characters', () => {
    const allowed = /^[A-Za-z0-9_\-=@,.;]{1,200}$/;
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 210 }), fc.stringMatching(/^[A-Za-z0-9_\-=@,.;]{0,210}$/)),
        (name) => {
          expect(isValidChannelName(name)).toBe(allowed.test(name));
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('socket ids (§1)', () => {
  it('are digits.digits', () => {
    expect(isValidSocketId('123.456')).toBe(true);
    for (const bad of ['', '123', '123.', '.456', '1.2.3', 'a.1', '1.2\n', ' 1.2', '1,2']) {
      expect(isValidSocketId(bad)).toBe(false);
    }
  });
});
