--- Running scripts and commands on computers, and waiting for their results.
-- Automate gives no job handle for a script run: the result is the new row of
-- the computer's ScriptHistory. Commands (CommandExecute, command id 2 with
-- the "shell!!! arguments" parameter form) are polled until their Status is
-- final. The POSTs are never retried once the server may have acted (the core
-- retries a POST only on 429, on 503 with Retry-After and on connect failures).
-- The pause between two polls is `cwa.scheduler.sleep`: inside `client:map`
-- the other items go on meanwhile.
-- @module cwa.actions
local errors = require "cwa.errors"
local options = require "cwa.options"
local scheduler = require "cwa.scheduler"

local invalid = errors.invalid

local actions = {}

-- A command is polled until its Status is one of these: servers pass
-- through intermediate names ("Pending", "Sent", "Executing", ...) that no
-- fixed list of running statuses covers.
local FINAL = {success = true, failed = true, terminated = true, cancelled = true}

local function check_id(who, v)
  return options.integer(who, v, 1)
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
  return opts, timeout, interval
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

--- Runs a script on one or more computers.
-- On apitoken servers: POST Batch/ScriptExecute; on the brief's dialect:
-- POST Computers/{id}/Scripts/{scriptId}/Execute for each computer.
-- With `wait = true`, polls each computer's ScriptHistory for the new
-- completed row and returns one result per computer:
-- `{computer_id, status ("Completed", "Running" when timed out), state, message, row}`.
-- @tparam cwa.Client client (the method form `client:run_script(...)` passes it)
-- @param computer_ids an id or a list of ids
-- @int script_id
-- @tparam[opt] table params {name = value} or {{Key =, Value =}}
-- @tparam[opt] table opts wait, timeout (seconds, 300), poll_interval (seconds, 2)
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
  opts, timeout, interval = check_options(who, opts, {wait = true, timeout = true, poll_interval = true})

  local before = {}
  if opts.wait then
    for _, id in ipairs(ids) do before[id] = highest_id(history(client, id, script_id)) end
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

  local results, open = {}, #ids
  local deadline = scheduler.now() + timeout
  for i, id in ipairs(ids) do
    results[i] = {computer_id = id, status = "Running"}
  end
  while open > 0 do
    for i, id in ipairs(ids) do
      local r = results[i]
      if r.status ~= "Completed" then
        for _, row in ipairs(history(client, id, script_id)) do
          local row_id = tonumber(field(row, "Id")) or 0
          if row_id > before[id] and tostring(field(row, "Status")):lower() == "completed" then
            r.status, r.state, r.message, r.row = "Completed", field(row, "State"), field(row, "DiagnosticMessage"), row
            open = open - 1
            break
          end
        end
      end
    end
    if open == 0 or scheduler.now() >= deadline then break end
    scheduler.sleep(client, interval)
  end
  return results
end

local SHELLS = {
  cmd = function(text) return "cmd.exe!!! /c " .. text end,
  powershell = function(text) return 'powershell.exe!!! -Command "' .. text:gsub('"', '\\"') .. '"' end,
}

--- Runs a command line on a computer (CommandExecute, command 2).
-- @tparam cwa.Client client (the method form `client:command(...)` passes it)
-- @int computer_id
-- @string text the command line, e.g. "ipconfig /all"
-- @tparam[opt] table opts shell ("cmd" or "powershell"), wait (default true),
--   timeout (seconds, 300), poll_interval (seconds, 2)
-- @treturn ?string the output
-- @treturn ?string the status ("Success", "Failed", ...)
-- @treturn table the command row as the server last returned it
-- @raise cwa.Error InvalidArgument for a bad id, text, shell or option (before any
--   request); InvalidResponse when the server answers without a command Id; the
--   errors of `Client:post` and `Client:get`
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
  local command_id = tonumber(field(row, "Id"))
  if opts.wait == false then return nil, field(row, "Status"), row end
  if not command_id then
    errors.raise("InvalidResponse", "CommandExecute answered without a command Id")
  end
  local deadline = scheduler.now() + timeout
  while not FINAL[tostring(field(row, "Status")):lower()] and scheduler.now() < deadline do
    scheduler.sleep(client, interval)
    row = client:get(base .. "/" .. math.tointeger(command_id))
  end
  return field(row, "Output"), field(row, "Status"), row
end

return actions
