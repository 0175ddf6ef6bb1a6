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

/** Lua shared by both scripts: Redis time in ms. */
const CLOCK = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local nowText = string.format('%d', now)`;

/** Arguments each event of an APPEND batch takes, after the batch's own first one. */
export const APPEND_ARGS_PER_EVENT = 8;

/**
 * A batch of appends, in the order they were published (redis-history.ts sends every append of one
 * turn of the event loop in one call). KEYS: meta and events of each event, in pairs. ARGV[1]:
 * metadataTtlMs; then per event: a fresh epoch (used if the stream has none), reset ('1': start a new
 * epoch), frame, excluded socket id ('' = none), maxEvents, ttlMs, pub/sub channel, envelope head
 * (cluster-messages.ts `positionedEnvelopeHead`). Each event gets the next offset of its stream, is kept
 * within maxEvents and ttl, records why the oldest kept entry moved, and is published completed with
 * its position. → per event, two values: {epoch, offset}, or {'', error} for an event whose append
 * failed (the others of the batch still go out: one bad key never takes its neighbours with it).
 *
 * It runs for every publish to a history channel, so it makes as few calls as it can: one clock for
 * the batch, and per event one read of the meta (epoch, top, reason, `o`) and one write (top, publish
 * time, and the reason and `o` when they change). `o` is a publish time no later than the oldest kept
 * entry's: entries are added in publish order and only ever dropped from the head, so once `o` is
 * after the ttl's cutoff nothing kept has expired and the oldest entry need not be read. It is
 * refreshed when it is not, i.e. about once per ttl on a busy stream; on a quiet one the oldest entry
 * is read and expires as before. (Should the Redis clock step back, an entry published after the step
 * may be trimmed up to that step late; reads leave out expired entries on their own, redis-history.ts.)
 */
export const APPEND = script(`${CLOCK}
local metadataTtl = ARGV[1]

local function append(meta, events, a)
  if ARGV[a + 1] == '1' then redis.call('DEL', meta, events) end
  local fields = redis.call('HMGET', meta, 'e', 't', 'r', 'o')
  local epoch, reason, oldest = fields[1], fields[3], fields[4]
  local offset = (tonumber(fields[2]) or 0) + 1
  local update = { 'p', nowText }
  if not epoch then
    -- A new stream, Redis restarted empty, a day idle, or a reset: a new epoch from offset 1.
    epoch, reason, oldest, offset = ARGV[a], false, false, 1
    redis.call('DEL', meta, events)
    update[#update + 1] = 'e'
    update[#update + 1] = epoch
  end
  update[#update + 1] = 't'
  update[#update + 1] = string.format('%d', offset)
  local max = tonumber(ARGV[a + 4])
  local trimmed = nil
  local length = redis.call('XLEN', events)
  if length >= max then
    trimmed = 'too_far_behind'
  elseif length == 0 and offset > 1 then
    -- The events key expired as a whole: no publish for ttl.
    trimmed = 'expired'
  end
  local id = string.format('%d-0', offset)
  if ARGV[a + 3] == '' then
    redis.call('XADD', events, 'MAXLEN', max, id, 't', nowText, 'f', ARGV[a + 2])
  else
    redis.call('XADD', events, 'MAXLEN', max, id, 't', nowText, 'f', ARGV[a + 2], 'x', ARGV[a + 3])
  end
  -- Entries published at or before the cutoff have expired. Each expires once, so this is O(1)
  -- amortized; the entry just added is never expired, so a kept one is always found.
  local ttl = ARGV[a + 5]
  local cutoff = now - tonumber(ttl)
  if not oldest or tonumber(oldest) <= cutoff then
    local first = redis.call('XRANGE', events, '-', '+', 'COUNT', 1)[1]
    local published = tonumber(first[2][2])
    if published <= cutoff then
      local from = first[1]
      local firstKept = offset
      published = now
      while true do
        local batch = redis.call('XRANGE', events, from, '+', 'COUNT', 100)
        local found = false
        for _, entry in ipairs(batch) do
          if tonumber(entry[2][2]) > cutoff then
            firstKept = tonumber(string.match(entry[1], '^(%d+)'))
            published = tonumber(entry[2][2])
            found = true
            break
          end
        end
        if found or #batch < 100 then break end
        from = string.format('%d-0', tonumber(string.match(batch[#batch][1], '^(%d+)')) + 1)
      end
      redis.call('XTRIM', events, 'MAXLEN', offset - firstKept + 1)
      trimmed = 'expired'
    end
    update[#update + 1] = 'o'
    update[#update + 1] = string.format('%d', published)
  end
  if trimmed and trimmed ~= reason then
    update[#update + 1] = 'r'
    update[#update + 1] = trimmed
  end
  redis.call('HSET', meta, unpack(update))
  redis.call('PEXPIRE', events, ttl)
  redis.call('PEXPIRE', meta, metadataTtl)
  redis.call('PUBLISH', ARGV[a + 6],
    ARGV[a + 7] .. ',"position":{"epoch":' .. cjson.encode(epoch) .. ',"offset":' .. string.format('%d', offset) .. '}}}')
  return { epoch, offset }
end

local results = {}
for i = 1, #KEYS / 2 do
  local ok, answer = pcall(append, KEYS[2 * i - 1], KEYS[2 * i], 2 + (i - 1) * ${APPEND_ARGS_PER_EVENT})
  if ok then
    results[#results + 1] = answer[1]
    results[#results + 1] = answer[2]
  else
    results[#results + 1] = ''
    -- redis.call raises a table with the error text in its err field; Lua itself raises a string.
    results[#results + 1] = type(answer) == 'table' and tostring(answer.err) or tostring(answer)
  end
end
return results
`);

/**
 * KEYS: meta, events. ARGV: a fresh epoch, reset ('1'), metadataTtlMs, mode ('none', 'recover' or
 * 'rewind'), the client's epoch, the client's offset, rewind count (already at most maxEvents),
 * maxEvents. Computes where the replay starts exactly as history.ts `replayAfter` does and reads up to
 * maxEvents entries after it, newest first. → {epoch, top, trim reason or '', top publish time or '',
 * now, number of kept entries, after (-1 = no replay), entries}.
 */
export const READ = script(`${CLOCK}
local meta, events = KEYS[1], KEYS[2]
if ARGV[2] == '1' then redis.call('DEL', meta, events) end
local epoch = redis.call('HGET', meta, 'e')
if not epoch then
  epoch = ARGV[1]
  redis.call('DEL', meta, events)
  redis.call('HSET', meta, 'e', epoch, 't', 0)
  redis.call('PEXPIRE', meta, ARGV[3])
end
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
