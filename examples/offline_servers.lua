--- offline_servers.lua: every offline server as CSV, built with the
-- condition builder (values are quoted by cwa, never pasted into the text).
--
--   lua5.4 examples/offline_servers.lua [CLIENT-NAME-PREFIX] > offline.csv
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator). The condition
-- sent to the server is printed on stderr.
local cwa = require "cwa"
local format = require "cwa.format"

local F = cwa.cond.field
local condition = F("Status"):eq("Offline") & F("Type"):eq("Server")
if arg[1] and arg[1] ~= "" then
  condition = condition & F("Client.Name"):startswith(arg[1])
end
io.stderr:write("condition: ", cwa.cond.to_text(condition), "\n")

local client <close> = cwa.from_env()
local columns = {"Id", "ComputerName", "Client.Name", "Location.Name", "OperatingSystemName",
                 "RemoteAgentLastContact"}
local csv <close> = format.writer("csv", io.stdout, {fields = columns})
local n = 0
for computer in client:computers{
  condition = condition, order_by = "ComputerName asc",
  fields = {"Id", "ComputerName", "Client", "Location", "OperatingSystemName", "RemoteAgentLastContact"},
} do
  csv:write(computer)
  n = n + 1
end
csv:close()
io.stderr:write(n, " offline servers\n")
