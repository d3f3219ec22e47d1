--- inventory_software.lua: the installed software of every computer of one
-- client, as CSV (computer, software name, version, publisher). One request
-- per computer (/Computers/{id}/Software), run concurrently with client:map
-- inside the client's rate limit, with a progress line on stderr.
--
--   lua5.4 examples/inventory_software.lua CLIENT_ID [FILE]   (default: stdout)
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator).
local cwa = require "cwa"
local format = require "cwa.format"

local client_id = math.tointeger(tonumber(arg[1] or ""))
if not client_id then
  io.stderr:write("usage: inventory_software.lua CLIENT_ID [FILE]\n")
  os.exit(2)
end
local out = io.stdout
if arg[2] and arg[2] ~= "-" then
  out = assert(io.open(arg[2], "w"))
end

local client <close> = cwa.from_env()
local computers = client:list("/Computers", {
  condition = cwa.where{["Client.Id"] = client_id}, fields = {"Id", "ComputerName"}, page_size = 1000,
})

local tty = require("cwa.progress").isatty(2)
local function progress(done, total)
  io.stderr:write(("\rsoftware of %d/%d computers"):format(done, total))
end

-- client:get yields to the other items inside map (an iterator would hold
-- the scheduler while it waits for each of its pages); one page of 1000
-- covers the software of one computer.
local lists = client:map(computers, function(computer)
  return client:get("/Computers/" .. computer.Id .. "/Software", {pageSize = 1000})
end, {progress = tty and progress or nil})
if tty then io.stderr:write("\n") end

local columns = {"ComputerId", "ComputerName", "Name", "Version", "Publisher"}
out:write(format.csv_header(columns))
local rows, failed = 0, 0
for i, computer in ipairs(computers) do
  local list = lists[i]
  if list.error then
    failed = failed + 1
    io.stderr:write(("%s: %s\n"):format(computer.ComputerName, tostring(list.error)))
  else
    for _, software in ipairs(list) do
      out:write(format.csv_row({
        ComputerId = computer.Id, ComputerName = computer.ComputerName, Name = software.Name,
        Version = software.Version, Publisher = software.Publisher,
      }, columns))
      rows = rows + 1
    end
  end
end
if out ~= io.stdout then out:close() end
io.stderr:write(("%d software rows from %d computers (%d failed)\n"):format(rows, #computers - failed, failed))
os.exit(failed == 0 and 0 or 1)
