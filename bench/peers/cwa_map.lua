-- Scenario of issues 9 and 15: N sub-resource GETs (/Computers/{id}/Software
-- for ids 1..N), first a sequential loop, then `client:map(ids, fn)`, both
-- with the same client given credentials alone (its defaults: concurrency
-- 10, no pace of its own until the server states a limit or throttles).
--   lua5.4 bench/peers/cwa_map.lua URL N [option=value ...]
-- With options, a second client built with them (e.g. concurrency=10
-- rate_limit=false, the tuned form) runs the same map once more.
-- Prints "sequential SECONDS", "map SECONDS", "ok SEQ MAP" (successful GETs),
-- and with options "map_tuned SECONDS" and "ok_tuned N"; "skip REASON" while
-- `client.map` does not exist: no stand-in is measured.
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local setup = dofile(dir .. "/cwa_setup.lua")
local cwa = setup.load(dir)
local socket = require "socket"

local url = assert(arg[1], "usage: cwa_map.lua URL N [option=value ...]")
local n = math.tointeger(tonumber(arg[2] or "1000"))
local defaults = setup.options(url, #arg + 1)
local tuned, given = setup.options(url, 3)
local client = cwa.new(defaults)
if type(client.map) ~= "function" then
  print("skip client.map is not implemented yet (issue 9).")
  os.exit(0)
end

local ids = {}
for i = 1, n do ids[i] = i end

local function successes(results)
  local k = 0
  for i = 1, n do
    if type(results[i]) == "table" and not results[i].error then k = k + 1 end
  end
  return k
end

-- Times one map over the ids; without map_opts it takes the client's concurrency.
local function timed_map(c, map_opts)
  c:token()
  local function fetch(id) return c:get("/Computers/" .. id .. "/Software") end
  local t0 = socket.gettime()
  local results = c:map(ids, fetch, map_opts)
  return socket.gettime() - t0, successes(results)
end

client:token()
local t0 = socket.gettime()
local seq_ok = 0
for _, id in ipairs(ids) do
  if client:get("/Computers/" .. id .. "/Software") then seq_ok = seq_ok + 1 end
end
local seq = socket.gettime() - t0
local map_s, map_ok = timed_map(client)
print(("sequential %.4f"):format(seq))
print(("map %.4f"):format(map_s))
print(("ok %d %d"):format(seq_ok, map_ok))
client:close()
if given > 0 then
  local other = cwa.new(tuned)
  local s, k = timed_map(other, {concurrency = tuned.concurrency})
  print(("map_tuned %.4f"):format(s))
  print(("ok_tuned %d"):format(k))
  other:close()
end
