--- The subcommands of `cwa`: each is commands[name](client, a, conn), where
-- `a` holds the parsed arguments; it returns the exit code (nil for 0).
-- @module cwa.cli.commands
local cjson = require "cjson"
local common = require "cwa.cli.common"
local format = require "cwa.format"
local output = require "cwa.cli.output"
local progress = require "cwa.progress"

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

-- An id, or a name looked up with `field = 'name'` (exactly one match).
local function resolve_id(client, text, path, field, what)
  local n = math.tointeger(tonumber(text))
  if n then return n end
  local cwa = require "cwa"
  local found = client:list(path, {condition = field .. " = " .. cwa.quote(text), limit = 2})
  if #found == 0 then usage("no " .. what .. " named '" .. text .. "'") end
  if #found > 1 then usage("more than one " .. what .. " named '" .. text .. "': give the id") end
  local rec = found[1]
  return math.tointeger(rec.Id or rec.ID or rec.id)
end

local function id_list(client, text)
  local ids = {}
  for part in text:gmatch("[^,]+") do
    ids[#ids + 1] = resolve_id(client, part, "/Computers", "ComputerName", "computer")
  end
  if #ids == 0 then usage("no computer given") end
  return ids
end

local function iso_utc(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
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

function commands.run_script(client, a)
  local ids = id_list(client, a.computer)
  local script = resolve_id(client, a.script, "/Scripts", "Name", "script")
  local params = key_values(a.params, "script parameter")
  if not a.wait then
    emit(a, (client:run_script(ids, script, params)))
    return 0
  end
  local results = client:run_script(ids, script, params, {
    wait = true, timeout = a.timeout_wait, poll_interval = a.poll_interval,
  })
  local rows, open, refused = {}, 0, 0
  for i, r in ipairs(results) do
    rows[i] = {ComputerId = r.computer_id, Status = r.status, State = r.state, Message = r.message}
    if r.status == "NotLaunched" then
      refused = refused + 1
    elseif r.status ~= "Completed" then
      open = open + 1
    end
  end
  local kind = output_kind(a)
  local w <close> = output.record_writer(a, kind, {
    fields = {"ComputerId", "Status", "State", "Message"}, no_headers = a.no_headers or nil,
    width = kind == "table" and output.table_width() or nil, pretty = kind == "json",
  })
  for _, r in ipairs(rows) do w:write(r) end
  w:close()
  if refused > 0 then
    say(("cwa: the server did not launch %d of %d script runs"):format(refused, #rows))
  end
  if open > 0 then
    say(("cwa: %d of %d script runs did not finish within %gs"):format(open, #rows, a.timeout_wait or 300))
  end
  return (open > 0 or refused > 0) and 1 or 0
end

function commands.command(client, a)
  local id = resolve_id(client, a.computer, "/Computers", "ComputerName", "computer")
  local output, status, row = client:command(id, a.text, {
    shell = a.shell, wait = not a.no_wait, timeout = a.timeout_wait, poll_interval = a.poll_interval,
  })
  if a.no_wait then
    emit(a, row)
    return 0
  end
  if output then
    -- Windows ends its lines with CRLF; the CR alone would show as \r.
    output = format.escape(output:gsub("\r\n", "\n"), true)
    io.stdout:write(output, output:sub(-1) == "\n" and "" or "\n")
  end
  if tostring(status):lower() ~= "success" then
    say("cwa: the command ended with status ", tostring(status))
    return 1
  end
  return 0
end

function commands.login(client, a, conn)
  local _, expiry = client:token()
  local dialect = client:dialect()
  local left = expiry and (expiry - os.time()) or nil
  local kind = a.format
  if kind == "json" or kind == "ndjson" then
    io.stdout:write(format.json({server = conn.server, username = conn.username, dialect = dialect,
      expires = expiry and iso_utc(expiry) or cjson.null}), "\n")
    return 0
  end
  io.stdout:write(format.escape(("Logged in to %s as %s (%s dialect)."):format(conn.server, conn.username, dialect)), "\n")
  if expiry then
    io.stdout:write(("Token expires %s (in %d min).\n"):format(iso_utc(expiry), math.floor(left / 60 + 0.5)))
  end
  return 0
end

local function resource_command(plural)
  return function(client, a)
    local path = resource_path(plural)
    if a.id then
      local id = math.tointeger(tonumber(a.id))
      if not id then usage(plural .. ": the id must be a number, got '" .. a.id .. "'") end
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
