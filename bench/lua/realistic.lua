-- The realistic workload (bench/realistic.ts): POST /v1/subjects/{id}/verify with each
-- subject's code for the wall-clock step (plus STEP_OFFSET), read from CODES_FILE.
--   MODE=mix:  random subjects (with replacement) until the run ends: the first request of a
--              subject in a step is accepted, the rest are replays (and locks, once five).
--   MODE=once: each thread sends its share of the subjects once, in random order, then
--              stops; first_us..last_us (first request, last acceptance) time that share,
--              as wrk's own duration is the whole -d.
-- Answers are counted by body in response(); done() prints them as one JSON line.
local ffi = require("ffi")
ffi.cdef [[
  typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
  int clock_gettime(int clock, bench_timespec *t);
]]
local clock = ffi.new("bench_timespec")
local function now_us()
  ffi.C.clock_gettime(0, clock) -- CLOCK_REALTIME: the step is wall-clock time
  return tonumber(clock.tv_sec) * 1000000 + math.floor(tonumber(clock.tv_nsec) / 1000)
end

local mode = os.getenv("MODE") or "mix"
local offset = tonumber(os.getenv("STEP_OFFSET") or "0")
local period_us = 30 * 1000000
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local threads = {}
local next_id = 0
function setup(thread)
  thread:set("thread_id", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

-- Per thread (each has its own Lua state).
local ids, codes, from_step, steps = {}, {}, 0, 0
local order, position, all_sent_us = {}, 0, 0
local grace_us = 3 * 1000000
valid, rejected, locked, health, other, out_of_range, fresh_sent = 0, 0, 0, 0, 0, 0, 0
first_us, last_us, min_step, max_step, other_sample = 0, 0, -1, -1, ""

function init(args)
  local file = assert(io.open(os.getenv("CODES_FILE"), "r"))
  local header = file:read("*l")
  local a, b = string.match(header, "^(%d+) (%d+) %d+$")
  from_step, steps = tonumber(a), tonumber(b)
  for line in file:lines() do
    local id, rest = string.match(line, "^(%S+) (.*)$")
    local row = {}
    for code in string.gmatch(rest, "%d+") do table.insert(row, code) end
    table.insert(ids, id)
    table.insert(codes, row)
  end
  file:close()
  local count = tonumber(os.getenv("THREADS") or "1")
  math.randomseed(now_us() + thread_id * 7919)
  if mode == "once" then
    -- This thread's share: every count-th subject, shuffled (Fisher-Yates).
    for i = thread_id + 1, #ids, count do table.insert(order, i) end
    for i = #order, 2, -1 do
      local j = math.random(i)
      order[i], order[j] = order[j], order[i]
    end
  end
end

local function verify(i)
  local t = now_us()
  if first_us == 0 then first_us = t end
  local step = math.floor(t / period_us) + offset
  if min_step < 0 or step < min_step then min_step = step end
  if step > max_step then max_step = step end
  local code = codes[i][step - from_step + 1]
  if code == nil then
    out_of_range = out_of_range + 1
    code = "000000"
  end
  return wrk.format(nil, "/v1/subjects/" .. ids[i] .. "/verify", nil, '{"code":"' .. code .. '"}')
end

function request()
  if mode == "once" then
    position = position + 1
    if position <= #order then
      fresh_sent = fresh_sent + 1
      return verify(order[position])
    end
    -- Connections still open once the share is sent: a cheap request that changes nothing.
    if all_sent_us == 0 then all_sent_us = now_us() end
    return wrk.format("GET", "/health", nil, nil)
  end
  return verify(math.random(#ids))
end

function response(status, headers, body)
  if body == '{"valid":true}' then
    valid = valid + 1
    last_us = now_us()
  elseif body == '{"valid":false}' then
    rejected = rejected + 1
  elseif status == 429 then
    locked = locked + 1
  elseif body == '{"status":"ok"}' then
    health = health + 1
  else
    other = other + 1
    if other_sample == "" then
      other_sample = string.gsub(status .. " " .. string.sub(body, 1, 80), '[^%w %.,:_-]', "?")
    end
  end
  -- wrk drops a generated request now and then (before it is sent), so the share is also
  -- done GRACE after its last request was generated: far longer than any answer takes.
  -- last_us stays the last acceptance, so the grace does not enter the rate.
  if mode == "once" and (valid + rejected + locked >= #order or
      (all_sent_us > 0 and now_us() - all_sent_us > grace_us)) then
    wrk.thread:stop()
  end
end

local report_done = done
function done(summary, latency, requests)
  report_done(summary, latency, requests)
  local sum = {
    valid = 0, rejected = 0, locked = 0, health = 0, other = 0, out_of_range = 0, fresh_sent = 0,
  }
  local first, last, lo, hi, sample = 0, 0, -1, -1, ""
  for _, t in ipairs(threads) do
    for name, _ in pairs(sum) do sum[name] = sum[name] + t:get(name) end
    local f, l = t:get("first_us"), t:get("last_us")
    if f > 0 and (first == 0 or f < first) then first = f end
    if l > last then last = l end
    local a, b = t:get("min_step"), t:get("max_step")
    if a >= 0 and (lo < 0 or a < lo) then lo = a end
    if b > hi then hi = b end
    if sample == "" then sample = t:get("other_sample") end
  end
  io.write(string.format(
    '{"answers":{"valid":%d,"rejected":%d,"locked":%d,"other":%d},"health":%d,"out_of_range":%d,' ..
    '"fresh_sent":%d,"first_us":%d,"last_us":%d,"min_step":%d,"max_step":%d,"other_sample":"%s"}\n',
    sum.valid, sum.rejected, sum.locked, sum.other, sum.health, sum.out_of_range, sum.fresh_sent,
    first, last, lo, hi, sample))
end
