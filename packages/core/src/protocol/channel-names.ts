import { MAX_CHANNEL_NAME_LENGTH } from './limits';

/** Channel kinds by name prefix (docs/protocol.md §5). */
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

/**
 * The types named by a `{type}-` prefix, longest first: the first match wins. No table is computed at
 * module scope, so a bundle that only needs `channelType` carries nothing else.
 */
const PREFIXED_TYPES = [
  'private-encrypted-cache',
  'private-encrypted',
  'private-cache',
  'private',
  'presence-cache',
  'presence',
  'cache',
] as const;

/** Longest prefix first: the first match wins. */
export const CHANNEL_PREFIXES: ReadonlyArray<readonly [prefix: string, type: ChannelType]> =
  /*#__PURE__*/ channelPrefixes();

function channelPrefixes(): ReadonlyArray<readonly [prefix: string, type: ChannelType]> {
  return [
    [SERVER_TO_USER_PREFIX, 'server-to-user'],
    ...PREFIXED_TYPES.map((type) => [`${type}-`, type] as const),
  ];
}

export function channelType(name: string): ChannelType {
  if (name.startsWith(SERVER_TO_USER_PREFIX)) return 'server-to-user';
  return PREFIXED_TYPES.find((type) => name.startsWith(`${type}-`)) ?? 'public';
}

/** What a channel type implies; derived once per type so hot paths do a lookup. */
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

const traitsCache: Partial<Record<ChannelType, ChannelTraits>> = {};

/** The traits of a type, built on first use and then shared. */
function traitsOf(type: ChannelType): ChannelTraits {
  let traits = traitsCache[type];
  if (traits === undefined) {
    const isPresence = type.startsWith('presence');
    const isEncrypted = type.startsWith('private-encrypted');
    const requiresAuth = isPresence || type.startsWith('private');
    traits = traitsCache[type] = {
      requiresAuth,
      isPresence,
      isEncrypted,
      isCache: type.endsWith('cache'),
      allowsClientEvents: requiresAuth && !isEncrypted,
      countsSubscriptions: !isPresence && type !== 'server-to-user',
    };
  }
  return traits;
}

export const CHANNEL_TRAITS: Readonly<Record<ChannelType, ChannelTraits>> = /*#__PURE__*/ allTraits();

function allTraits(): Record<ChannelType, ChannelTraits> {
  const types: ChannelType[] = [...PREFIXED_TYPES, 'server-to-user', 'public'];
  return Object.fromEntries(types.map((type) => [type, traitsOf(type)])) as Record<
    ChannelType,
    ChannelTraits
  >;
}

export function channelTraits(name: string): ChannelTraits {
  return traitsOf(channelType(name));
}

/** The traits a client acts on when it subscribes and whispers. */
export type ClientChannelTraits = Pick<
  ChannelTraits,
  'requiresAuth' | 'isPresence' | 'isEncrypted' | 'allowsClientEvents'
>;

/**
 * `channelTraits` for clients: the same answers for these four traits, read from the name's prefix
 * without the type table and cache, so a client bundle stays small.
 */
export function clientChannelTraits(name: string): ClientChannelTraits {
  const isPresence = name.startsWith('presence-');
  const isEncrypted = name.startsWith('private-encrypted-');
  const requiresAuth = isPresence || name.startsWith('private-');
  return { requiresAuth, isPresence, isEncrypted, allowsClientEvents: requiresAuth && !isEncrypted };
}

const CHANNEL_NAME_CHARS = /^[A-Za-z0-9_\-=@,.;]+$/;

export type ChannelNameProblem = 'empty' | 'too-long' | 'bad-characters';

/**
 * Checks a channel name against §5: allowed characters, at most 200 characters, `#` only in the
 * internal `#server-to-user-{id}` form. Returns the problem, or `undefined` when the name is valid.
 */
export function channelNameProblem(name: string): ChannelNameProblem | undefined {
  if (name.length === 0) return 'empty';
  if (name.length > MAX_CHANNEL_NAME_LENGTH) return 'too-long';
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
