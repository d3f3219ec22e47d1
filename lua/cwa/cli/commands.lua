--- The subcommands of `cwa`: each is commands[name](client, a, conn), where
-- `a` holds the parsed arguments; it returns the exit code (nil for 0).
-- @module cwa.cli.commands
local cjson = require "cjson"
local actions = require "cwa.actions"
local common = require "cwa.cli.common"
local format = require "cwa.format"
local output = require "cwa.cli.output"
local progress = require "cwa.progress"
local targets = require "cwa.cli.targets"

local usage, isatty, split_list, say = common.usage, common.isatty, common.split_list, common.say
local emit, output_kind = output.emit, output.kind

local commands = {}

--- Per resource: its description and an example, for the help.
commands.RESOURCE_HELP = {
  computers = {"Computers (agents)", "cwa computers --where \"Status = 'Offline' and Type = 'Server'\" --fields Id,ComputerName,Client"},
  clients = {"Clients (companies)", "cwa clients --order-by 'Name asc' --format csv"},
  locations = {"Locations of the clients", "cwa locations --where 'Client.Id = 3'"},
  contacts = {"Contacts of the clients", "cwa contacts --where \"LastName = 'O''Brien'\""},
  alerts = {"Alerts", "cwa alerts --where \"Severity >= 3 and Status != 'Closed'\" --limit 20"},
  scripts = {"Scripts", "cwa scripts --where \"Name like '%Disk%'\""},
  monitors = {"Monitors", "cwa monitors --fields MonitorId,Name,ComputerId"},
  groups = {"Groups", "cwa groups 5"},
  tickets = {"Tickets", "cwa tickets --where \"Status = 'Open'\" --format json"},
}

-- The syntax of the dialect the user chose; current servers' when it is auto.
local function condition_dialect(a)
  return a.auth == "apicredentials" and "apicredentials" or nil
end

local function check_condition_arg(text, flag, a)
  local cwa = require "cwa"
  local ok, message = cwa.check_condition(text, condition_dialect(a))
  if not ok then usage((flag and (flag .. ": ") or "") .. "bad condition: " .. tostring(message)) end
end

local function collection_options(a)
  local o = {}
  if a.where then
    check_condition_arg(a.where, "--where", a)
    o.condition = a.where
  end
  o.fields = a.fields and split_list(a.fields)
  o.exclude_fields = a.exclude_fields and split_list(a.exclude_fields)
  o.expand = a.expand and split_list(a.expand)
  o.ids = a.ids and split_list(a.ids)
  o.order_by = a.order_by
  o.limit = a.limit
  o.page_size = a.page_size
  o.start_page = a.start_page
  o.consistent = a.consistent or nil
  return o
end

local function listing(client, a, path, label)
  local opts = collection_options(a)
  local kind = output_kind(a)
  local show = not a.quiet and not a.debug
  if a.progress then show = true end
  local bar <close> = progress.new{
    label = label, page_size = opts.page_size or client.page_size,
    -- Records streamed to the same terminal would tear the line apart; a
    -- table is written at the end, after the line is erased.
    -- --limit 5000 of 20000 is read to 5000: that is the total to show.
    limit = opts.limit,
    enabled = show and (a.progress or (isatty(2) and (kind == "table" or not isatty(1)))),
  }
  local w <close> = output.record_writer(a, kind)
  local it, s, c, pager = client:each(path, opts)
  for rec in it, s, c, pager do
    local ok, err = w:write(rec)
    if not ok then error("cannot write the output: " .. tostring(err), 0) end
    bar:update(pager)
  end
  bar:done()
  w:close()
end

local function resource_path(name)
  local cwa = require "cwa"
  for _, r in ipairs(cwa.RESOURCES) do
    if r.plural == name:lower() or r.singular == name:lower() then return r.path, r end
  end
  if name:sub(1, 1) == "/" then return name end
  usage("unknown resource '" .. name .. "' (computers, clients, locations, contacts, alerts, "
    .. "scripts, monitors, groups, tickets, or a path like /Computers/42/Software)")
end

local function key_values(list, flag)
  local t = {}
  for _, kv in ipairs(list or {}) do
    local k, v = kv:match("^([^=]+)=(.*)$")
    if not k then usage((flag or "parameter") .. " '" .. kv .. "' must look like name=value") end
    t[k] = v
  end
  return t
end

