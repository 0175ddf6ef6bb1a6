/**
 * Single session over Redis (packages/server/docs/single-session.md): each claim is one Lua script,
 * so Redis puts every sign-in of a user in one order and exactly one session ends up current. Key
 * layout: cluster-messages.ts `keyNames` (`session:[app,user]`, `session-replaced:[app,user]`,
 * `session-order`).
 *
 * - `session:[app,user]`: hash `{current, order}`; expires `rememberMs` after the last claim of the
 *   current session (PEXPIRE at each claim and end).
 * - `session-replaced:[app,user]`: list of `${forgetAtMs}:${sessionId}`, newest first, trimmed to
 *   {@link MAX_REPLACED_SESSIONS}; entries whose time has passed are dropped from the tail (the oldest).
 *   A list, not a sorted set scored by time: many replacements in one millisecond still keep their
 *   order, so the trim always drops the oldest.
 * - `session-order`: one counter for the whole cluster, raised to the Redis clock in microseconds when
 *   it is behind, so orders keep growing across a Redis restart (the nodes' own records of the newest
 *   session still hold orders from before it; see session-verdict.ts).
 *
 * Times come from the Redis clock (TIME), never a node's, so nodes with skewed clocks agree. The
 * scripts touch only their KEYS, but the counter and the user keys are in different hash slots: Redis
 * Cluster is not supported (as for the rest of the adapter).
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { keyNames } from './cluster-messages';
import { runScript, type Script } from './redis-scripts';
import {
  type ClaimResult,
  checkRememberMs,
  type EndOthersResult,
  MAX_REPLACED_SESSIONS,
  type PeekResult,
  type SessionState,
} from './sessions';

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/**
 * Shared by both scripts. KEYS: the user's hash, the user's replaced list, the order counter.
 * ARGV: sessionId, rememberMs, max replaced kept. Reads the current session (a user without one has no
 * replaced ones either: both are forgotten together), drops expired replaced entries, and defines:
 *   replacedEntry(s)  the list entry of a remembered replaced session s, or nil
 *   makeCurrent(s)    s becomes current with a new order; the old current, if any, is replaced
 *   keep()            both keys live `rememberMs` more
 */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local remember = tonumber(ARGV[2])
local current = redis.call('HGET', KEYS[1], 'current')
if not current then redis.call('DEL', KEYS[2]) end
local function split(entry)
  local colon = string.find(entry, ':', 1, true)
  return tonumber(string.sub(entry, 1, colon - 1)), string.sub(entry, colon + 1)
end
while true do
  local oldest = redis.call('LINDEX', KEYS[2], -1)
  if not oldest or split(oldest) > now then break end
  redis.call('RPOP', KEYS[2])
end
local function replacedEntry(session)
  for _, entry in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local forgetAt, s = split(entry)
    if s == session and forgetAt > now then return entry end
  end
  return nil
end
local function currentOrder()
  return tonumber(redis.call('HGET', KEYS[1], 'order'))
end
local function makeCurrent(session)
  local order = redis.call('INCR', KEYS[3])
  local floor = tonumber(t[1]) * 1000000 + tonumber(t[2])
  if order < floor then
    order = floor
    redis.call('SET', KEYS[3], string.format('%d', order))
  end
  redis.call('HSET', KEYS[1], 'current', session, 'order', string.format('%d', order))
  if current then
    redis.call('LPUSH', KEYS[2], string.format('%d', now + remember) .. ':' .. current)
    redis.call('LTRIM', KEYS[2], 0, tonumber(ARGV[3]) - 1)
  end
  return order
end
local function keep()
  redis.call('PEXPIRE', KEYS[1], remember)
  redis.call('PEXPIRE', KEYS[2], remember)
end
`;

/** → {outcome, order of the current session, current session, previous session or ''}. */
export const CLAIM_SESSION = script(`${PRELUDE}
local session = ARGV[1]
if current == session then
  keep()
  return { 'current', currentOrder(), session, '' }
end
if current and replacedEntry(session) then
  return { 'replaced', currentOrder(), current, '' }
end
local order = makeCurrent(session)
keep()
return { 'new', order, session, current or '' }
`);

/** → {order of the kept session, the session it replaced or ''}. */
export const END_OTHER_SESSIONS = script(`${PRELUDE}
local session = ARGV[1]
if current == session then
  keep()
  return { currentOrder(), '' }
