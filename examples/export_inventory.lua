--- export_inventory.lua: every computer, every field, as NDJSON (one JSON
-- record a line), written while the pages arrive: memory stays constant
-- whatever the size of the fleet.
--
--   lua5.4 examples/export_inventory.lua [FILE]      (default: stdout)
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator). A summary
-- goes to stderr.
local cwa = require "cwa"
local format = require "cwa.format"

local out = io.stdout
if arg[1] and arg[1] ~= "-" then
  out = assert(io.open(arg[1], "w"))
end

local client <close> = cwa.from_env()
local writer = format.writer("ndjson", out, {flush = false})
local it, s, c, pager = client:computers{page_size = 1000, consistent = true}
local pages = 0
for computer in it, s, c, pager do
  assert(writer:write(computer))
  pages = math.max(pages, pager:pages_fetched())
end
writer:close()
out:flush()
if out ~= io.stdout then out:close() end
io.stderr:write(("exported %d computers (%d pages, %.1f MB of Lua memory in use)\n")
  :format(writer.count, pages, collectgarbage("count") / 1024))
