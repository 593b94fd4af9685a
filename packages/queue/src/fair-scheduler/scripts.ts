/**
 * Lua scripts of the fair scheduler. Each one runs atomically in Redis, so any number of API
 * and worker processes may enqueue and dispatch at once without a lock. See docs/scheduling.md
 * for the algorithm and fair-keys.ts for the keys.
 *
 * Conventions shared by every script (the prelude below):
 * - ARGV[1] is the base `<prefix>:fair`, ARGV[2] the generator; keys are built from them, so
 *   with Redis Cluster the prefix needs a hash tag (`{genq}`), as BullMQ's does.
 * - A lane L is a job's priority (1 HIGH/premium, 2 NORMAL/standard, 3 LOW/free).
 * - A client's jobs in a lane wait in a ZSET scored by a per-generator sequence number (FIFO,
 *   O(log n) removal and rank). The clients of a lane with waiting jobs are in the lane's
 *   ring, a ZSET scored by each client's pass (start-time fair queuing: the client with the
 *   lowest pass goes next, and each job it dispatches adds 1 to its pass). A client that
 *   joins takes max(its old pass, the lane's virtual time), so it neither jumps ahead by
 *   credit saved while idle nor waits behind a backlog that arrived earlier.
 * - A client at its concurrency cap is parked (moved from the ring to the lane's parked
 *   ZSET with its pass) and put back when one of its jobs ends.
 */
const PRELUDE = `
local B = ARGV[1]
local G = ARGV[2]
local function gk(g, s) return B .. ':g:' .. g .. ':' .. s end
local function qk(g, L, c) return B .. ':g:' .. g .. ':q:' .. L .. ':' .. c end
local function runk(c) return B .. ':run:' .. c end
local function split(s)
  local out = {}
  for part in string.gmatch(s, '([^\\t]*)\\t?') do
    out[#out + 1] = part
    if #out == 4 then break end
  end
  return out
end
local function meta(c, L, seq, t) return c .. '\\t' .. L .. '\\t' .. seq .. '\\t' .. t end
local function num(v, d) if v then return tonumber(v) end return d end

local function addWaiting(g, L, c, n)
  redis.call('HINCRBY', gk(g, 'waiting'), L, n)
  local v = tonumber(redis.call('ZINCRBY', B .. ':waiting', n, c))
  if v <= 0 then redis.call('ZREM', B .. ':waiting', c) end
end

-- client c now has waiting jobs in lane L of generator g
local function join(g, L, c)
  local ring = gk(g, 'ring:' .. L)
  if redis.call('ZSCORE', ring, c) or redis.call('ZSCORE', gk(g, 'parked:' .. L), c) then return end
  local vt = num(redis.call('HGET', gk(g, 'vt'), L), 0)
  local p = num(redis.call('HGET', gk(g, 'pass:' .. L), c), 0)
  redis.call('HDEL', gk(g, 'pass:' .. L), c)
  if p < vt then p = vt end
  redis.call('ZADD', ring, p, c)
end

-- client c has no waiting job left in lane L of generator g
local function leave(g, L, c)
  local ring = gk(g, 'ring:' .. L)
  local parked = gk(g, 'parked:' .. L)
  local p = redis.call('ZSCORE', ring, c) or redis.call('ZSCORE', parked, c)
  if p then redis.call('HSET', gk(g, 'pass:' .. L), c, p) end
  redis.call('ZREM', ring, c)
  if redis.call('ZREM', parked, c) == 1 then redis.call('SREM', B .. ':parkedin:' .. c, g .. '\\t' .. L) end
end

local function capOf(c, default)
  return num(redis.call('HGET', B .. ':caps', c), default)
end

-- puts client c back in every ring it was parked in, once it is below its cap
local function unpark(c, default)
  local cap = capOf(c, default)
  if cap > 0 and redis.call('HLEN', runk(c)) >= cap then return end
  local where = B .. ':parkedin:' .. c
  for _, m in ipairs(redis.call('SMEMBERS', where)) do
    local tab = string.find(m, '\\t', 1, true)
    local g, L = string.sub(m, 1, tab - 1), string.sub(m, tab + 1)
    local parked = gk(g, 'parked:' .. L)
    local p = redis.call('ZSCORE', parked, c)
    if p then
      redis.call('ZREM', parked, c)
      local vt = num(redis.call('HGET', gk(g, 'vt'), L), 0)
      p = tonumber(p)
      if p < vt then p = vt end
      redis.call('ZADD', gk(g, 'ring:' .. L), p, c)
    end
  end
  redis.call('DEL', where)
end

-- counts job id of client c as running (dispatched) in lane L of generator g
local function addRunning(c, id, g, L)
  if redis.call('HSETNX', runk(c), id, g .. '\\t' .. L) == 1 then
    redis.call('ZINCRBY', B .. ':running', 1, c)
    redis.call('HINCRBY', B .. ':running-tiers', L, 1)
  end
end

-- ends the running slot of job id of client c; idempotent
local function release(c, id, default)
  local info = redis.call('HGET', runk(c), id)
  if not info then return 0 end
  redis.call('HDEL', runk(c), id)
  local L = string.sub(info, string.find(info, '\\t', 1, true) + 1)
  if tonumber(redis.call('ZINCRBY', B .. ':running', -1, c)) <= 0 then
    redis.call('ZREM', B .. ':running', c)
  end
  redis.call('HINCRBY', B .. ':running-tiers', L, -1)
  unpark(c, default)
  return 1
end
`;

