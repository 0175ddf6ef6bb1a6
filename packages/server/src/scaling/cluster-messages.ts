/**
 * What nodes say to each other through Redis, and where: pub/sub channel names, key names, and the
 * JSON envelopes with their decoders. Everything a node receives is checked here, once; anything
 * malformed is dropped (and logged by the caller), never applied.
 *
 * Pub/sub channels (prefix = REVERB_SCALING_CHANNEL, default `reverb`):
 *   `${prefix}#${appId}`      broadcasts and terminate/user-status messages of one app, stamped with the
 *                             origin node; a node subscribes only to the apps it serves.
 *   `${prefix}#req`           cluster questions `{node, id, query}`.
 *   `${prefix}#res#${nodeId}` the answers to one node's questions `{node, id, result}`.
 * Keys: see `keys` below.
 */
import { Limits, readStreamPosition } from '@react-reverb/core/protocol';
import { isRecord } from '../shared/is-record';
import type { AdapterMessage, AdapterQuery } from './adapter';

export function channelNames(prefix: string) {
  return {
    app: (appId: string) => `${prefix}#${appId}`,
    requests: `${prefix}#req`,
    responses: (nodeId: string) => `${prefix}#res#${nodeId}`,
  };
}

/**
 * Redis keys. App ids and channel names go in as a JSON array so no separator can be ambiguous.
 *   nodes                    sorted set nodeId → last heartbeat (Redis clock, ms)
 *   m:[app,set]              hash userId → JSON {s: join order, i?: user_info JSON, n: {nodeId: 1}}
 *                            (set = presence channel, or `#online` for signed-in users)
 *   seq                      counter giving members their join order
 *   epoch                    random id of the current Redis lifetime
 *   count:conns:[app]        hash nodeId → connections of the app on that node (quota)
 *   count:subs:[app,channel] hash nodeId → subscriptions of the channel on that node (subscription_count)
 *   node:{id}:sets           hash: each `m:` key → how many of its entries hold the node, each `count:`
 *                            key → 1 (what a purge of the node visits; never more than it holds)
 *   cache:[app,channel]      string JSON {frame, data}, with the channel's TTL
 *   hist:meta:[app,channel]  hash of a history stream (§11.1): e epoch, t top offset, r why the oldest
 *                            kept event last moved, p publish time of the top (Redis clock, ms), o a
 *                            publish time no later than the oldest kept event's; expires a day after
 *                            the last publish
 *   hist:ev:[app,channel]    Redis Stream of its kept events: id `<offset>-0`, fields t publish time,
 *                            f frame (without position), x excluded socket id (optional); expires `ttl`
 *                            after the last publish (redis-history-scripts.ts)
 *   session:[app,user]       hash {current: sessionId, order} (single session, redis-sessions.ts)
 *   session-replaced:[app,user]  list of `${forgetAtMs}:${sessionId}`, newest first, at most 32
 *   session-order            counter giving current sessions their cluster-wide order
 */
export function keyNames(prefix: string) {
  const p = `${prefix}:`;
  return {
    nodes: `${p}nodes`,
    seq: `${p}seq`,
    /** A random id set by the first node after Redis starts: a new value means Redis restarted empty. */
    epoch: `${p}epoch`,
    membership: (appId: string, set: string) => `${p}m:${JSON.stringify([appId, set])}`,
    connections: (appId: string) => `${p}count:conns:${JSON.stringify([appId])}`,
    subscriptions: (appId: string, channel: string) => `${p}count:subs:${JSON.stringify([appId, channel])}`,
    /** What every per-node counter key starts with (scripts tell them from membership keys). */
    countersHead: `${p}count:`,
    subscriptionsHead: `${p}count:subs:`,
    nodeIndex: (nodeId: string) => `${p}node:${nodeId}:sets`,
    cache: (appId: string, channel: string) => `${p}cache:${JSON.stringify([appId, channel])}`,
    historyMeta: (appId: string, channel: string) => `${p}hist:meta:${JSON.stringify([appId, channel])}`,
    historyEvents: (appId: string, channel: string) => `${p}hist:ev:${JSON.stringify([appId, channel])}`,
    /** Both keys of a stream, `[historyMeta, historyEvents]`, for one JSON encoding (every append needs both). */
    historyKeys(appId: string, channel: string): readonly [string, string] {
      const id = JSON.stringify([appId, channel]);
      return [`${p}hist:meta:${id}`, `${p}hist:ev:${id}`];
    },
    session: (appId: string, userId: string) => `${p}session:${JSON.stringify([appId, userId])}`,
    replacedSessions: (appId: string, userId: string) =>
      `${p}session-replaced:${JSON.stringify([appId, userId])}`,
    sessionOrder: `${p}session-order`,
    /** The app and set of a `membership` key, or undefined for any other key. */
    parseMembership(key: string): { appId: string; set: string } | undefined {
      const head = `${p}m:`;
      if (!key.startsWith(head)) return undefined;
      const parsed = parseJson(key.slice(head.length));
      if (!Array.isArray(parsed) || parsed.length !== 2) return undefined;
      const [appId, set] = parsed as unknown[];
      return typeof appId === 'string' && typeof set === 'string' ? { appId, set } : undefined;
    },
  };
}

