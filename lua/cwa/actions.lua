--- Running scripts and commands on computers, and waiting for their results.
-- Automate gives no job handle for a script run: the launch answer says which
-- computers the server took (`ScriptResults[].ResultDetails`), and the result
-- is the new row of each launched computer's ScriptHistory. Commands
-- (CommandExecute, command id 2 with the "shell!!! arguments" parameter form)
-- are polled until their Status is final. The POSTs are never retried once the server may have acted (the core
-- retries a POST only on 429, on 503 with Retry-After and on connect failures).
-- The pause between two polls is `cwa.scheduler.sleep`: inside `client:map`
-- the other items go on meanwhile. The computers of one script run are read
-- together (Automate has no listing of several computers' ScriptHistory): one
-- `client:map` over them per poll, under the client's rate limit and
-- concurrency cap; inside an item of a map of the same client, one after
-- another, each request letting the other items go on.
-- @module cwa.actions
local errors = require "cwa.errors"
local map = require "cwa.map"
local options = require "cwa.options"
local scheduler = require "cwa.scheduler"

local invalid = errors.invalid

local actions = {}

-- A command is polled until its Status is one of these: servers pass
-- through intermediate names ("Pending", "Sent", "Executing", ...) that no
-- fixed list of running statuses covers.
local FINAL = {success = true, failed = true, terminated = true, cancelled = true, canceled = true}

local function check_id(who, v)
  return options.id(who, v, 1)
end

local function id_list(who, ids)
  if type(ids) ~= "table" then return {check_id(who, ids)} end
  local out = {}
  for i, v in ipairs(ids) do out[i] = check_id(who .. "[" .. i .. "]", v) end
  if #out == 0 then invalid(who, "no computer ids given") end
  return out
end

-- Script parameters: {name = value} (sent sorted) or {{Key = k, Value = v}, ...}.
local function parameters(who, params)
  local list = {}
  if params == nil then return list end
  if type(params) ~= "table" then invalid(who, "params must be a table") end
  if #params > 0 then
    for i, p in ipairs(params) do
      if type(p) ~= "table" or p.Key == nil then invalid(who, ("params[%d] must be {Key = ..., Value = ...}"):format(i)) end
      list[i] = {Key = tostring(p.Key), Value = tostring(p.Value == nil and "" or p.Value)}
    end
    return list
  end
  local keys = {}
  for k in pairs(params) do
    if type(k) ~= "string" then invalid(who, "parameter names must be strings") end
    keys[#keys + 1] = k
  end
  table.sort(keys)
  for i, k in ipairs(keys) do
    local v = params[k]
    if type(v) ~= "string" and type(v) ~= "number" and type(v) ~= "boolean" then
      invalid(who, "parameter '" .. k .. "' must be a string, number or boolean")
    end
    list[i] = {Key = k, Value = tostring(v)}
  end
  return list
end

local function check_options(who, opts, known)
  opts = opts or {}
  if type(opts) ~= "table" then invalid(who, "options must be a table") end
  for k in pairs(opts) do
    if not known[k] then invalid(who, "unknown option '" .. tostring(k) .. "'") end
  end
  local timeout = options.positive(who .. ": timeout", opts.timeout or 300, "a positive number of seconds")
  local interval = options.positive(who .. ": poll_interval", opts.poll_interval or 2, "a positive number of seconds")
  if opts.progress ~= nil and type(opts.progress) ~= "function" then
    invalid(who, "progress must be a function(done, total)")
  end
  return opts, timeout, interval
end

-- fn(item) for every item: together through a map when none runs on the
-- client, else (called from an item of one) in turn; the first error raised.
local function each_item(client, items, fn)
  if #items == 0 then return end
  if scheduler.running(client) or #items == 1 then
    for _, item in ipairs(items) do fn(item) end
    return
  end
  map.map(client, items, fn, {fail_fast = true})
end

local function field(rec, name)
  if type(rec) ~= "table" then return nil end
  local v = rec[name]
  if v ~= nil then return v end
  local lower = name:lower()
  for k, val in pairs(rec) do
    if type(k) == "string" and k:lower() == lower then return val end
  end
end

local function history(client, computer_id, script_id)
  return client:list("/Computers/" .. computer_id .. "/ScriptHistory", {
    condition = "ScriptId = " .. script_id, order_by = "Id desc", page_size = 50, limit = 50,
  })
end

local function highest_id(rows)
  local max = 0
  for _, row in ipairs(rows) do
    local id = tonumber(field(row, "Id")) or 0
    if id > max then max = id end
  end
  return max
end

-- An integer from a number or a decimal string (servers type some ids as strings).
local function whole(v)
  local n = tonumber(v)
  return n and math.tointeger(n)
end

-- Whether a launch answer's ResultDetails says the script was launched:
-- ResultStatus 0 (the spec's integer code for success). Details without a
-- ResultStatus claim nothing, so that computer is polled.
local function launched(details)
  local status = field(details, "ResultStatus")
  if status == nil or type(details) ~= "table" then return true end
  if type(status) == "string" and status:lower() == "success" then return true end
  return whole(status) == 0
end

--- What a launch answer of `run_script` (without wait) says of each
-- computer: `{computer_id, status, message, launch}` in the order of `ids`,
-- status "NotLaunched" (with the server's Message) when its
-- `ResultDetails.ResultStatus` is not 0, else "Launched" (with the Message,
-- if any: "Script scheduled."). An answer without
-- ScriptResults (the brief's dialect: one answer per computer, each POST
-- accepted) says every computer was launched.
-- @param answer the server's answer
-- @tparam table ids the computer ids, integers
-- @treturn table
function actions.launches(answer, ids)
  local entries = {}
  local list = field(answer, "ScriptResults")
  for _, entry in ipairs(type(list) == "table" and list or {}) do
    local id = whole(field(entry, "EntityId"))
    if id then entries[id] = entry end
  end
  local out = {}
  for i, id in ipairs(ids) do
    local entry = entries[id]
    local details = field(entry, "ResultDetails")
    if entry and not launched(details) then
      out[i] = {computer_id = id, status = "NotLaunched", message = field(details, "Message"), launch = entry}
    else
      out[i] = {computer_id = id, status = "Launched", message = field(details, "Message"), launch = entry}
    end
  end
  return out
end

-- The computer's new completed row of its ScriptHistory, if any.
local function completed_row(client, id, script_id, before)
  for _, row in ipairs(history(client, id, script_id)) do
    local row_id = tonumber(field(row, "Id")) or 0
    if row_id > before and tostring(field(row, "Status")):lower() == "completed" then return row end
  end
end

--- Runs a script on one or more computers.
-- On apitoken servers: POST Batch/ScriptExecute; on the brief's dialect:
-- POST Computers/{id}/Scripts/{scriptId}/Execute for each computer.
-- With `wait = true`, returns one result per computer:
-- `{computer_id, status, state, message, row, launch}`. A computer the server
-- did not launch the script on (offline, unknown, no permission: its
-- `ResultDetails.ResultStatus` is not 0) comes back at once with status
-- "NotLaunched" and the server's Message; the launched ones are polled in
-- their ScriptHistory for the new completed row: status "Completed" with
-- its State and DiagnosticMessage, or "Running" when the timeout came first.
-- `launch` is the computer's entry of the launch answer, when there is one.
-- The computers' histories are read together, before the launch and at
-- each poll (see the module's text); `progress(done, total)`, when given, is
-- called after the launch and after each poll with the computers whose
-- result is known.
-- @tparam cwa.Client client (the method form `client:run_script(...)` passes it)
-- @param computer_ids an id or a list of ids (integers or decimal strings)
-- @param script_id an integer or a decimal string
-- @tparam[opt] table params {name = value} or {{Key =, Value =}}
-- @tparam[opt] table opts wait, timeout (seconds, 300), poll_interval (seconds, 2),
--   progress (a function(done, total))
-- @return without wait: the server's answer; with wait: the results, in the order of computer_ids
-- @raise cwa.Error InvalidArgument for bad ids, parameters or options (before any
--   request); the errors of `Client:post` and `Client:list` (see `cwa.Client`)
-- @usage for _, r in ipairs(client:run_script({42, 43}, 6001, {Path = "C:\\Temp"}, {wait = true, timeout = 120})) do
--   print(r.computer_id, r.status, r.message)
-- end
function actions.run_script(client, computer_ids, script_id, params, opts)
  local who = "run_script"
  local ids = id_list(who .. ": computer_ids", computer_ids)
  script_id = check_id(who .. ": script_id", script_id)
  local list = parameters(who, params)
  local timeout, interval
  opts, timeout, interval = check_options(who, opts, {wait = true, timeout = true, poll_interval = true,
                                                     progress = true})

  local before = {}
  if opts.wait then
    each_item(client, ids, function(id)
      -- an unknown computer has no history (404): the launch answer says so
      local ok, rows = pcall(history, client, id, script_id)
      if not ok and not (errors.is_error(rows) and rows.code == "NotFound") then error(rows, 0) end
      before[id] = ok and highest_id(rows) or 0
    end)
  end
  client:token() -- logs in, so the dialect is known
  local answer
  if client:dialect() == "apicredentials" then
    local named = {}
    for _, p in ipairs(list) do named[p.Key] = p.Value end
    answer = {}
    for i, id in ipairs(ids) do
      answer[i] = client:post(("/Computers/%d/Scripts/%d/Execute"):format(id, script_id), {Parameters = named})
    end
  else
    answer = client:post("/Batch/ScriptExecute", {
      EntityType = "Computer", EntityIds = ids, ScriptId = script_id,
      Parameters = #list > 0 and list or nil,
    })
  end
  if not opts.wait then return answer end

  local results = actions.launches(answer, ids)
  local running = {}
  for _, r in ipairs(results) do
    if r.status == "Launched" then
      r.status = "Running"
      running[#running + 1] = r
    end
  end
  local report = opts.progress or function() end
  report(#results - #running, #results)
  local deadline = scheduler.now() + timeout
  while #running > 0 do
    each_item(client, running, function(r)
      local row = completed_row(client, r.computer_id, script_id, before[r.computer_id])
      if row then
        r.status, r.state, r.message, r.row = "Completed", field(row, "State"), field(row, "DiagnosticMessage"), row
      end
    end)
    local still = {}
    for _, r in ipairs(running) do
      if r.status == "Running" then still[#still + 1] = r end
    end
    running = still
    report(#results - #running, #results)
    if #running == 0 or scheduler.now() >= deadline then break end
    scheduler.sleep(client, interval)
  end
  return results
end

local SHELLS = {
  cmd = function(text) return "cmd.exe!!! /c " .. text end,
  powershell = function(text) return 'powershell.exe!!! -Command "' .. text:gsub('"', '\\"') .. '"' end,
}

-- The command's row from one poll, or nil when the answer holds none yet.
-- The spec's route is the list `GET .../CommandExecute?ids={id}`; a server
-- without it answers 404, and from then on (state.item) the row is read at
-- `.../CommandExecute/{id}`.
local function poll_command(client, base, command_id, state)
  if not state.item then
    local ok, rows = pcall(client.get, client, base, {ids = command_id})
    if ok then
      if type(rows) ~= "table" then return nil end
      -- matched by Id: a server that ignores `ids` lists other commands too
      for _, r in ipairs(rows) do
        if whole(field(r, "Id")) == command_id then return r end
      end
      return nil
    end
    if not (errors.is_error(rows) and rows.code == "NotFound") then error(rows, 0) end
    state.item = true
  end
  return (client:get(base .. "/" .. command_id))
end

--- Runs a command line on a computer (CommandExecute, command 2) and waits
-- until its Status is final (Success, Failed, Terminated or Cancelled, in any
-- case): servers pass through intermediate names (Pending, Sent, Executing).
-- @tparam cwa.Client client (the method form `client:command(...)` passes it)
-- @param computer_id an integer or a decimal string
-- @string text the command line, e.g. "ipconfig /all"
-- @tparam[opt] table opts shell ("cmd" or "powershell"), wait (default true),
--   timeout (seconds, 300), poll_interval (seconds, 2)
-- @treturn ?string the output
-- @treturn ?string the status ("Success", "Failed", ...)
-- @treturn table the command row as the server last returned it
-- @raise cwa.Error InvalidArgument for a bad id, text, shell or option (before any
--   request); Timeout when the status is not final within `timeout` (details:
--   command_id, status, row); InvalidResponse when the server answers without
--   a command Id; the errors of `Client:post` and `Client:get`
-- @usage local out, status = client:command(42, "Get-Service spooler", {shell = "powershell", timeout = 60})
function actions.command(client, computer_id, text, opts)
  local who = "command"
  computer_id = check_id(who .. ": computer_id", computer_id)
  if type(text) ~= "string" or text == "" then invalid(who, "the command text must be a non-empty string") end
  local timeout, interval
  opts, timeout, interval = check_options(who, opts, {shell = true, wait = true, timeout = true, poll_interval = true})
  local shell = SHELLS[opts.shell or "cmd"]
  if not shell then invalid(who, "shell must be \"cmd\" or \"powershell\"") end
  local base = ("/Computers/%d/CommandExecute"):format(computer_id)
  local row = client:post(base, {ComputerId = computer_id, Command = {Id = 2}, Parameters = {shell(text)}})
  if opts.wait == false then return nil, field(row, "Status"), row end
  local command_id = whole(field(row, "Id"))
  if not command_id then
    errors.raise("InvalidResponse", "CommandExecute answered without a command Id")
  end
  local deadline = scheduler.now() + timeout
  local state = {}
  while not FINAL[tostring(field(row, "Status")):lower()] do
    if scheduler.now() >= deadline then
      error(errors.new{code = "Timeout",
        message = ("command %d on computer %d: not finished after %g s (last status %s)"):format(
          command_id, computer_id, timeout, tostring(field(row, "Status"))),
        details = {command_id = command_id, status = field(row, "Status"), row = row}}, 0)
    end
    scheduler.sleep(client, math.min(interval, math.max(0, deadline - scheduler.now())))
    row = poll_command(client, base, command_id, state) or row
  end
  return field(row, "Output"), field(row, "Status"), row
end

return actions
