import { Limits } from './limits';

/** Channel kinds by name prefix (protocol.md §5). */
export type ChannelType =
  | 'server-to-user'
  | 'private-encrypted-cache'
  | 'private-encrypted'
  | 'private-cache'
  | 'private'
  | 'presence-cache'
  | 'presence'
  | 'cache'
  | 'public';

export const SERVER_TO_USER_PREFIX = '#server-to-user-';

/** Longest prefix first: the first match wins. */
export const CHANNEL_PREFIXES: ReadonlyArray<readonly [prefix: string, type: ChannelType]> = [
  [SERVER_TO_USER_PREFIX, 'server-to-user'],
  ['private-encrypted-cache-', 'private-encrypted-cache'],
  ['private-encrypted-', 'private-encrypted'],
  ['private-cache-', 'private-cache'],
  ['private-', 'private'],
  ['presence-cache-', 'presence-cache'],
  ['presence-', 'presence'],
  ['cache-', 'cache'],
];

export function channelType(name: string): ChannelType {
  for (const [prefix, type] of CHANNEL_PREFIXES) {
    if (name.startsWith(prefix)) return type;
  }
  return 'public';
}

/** What a channel type implies; derived once per type so hot paths do a table lookup. */
export interface ChannelTraits {
  /** Subscribing needs an `auth` signature. */
  readonly requiresAuth: boolean;
  readonly isPresence: boolean;
  readonly isEncrypted: boolean;
  readonly isCache: boolean;
  /** Client events (whispers) may be sent on it. */
  readonly allowsClientEvents: boolean;
  /** `pusher_internal:subscription_count` may be sent on it. */
  readonly countsSubscriptions: boolean;
}

function traits(type: ChannelType): ChannelTraits {
  const isPresence = type === 'presence' || type === 'presence-cache';
  const isEncrypted = type === 'private-encrypted' || type === 'private-encrypted-cache';
  const isPrivate = type === 'private' || type === 'private-cache' || isEncrypted;
  return {
    requiresAuth: isPresence || isPrivate,
    isPresence,
    isEncrypted,
    isCache: type.endsWith('cache'),
    allowsClientEvents: isPresence || type === 'private' || type === 'private-cache',
    countsSubscriptions: !isPresence && type !== 'server-to-user',
  };
}

export const CHANNEL_TRAITS: Readonly<Record<ChannelType, ChannelTraits>> = {
  'server-to-user': traits('server-to-user'),
  'private-encrypted-cache': traits('private-encrypted-cache'),
  'private-encrypted': traits('private-encrypted'),
  'private-cache': traits('private-cache'),
  private: traits('private'),
  'presence-cache': traits('presence-cache'),
  presence: traits('presence'),
  cache: traits('cache'),
  public: traits('public'),
};

export function channelTraits(name: string): ChannelTraits {
  return CHANNEL_TRAITS[channelType(name)];
}

const CHANNEL_NAME_CHARS = /^[A-Za-z0-9_\-=@,.;]+$/;

export type ChannelNameProblem = 'empty' | 'too-long' | 'bad-characters';

/**
 * Checks a channel name against §5: allowed characters, at most 200 characters, `#` only in the
 * internal `#server-to-user-{id}` form. Returns the problem, or `undefined` when the name is valid.
 */
export function channelNameProblem(name: string): ChannelNameProblem | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > Limits.MAX_CHANNEL_NAME_LENGTH) return 'too-long';
  const body = name.startsWith(SERVER_TO_USER_PREFIX) ? name.slice(SERVER_TO_USER_PREFIX.length) : name;
  if (body.length === 0 || !CHANNEL_NAME_CHARS.test(body)) return 'bad-characters';
  return undefined;
}

export function isValidChannelName(name: string): boolean {
  return channelNameProblem(name) === undefined;
}

/** The user id of a `#server-to-user-{id}` channel, or undefined for any other name. */
export function serverToUserId(name: string): string | undefined {
  return name.startsWith(SERVER_TO_USER_PREFIX) ? name.slice(SERVER_TO_USER_PREFIX.length) : undefined;
}

export function serverToUserChannel(userId: string): string {
  return SERVER_TO_USER_PREFIX + userId;
}

const SOCKET_ID = /^\d+\.\d+$/;

/** socket ids look like `123.456` (§1); the SDKs check this before signing or excluding. */
export function isValidSocketId(socketId: string): boolean {
  return SOCKET_ID.test(socketId);
}