/**
 * Adds jobs of one generator. ARGV: base, generator, BullMQ job key prefix, now, job count,
 * then per job id, client, lane, target ('' = none), due (ms; 0 = now); then client count,
 * then per client id, cap. A job already held (here or in BullMQ) is skipped, as BullMQ
 * skips a known jobId. The sequence numbers are reserved first, so a failing script
 * (WRONGTYPE) writes nothing. Returns the number added.
 */
export const ENQUEUE = `${PRELUDE}
local bull, now, n = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local seq0 = redis.call('INCRBY', gk(G, 'seq'), n) - n
local at = 6 + n * 5
local clients = tonumber(ARGV[at])
for i = 1, clients do
  redis.call('HSET', B .. ':caps', ARGV[at + 2 * i - 1], ARGV[at + 2 * i])
end
local added = 0
for i = 0, n - 1 do
  local j = 6 + i * 5
  local id, c, L, t, due = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3], tonumber(ARGV[j + 4])
  if redis.call('HEXISTS', gk(G, 'meta'), id) == 0 and redis.call('EXISTS', bull .. id) == 0
    and not redis.call('ZSCORE', gk(G, 'handoff'), id) then
    local seq = seq0 + i + 1
    redis.call('HSET', gk(G, 'meta'), id, meta(c, L, seq, t))
    if due > now then
      redis.call('ZADD', gk(G, 'delayed'), due, id)
    else
      redis.call('ZADD', qk(G, L, c), seq, id)
      addWaiting(G, L, c, 1)
      join(G, L, c)
    end
    added = added + 1
  end
end
return added
`;

/**
 * Releases the slots of jobs that ended, promotes deferred jobs that are due, then picks as
 * many jobs as there are free slots and moves them to the hand-off set (the caller adds them
 * to BullMQ, then removes them from it).
 *
 * ARGV: base, generator, BullMQ queue key prefix (`<prefix>:<queue>:`), now, capacity (job
 * slots of live workers serving the generator), extra (jobs allowed beyond the free slots),
 * default cap (0 = none), weight of lanes 1, 2, 3, stale hand-off ms, released count, then
 * per released job id, client. Returns per dispatched job: id, client, lane, seq, target.
 */
