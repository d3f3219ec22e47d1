--- run_script_on_group.lua: run one script on every computer matching a
-- condition and print a table of the results.
--
--   lua5.4 examples/run_script_on_group.lua [CONDITION] [SCRIPT] [name=value ...]
--   defaults: "Status = 'Online' and Client.Name = 'ACME Corporation'"  "Flush DNS Cache"
--
-- The computers are sent in batches of BATCH (25) ids: one Batch/ScriptExecute
-- call a batch, so the server runs them in parallel; the client's rate limiter
-- (CONNECTWISE_AUTOMATE_RATE_LIMIT, 60 a minute by default) paces the calls
-- and the result polls. Environment: CONNECTWISE_AUTOMATE_SERVER, _USERNAME,
-- _PASSWORD, _CLIENT_ID (see fleet_report.lua for the simulator), and
-- optionally POLL_INTERVAL (seconds, default 2), WAIT_TIMEOUT (seconds, 300).
-- Exit code: 0 when every run completed, 1 otherwise.
local cwa = require "cwa"
local format = require "cwa.format"

local BATCH = 25
local condition = arg[1] or "Status = 'Online' and Client.Name = 'ACME Corporation'"
local script_ref = arg[2] or "Flush DNS Cache"
local params = {}
for i = 3, #arg do
  local k, v = arg[i]:match("^([^=]+)=(.*)$")
  if not k then
    io.stderr:write("parameters must look like name=value: ", arg[i], "\n")
    os.exit(2)
  end
  params[k] = v
end

local ok, message = cwa.check_condition(condition)
if not ok then
  io.stderr:write("bad condition: ", message, "\n")
  os.exit(2)
end

local client <close> = cwa.from_env()

local script_id = math.tointeger(tonumber(script_ref))
local script_name = script_ref
if not script_id then
  local found = client:list("/Scripts", {condition = "Name = " .. cwa.quote(script_ref), limit = 1})
  if #found == 0 then
    io.stderr:write("no script named '", script_ref, "'\n")
    os.exit(2)
  end
  script_id, script_name = math.tointeger(found[1].Id), found[1].Name
end

local names, ids = {}, {}
for c in client:computers{condition = condition, fields = {"Id", "ComputerName"}, order_by = "Id asc"} do
  local id = math.tointeger(c.Id)
  ids[#ids + 1] = id
  names[id] = c.ComputerName
end
io.stdout:write(("Running '%s' (script %d) on %d computers matching: %s\n")
  :format(script_name, script_id, #ids, condition))
io.stdout:flush()
if #ids == 0 then return end

local rows, completed = {}, 0
for first = 1, #ids, BATCH do
  local batch = table.move(ids, first, math.min(first + BATCH - 1, #ids), 1, {})
  local results = client:run_script(batch, script_id, params, {
    wait = true, timeout = tonumber(os.getenv("WAIT_TIMEOUT")) or 300,
    poll_interval = tonumber(os.getenv("POLL_INTERVAL")) or 2,
  })
  for _, r in ipairs(results) do
    if r.status == "Completed" then completed = completed + 1 end
    rows[#rows + 1] = {Id = r.computer_id, Computer = names[r.computer_id], Status = r.status,
                       State = r.state, Message = r.message}
  end
end

io.stdout:write(format.table(rows, {fields = {"Id", "Computer", "Status", "State", "Message"}}))
io.stdout:write(("%d of %d completed\n"):format(completed, #rows))
os.exit(completed == #rows and 0 or 1)
