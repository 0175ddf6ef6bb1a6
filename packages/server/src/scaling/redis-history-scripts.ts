/**
 * The two Lua scripts of the Redis history store (redis-history.ts; docs/protocol.md §11.1). Each runs
 * atomically, so offsets are the cluster's: contiguous, assigned once, in the order of publication.
 * Key layout: cluster-messages.ts `keyNames` (`hist:meta:` hash and `hist:ev:` stream).
 *
 * A stream entry's id is `<offset>-0`, so the entries after a position are the range from
 * `<offset + 1>-0`, and its fields are always `t` (publish time, Redis clock, ms), `f` (the frame
 * without its position) and, when set, `x` (the socket id the event excludes), in that order.
 *
 * Only commands of Redis 5 are used (no `XTRIM MINID`, no exclusive ranges): the kept entries are a
 * contiguous run ending at the top, so trimming to `MAXLEN top - first + 1` drops exactly what is older
 * than `first`.
 */
import { createHash } from 'node:crypto';
import type { Script } from './redis-scripts';

function script(lua: string): Script {
  return { lua, sha: createHash('sha1').update(lua).digest('hex') };
}

/** Lua shared by both scripts: Redis time in ms, and the stream's epoch, created (or reset) as needed. */
const PRELUDE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowText = string.format('%d', now)
local meta, events = KEYS[1], KEYS[2]
if ARGV[2] == '1' then redis.call('DEL', meta, events) end
local epoch = redis.call('HGET', meta, 'e')
local created = false
if not epoch then
  epoch = ARGV[1]
  created = true
  redis.call('DEL', meta, events)
  redis.call('HSET', meta, 'e', epoch, 't', 0)
end`;

/**
 * KEYS: meta, events. ARGV: a fresh epoch (used if the stream has none), reset ('1': start a new
 * epoch), frame, excluded socket id ('' = none), maxEvents, ttlMs, metadataTtlMs, pub/sub channel,
 * envelope head (cluster-messages.ts `positionedEnvelopeHead`). Assigns the next offset, keeps the
 * entry within maxEvents and ttl, records why the oldest kept entry moved, and publishes the envelope
 * completed with the position. → {epoch, offset}.
 */
export const APPEND = script(`${PRELUDE}
local offset = redis.call('HINCRBY', meta, 't', 1)
local max = tonumber(ARGV[5])
local trimmed = nil
local length = redis.call('XLEN', events)
if length >= max then
  trimmed = 'too_far_behind'
elseif length == 0 and offset > 1 then
  -- The events key expired as a whole: no publish for ttl.
  trimmed = 'expired'
end
local id = string.format('%d-0', offset)
if ARGV[4] == '' then
  redis.call('XADD', events, 'MAXLEN', max, id, 't', nowText, 'f', ARGV[3])
else
  redis.call('XADD', events, 'MAXLEN', max, id, 't', nowText, 'f', ARGV[3], 'x', ARGV[4])
end
-- Entries published at or before the cutoff have expired. Each expires once, so this is O(1) amortized;
-- the entry just added is never expired, so a kept one is always found.
local cutoff = now - tonumber(ARGV[6])
local oldest = redis.call('XRANGE', events, '-', '+', 'COUNT', 1)[1]
if oldest and tonumber(oldest[2][2]) <= cutoff then
  local from = oldest[1]
  local first = offset
  while true do
    local batch = redis.call('XRANGE', events, from, '+', 'COUNT', 100)
    local found = false
    for _, entry in ipairs(batch) do
      if tonumber(entry[2][2]) > cutoff then
        first = tonumber(string.match(entry[1], '^(%d+)'))
        found = true
        break
      end
    end
    if found or #batch < 100 then break end
    from = string.format('%d-0', tonumber(string.match(batch[#batch][1], '^(%d+)')) + 1)
  end
  redis.call('XTRIM', events, 'MAXLEN', offset - first + 1)
  trimmed = 'expired'
end
if trimmed then redis.call('HSET', meta, 'r', trimmed) end
redis.call('HSET', meta, 'p', nowText)
redis.call('PEXPIRE', events, ARGV[6])
redis.call('PEXPIRE', meta, ARGV[7])
redis.call('PUBLISH', ARGV[8],
  ARGV[9] .. ',"position":{"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. string.format('%d', offset) .. '}}}')
return { epoch, offset }
`);

/**
 * KEYS: meta, events. ARGV: a fresh epoch, reset ('1'), metadataTtlMs, mode ('none', 'recover' or
 * 'rewind'), the client's epoch, the client's offset, rewind count (already at most maxEvents),
 * maxEvents. Computes where the replay starts exactly as history.ts `replayAfter` does and reads up to
 * maxEvents entries after it, newest first. → {epoch, top, trim reason or '', top publish time or '',
 * now, number of kept entries, after (-1 = no replay), entries}.
 */
export const READ = script(`${PRELUDE}
if created then redis.call('PEXPIRE', meta, ARGV[3]) end
local fields = redis.call('HMGET', meta, 't', 'r', 'p')
local top = tonumber(fields[1])
local after = -1
if ARGV[4] == 'recover' then
  if ARGV[5] ~= epoch then
    after = 0
  elseif tonumber(ARGV[6]) < top then
    after = tonumber(ARGV[6])
  end
elseif ARGV[4] == 'rewind' then
  after = math.max(0, top - tonumber(ARGV[7]))
end
local entries = {}
if after >= 0 and after < top then
  entries = redis.call('XREVRANGE', events, '+', string.format('%d-0', after + 1), 'COUNT', ARGV[8])
end
return { epoch, top, fields[2] or '', fields[3] or '', nowText, redis.call('XLEN', events), after, entries }
`);