export const DISPATCH = `${PRELUDE}
local bull, now, capacity, extra, defcap = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6]), tonumber(ARGV[7])
local w = { tonumber(ARGV[8]), tonumber(ARGV[9]), tonumber(ARGV[10]) }
local stale, nrel = tonumber(ARGV[11]), tonumber(ARGV[12])
local released = {}
for i = 1, nrel do
  local id, c = ARGV[11 + 2 * i], ARGV[12 + 2 * i]
  release(c, id, defcap)
  released[#released + 1] = id
end

local due = redis.call('ZRANGEBYSCORE', gk(G, 'delayed'), '-inf', now, 'LIMIT', 0, 1000)
for _, id in ipairs(due) do
  redis.call('ZREM', gk(G, 'delayed'), id)
  local m = redis.call('HGET', gk(G, 'meta'), id)
  if m then
    local f = split(m)
    redis.call('ZADD', qk(G, f[2], f[1]), tonumber(f[3]), id)
    addWaiting(G, f[2], f[1], 1)
    join(G, f[2], f[1])
  end
end

local handoff = gk(G, 'handoff')
redis.call('ZREMRANGEBYSCORE', handoff, '-inf', now - stale)
local active = redis.call('LLEN', bull .. 'active')
for _, id in ipairs(released) do
  if redis.call('LPOS', bull .. 'active', id) then active = active - 1 end
end
local free = capacity + extra - active - redis.call('LLEN', bull .. 'wait')
  - redis.call('ZCARD', bull .. 'prioritized') - redis.call('ZCARD', handoff)
if free <= 0 then return {} end

local function head(L)
  local ring = gk(G, 'ring:' .. L)
  while true do
    local top = redis.call('ZRANGE', ring, 0, 0, 'WITHSCORES')
    if #top == 0 then return nil end
    local c, p = top[1], tonumber(top[2])
    if redis.call('ZCARD', qk(G, L, c)) == 0 then
      leave(G, L, c)
    else
      local cap = capOf(c, defcap)
      if cap > 0 and redis.call('HLEN', runk(c)) >= cap then
        redis.call('ZREM', ring, c)
        redis.call('ZADD', gk(G, 'parked:' .. L), p, c)
        redis.call('SADD', B .. ':parkedin:' .. c, G .. '\\t' .. L)
      else
        return c, p
      end
    end
  end
end

local swrr = gk(G, 'swrr')
local cw = {}
for L = 1, 3 do cw[L] = num(redis.call('HGET', swrr, L), 0) end
local out = {}
while free > 0 do
  local best, total, heads = nil, 0, {}
  for L = 1, 3 do
    local c, p = head(L)
    if c then
      heads[L] = { c, p }
      cw[L] = cw[L] + w[L]
      total = total + w[L]
      if best == nil or cw[L] > cw[best] then best = L end
    else
      cw[L] = 0
    end
  end
  if best == nil then break end
  cw[best] = cw[best] - total
  local c, p = heads[best][1], heads[best][2]
  local q = qk(G, best, c)
  local popped = redis.call('ZPOPMIN', q)
  local id, seq = popped[1], popped[2]
  local m = redis.call('HGET', gk(G, 'meta'), id)
  local t = ''
  if m then t = split(m)[4] or '' end
  redis.call('HDEL', gk(G, 'meta'), id)
  addWaiting(G, best, c, -1)
  addRunning(c, id, G, best)
  redis.call('ZADD', handoff, now, id)
  redis.call('HSET', gk(G, 'vt'), best, p)
  local ring = gk(G, 'ring:' .. best)
  if redis.call('ZCARD', q) > 0 then
    redis.call('ZADD', ring, p + 1, c)
  else
    redis.call('ZREM', ring, c)
    redis.call('HSET', gk(G, 'pass:' .. best), c, p + 1)
  end
  out[#out + 1] = id
  out[#out + 1] = c
  out[#out + 1] = tostring(best)
  out[#out + 1] = seq
  out[#out + 1] = t
  free = free - 1
end
for L = 1, 3 do redis.call('HSET', swrr, L, cw[L]) end
return out
`;

/**
 * Puts dispatched jobs back where they were, when adding them to BullMQ failed. ARGV: base,
 * generator, default cap, count, then per job id, client, lane, seq, target.
 */
export const UNDISPATCH = `${PRELUDE}
local defcap, n = tonumber(ARGV[3]), tonumber(ARGV[4])
for i = 0, n - 1 do
  local j = 5 + i * 5
  local id, c, L, seq, t = ARGV[j], ARGV[j + 1], ARGV[j + 2], ARGV[j + 3], ARGV[j + 4]
  redis.call('ZREM', gk(G, 'handoff'), id)
  release(c, id, defcap)
  redis.call('HSET', gk(G, 'meta'), id, meta(c, L, seq, t))
  redis.call('ZADD', qk(G, L, c), tonumber(seq), id)
  addWaiting(G, L, c, 1)
  join(G, L, c)
end
return n
`;

