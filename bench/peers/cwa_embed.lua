-- Scenario of issue 17: one listing (20 pages of records of a few fields)
-- in one coroutine that yields after each record, with a 10 ms timer in the
-- same loop, under cqueues and under luv (`wait = cqueues.poll`,
-- `wait = require("cwa.luv").wait`), against the same listing run blocking
-- with no loop. Runs are interleaved: blocking, cqueues, luv, RUNS times.
--   lua5.4 bench/peers/cwa_embed.lua URL RUNS [option=value ...]
-- Prints "blocking SECONDS", "cqueues SECONDS GAP_MS" and "luv SECONDS
-- GAP_MS" (GAP_MS: the timer's longest time between two ticks) once a run,
-- "records N" for each listing, and "skip REASON" for a loop whose module
-- is missing.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local setup = dofile(dir .. "/cwa_setup.lua")
local cwa = setup.load(dir)
local mono = require("cwa.core").monotime

local url = assert(arg[1], "usage: cwa_embed.lua URL RUNS [option=value ...]")
local runs = math.tointeger(tonumber(arg[2] or "3"))
local base = setup.options(url, 3)
local LISTING = {fields = {"Id", "ComputerName", "Status"}, page_size = 100}
local TICK = 0.010

local function client_with(wait)
  local o = {}
  for k, v in pairs(base) do o[k] = v end
  o.wait = wait
  return cwa.new(o)
end

local function blocking()
  local client <close> = client_with(nil)
  client:token() -- logged in before the clock starts, as in every mode
  local t0, n = mono(), 0
  for _ in client:computers(LISTING) do n = n + 1 end
  return mono() - t0, n
end

local have_cqueues, cqueues = pcall(require, "cqueues")
local function with_cqueues()
  local client <close> = client_with(cqueues.poll)
  local loop = cqueues.new()
  local done, gap, n, wall = false, 0, 0, 0
  loop:wrap(function()
    local last = mono()
    while not done do
      cqueues.sleep(TICK)
      local now = mono()
      gap = math.max(gap, now - last)
      last = now
    end
  end)
  loop:wrap(function()
    client:token()
    local t0 = mono()
    for _ in client:computers(LISTING) do
      n = n + 1
      cqueues.sleep(0)
    end
    wall = mono() - t0
    done = true
  end)
  assert(loop:loop())
  return wall, n, gap
end

local have_luv, uv = pcall(require, "luv")
local function with_luv()
  local wait = require("cwa.luv").wait
  local client <close> = client_with(wait)
  local done, gap, n, wall = false, 0, 0, 0
  local last = mono()
  local ticker = uv.new_timer()
  ticker:start(10, 10, function()
    local now = mono()
    gap = math.max(gap, now - last)
    last = now
    if done then ticker:close() end
  end)
  local co = coroutine.wrap(function()
    client:token()
    local t0 = mono()
    local me = coroutine.running()
    for _ in client:computers(LISTING) do
      n = n + 1
      -- yield after each record: the loop resumes it on its next turn
      local later = uv.new_timer()
      later:start(0, 0, function()
        later:close()
        local ok, err = coroutine.resume(me)
        if not ok then error(err, 0) end
      end)
      coroutine.yield()
    end
    wall = mono() - t0
    done = true
  end)
  co()
  uv.run()
  return wall, n, gap
end

for _ = 1, runs do
  local wall, n = blocking()
  print(("blocking %.4f"):format(wall))
  print(("records %d"):format(n))
  if have_cqueues then
    local w, k, gap = with_cqueues()
    print(("cqueues %.4f %.1f"):format(w, gap * 1000))
    print(("records %d"):format(k))
  end
  if have_luv then
    local w, k, gap = with_luv()
    print(("luv %.4f %.1f"):format(w, gap * 1000))
    print(("records %d"):format(k))
  end
end
if not have_cqueues then print("skip cqueues: lua-cqueues is not installed") end
if not have_luv then print("skip luv: lua-luv is not installed") end
