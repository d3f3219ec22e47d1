--- alert_triage.lua: open alerts counted by client and severity, worst
-- clients first, then the five most severe alerts of the worst client.
--
--   lua5.4 examples/alert_triage.lua [MIN-SEVERITY]
--
-- Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD, _CLIENT_ID
-- (see fleet_report.lua for running it against the simulator).
local cwa = require "cwa"
local format = require "cwa.format"

local min_severity = math.tointeger(tonumber(arg[1] or "1"))
if not min_severity then
  io.stderr:write("usage: alert_triage.lua [MIN-SEVERITY]\n")
  os.exit(2)
end

local client <close> = cwa.from_env()
local F = cwa.cond.field
local open = F("Status"):ne("Closed") & F("Severity"):ge(min_severity)

local by_client, total = {}, 0
for alert in client:alerts{condition = open, fields = {"AlertId", "Client", "Severity"}, page_size = 500} do
  local name = alert.Client and alert.Client.Name or "(none)"
  local row = by_client[name]
  if not row then
    row = {Client = name, Total = 0, Score = 0}
    for sev = 1, 5 do row["Sev " .. sev] = 0 end
    by_client[name] = row
  end
  local sev = math.tointeger(alert.Severity) or 0
  local key = "Sev " .. sev
  row[key] = (row[key] or 0) + 1
  row.Total = row.Total + 1
  -- A severity-5 alert weighs as much as ten of severity 4.
  row.Score = row.Score + 10 ^ (sev - 1)
  total = total + 1
end

local rows = {}
for _, row in pairs(by_client) do rows[#rows + 1] = row end
table.sort(rows, function(a, b)
  if a.Score ~= b.Score then return a.Score > b.Score end
  return a.Client < b.Client
end)

io.stdout:write(("Open alerts of severity %d and up: %d across %d clients\n\n")
  :format(min_severity, total, #rows))
local columns = {"Client"}
for sev = 5, min_severity, -1 do columns[#columns + 1] = "Sev " .. sev end
columns[#columns + 1] = "Total"
io.stdout:write(format.table(rows, {fields = columns}))

if rows[1] then
  local worst = rows[1].Client
  io.stdout:write("\nMost severe open alerts of ", worst, ":\n")
  local top = client:list("/Alerts", {
    condition = open & F("Client.Name"):eq(worst), order_by = "Severity desc", limit = 5,
    fields = {"AlertId", "Severity", "ComputerName", "Message"},
  })
  io.stdout:write(format.table(top, {fields = {"AlertId", "Severity", "ComputerName", "Message"}}))
end
