-- wrk script for bench/ceiling.py: a read, then a write, on the same connection, as an IdP does
-- before it changes a user. The team's bench.lua (../shared/bench) runs one operation per
-- request; this one runs pairs, and prints the same "BENCH {json}" line so that bench.py's
-- parsing applies, with the pair's own figures added.
--
--   wrk -tC -cC -dCAP --timeout 10s -s pair.lua BASE_URL -- OP PAIRS TARGETS_FILE RUN_ID DONE_DIR C
--
-- One wrk thread per connection (-t equal to -c): each thread has its own Lua state and one
-- connection, so "the next request of this thread" is "the next request on this connection",
-- and the write always follows the answer to its own read.
--   getpatch   GET /Users/{id}, then PATCH /Users/{id} replacing `active` with the opposite of
--              what the GET answered (so every PATCH changes something); TARGETS_FILE has ids
--   readinsert the ceiling worker's GET /d1/read/{n}, then POST /d1/insert (a unique name);
--              TARGETS_FILE has row numbers
-- PAIRS is the number of pairs in all; each thread does its share (rounded up), starting at
-- its own offset in TARGETS_FILE so that no two threads write the same user at once. A thread
-- that is done writes DONE_DIR/done.<n>; the last one to finish interrupts wrk (SIGINT to
-- itself), so the run ends by itself; -d is only the time cap.
--
-- The latency of each request is timed from request() (wrk starts its clock right after it)
-- to response(), per kind: the read's and the write's are reported apart (write_*, read_*).
-- The top-level p50_us/p99_us/mean_us are the write's; requests counts both kinds.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } pair_timespec;
int clock_gettime(int clk_id, pair_timespec *tp);
int getpid(void);
int kill(int pid, int sig);
]]
local ts = ffi.new("pair_timespec")
local function now_us()
  ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
  return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

