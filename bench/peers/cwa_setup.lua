-- What the cwa peers (cwa.lua, cwa_map.lua) share: loading this tree's cwa
-- (lua/ and $CWA_BUILD, default build) and the options they are given.
--   local setup = dofile(<dir of the peer> .. "/cwa_setup.lua")
local setup = {}

--- Puts this tree's Lua modules and core.so first on the paths; returns cwa.
function setup.load(peer_dir)
  local here = peer_dir .. "/../.."
  local build = os.getenv("CWA_BUILD") or "build"
  if build:sub(1, 1) ~= "/" then build = here .. "/" .. build end
  package.path = here .. "/lua/?.lua;" .. here .. "/lua/?/init.lua;" .. package.path
  package.cpath = build .. "/?.so;" .. package.cpath
  return require "cwa"
end

--- The options of cwa.new: the simulator's credentials and the CA (the
-- "defaults" of a run are these alone), then arg[first..] as key=value
-- (numbers and true/false converted); returns the table and how many were given.
function setup.options(url, first)
  local opts = {server = url, username = "integrator", password = "integrator-pass",
    client_id = "bench", ca_file = os.getenv("BENCH_CA")}
  local given = 0
  for i = first, #arg do
    local k, v = arg[i]:match("^([%w_]+)=(.*)$")
    assert(k, "options are key=value: " .. arg[i])
    if v == "true" then opts[k] = true
    elseif v == "false" then opts[k] = false
    else opts[k] = math.tointeger(tonumber(v)) or tonumber(v) or v end
    given = given + 1
  end
  return opts, given
end

return setup