type Broadcast = Extract<AdapterMessage, { type: 'broadcast' }>;

/**
 * A broadcast as nodes exchange it. On a history channel it carries the event's position in the
 * stream, assigned in Redis by the append script (redis-history-scripts.ts), which publishes it; every
 * node, the origin included, then sends `positionFrame(frame, position)` (docs/protocol.md §11.1).
 * `history` (the app's limits, for the origin's append) never travels.
 */
export type ClusterBroadcast = Broadcast;

export type ClusterMessage = AdapterMessage;

export interface MessageEnvelope {
  readonly node: string;
  readonly message: ClusterMessage;
}

/**
 * The envelope of a history broadcast without its end: the append script completes it with
 * `,"position":{"epoch":"E","offset":N}}}` once it has assigned the offset, so `message` gains its
 * `position` as the last field.
 */
export function positionedEnvelopeHead(node: string, message: Broadcast): string {
  return JSON.stringify({ node, message }).slice(0, -2);
}

export interface RequestEnvelope {
  readonly node: string;
  readonly id: string;
  readonly query: AdapterQuery;
}

export interface ResponseEnvelope {
  readonly node: string;
  readonly id: string;
  /** null when the answering node does not serve the app. */
  readonly result: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

const isString = (value: unknown): value is string => typeof value === 'string';

const isSessionId = (value: unknown): value is string =>
  isString(value) && value !== '' && value.length <= Limits.MAX_SESSION_ID_LENGTH;

function decodeMessage(value: unknown): ClusterMessage | undefined {
  if (!isRecord(value) || !isString(value.appId)) return undefined;
  switch (value.type) {
    case 'broadcast': {
      if (!isString(value.channel) || !isString(value.frame)) return undefined;
      if (value.exceptSocketId !== undefined && !isString(value.exceptSocketId)) return undefined;
      let cache: { data: string; ttlSeconds: number } | undefined;
      if (value.cache !== undefined) {
        const c = value.cache;
        if (!isRecord(c) || !isString(c.data) || typeof c.ttlSeconds !== 'number') return undefined;
        cache = { data: c.data, ttlSeconds: c.ttlSeconds };
      }
      const position = value.position === undefined ? undefined : readStreamPosition(value.position);
      if (value.position !== undefined && !position) return undefined;
      return {
        type: 'broadcast',
        appId: value.appId,
        channel: value.channel,
        frame: value.frame,
        ...(isString(value.exceptSocketId) ? { exceptSocketId: value.exceptSocketId } : {}),
        ...(cache ? { cache } : {}),
        ...(position ? { position } : {}),
      };
    }
    case 'terminate_user':
      return isString(value.userId)
        ? { type: 'terminate_user', appId: value.appId, userId: value.userId }
        : undefined;
    case 'user_status':
      return isString(value.userId) && typeof value.online === 'boolean'
        ? { type: 'user_status', appId: value.appId, userId: value.userId, online: value.online }
        : undefined;
    case 'session_replaced': {
      const { userId, keepSessionId, order, closeSessionless } = value;
      if (!isString(userId) || !isSessionId(keepSessionId)) return undefined;
      if (!Number.isSafeInteger(order) || (order as number) < 0) return undefined;
      if (closeSessionless !== undefined && typeof closeSessionless !== 'boolean') return undefined;
      return {
        type: 'session_replaced',
        appId: value.appId,
        userId,
        keepSessionId,
        order: order as number,
        ...(closeSessionless ? { closeSessionless } : {}),
      };
    }
    default:
      return undefined;
  }
}

export function decodeMessageEnvelope(text: string): MessageEnvelope | undefined {
  const value = parseJson(text);
  if (!isRecord(value) || !isString(value.node)) return undefined;
  const message = decodeMessage(value.message);
  return message ? { node: value.node, message } : undefined;
}

function decodeQuery(value: unknown): AdapterQuery | undefined {
  if (!isRecord(value) || !isString(value.appId)) return undefined;
  const { appId } = value;
  switch (value.type) {
    case 'channels':
      if (value.prefix !== undefined && !isString(value.prefix)) return undefined;
      return isString(value.prefix)
        ? { type: 'channels', appId, prefix: value.prefix }
        : { type: 'channels', appId };
    case 'channel':
    case 'users':
    case 'cache':
      return isString(value.channel) ? { type: value.type, appId, channel: value.channel } : undefined;
    default:
      return undefined;
  }
}

export function decodeRequestEnvelope(text: string): RequestEnvelope | undefined {
  const value = parseJson(text);
  if (!isRecord(value) || !isString(value.node) || !isString(value.id)) return undefined;
  const query = decodeQuery(value.query);
  return query ? { node: value.node, id: value.id, query } : undefined;
}

export function decodeResponseEnvelope(text: string): ResponseEnvelope | undefined {
  const value = parseJson(text);
  if (!isRecord(value) || !isString(value.node) || !isString(value.id) || !('result' in value))
    return undefined;
  return { node: value.node, id: value.id, result: value.result };
}