-- main state: the threads, numbered for their offsets and their done files
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("idx", #threads)
end

-- per-thread state
local op, pairs_total, nthreads, share, done_dir, run_id, base
local targets = {}
local ti = 0
local headers = {}
local phase = "read"   -- what the next request() sends: "read" or "write"
local target = nil     -- the target of the current pair
local write_value = "false"
local sent_at = 0
local pairs_done = 0
local seq = 0
-- read back by done() through thread:get (globals of the thread's state)
t0, t1 = nil, nil
errors = 0
first_error = ""
read_lat = {}
write_lat = {}
finished = false

local function fail(why)
  error("pair.lua: " .. why)
end

function init(args)
  op = args[1]
  pairs_total = tonumber(args[2])
  local file = args[3]
  run_id = args[4] or "r"
  done_dir = args[5]
  nthreads = tonumber(args[6])
  if op ~= "getpatch" and op ~= "readinsert" then fail("unknown op " .. tostring(op)) end
  if not pairs_total or pairs_total < 1 then fail("PAIRS must be a positive number") end
  if not done_dir or done_dir == "" then fail("DONE_DIR is needed") end
  if not nthreads or nthreads < 1 then fail("C (the thread count, as -t) is needed") end
  base = wrk.path
  if base == "/" then base = "" end
  base = string.gsub(base, "/+$", "")
  for line in io.lines(file) do
    if line ~= "" then table.insert(targets, line) end
  end
  if #targets == 0 then fail("no targets in " .. file) end
  local n = idx -- set by setup() in wrk's main state, before this init
  share = math.ceil(pairs_total / nthreads)
  -- each thread starts at its own slice of the (shuffled) targets
  ti = math.floor((n - 1) * #targets / nthreads)
  local token = os.getenv("BENCH_TOKEN") or ""
  headers["Accept"] = "application/scim+json"
  if token ~= "" then headers["Authorization"] = "Bearer " .. token end
  run_id = run_id .. "-" .. tostring(n) .. "-" .. tostring(math.random(1, 1e9))
end

local function next_target()
  ti = ti + 1
  if ti > #targets then ti = 1 end
  return targets[ti]
end

local patch_format = '{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],' ..
  '"Operations":[{"op":"replace","path":"active","value":%s}]}'

-- request() does not advance the pair: only an answer does. wrk calls request() once more than
-- it sends on its first thread (to count pipelined requests); that extra call changes nothing
-- but the target, which the real call picks again.
function request()
  sent_at = now_us()
  if phase == "read" then
    target = next_target()
    if op == "getpatch" then
      headers["Content-Type"] = nil
      return wrk.format("GET", base .. "/Users/" .. target, headers)
    else
      headers["Content-Type"] = nil
      return wrk.format("GET", base .. "/d1/read/" .. target, headers)
    end
  else
    if op == "getpatch" then
      headers["Content-Type"] = "application/scim+json"
      return wrk.format("PATCH", base .. "/Users/" .. target, headers, string.format(patch_format, write_value))
    else
      seq = seq + 1
      headers["Content-Type"] = "application/json"
      local name = string.format("pair-%s-%d", run_id, seq)
      return wrk.format("POST", base .. "/d1/insert", headers, '{"userName":"' .. name .. '"}')
    end
  end
end

local function bad(status, body, why)
  errors = errors + 1
  if first_error == "" then
    first_error = string.format("%d %s %s", status, why, string.sub(body or "", 1, 200))
  end
end

local function finish()
  finished = true
  wrk.thread:stop()
  local f = io.open(done_dir .. "/done." .. tostring(idx), "w")
  if f then f:close() end
  for i = 1, nthreads do
    local g = io.open(done_dir .. "/done." .. tostring(i), "r")
    if not g then return end
    g:close()
  end
  ffi.C.kill(ffi.C.getpid(), 2) -- every thread is done: SIGINT, wrk stops waiting for -d
end

function response(status, _, body)
  if finished then return end
  local now = now_us()
  if t0 == nil then t0 = sent_at end
  local took = now - sent_at
  if phase == "read" then
    table.insert(read_lat, took)
    if status ~= 200 then
      bad(status, body, "unexpected status (read)")
      return -- read again: a write needs its read
    end
    if op == "getpatch" then
      local active = string.match(body or "", '"active"%s*:%s*(%a+)')
      if active ~= "true" and active ~= "false" then
        bad(status, body, "GET answered no active")
        active = "true"
      end
      write_value = active == "true" and "false" or "true"
    end
    phase = "write"
  else
    table.insert(write_lat, took)
    local ok = (op == "getpatch" and (status == 200 or status == 204)) or (op == "readinsert" and status == 201)
    if not ok then bad(status, body, "unexpected status (write)") end
    phase = "read"
    pairs_done = pairs_done + 1
    if pairs_done >= share then
      t1 = now
      finish()
    end
  end
end

local function percentile(sorted, p)
  if #sorted == 0 then return 0 end
  local k = math.ceil(p / 100 * #sorted)
  if k < 1 then k = 1 end
  return sorted[k]
end

local function stats(all)
  table.sort(all)
  local sum = 0
  for _, v in ipairs(all) do sum = sum + v end
  return {
    n = #all, p50 = percentile(all, 50), p90 = percentile(all, 90), p99 = percentile(all, 99),
    max = all[#all] or 0, mean = #all > 0 and sum / #all or 0,
  }
end

function done(summary, latency, requests)
  local errs, first, a, b = 0, "", nil, nil
  local reads, writes = {}, {}
  for _, th in ipairs(threads) do
    errs = errs + (th:get("errors") or 0)
    local fe = th:get("first_error") or ""
    if first == "" then first = fe end
    local x, y = th:get("t0"), th:get("t1")
    if x and (a == nil or x < a) then a = x end
    if y and (b == nil or y > b) then b = y end
    for _, v in ipairs(th:get("read_lat") or {}) do table.insert(reads, v) end
    for _, v in ipairs(th:get("write_lat") or {}) do table.insert(writes, v) end
  end
  local r, w = stats(reads), stats(writes)
  local e = summary.errors
  local sock = e.connect + e.read + e.write + e.timeout
  first = string.gsub(first, '[%c"\\]', " ")
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"window_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,' ..
    '"max_us":%d,"mean_us":%.1f,"check_errors":%d,"socket_errors":%d,"timeouts":%d,"first_error":"%s",' ..
    '"pairs":%d,"write_n":%d,"write_p50_us":%d,"write_p99_us":%d,"write_mean_us":%.1f,' ..
    '"read_n":%d,"read_p50_us":%d,"read_p99_us":%d,"read_mean_us":%.1f}\n',
    summary.requests, summary.duration, (a and b) and (b - a) or 0, w.p50, w.p90, w.p99, w.max, w.mean,
    errs, sock, e.timeout, first, w.n, w.n, w.p50, w.p99, w.mean, r.n, r.p50, r.p99, r.mean))
end
