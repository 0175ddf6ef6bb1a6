/**
 * The Lua scripts that keep the shared state consistent: each runs atomically inside Redis, so two
 * nodes can never both see themselves as a user's "first" or "last" connection, and only one node
 * gets the members a dead node leaves behind. Key layout: cluster-messages.ts `keyNames`.
 *
 * A membership entry is JSON `{s: join order, i?: user_info as JSON text, n: {nodeId: 1}}`: nodes
 * only report their first and last local connection, so `n` is the set of nodes holding the user.
 * `user_info` stays JSON text so Lua never re-encodes (and alters) what the app signed.
 *
 * Each node's index (`node:{id}:sets`, a hash) maps every key it has a share in to how many entries of
 * that key hold it (1 for a connections key), so it never outgrows what the node holds and a purge
 * visits only those keys.
 *
 * Scripts touch keys they read from the node index (not from KEYS): fine on a standalone Redis or
 * Sentinel; Redis Cluster is not supported.
 */
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface Script {
  readonly lua: string;
  readonly sha: string;
}

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** KEYS: membership, node index, seq. ARGV: userId, nodeId, info ('' = none), max (0 = none). → 1 first, 0 again, -1 full. */
export const JOIN = script(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
local m
if raw then
  m = cjson.decode(raw)
else
  local max = tonumber(ARGV[4])
  if max > 0 and redis.call('HLEN', KEYS[1]) >= max then return -1 end
  m = { s = redis.call('INCR', KEYS[3]), n = {} }
  if ARGV[3] ~= '' then m.i = ARGV[3] end
end
if not m.n[ARGV[2]] then redis.call('HINCRBY', KEYS[2], KEYS[1], 1) end
m.n[ARGV[2]] = 1
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
if raw then return 0 end
return 1
`);

/** KEYS: membership, node index. ARGV: userId, nodeId. → 1 when no node holds the user any more, else 0. */
export const LEAVE = script(`
local raw = redis.call('HGET', KEYS[1], ARGV[1])
if not raw then return 1 end
local m = cjson.decode(raw)
if m.n[ARGV[2]] then
  m.n[ARGV[2]] = nil
  if redis.call('HINCRBY', KEYS[2], KEYS[1], -1) <= 0 then redis.call('HDEL', KEYS[2], KEYS[1]) end
end
if next(m.n) == nil then
  redis.call('HDEL', KEYS[1], ARGV[1])
  return 1
end
redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(m))
return 0
`);

/**
 * KEYS: nodes, epoch. ARGV: nodeId, deadAfterMs, a fresh epoch id. Records this node's heartbeat on
 * the Redis clock (no skew between machines) → {1 if the node was not listed (new, Redis restarted, or
 * purged), dead ids, live ids, epoch}. The epoch is set once per Redis lifetime: when it changes, Redis
 * restarted empty.
 */
export const HEARTBEAT = script(`
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local added = redis.call('ZADD', KEYS[1], now, ARGV[1])
local cutoff = now - tonumber(ARGV[2])
local dead = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%d', cutoff))
local live = redis.call('ZRANGEBYSCORE', KEYS[1], string.format('(%d', cutoff), '+inf')
redis.call('SET', KEYS[2], ARGV[3], 'NX')
return { added, dead, live, redis.call('GET', KEYS[2]) }
`);

/**
 * Lua shared by PURGE and RESYNC: takes `node` out of every member of the membership hash `key`, except
 * the user ids in `keeps` (nil: none kept); a member left with no node is deleted and appended to
 * `out` as {key, userId} (its membership ended cluster-wide).
 */
const DROP_NODE = `
local function dropNode(key, node, keeps, out)
  local all = redis.call('HGETALL', key)
  for i = 1, #all, 2 do
    local m = cjson.decode(all[i + 1])
    if m.n[node] and not (keeps and keeps[all[i]]) then
      m.n[node] = nil
      if next(m.n) == nil then
        redis.call('HDEL', key, all[i])
        out[#out + 1] = key
        out[#out + 1] = all[i]
      else
        redis.call('HSET', key, all[i], cjson.encode(m))
      end
    end
  end
end`;

/**
 * KEYS: nodes, the dead node's index. ARGV: nodeId, counter keys head. Removes the node everywhere
 * → flat list {membership key, userId, …} of the memberships it held alone. Atomic, so when several
 * nodes purge the same dead node, exactly one of them gets the list (and sends member_removed).
 */
export const PURGE = script(`${DROP_NODE}
redis.call('ZREM', KEYS[1], ARGV[1])
local out = {}
local head = ARGV[2]
for _, key in ipairs(redis.call('HKEYS', KEYS[2])) do
  if string.sub(key, 1, #head) == head then
    redis.call('HDEL', key, ARGV[1])
  else
    dropNode(key, ARGV[1], nil, out)
  end
end
redis.call('DEL', KEYS[2])
return out
`);

/**
 * KEYS: node index, seq. ARGV: nodeId, counter keys head, then (membership key, userId, info)
 * triples: everything the node holds now. Makes Redis agree with the node after an outage: drops the
 * node from entries it no longer holds and adds it to the ones it holds → {removed, added}, flat lists
 * {key, userId, …} of memberships that ended or began cluster-wide (other nodes missed those events).
 * The index's membership counts are rebuilt; its counter keys are left to the caller.
 */
export const RESYNC = script(`${DROP_NODE}
local node = ARGV[1]
local head = ARGV[2]
local keep = {}
for i = 3, #ARGV, 3 do
  keep[ARGV[i]] = keep[ARGV[i]] or {}
  keep[ARGV[i]][ARGV[i + 1]] = true
end
local removed = {}
for _, key in ipairs(redis.call('HKEYS', KEYS[1])) do
  if string.sub(key, 1, #head) ~= head then
    redis.call('HDEL', KEYS[1], key)
    dropNode(key, node, keep[key], removed)
  end
end
local added = {}
for i = 3, #ARGV, 3 do
  local key, user, info = ARGV[i], ARGV[i + 1], ARGV[i + 2]
  local raw = redis.call('HGET', key, user)
  local m
  if raw then
    m = cjson.decode(raw)
  else
    m = { s = redis.call('INCR', KEYS[2]), n = {} }
    if info ~= '' then m.i = info end
    added[#added + 1] = key
    added[#added + 1] = user
  end
  m.n[node] = 1
  redis.call('HSET', key, user, cjson.encode(m))
  redis.call('HINCRBY', KEYS[1], key, 1)
end
return { removed, added }
`);

/** KEYS: connections, node index. ARGV: nodeId, max (0 = none). → 1 reserved, 0 over quota. */
export const RESERVE = script(`
local max = tonumber(ARGV[2])
if max > 0 then
  local sum = 0
  for _, v in ipairs(redis.call('HVALS', KEYS[1])) do sum = sum + tonumber(v) end
  if sum >= max then return 0 end
end
redis.call('HINCRBY', KEYS[1], ARGV[1], 1)
redis.call('HSET', KEYS[2], KEYS[1], 1)
return 1
`);

/**
 * KEYS: subscriptions of a channel, node index. ARGV: nodeId, delta (1 or -1). → the channel's
 * subscriptions over every node.
 */
export const COUNT = script(`
if redis.call('HINCRBY', KEYS[1], ARGV[1], tonumber(ARGV[2])) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], KEYS[1])
else
  redis.call('HSET', KEYS[2], KEYS[1], 1)
end
local sum = 0
for _, v in ipairs(redis.call('HVALS', KEYS[1])) do sum = sum + tonumber(v) end
return sum
`);

/** KEYS: connections, node index. ARGV: nodeId. */
export const RELEASE = script(`
if redis.call('HINCRBY', KEYS[1], ARGV[1], -1) <= 0 then
  redis.call('HDEL', KEYS[1], ARGV[1])
  redis.call('HDEL', KEYS[2], KEYS[1])
end
return 1
`);

/** Runs a script by its hash, loading it on NOSCRIPT (first use, or after a Redis restart). */
export async function runScript(
  client: Redis,
  s: Script,
  keys: readonly string[],
  args: readonly (string | number)[],
): Promise<unknown> {
  try {
    return await client.evalsha(s.sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return client.eval(s.lua, keys.length, ...keys, ...args);
  }
}