end
local entry = replacedEntry(session)
if entry then redis.call('LREM', KEYS[2], 1, entry) end
local order = makeCurrent(session)
keep()
return { order, current or '' }
`);

/** → {outcome ('current', 'replaced' or 'unknown'), the session's order when current, else 0}. */
export const PEEK_SESSION = script(`${PRELUDE}
local session = ARGV[1]
if current == session then return { 'current', currentOrder() } end
if current and replacedEntry(session) then return { 'replaced', 0 } end
return { 'unknown', 0 }
`);

function malformed(script: string, reply: unknown): Error {
  return new Error(`unexpected reply from the ${script} script: ${JSON.stringify(reply)}`);
}

function isOrder(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0;
}

export function decodeClaimReply(reply: unknown): ClaimResult {
  if (!Array.isArray(reply) || reply.length !== 4) throw malformed('session claim', reply);
  const [outcome, order, current, previous] = reply as unknown[];
  if (
    (outcome !== 'current' && outcome !== 'replaced' && outcome !== 'new') ||
    !isOrder(order) ||
    typeof current !== 'string' ||
    current === '' ||
    typeof previous !== 'string'
  ) {
    throw malformed('session claim', reply);
  }
  return outcome === 'new' && previous !== ''
    ? { outcome, order, current, previous }
    : { outcome, order, current };
}

export function decodeEndOthersReply(reply: unknown): EndOthersResult {
  if (!Array.isArray(reply) || reply.length !== 2) throw malformed('end other sessions', reply);
  const [order, replaced] = reply as unknown[];
  if (!isOrder(order) || typeof replaced !== 'string') throw malformed('end other sessions', reply);
  return { order, replaced: replaced === '' ? [] : [replaced] };
}

export function decodePeekReply(reply: unknown): PeekResult {
  if (!Array.isArray(reply) || reply.length !== 2) throw malformed('session peek', reply);
  const [outcome, order] = reply as unknown[];
  if (outcome === 'current' && isOrder(order)) return { outcome, order };
  if ((outcome === 'replaced' || outcome === 'unknown') && order === 0) return { outcome, order };
  throw malformed('session peek', reply);
}

/**
 * The cluster's session state. `client` is a command connection (the adapter's `link.pub`): with the
 * adapter's settings a call fails fast while Redis is unreachable. A failure is reported to `onFailure`
 * (the adapter's `link.fail`, which counts and logs it) and then thrown: the caller decides (see
 * packages/server/docs/single-session.md for the recommended policy).
 */
export class RedisSessionState implements SessionState {
  private readonly keys: ReturnType<typeof keyNames>;

  constructor(
    private readonly client: Redis,
    prefix: string,
    private readonly onFailure: (op: string, error: unknown) => void = () => {},
  ) {
    this.keys = keyNames(prefix);
  }

  async claim(appId: string, userId: string, sessionId: string, rememberMs: number): Promise<ClaimResult> {
    return decodeClaimReply(
      await this.run('session claim', CLAIM_SESSION, appId, userId, sessionId, rememberMs),
    );
  }

  async endOthers(
    appId: string,
    userId: string,
    keepSessionId: string,
    rememberMs: number,
  ): Promise<EndOthersResult> {
    const reply = await this.run(
      'end other sessions',
      END_OTHER_SESSIONS,
      appId,
      userId,
      keepSessionId,
      rememberMs,
    );
    return decodeEndOthersReply(reply);
  }

  async peek(appId: string, userId: string, sessionId: string): Promise<PeekResult> {
    // A peek refreshes nothing, so rememberMs is not used: 1 satisfies the prelude.
    return decodePeekReply(await this.run('session peek', PEEK_SESSION, appId, userId, sessionId, 1));
  }

  /** Runs one of the scripts above with the ARGV their PRELUDE reads (a bad rememberMs never reaches Redis). */
  private async run(
    op: string,
    script: Script,
    appId: string,
    userId: string,
    sessionId: string,
    rememberMs: number,
  ): Promise<unknown> {
    checkRememberMs(rememberMs);
    const args = [sessionId, rememberMs, MAX_REPLACED_SESSIONS];
    try {
      return await runScript(this.client, script, this.userKeys(appId, userId), args);
    } catch (error) {
      this.onFailure(op, error);
      throw error;
    }
  }

  private userKeys(appId: string, userId: string): string[] {
    return [
      this.keys.session(appId, userId),
      this.keys.replacedSessions(appId, userId),
      this.keys.sessionOrder,
    ];
  }
}