local function json_body(text)
  if text == "-" then
    text = io.read("a")
  elseif text:sub(1, 1) == "@" then
    local f, err = io.open(text:sub(2), "r")
    if not f then usage("cannot read " .. text:sub(2) .. ": " .. tostring(err)) end
    text = f:read("a")
    f:close()
  end
  local ok, err = pcall(cjson.decode, text)
  if not ok then usage("the body is not valid JSON: " .. tostring(err):gsub("^.-: ", "")) end
  return text
end


function commands.get(client, a)
  local query = key_values(a.query, "--query")
  emit(a, (client:get(a.path, next(query) and query or nil)))
end

function commands.post(client, a)
  emit(a, (client:post(a.path, json_body(a.body), nil)))
end

function commands.put(client, a)
  emit(a, (client:put(a.path, json_body(a.body), nil)))
end

function commands.patch(client, a)
  emit(a, (client:patch(a.path, json_body(a.body), nil)))
end

function commands.delete(client, a)
  emit(a, (client:delete(a.path)))
end

function commands.list(client, a)
  listing(client, a, a.path, a.path)
end

function commands.count(client, a)
  local path = resource_path(a.resource)
  local opts = {}
  if a.where then
    check_condition_arg(a.where, "--where", a)
    opts.condition = a.where
  end
  io.stdout:write(string.format("%d", client:count(path, opts)), "\n")
end