/**
 * A dispatched job that must wait again (retry backoff, hand-back, busy target) waits in the
 * deferred set until `due`, then rejoins its client's queue at its old place (its sequence
 * number). ARGV: base, generator, id, client, lane, seq, target, due.
 */
export const DEFER = `${PRELUDE}
local id = ARGV[3]
redis.call('HSET', gk(G, 'meta'), id, meta(ARGV[4], ARGV[5], ARGV[6], ARGV[7]))
redis.call('ZADD', gk(G, 'delayed'), tonumber(ARGV[8]), id)
return 1
`;

/** Removes a waiting or deferred job. ARGV: base, generator, id. 1 when it was here. */
export const REMOVE = `${PRELUDE}
local id = ARGV[3]
local m = redis.call('HGET', gk(G, 'meta'), id)
if not m then return 0 end
local f = split(m)
redis.call('HDEL', gk(G, 'meta'), id)
if redis.call('ZREM', gk(G, 'delayed'), id) == 1 then return 1 end
local q = qk(G, f[2], f[1])
if redis.call('ZREM', q, id) == 1 then
  addWaiting(G, f[2], f[1], -1)
  if redis.call('ZCARD', q) == 0 then leave(G, f[2], f[1]) end
end
return 1
`;

/**
 * Priority aging: moves a waiting job to lane `to`, keeping its sequence number (so among its
 * client's jobs of that lane it takes its place by age). ARGV: base, generator, id, to.
 * 1 when moved (or deferred and re-laned), 0 when the job is not waiting here.
 */
export const CHANGE_LANE = `${PRELUDE}
local id, to = ARGV[3], ARGV[4]
local m = redis.call('HGET', gk(G, 'meta'), id)
if not m then return 0 end
local f = split(m)
local c, L, seq = f[1], f[2], f[3]
if L == to then return 1 end
redis.call('HSET', gk(G, 'meta'), id, meta(c, to, seq, f[4] or ''))
if redis.call('ZSCORE', gk(G, 'delayed'), id) then return 1 end
local q = qk(G, L, c)
if redis.call('ZREM', q, id) == 1 then
  addWaiting(G, L, c, -1)
  if redis.call('ZCARD', q) == 0 then leave(G, L, c) end
end
redis.call('ZADD', qk(G, to, c), tonumber(seq), id)
addWaiting(G, to, c, 1)
join(G, to, c)
return 1
`;

/**
 * Where a job stands. ARGV: base, generator, BullMQ queue key prefix, id, default cap,
 * weights of lanes 1, 2, 3. Returns nil when the job is neither waiting here nor in BullMQ's
 * wait list; else {position, rank among its client's jobs of its lane (-1 when already
 * handed to BullMQ), the client's cap, the client's running jobs}.
 *
 * Position = jobs already handed to BullMQ and not started + jobs of its lane that the
 * rotation starts first + the other lanes' share meanwhile. Within the lane the count is
 * exact for the rotation as it stands (each client c' with pass p' and n' jobs starts
 * clamp(T - p' (+1 if c' sorts first), 0, n') jobs before the job's start tag T); across
 * lanes each other lane L' starts min(its waiting jobs, k × w(L')/w(L)) while this lane
 * starts k. Cost: O(clients of the lane) + O(log n).
 */
