-- The shared budget's ledger: every operation of redisstore.Budget is one
-- run of this script, so each is atomic and costs one round trip. The
-- arithmetic mirrors budget.Ledger's Reserve, Settle and Record (Go);
-- TestScriptAgreesWithTheGoLedger checks that they agree.
--
-- KEYS: 1 ledger (hash), 2 held (process -> credits it holds),
--       3 leases (process -> lease expiry, ms of Redis time),
--       4 reservations ("process/id" -> credits; "t" a tombstone left by
--         a cancel that came first; "c" a free call's charge, written),
--       5 reaped ("process/id" -> credits of a reservation whose process's
--         lease ran out, counted as spent until it settles).
-- ARGV: 1 op, 2 process, 3 the epoch it knows ("" for none), 4 the
--       highest generation it has seen in that epoch, 5 lease ms, then
--       the op's own arguments.
-- Times of the ledger (balance, refill, exhausted-until) are unix ms of
-- the processes' clocks, 0 for none; leases use Redis's own clock.
--
-- Replies: {"lost"} no ledger; {"moved", epoch} another epoch;
-- {"rollback"} the ledger is older than this process has seen (Redis
-- restarted from an old snapshot); {"wait", ms} a new ledger does not
-- take reservations yet; else {status, epoch, gen, spent, inFlight,
-- balance, balanceKnown, balanceAt, balanceSource, refillAt, exhausted,
-- exhaustedUntil, reapedProcesses, reapedCredits, extra}.

local L, H, E, R, X = KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5]
local op, proc, epoch = ARGV[1], ARGV[2], ARGV[3]
local seen, ttl = tonumber(ARGV[4]), tonumber(ARGV[5])
local t = redis.call('TIME')
local rnow = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)

local function num(v)
  if v then return tonumber(v) or 0 end
  return 0
end

local function load()
  local f = redis.call('HMGET', L, 'epoch', 'gen', 'spent', 'base', 'bal', 'bknown', 'bat', 'bsrc',
    'refill', 'exh', 'exhuntil', 'open')
  if not f[1] then return nil end
  return {epoch = f[1], gen = num(f[2]), spent = num(f[3]), base = num(f[4]), bal = num(f[5]),
    bknown = f[6] == '1', bat = num(f[7]), bsrc = f[8] or '', refill = num(f[9]),
    exh = f[10] == '1', exhuntil = num(f[11]), open = num(f[12])}
end

local function save(l)
  l.gen = l.gen + 1
  redis.call('HSET', L, 'epoch', l.epoch, 'gen', l.gen, 'spent', l.spent, 'base', l.base,
    'bal', l.bal, 'bknown', l.bknown and 1 or 0, 'bat', l.bat, 'bsrc', l.bsrc,
    'refill', l.refill, 'exh', l.exh and 1 or 0, 'exhuntil', l.exhuntil, 'open', l.open, 'v', 2)
end

local function inflight()
  local n = 0
  for _, v in ipairs(redis.call('HVALS', H)) do n = n + num(v) end
  return n
end

