-- Scenario of issue 9: N sub-resource GETs (/Computers/{id}/Software for ids
-- 1..N), first a sequential loop, then `client:map` with concurrency 10, both
-- with the same client (rate_limit = false: the simulator has no limit here).
--   lua5.4 bench/peers/cwa_map.lua URL N
-- Prints "sequential SECONDS" and "map SECONDS", or "skip REASON" while
-- `client.map` does not exist: no stand-in is measured.
local here = (arg[0]:match("^(.*)/[^/]*$") or ".") .. "/../.."
local build = os.getenv("CWA_BUILD") or "build"
if build:sub(1, 1) ~= "/" then build = here .. "/" .. build end
package.path = here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path
package.cpath = build .. "/?.so;" .. package.cpath

local cwa = require "cwa"
local socket = require "socket"

local url = assert(arg[1], "usage: cwa_map.lua URL N")
local n = math.tointeger(tonumber(arg[2] or "1000"))
local client = cwa.new{server = url, username = "integrator", password = "integrator-pass",
  client_id = "bench", rate_limit = false, concurrency = 10}
if type(client.map) ~= "function" then
  print("skip client.map is not implemented yet (issue 9).")
  os.exit(0)
end
client:token()

local ids = {}
for i = 1, n do ids[i] = i end
local function fetch(id) return client:get("/Computers/" .. id .. "/Software") end

local t0 = socket.gettime()
local seq_ok = 0
for _, id in ipairs(ids) do
  if fetch(id) then seq_ok = seq_ok + 1 end
end
local t1 = socket.gettime()
local results = client:map(ids, fetch, {concurrency = 10})
local t2 = socket.gettime()
local map_ok = 0
for i = 1, n do
  if type(results[i]) == "table" and not results[i].error then map_ok = map_ok + 1 end
end
print(("sequential %.4f"):format(t1 - t0))
print(("map %.4f"):format(t2 - t1))
print(("ok %d %d"):format(seq_ok, map_ok))
client:close()