-- The positional arguments of run-script and command: COMPUTERS (absent with
-- --where) and then `want` more at least; the computers, and the rest.
local function split_targets(client, a, want, usage_line)
  local args = a.args or {}
  local where = a.where
  local first = where and 1 or 2
  if #args < first - 1 + want then usage("expected " .. usage_line) end
  local list
  if where then
    check_condition_arg(where, "--where", a)
    list = targets.where(client, where)
  else
    list = targets.resolve(client, targets.tokens(args[1]))
  end
  local single = not where and args[1] ~= "-" and not args[1]:find(",", 1, true)
  return list, table.move(args, first, #args, 1, {}), single
end

local function target_ids(list)
  local ids = {}
  for i, t in ipairs(list) do ids[i] = t.Id end
  return ids
end

-- A progress line of the computers whose result is known, while the command
-- waits; only on a terminal, never with --quiet.
local function wait_line(a, label, total)
  local show = a.progress or (not a.quiet and not a.debug and isatty(2))
  return progress.new{label = label, unit = "computers", total = total, enabled = show and total > 0}
end

-- One row per computer, in the format chosen (with every flag of the
-- output: the columns are these fields).
local function write_rows(a, fields, rows)
  local kind = output_kind(a)
  local w <close> = output.record_writer(setmetatable({fields = table.concat(fields, ",")}, {__index = a}), kind)
  for _, r in ipairs(rows) do
    local ok, err = w:write(r)
    if not ok then error("cannot write the output: " .. tostring(err), 0) end
  end
  w:close()
end

-- "3 of 5 script runs": the count of outcome among n.
local function of(count, n, what)
  return ("%d of %d %s"):format(count, n, what)
end

function commands.run_script(client, a)
  local list, rest = split_targets(client, a, 1, "[COMPUTERS] SCRIPT [name=value ...] (COMPUTERS left out with --where)")
  local script = targets.record_id(client, rest[1], "/Scripts", "Name", "script")
  local params = key_values(table.move(rest, 2, #rest, 1, {}), "script parameter")
  local names, ids = {}, target_ids(list)
  for _, t in ipairs(list) do names[t.Id] = t.ComputerName end
  local results
  local refused, open, failed = 0, 0, 0
  if a.wait then
    local bar <close> = wait_line(a, "run-script", #ids)
    results = client:run_script(ids, script, params, {
      wait = true, timeout = a.timeout_wait, poll_interval = a.poll_interval,
      progress = function(done) bar:update(done) end,
    })
    bar:done()
  else
    results = actions.launches(client:run_script(ids, script, params), ids)
  end
  local rows = {}
  for i, r in ipairs(results) do
    rows[i] = {ComputerId = r.computer_id, ComputerName = names[r.computer_id], Status = r.status,
               State = r.state, Message = r.message}
    if r.status == "NotLaunched" then
      refused = refused + 1
    elseif r.status == "Running" then
      open = open + 1
    elseif r.status == "Completed" and tostring(r.state):lower() == "failure" then
      failed = failed + 1
    end
  end
  write_rows(a, a.wait and {"ComputerId", "ComputerName", "Status", "State", "Message"}
    or {"ComputerId", "ComputerName", "Status", "Message"}, rows)
  if refused > 0 then say("cwa: the server did not launch " .. of(refused, #rows, "script runs")) end
  if failed > 0 then say("cwa: " .. of(failed, #rows, "script runs") .. " failed") end
  if open > 0 then
    say(("cwa: %s did not finish within %gs (--wait-timeout)"):format(of(open, #rows, "script runs"),
      a.timeout_wait or 300))
  end
  return (open + refused + failed > 0) and 1 or 0
end

-- Windows ends its lines with CRLF; the CR alone would show as \r.
local function output_text(text)
  return text and (text:gsub("\r\n", "\n"))
end

-- The row of one computer's command: its status, and the output or what
-- went wrong (a failed poll, the timeout).
local function command_row(queued, t, ok, out, status, row)
  local r = {ComputerId = t.Id, ComputerName = t.ComputerName}
  if ok then
    r.Status, r.Output = status, output_text(out)
    if queued then r.CommandId = row and row.Id end
  elseif require("cwa").is_error(out) then
    r.Status, r.Output = out.code, out.message
  else
    error(out, 0) -- not the server's: an interrupt, a bug
  end
  return r
end

function commands.command(client, a)
  local list, rest, single = split_targets(client, a, 1, "[COMPUTERS] COMMAND-LINE (COMPUTERS left out with --where)")
  if #rest ~= 1 then usage("expected one command line (quote it), got " .. #rest .. " arguments") end
  local opts = {shell = a.shell, wait = not a.no_wait, timeout = a.timeout_wait, poll_interval = a.poll_interval}
  if single then
    local out, status, row = client:command(list[1].Id, rest[1], opts)
    if a.no_wait then
      emit(a, row)
      return 0
    end
    if out then
      out = format.escape(output_text(out), true)
      io.stdout:write(out, out:sub(-1) == "\n" and "" or "\n")
    end
    if tostring(status):lower() ~= "success" then
      say("cwa: the command ended with status ", tostring(status))
      return 1
    end
    return 0
  end
  local bar <close> = wait_line(a, "command", a.no_wait and 0 or #list)
  bar:update(0)
  -- as wide as the list: an item holds its slot while it sleeps between
  -- polls; the client's concurrency cap still bounds the requests in flight
  local rows = client:map(list, function(t)
    return command_row(a.no_wait, t, pcall(client.command, client, t.Id, rest[1], opts))
  end, {concurrency = math.min(#list, 1000), progress = function(done) bar:update(done) end})
  bar:done()
  local bad = 0
  for i, r in ipairs(rows) do
    if r.error then rows[i] = command_row(a.no_wait, list[i], false, r.error) end
    local status = tostring(rows[i].Status):lower()
    if a.no_wait then
      if rows[i].CommandId == nil then bad = bad + 1 end
    elseif status ~= "success" then
      bad = bad + 1
    end
  end
  write_rows(a, a.no_wait and {"ComputerId", "ComputerName", "Status", "CommandId"}
    or {"ComputerId", "ComputerName", "Status", "Output"}, rows)
  if bad > 0 then
    say("cwa: " .. of(bad, #rows, "commands") .. (a.no_wait and " were not queued" or " did not succeed"))
  end
  return bad > 0 and 1 or 0
end

local function resource_command(plural)
  return function(client, a)
    local path, r = resource_path(plural)
    if a.id then
      local name_field = targets.NAME_FIELDS[plural]
      local id = math.tointeger(tonumber(a.id))
      if not id and not name_field then usage(plural .. ": the id must be a number, got '" .. a.id .. "'") end
      id = id or targets.record_id(client, a.id, path, name_field, r.singular, r.id)
      local query
      local fields = split_list(a.fields)
      if fields then query = {includeFields = table.concat(fields, ",")} end
      emit(a, (client:get(path .. "/" .. id, query)))
      return 0
    end
    listing(client, a, path, plural)
    return 0
  end
end
for plural in pairs(commands.RESOURCE_HELP) do commands[plural] = resource_command(plural) end

-- check-condition needs no connection: main runs it without a client.
function commands.check_condition(a)
  local cwa = require "cwa"
  local ok, message, column = cwa.check_condition(a.text, condition_dialect(a))
  if ok then
    io.stdout:write("ok\n")
    return 0
  end
  say("cwa: bad condition: ", tostring(message))
  if column then
    -- The condition with a caret under the fault, for the eye.
    local before = format.escape(a.text:sub(1, math.max(0, column - 1)))
    io.stdout:write(format.escape(a.text), "\n", string.rep(" ", utf8.len(before) or #before), "^\n")
  end
  return 2
end

return commands