-- forget removes the reservations of p; kept ones (credits > 0) move to
-- reaped when keep is set.
local function forget(p, keep)
  local prefix = p .. '/'
  local all = redis.call('HGETALL', R)
  for i = 1, #all, 2 do
    local k, v = all[i], all[i + 1]
    if string.sub(k, 1, #prefix) == prefix then
      redis.call('HDEL', R, k)
      local n = tonumber(v)
      if keep and n and n > 0 then redis.call('HSET', X, k, n) end
    end
  end
  if not keep then
    local gone = redis.call('HKEYS', X)
    for _, k in ipairs(gone) do
      if string.sub(k, 1, #prefix) == prefix then redis.call('HDEL', X, k) end
    end
  end
end

-- reap counts as spent what processes whose lease ran out held: their
-- calls may have cost that much, and nobody is left to say.
local function reap(l)
  local procs, credits = 0, 0
  local leases = redis.call('HGETALL', E)
  for i = 1, #leases, 2 do
    local p, exp = leases[i], tonumber(leases[i + 1])
    if p ~= proc and (exp == nil or exp < rnow) then
      local held = num(redis.call('HGET', H, p))
      l.spent = l.spent + held
      redis.call('HDEL', H, p)
      redis.call('HDEL', E, p)
      forget(p, true)
      procs, credits = procs + 1, credits + held
    end
  end
  -- A hold without a lease has no owner left.
  local holders = redis.call('HGETALL', H)
  for i = 1, #holders, 2 do
    local p = holders[i]
    if p ~= proc and redis.call('HEXISTS', E, p) == 0 then
      local held = num(holders[i + 1])
      l.spent = l.spent + held
      redis.call('HDEL', H, p)
      forget(p, true)
      procs, credits = procs + 1, credits + held
    end
  end
  return procs, credits
end

local function exhaustedAt(l, now)
  return l.exh and (l.exhuntil == 0 or now < l.exhuntil)
end

local function lapse(l, now)
  if l.exh and not exhaustedAt(l, now) then
    l.exh, l.exhuntil, l.bknown = false, 0, false
  end
end

local function see(l, rem, now)
  if rem < 0 then return end
  if (not l.bknown) or rem < l.bal then l.bal = rem end
  l.bknown, l.bat, l.bsrc = true, now, 'header'
end

-- grant is budget's decide: the credits the ask is granted, 0 to halt.
local function grant(l, held, worst, needed, cap, floor, percall, now)
  if exhaustedAt(l, now) then return 0 end
  local avail = nil
  if l.bknown then avail = l.bal - floor - held end
  if cap >= 0 then
    local c = cap - l.spent - held
    if avail == nil or c < avail then avail = c end
  end
  if percall > 0 and (avail == nil or percall < avail) then avail = percall end
  if avail == nil then return worst end
  if avail < 0 then avail = 0 end
  if worst <= avail then return worst end
  if needed <= avail then return avail end
  return 0
end

local function reply(status, l, procs, credits, extra)
  return {status, l.epoch, l.gen, l.spent, inflight(), l.bal, l.bknown and 1 or 0, l.bat, l.bsrc,
    l.refill, l.exh and 1 or 0, l.exhuntil, procs, credits, extra}
end

local function renew()
  redis.call('HSET', E, proc, rnow + ttl)
end

local l = load()

-- An epoch is "n.random": every ledger made after a loss numbers one
-- more than the epochs its maker knew, so that a ledger older than the
-- one a process is in (Redis came back to a snapshot) is told from one
-- rebuilt since.
local function number(e)
  if not e or e == '' then return 0 end
  return tonumber(string.match(e, '^(%d+)%.')) or 0
end

if op == 'join' then
  -- ARGV 6 random part of a new epoch, 7 spent this process saw in its
  -- epoch, 8 window ms, 9 balance (-1 unknown), 10 balanceAt, 11
  -- refillAt, 12 exhausted 0/1, 13 exhaustedUntil, 14 n, then n pairs
  -- (reservation id, credits) this process holds.
  local known = tonumber(ARGV[7])
  local status = 'ok'
  local stale = l and ((l.epoch == epoch and l.gen < seen) or (l.epoch ~= epoch and number(l.epoch) < number(epoch)))
  if (not l) or stale then
    local base, n = known, number(epoch)
    if stale then
      if l.spent > base then base = l.spent end
      if number(l.epoch) > n then n = number(l.epoch) end
      redis.call('DEL', L, H, E, R, X)
    end
    status = 'created'
    l = {epoch = (n + 1) .. '.' .. ARGV[6], gen = 0, spent = base, base = base, bal = 0, bknown = false, bat = 0, bsrc = '',
      refill = 0, exh = false, exhuntil = 0, open = rnow + tonumber(ARGV[8])}
  elseif l.epoch ~= epoch then
    -- Another process rebuilt the ledger: the spend this one saw before
    -- the loss is a floor for what the group had spent.
    status = 'joined'
    if known > l.base then
      l.spent = l.spent + (known - l.base)
      l.base = known
    end
  end
  if status ~= 'ok' then
    local n = tonumber(ARGV[14])
    for i = 0, n - 1 do
      local id, c = ARGV[15 + 2 * i], tonumber(ARGV[16 + 2 * i])
      local k = proc .. '/' .. id
      if redis.call('HEXISTS', R, k) == 0 and c > 0 then
        redis.call('HSET', R, k, c)
        redis.call('HINCRBY', H, proc, c)
      end
    end
    local bal = tonumber(ARGV[9])
    if bal >= 0 and ((not l.bknown) or bal < l.bal) then
      l.bal, l.bknown, l.bat, l.bsrc = bal, true, tonumber(ARGV[10]), 'header'
    end
    if l.refill == 0 then l.refill = tonumber(ARGV[11]) end
    if ARGV[12] == '1' and not l.exh then
      l.exh, l.exhuntil = true, tonumber(ARGV[13])
    end
  end
  renew()
  save(l)
  return reply(status, l, 0, 0, 0)
end

if not l then return {'lost'} end
if l.epoch ~= epoch then return {'moved', l.epoch} end
if l.gen < seen then return {'rollback'} end

renew()
local procs, credits = reap(l)
local changed = procs > 0

if op == 'load' or op == 'beat' then
  if changed then save(l) end
  return reply('ok', l, procs, credits, 0)
end

if op == 'reserve' then
  -- ARGV 6 id, 7 worst, 8 needed, 9 cap (-1 none), 10 floor, 11 per call
  -- (0 none), 12 now, 13 a balance seen (-1 none).
  if rnow < l.open then
    if changed then save(l) end
    return {'wait', l.open - rnow}
  end
  local k = proc .. '/' .. ARGV[6]
  local had = redis.call('HGET', R, k)
  if had == 't' then
    -- Cancelled before it arrived (its sender gave up waiting).
    redis.call('HDEL', R, k)
    if changed then save(l) end
    return reply('cancelled', l, procs, credits, 0)
  end
  if had and tonumber(had) then
    -- A repeat of a reservation already made.
    if changed then save(l) end
    return reply('ok', l, procs, credits, tonumber(had))
  end
  local now = tonumber(ARGV[12])
  lapse(l, now)
  see(l, tonumber(ARGV[13]), now)
  local got = grant(l, inflight(), tonumber(ARGV[7]), tonumber(ARGV[8]), tonumber(ARGV[9]),
    tonumber(ARGV[10]), tonumber(ARGV[11]), now)
  if got > 0 then
    redis.call('HSET', R, k, got)
    redis.call('HINCRBY', H, proc, got)
  end
  save(l)
  return reply('ok', l, procs, credits, got)
end

if op == 'settle' then
  -- ARGV 6 now, 7 n, then n groups of (kind "s" settle or "x" cancel, id,
  -- release, charge, remaining (-1 none), seen (-1 none)), in order.
  local now = tonumber(ARGV[6])
  local n = tonumber(ARGV[7])
  for i = 0, n - 1 do
    local b = 8 + 6 * i
    local kind, k = ARGV[b], proc .. '/' .. ARGV[b + 1]
    local release, charge = tonumber(ARGV[b + 2]), tonumber(ARGV[b + 3])
    local rem, sn = tonumber(ARGV[b + 4]), tonumber(ARGV[b + 5])
    local had = redis.call('HGET', R, k)
    local h = tonumber(had)
    local apply = false
    if h and h > 0 then
      redis.call('HDEL', R, k)
      if redis.call('HINCRBY', H, proc, -h) <= 0 then redis.call('HDEL', H, proc) end
      apply = true
    elseif not had then
      local x = tonumber(redis.call('HGET', X, k))
      if x then
        -- Counted as spent when this process's lease ran out: take it
        -- back, and charge what the call really cost.
        redis.call('HDEL', X, k)
        l.spent = l.spent - x
        apply = true
      elseif kind == 'x' then
        redis.call('HSET', R, k, 't')
      elseif release == 0 then
        -- A free call: there was no hold to find.
        if charge > 0 then redis.call('HSET', R, k, 'c') end
        apply = true
      end
    end
    -- Otherwise a repeat of a settlement already written: nothing to do.
    if kind == 'x' then apply = false end
    see(l, sn, now)
    if apply then
      l.spent = l.spent + charge
      if l.bknown and rem < 0 then l.bal = l.bal - charge end
      see(l, rem, now)
    end
  end
  save(l)
  return reply('ok', l, procs, credits, 0)
end

if op == 'record' then
  -- ARGV 6 now, 7 a balance seen (-1 none), 8 usage 0/1, 9 total
  -- remaining, 10 spent before, 11 refill (0 none), 12 floor, 13 exhaust
  -- 0/1.
  local now = tonumber(ARGV[6])
  if ARGV[8] == '1' then
    local spentBefore, refill = tonumber(ARGV[10]), tonumber(ARGV[11])
    local since = l.spent - spentBefore
    if since < 0 then since = 0 end
    l.bal, l.bknown, l.bat, l.bsrc = tonumber(ARGV[9]) - since, true, now, 'usage'
    if refill ~= 0 then l.refill = refill end
    if l.exh then
      if l.bal > tonumber(ARGV[12]) then
        l.exh, l.exhuntil = false, 0
      elseif refill ~= 0 then
        l.exhuntil = refill
      end
    end
  end
  see(l, tonumber(ARGV[7]), now)
  if ARGV[13] == '1' then
    l.exh, l.exhuntil = true, 0
    if l.refill > now then l.exhuntil = l.refill end
  end
  save(l)
  return reply('ok', l, procs, credits, 0)
end

if op == 'leave' then
  -- This process is done: what it still holds is counted as spent (its
  -- calls may still cost it), and its entries go.
  local held = num(redis.call('HGET', H, proc))
  l.spent = l.spent + held
  redis.call('HDEL', H, proc)
  redis.call('HDEL', E, proc)
  forget(proc, false)
  save(l)
  return reply('ok', l, procs, credits, held)
end

return redis.error_reply('tollgate budget script: unknown op ' .. tostring(op))