export const POSITION = `${PRELUDE}
local bull, id, defcap = ARGV[3], ARGV[4], tonumber(ARGV[5])
local w = { tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8]) }
local m = redis.call('HGET', gk(G, 'meta'), id)
if not m then
  local idx = redis.call('LPOS', bull .. 'wait', id)
  if idx then return { redis.call('LLEN', bull .. 'wait') - 1 - idx, -1, 0, 0 } end
  return nil
end
if redis.call('ZSCORE', gk(G, 'delayed'), id) then return nil end
local f = split(m)
local c, L = f[1], tonumber(f[2])
local r = redis.call('ZRANK', qk(G, L, c), id)
if not r then return nil end
local ahead = redis.call('LLEN', bull .. 'wait') + redis.call('ZCARD', bull .. 'prioritized')
  + redis.call('ZCARD', gk(G, 'handoff'))
local ring, parked = gk(G, 'ring:' .. L), gk(G, 'parked:' .. L)
local ps = redis.call('ZSCORE', ring, c) or redis.call('ZSCORE', parked, c)
if ps then
  ps = tonumber(ps)
else
  ps = math.max(num(redis.call('HGET', gk(G, 'pass:' .. L), c), 0), num(redis.call('HGET', gk(G, 'vt'), L), 0))
end
local T = ps + r
local inLane = r
local function count(members)
  for i = 1, #members, 2 do
    local o = members[i]
    if o ~= c then
      local k = T - tonumber(members[i + 1])
      if o < c then k = k + 1 end
      if k > 0 then
        local n = redis.call('ZCARD', qk(G, L, o))
        if k > n then k = n end
        inLane = inLane + k
      end
    end
  end
end
count(redis.call('ZRANGE', ring, 0, -1, 'WITHSCORES'))
count(redis.call('ZRANGE', parked, 0, -1, 'WITHSCORES'))
local k = inLane + 1
local others = 0
for o = 1, 3 do
  if o ~= L then
    local waiting = num(redis.call('HGET', gk(G, 'waiting'), o), 0)
    local share = math.floor(k * w[o] / w[L])
    if share > waiting then share = waiting end
    if share > 0 then others = others + share end
  end
end
return { ahead + inLane + others, r, capOf(c, defcap), redis.call('HLEN', runk(c)) }
`;

/**
 * Repairs the running slots (reconciler): a slot whose job is in neither BullMQ nor the
 * hand-off set nor running in PostgreSQL is released (its worker died, or it was failed by
 * BullMQ's stalled check); a job running in PostgreSQL and held by BullMQ that has no slot
 * gets one. Then the per-client and per-lane counters are rebuilt from the slots.
 * ARGV: base, '', `<prefix>:` (BullMQ key root), default cap, count, then per job running
 * in PostgreSQL: id, client, generator, lane. Returns {released, added}.
 */
export const REPAIR = `${PRELUDE}
local root, defcap, n = ARGV[3], tonumber(ARGV[4]), tonumber(ARGV[5])
local pg, clients = {}, {}
for i = 0, n - 1 do
  local j = 6 + i * 4
  pg[ARGV[j]] = { ARGV[j + 1], ARGV[j + 2], ARGV[j + 3] }
  clients[ARGV[j + 1]] = true
end
local function live(g, id)
  return redis.call('EXISTS', root .. 'generation.' .. g .. ':' .. id) == 1
    or redis.call('ZSCORE', gk(g, 'handoff'), id) ~= false
end
for _, c in ipairs(redis.call('ZRANGE', B .. ':running', 0, -1)) do clients[c] = true end
local released, added = 0, 0
for c in pairs(clients) do
  local slots = redis.call('HGETALL', runk(c))
  for i = 1, #slots, 2 do
    local id, info = slots[i], slots[i + 1]
    local g = string.sub(info, 1, string.find(info, '\\t', 1, true) - 1)
    if not pg[id] and not live(g, id) then
      redis.call('HDEL', runk(c), id)
      released = released + 1
    end
  end
end
for id, e in pairs(pg) do
  if redis.call('HEXISTS', runk(e[1]), id) == 0 and live(e[2], id) then
    redis.call('HSET', runk(e[1]), id, e[2] .. '\\t' .. e[3])
    added = added + 1
  end
end
redis.call('DEL', B .. ':running-tiers')
for c in pairs(clients) do
  local slots = redis.call('HVALS', runk(c))
  if #slots > 0 then
    redis.call('ZADD', B .. ':running', #slots, c)
    for _, info in ipairs(slots) do
      redis.call('HINCRBY', B .. ':running-tiers', string.sub(info, string.find(info, '\\t', 1, true) + 1), 1)
    end
  else
    redis.call('ZREM', B .. ':running', c)
  end
  unpark(c, defcap)
end
return { released, added }
`;
