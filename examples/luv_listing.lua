--- luv_listing.lua: a luv (libuv) program that lists computers and open
-- alerts while its own timer keeps running. `wait = require("cwa.luv").wait`
-- makes every call of the client suspend its coroutine instead of blocking
-- the thread; libuv runs the heartbeat below meanwhile.
--
--   lua5.4 examples/luv_listing.lua [HEARTBEAT-MS]
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator).
-- Debian: apt-get install lua-luv
local uv = require "luv"
local cwa = require "cwa"
local cwa_luv = require "cwa.luv"

local heartbeat_ms = math.tointeger(tonumber(arg[1] or "10"))
if not heartbeat_ms or heartbeat_ms < 1 then
  io.stderr:write("usage: luv_listing.lua [HEARTBEAT-MS]\n")
  os.exit(2)
end

-- Runs fn in a coroutine of its own; an error ends the program with a
-- message (raised from a luv callback it would be luv's uncaught error).
local failed = false
local function spawn(fn)
  coroutine.wrap(function()
    local ok, err = pcall(fn)
    if not ok then
      io.stderr:write("luv_listing: ", tostring(err), "\n")
      failed = true
      uv.stop()
    end
  end)()
end

local client <close> = cwa.from_env{wait = cwa_luv.wait}
local listings = 2 -- running; the heartbeat stops when they are over

-- The heartbeat: what a real service would do between the client's calls.
-- It records its longest gap.
local ticks, longest, last = 0, 0, uv.hrtime()
local heartbeat = uv.new_timer()
heartbeat:start(heartbeat_ms, heartbeat_ms, function()
  local now = uv.hrtime()
  ticks = ticks + 1
  longest = math.max(longest, (now - last) / 1e9)
  last = now
  if listings == 0 then heartbeat:close() end
end)

local by_status, computers = {}, 0
spawn(function()
  for c in client:computers{fields = {"Id", "ComputerName", "Status"}} do
    computers = computers + 1
    by_status[c.Status] = (by_status[c.Status] or 0) + 1
  end
  listings = listings - 1
end)

local alerts
spawn(function()
  alerts = client:count("/Alerts", {condition = "Status != 'Closed'"})
  listings = listings - 1
end)

uv.run()
if failed then os.exit(1) end

local statuses = {}
for status, n in pairs(by_status) do statuses[#statuses + 1] = ("%s %d"):format(status, n) end
table.sort(statuses)
print(("Computers: %d (%s)"):format(computers, table.concat(statuses, ", ")))
print(("Open alerts: %d"):format(alerts))
print(("Heartbeat: %d ticks, longest gap %.0f ms"):format(ticks, longest * 1000))
