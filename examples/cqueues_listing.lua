--- cqueues_listing.lua: a cqueues service that lists computers and open
-- alerts while its own timer keeps running. `wait = cqueues.poll` is all it
-- takes: every call of the client yields to the cqueues controller instead
-- of blocking the thread, so the heartbeat below goes on ticking between
-- records and between pages.
--
--   lua5.4 examples/cqueues_listing.lua [HEARTBEAT-MS]
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator).
-- Debian: apt-get install lua-cqueues
local cqueues = require "cqueues"
local cwa = require "cwa"

local heartbeat_ms = math.tointeger(tonumber(arg[1] or "10"))
if not heartbeat_ms or heartbeat_ms < 1 then
  io.stderr:write("usage: cqueues_listing.lua [HEARTBEAT-MS]\n")
  os.exit(2)
end

local client <close> = cwa.from_env{wait = cqueues.poll}
local loop = cqueues.new()
local listings = 2 -- running; the heartbeat stops when they are over

-- The heartbeat: what a real service would do between the client's calls
-- (answer its own sockets, flush a queue). It records its longest gap.
local ticks, longest = 0, 0
loop:wrap(function()
  local last = cqueues.monotime()
  while listings > 0 do
    cqueues.sleep(heartbeat_ms / 1000)
    local now = cqueues.monotime()
    ticks = ticks + 1
    longest = math.max(longest, now - last)
    last = now
  end
end)

-- Two listings in two coroutines of the same client: their pages interleave.
local by_status, computers = {}, 0
loop:wrap(function()
  for c in client:computers{fields = {"Id", "ComputerName", "Status"}} do
    computers = computers + 1
    by_status[c.Status] = (by_status[c.Status] or 0) + 1
  end
  listings = listings - 1
end)

local alerts
loop:wrap(function()
  alerts = client:count("/Alerts", {condition = "Status != 'Closed'"})
  listings = listings - 1
end)

local ok, err = loop:loop()
if not ok then
  io.stderr:write("cqueues_listing: ", tostring(err), "\n")
  os.exit(1)
end

local statuses = {}
for status, n in pairs(by_status) do statuses[#statuses + 1] = ("%s %d"):format(status, n) end
table.sort(statuses)
print(("Computers: %d (%s)"):format(computers, table.concat(statuses, ", ")))
print(("Open alerts: %d"):format(alerts))
print(("Heartbeat: %d ticks, longest gap %.0f ms"):format(ticks, longest * 1000))
