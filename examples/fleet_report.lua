--- fleet_report.lua: the state of the whole fleet in one screen.
--
--   * per client: computers, online, offline, and offline servers
--   * the open alerts of severity 3 and up
--   * one script run on one online machine, waiting for its result
--
-- A progress line (records, pages, rate, ETA) shows on stderr while the
-- computers load, when stderr is a terminal.
--
-- Run it with `make demo`, or against any server (the simulator here):
--   build/cwa-sim --port 0 &            # prints URL http://127.0.0.1:PORT
--   export CONNECTWISE_AUTOMATE_SERVER=http://127.0.0.1:PORT
--   export CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass
--   export CONNECTWISE_AUTOMATE_CLIENT_ID=demo
--   LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH='build/?.so;;' lua5.4 examples/fleet_report.lua
-- Optional: FLEET_SCRIPT (script name, default "Flush DNS Cache"),
-- FLEET_POLL (seconds between result polls, default 1).
local cwa = require "cwa"
local format = require "cwa.format"
local progress = require "cwa.progress"

local client <close> = cwa.from_env()
local out = io.stdout

local function heading(text)
  out:write("\n", text, "\n", string.rep("=", #text), "\n")
end

-- Computers: only the fields the report needs, in pages of 250.
local per_client, offline_servers, total = {}, {}, {online = 0, offline = 0, all = 0}
-- Current servers announce no totals; on a terminal one cheap count (pages
-- of 1000 ids) gives the progress line its percentage and ETA.
local expected = progress.isatty(2) and client:count("/Computers") or nil
local bar = progress.new{label = "computers", page_size = 250, total = expected}
local it, s, c, pager = client:computers{
  fields = {"Id", "ComputerName", "Status", "Type", "Client", "RemoteAgentLastContact"},
  page_size = 250,
}
for computer in it, s, c, pager do
  bar:update(pager)
  local name = computer.Client and computer.Client.Name or "(no client)"
  local row = per_client[name]
  if not row then
    row = {Client = name, Computers = 0, Online = 0, Offline = 0, ["Offline servers"] = 0}
    per_client[name] = row
  end
  row.Computers = row.Computers + 1
  total.all = total.all + 1
  if computer.Status == "Online" then
    row.Online = row.Online + 1
    total.online = total.online + 1
  else
    row.Offline = row.Offline + 1
    total.offline = total.offline + 1
    if computer.Type == "Server" then
      row["Offline servers"] = row["Offline servers"] + 1
      offline_servers[#offline_servers + 1] = {
        Client = name, Computer = computer.ComputerName,
        ["Last contact"] = computer.RemoteAgentLastContact,
      }
    end
  end
end
bar:done()

local rows = {}
for _, row in pairs(per_client) do rows[#rows + 1] = row end
table.sort(rows, function(a, b) return a.Client < b.Client end)

heading(("Fleet: %d computers, %d online, %d offline, %d clients")
  :format(total.all, total.online, total.offline, #rows))
out:write(format.table(rows, {fields = {"Client", "Computers", "Online", "Offline", "Offline servers"}}))

heading(("Offline servers: %d"):format(#offline_servers))
table.sort(offline_servers, function(a, b)
  if a.Client ~= b.Client then return a.Client < b.Client end
  return a.Computer < b.Computer
end)
out:write(format.table(offline_servers, {fields = {"Client", "Computer", "Last contact"}, max_rows = 25}))

-- Alerts: the server filters, the client only counts.
local open_alerts = cwa.cond.field("Severity"):ge(3) & cwa.cond.field("Status"):ne("Closed")
local alerts = client:list("/Alerts", {
  condition = open_alerts, order_by = "Severity desc",
  fields = {"AlertId", "Severity", "Client", "ComputerName", "Message", "Date"},
})
local by_severity = {}
for _, a in ipairs(alerts) do
  local sev = math.tointeger(a.Severity) or a.Severity
  by_severity[sev] = (by_severity[sev] or 0) + 1
end
local counts = {}
for sev = 5, 3, -1 do counts[#counts + 1] = ("severity %d: %d"):format(sev, by_severity[sev] or 0) end
heading(("Open alerts of severity 3 and up: %d (%s)"):format(#alerts, table.concat(counts, ", ")))
local shown = {}
for i, a in ipairs(alerts) do
  shown[i] = {Id = a.AlertId, Sev = a.Severity, Client = a.Client and a.Client.Name,
              Computer = a.ComputerName, Message = a.Message, Date = a.Date}
end
out:write(format.table(shown, {fields = {"Id", "Sev", "Client", "Computer", "Message", "Date"},
  max_rows = 15, total = #shown}))

-- One script on one online machine, waiting for the result.
local script_name = os.getenv("FLEET_SCRIPT") or "Flush DNS Cache"
local scripts = client:list("/Scripts", {condition = "Name = " .. cwa.quote(script_name), limit = 1})
local online = client:list("/Computers", {
  condition = "Status = 'Online'", fields = {"Id", "ComputerName"}, limit = 1, order_by = "Id asc",
})
heading("Script run")
if #scripts == 0 or #online == 0 then
  out:write("(no script named '", script_name, "' or no online computer)\n")
else
  local script, computer = scripts[1], online[1]
  out:write(("Running '%s' (script %d) on %s (computer %d)...\n")
    :format(script.Name, math.tointeger(script.Id), computer.ComputerName, math.tointeger(computer.Id)))
  out:flush()
  local results = client:run_script({math.tointeger(computer.Id)}, math.tointeger(script.Id), {},
    {wait = true, timeout = 120, poll_interval = tonumber(os.getenv("FLEET_POLL")) or 1})
  local r = results[1]
  out:write(("%s: %s%s\n"):format(computer.ComputerName, r.status,
    r.message and (" - " .. tostring(r.message)) or ""))
end
