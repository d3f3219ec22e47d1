--- The `cwa` command: argument parsing (lua-argparse), connection settings
-- from flags, a profile or the environment, output formats and exit codes.
--
-- Exit codes: 0 ok, 1 API error (anything the server or the network said),
-- 2 usage error (bad flags, a bad condition, missing settings, an
-- InvalidArgument raised before any request was sent).
-- Errors are one line on stderr: "cwa: " followed by tostring of the error.
--
-- Connection settings, first found wins: flags, then the profile
-- (--profile NAME, or `default_profile` of the config file), then the
-- CONNECTWISE_AUTOMATE_* environment variables (see cwa.env). The config file
-- ($CWA_CONFIG, else $XDG_CONFIG_HOME/cwa/config.lua, else
-- ~/.config/cwa/config.lua) is Lua returning
--   { default_profile = "prod",
--     profiles = { prod = { server = "automate.example.com", username = "api",
--                           client_id = "GUID", password_env = "CWA_PROD_PASSWORD" } } }
-- Passwords come from password_env (a variable name) or password_command (a
-- shell command whose first output line is the password); a profile holding
-- a `password` in clear is refused.
--
-- Output: --format table | json | ndjson | csv. The default is `table` when
-- stdout is a terminal and `ndjson` otherwise (pipes get one JSON record a
-- line, written as pages arrive); $CWA_FORMAT changes the default.
-- @module cwa.cli

local argparse = require "argparse"
local cjson = require "cjson"
local format = require "cwa.format"
local progress = require "cwa.progress"

local cli = {}

local FORMATS = {table = true, json = true, ndjson = true, csv = true}

-- A usage error: reported in one line, exit code 2.
local Usage = {}
Usage.__index = Usage
Usage.__tostring = function(u) return u.message end

local function usage(message)
  error(setmetatable({message = message}, Usage), 0)
end
cli.usage = usage

local function is_usage(e)
  return getmetatable(e) == Usage
end

-- ---------------------------------------------------------------------------
-- Terminal

-- Asked once per descriptor: each question runs `test -t`.
local tty_cache = {}
local function isatty(fd)
  if tty_cache[fd] == nil then tty_cache[fd] = progress.isatty(fd) end
  return tty_cache[fd]
end

local function terminal_width()
  local cols = tonumber(os.getenv("COLUMNS") or "")
  if cols and cols >= 20 then return math.floor(cols) end
  local p = io.popen("stty size </dev/tty 2>/dev/null")
  if p then
    local line = p:read("l")
    p:close()
    local w = line and tonumber(line:match("^%d+%s+(%d+)"))
    if w and w >= 20 then return w end
  end
  return 100
end
cli.terminal_width = terminal_width

-- ---------------------------------------------------------------------------
-- Configuration file and profiles

local PROFILE_KEYS = {
  server = "string", username = "string", client_id = "string", auth = "string",
  ca_file = "string", verify_tls = "boolean", allow_http = "boolean", proxy = "string",
  password_env = "string", password_command = "string",
  two_factor_env = "string", totp_secret_env = "string",
  rate_limit = "number", concurrency = "number", timeout = "number", retries = "number",
  page_size = "number",
}
local SECRET_KEYS = {password = true, pass = true, two_factor = true, totp_secret = true, token = true}

--- The config file path: $CWA_CONFIG, $XDG_CONFIG_HOME/cwa/config.lua or
-- ~/.config/cwa/config.lua (nil when none can be named).
function cli.config_path(getenv)
  getenv = getenv or os.getenv
  local explicit = getenv("CWA_CONFIG")
  if explicit and explicit ~= "" then return explicit, true end
  local xdg = getenv("XDG_CONFIG_HOME")
  if xdg and xdg ~= "" then return xdg .. "/cwa/config.lua", false end
  local home = getenv("HOME")
  if home and home ~= "" then return home .. "/.config/cwa/config.lua", false end
  return nil, false
end

--- Loads and checks a config file. Returns the config table, or nil when the
-- file does not exist. Raises a usage error on a broken file or a profile
-- that stores a secret.
function cli.load_config(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  -- The file is data: it runs with no access to the standard library.
  local chunk, err = load(text, "@" .. path, "t", {})
  if not chunk then usage("config file " .. path .. ": " .. tostring(err)) end
  local ok, config = pcall(chunk)
  if not ok then usage("config file " .. path .. ": " .. tostring(config)) end
  if type(config) ~= "table" then usage("config file " .. path .. " must return a table") end
  local profiles = config.profiles
  if profiles == nil then profiles = {} end
  if type(profiles) ~= "table" then usage("config file " .. path .. ": 'profiles' must be a table") end
  for name, p in pairs(profiles) do
    local where = ("config file %s, profile '%s'"):format(path, tostring(name))
    if type(p) ~= "table" then usage(where .. " must be a table") end
    for k, v in pairs(p) do
      if SECRET_KEYS[k] then
        usage(where .. " stores '" .. tostring(k) .. "' in clear; cwa never reads secrets "
          .. "from its config: use password_env = \"VARIABLE\" or password_command = \"pass show ...\"")
      end
      local want = PROFILE_KEYS[k]
      if not want then usage(where .. ": unknown key '" .. tostring(k) .. "'") end
      if type(v) ~= want then usage(where .. ": '" .. k .. "' must be a " .. want) end
    end
  end
  config.profiles = profiles
  return config
end

local function run_command_line(cmd, what)
  local p = io.popen(cmd, "r")
  if not p then usage(what .. ": cannot run the command") end
  local line = p:read("l")
  local ok, _, code = p:close()
  if not ok then usage(what .. " failed (exit " .. tostring(code) .. ")") end
  if not line or line == "" then usage(what .. " printed nothing") end
  return line
end

local function read_secret(prompt)
  io.stderr:write(prompt)
  io.stderr:flush()
  os.execute("stty -echo 2>/dev/null")
  local line = io.read("l")
  os.execute("stty echo 2>/dev/null")
  io.stderr:write("\n")
  return line
end

--- Options for cwa.new from parsed arguments `a` (flags), the profile and the
-- environment (`getenv`, default os.getenv). Raises usage errors.
function cli.connection(a, getenv)
  getenv = getenv or os.getenv
  local env = require "cwa.env"
  local names = env.names
  local over = {}
  local extra = {}

  local path, explicit = cli.config_path(getenv)
  local config = path and cli.load_config(path)
  if a.profile and not config then
    usage("--profile " .. a.profile .. ": no config file "
      .. (path and ("at " .. path) or "(set CWA_CONFIG or HOME)")
      .. (explicit and "" or " (CWA_CONFIG names another)"))
  end
  local pname = a.profile or (config and config.default_profile)
  local profile
  if pname then
    profile = config.profiles[pname]
    if not profile then
      local known = {}
      for k in pairs(config.profiles) do known[#known + 1] = tostring(k) end
      table.sort(known)
      usage("no profile '" .. tostring(pname) .. "' in " .. path
        .. (#known > 0 and (" (profiles: " .. table.concat(known, ", ") .. ")") or ""))
    end
  end

  local function set(key, v)
    if v ~= nil then over[names[key]] = tostring(v) end
  end
  local password
  if profile then
    set("server", profile.server)
    set("username", profile.username)
    set("client_id", profile.client_id)
    set("auth", profile.auth)
    set("ca_file", profile.ca_file)
    set("proxy", profile.proxy == "" and "none" or profile.proxy)
    if profile.verify_tls ~= nil then extra.verify_tls = profile.verify_tls end
    if profile.allow_http ~= nil then extra.allow_http = profile.allow_http end
    if profile.password_env then
      password = getenv(profile.password_env)
      if not password or password == "" then
        usage("profile '" .. pname .. "': the variable " .. profile.password_env .. " is not set")
      end
    elseif profile.password_command then
      password = run_command_line(profile.password_command, "profile '" .. pname .. "': password_command")
    end
    if profile.two_factor_env then set("two_factor", getenv(profile.two_factor_env)) end
    if profile.totp_secret_env then set("two_factor", getenv(profile.totp_secret_env)) end
    for _, k in ipairs{"rate_limit", "concurrency", "timeout", "retries", "page_size"} do
      if profile[k] ~= nil then extra[k] = math.tointeger(profile[k]) or profile[k] end
    end
  end

  set("server", a.server)
  set("username", a.username)
  set("client_id", a.client_id)
  set("auth", a.auth)
  set("ca_file", a.ca_file)
  set("proxy", a.proxy == "" and "none" or a.proxy)
  set("two_factor", a.two_factor)
  if a.password_env then
    password = getenv(a.password_env)
    if not password or password == "" then usage("--password-env: the variable " .. a.password_env .. " is not set") end
  elseif a.password_command then
    password = run_command_line(a.password_command, "--password-command")
  end

  -- A user name from a flag or a profile takes its password from the same
  -- place, else from either password variable.
  if over[names.username] then
    password = password or getenv(names.password) or getenv(names.pass)
    if (not password or password == "") and isatty(0) and isatty(2) then
      password = read_secret("Password for " .. over[names.username] .. ": ")
    end
    over[names.password] = password or false
    over[names.user], over[names.pass] = false, false
  elseif password then
    over[names.password] = password
  end

  local ok, opts = pcall(env.options, function(n)
    local v = over[n]
    if v == false then return nil end
    if v ~= nil then return v end
    return getenv(n)
  end)
  if not ok then
    local msg = type(opts) == "table" and opts.message or tostring(opts)
    msg = msg:gsub("^cwa%.from_env: ", "")
    if msg:find(names.server .. " is not set", 1, true) then
      msg = "no server: give --server or --profile, or set " .. names.server
    elseif msg:find("no credentials", 1, true) then
      msg = "no credentials: give --username (password from --password-env, --password-command or "
        .. names.password .. "), --profile, or set " .. names.username .. " and " .. names.password
    end
    usage(msg)
  end
  for k, v in pairs(extra) do opts[k] = v end
  -- A user account that turns out to need a 2FA code is asked for one on a
  -- terminal (the core calls this only when the server wants a code).
  if not opts.two_factor and not opts.totp_secret and isatty(0) and isatty(2) then
    opts.two_factor = function()
      io.stderr:write("Two-factor code for ", opts.username or "?", ": ")
      io.stderr:flush()
      return (io.read("l") or ""):gsub("%s", "")
    end
  end
  if a.insecure then opts.verify_tls = false end
  if a.timeout then opts.timeout = a.timeout end
  if a.retries then opts.retries = a.retries end
  if a.rate_limit then opts.rate_limit = a.rate_limit end
  -- 0 means "no limit" on the command line and in the environment; the
  -- core spells that `false`.
  if opts.rate_limit == 0 then opts.rate_limit = false end
  if a.debug then
    opts.log = function(level, message)
      io.stderr:write("cwa ", level, ": ", message, "\n")
    end
  else
    -- Without --debug stderr keeps to the one error line: the core's
    -- warnings (a failed login, a retry) are in the error or not errors.
    opts.log = function() end
  end
  return opts
end

-- ---------------------------------------------------------------------------
-- Output

local function output_kind(a)
  if a.format then return a.format end
  local dflt = os.getenv("CWA_FORMAT")
  if dflt and FORMATS[dflt] then return dflt end
  return isatty(1) and "table" or "ndjson"
end

local function split_list(s)
  if s == nil then return nil end
  local out = {}
  for part in s:gmatch("[^,]+") do
    part = part:gsub("^%s+", ""):gsub("%s+$", "")
    if part ~= "" then out[#out + 1] = part end
  end
  return out
end

local function writer_options(a, kind)
  local o = {fields = split_list(a.fields), flatten = kind == "table" or kind == "csv"}
  if kind == "table" then o.width = isatty(1) and terminal_width() or 200 end
  if kind == "json" then o.pretty = true end
  return o
end

-- With --fields, a field whose value is an object (Client) is shown as its
-- sub-fields (Client.Id, Client.Name) in tables and CSV, as without --fields.
local function expand_fields(fields, rec)
  local out = {}
  for _, f in ipairs(fields) do
    local v = format.get(rec, f)
    if type(v) == "table" and next(v) ~= nil and not format.is_array(v) then
      local subs = {}
      for k in pairs(v) do
        if type(k) == "string" then subs[#subs + 1] = k end
      end
      table.sort(subs, format.key_less)
      for _, k in ipairs(subs) do out[#out + 1] = f .. "." .. k end
    else
      out[#out + 1] = f
    end
  end
  return out
end

-- A format.writer made at the first record, so that the columns can follow it.
local function record_writer(a, kind, wopts)
  wopts = wopts or writer_options(a, kind)
  local w
  local self = {}
  function self.write(_, rec)
    if not w then
      if wopts.fields and wopts.flatten then wopts.fields = expand_fields(wopts.fields, rec) end
      w = format.writer(kind, io.stdout, wopts)
    end
    return w:write(rec)
  end
  function self.close()
    if not w then w = format.writer(kind, io.stdout, wopts) end
    return w:close()
  end
  return setmetatable(self, {__close = function() self.close() end})
end

local function is_record_list(v)
  if type(v) ~= "table" or not format.is_array(v) then return false end
  for i = 1, #v do if type(v[i]) ~= "table" then return false end end
  return true
end

-- Writes any decoded answer: a list of records through a writer, one record
-- as an indented block (table), pretty JSON, one line (ndjson) or one row.
local function emit(a, value)
  local kind = output_kind(a)
  if value == nil then return end
  if is_record_list(value) then
    local w <close> = record_writer(a, kind)
    for _, rec in ipairs(value) do w:write(rec) end
    return
  end
  if type(value) ~= "table" then
    if kind == "json" or kind == "ndjson" then
      io.stdout:write(format.json(value), "\n")
    else
      io.stdout:write(format.value_text(value), "\n")
    end
    return
  end
  if kind == "table" then
    io.stdout:write(format.record(value))
  elseif kind == "json" then
    io.stdout:write(format.json(value, {pretty = true}), "\n")
  elseif kind == "ndjson" then
    io.stdout:write(format.json(value), "\n")
  else
    local w <close> = record_writer(a, "csv")
    w:write(value)
  end
end
cli.emit = emit

-- ---------------------------------------------------------------------------
-- Commands

local RESOURCE_HELP = {
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

local function check_condition_arg(text, flag)
  local cwa = require "cwa"
  local ok, message = cwa.check_condition(text)
  if not ok then usage((flag and (flag .. ": ") or "") .. "bad condition: " .. tostring(message)) end
end

local function collection_options(a)
  local o = {}
  if a.where then
    check_condition_arg(a.where, "--where")
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
    enabled = show and (a.progress or (isatty(2) and (kind == "table" or not isatty(1)))),
  }
  local w <close> = record_writer(a, kind)
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

local commands = {}

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
    check_condition_arg(a.where, "--where")
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
  local rows, open = {}, 0
  for i, r in ipairs(results) do
    rows[i] = {ComputerId = r.computer_id, Status = r.status, State = r.state, Message = r.message}
    if r.status ~= "Completed" then open = open + 1 end
  end
  local kind = output_kind(a)
  local w <close> = format.writer(kind, io.stdout, {
    fields = {"ComputerId", "Status", "State", "Message"},
    width = kind == "table" and (isatty(1) and terminal_width() or 200) or nil, pretty = kind == "json",
  })
  for _, r in ipairs(rows) do w:write(r) end
  w:close()
  if open > 0 then
    io.stderr:write(("cwa: %d of %d script runs did not finish within %gs\n")
      :format(open, #rows, a.timeout_wait or 300))
    return 1
  end
  return 0
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
  if output then io.stdout:write(output, output:sub(-1) == "\n" and "" or "\n") end
  if tostring(status):lower() ~= "success" then
    io.stderr:write("cwa: the command ended with status ", tostring(status), "\n")
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
  io.stdout:write(("Logged in to %s as %s (%s dialect).\n"):format(conn.server, conn.username, dialect))
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
for plural in pairs(RESOURCE_HELP) do commands[plural] = resource_command(plural) end

-- ---------------------------------------------------------------------------
-- The parser

local function positive_integer(name)
  return function(s)
    local n = math.tointeger(tonumber(s))
    if not n or n < 0 then return nil, name .. " must be a whole number >= 0, got '" .. s .. "'" end
    return n
  end
end

local function positive_number(name)
  return function(s)
    local n = tonumber(s)
    if not n or n <= 0 or n ~= n then return nil, name .. " must be a positive number, got '" .. s .. "'" end
    return n
  end
end

local function add_listing_options(cmd)
  cmd:option("-w --where", "Condition the server filters by, e.g. \"Status = 'Online'\".")
    :argname("<condition>")
  cmd:option("--fields", "Comma-separated fields to fetch and show (includeFields).")
    :argname("<list>")
  cmd:option("--exclude-fields", "Comma-separated fields to leave out (excludeFields).")
    :argname("<list>")
  cmd:option("--order-by", "Sort order, e.g. 'Name asc'."):argname("<order>")
  cmd:option("--limit", "Stop after this many records."):argname("<n>"):convert(positive_integer("--limit"))
  cmd:option("--page-size", "Records per request (1-1000, default 250)."):argname("<n>"):convert(positive_integer("--page-size"))
  cmd:option("--start-page", "First page to fetch."):argname("<n>"):convert(positive_integer("--start-page"))
  cmd:option("--expand", "Comma-separated related records to expand."):argname("<list>")
  cmd:option("--ids", "Comma-separated ids to fetch."):argname("<list>")
  cmd:flag("--consistent", "Page by id (stable while records are added or removed).")
end

local function example(cmd, text)
  cmd:epilog("Example:\n  " .. text)
  return cmd
end

function cli.parser()
  local p = argparse("cwa", "ConnectWise Automate REST API client.")
    :command_target("command")
    :help_max_width(100)
  p:epilog([[
Connection: flags, else the profile (--profile, config file $CWA_CONFIG or
~/.config/cwa/config.lua), else CONNECTWISE_AUTOMATE_SERVER, _USERNAME,
_PASSWORD (or _USER, _PASS, _2FA), _CLIENT_ID, _AUTH, _CA_FILE, _VERIFY_TLS.
Connection and output options may come before or after the command.
Exit codes: 0 ok, 1 API error, 2 usage error.

Examples:
  cwa computers --where "Status = 'Offline'" --fields Id,ComputerName --format csv
  cwa --profile prod count computers --where "Client.Name = 'ACME Corporation'"
  cwa run-script 42 "Flush DNS Cache" --wait]])
  p:flag("--version", "Print the version and exit."):action(function()
    local cwa = require "cwa"
    io.stdout:write("cwa ", cwa.VERSION, "\n")
    os.exit(0)
  end)
  p:option("-s --server", "Automate server: host name, https://host:port or http://127.0.0.1:port.")
    :argname("<host>")
  p:option("-u --username", "User name (the password comes from --password-env, --password-command, the environment or a prompt).")
    :argname("<name>")
  p:option("--password-env", "Name of the environment variable holding the password."):argname("<VAR>")
  p:option("--password-command", "Shell command that prints the password."):argname("<CMD>")
  p:option("--2fa", "Two-factor code (6-8 digits) or base32 TOTP secret."):target("two_factor"):argname("<CODE>")
  p:option("--client-id", "ClientId header (required by current servers)."):argname("<guid>")
  p:option("--auth", "Login dialect."):choices{"auto", "apitoken", "apicredentials"}
  p:option("--ca-file", "PEM file of the CA to trust."):argname("<file>")
  p:flag("-k --insecure", "Do not verify the TLS certificate.")
  p:option("--proxy", "HTTP(S) proxy URL, or none (default: https_proxy / no_proxy from the environment).")
    :argname("<url>")
  p:option("--timeout", "Seconds a request may take (default 60)."):argname("<seconds>"):convert(positive_number("--timeout"))
  p:option("--retries", "Retries of a failing request (default 5)."):argname("<n>"):convert(positive_integer("--retries"))
  p:option("--rate-limit", "Requests a minute (default 60; 0 = no limit)."):argname("<n>"):convert(positive_integer("--rate-limit"))
  p:option("-p --profile", "Profile of the config file to use."):argname("<name>")
  p:option("-f --format", "Output format (default: table on a terminal, else ndjson).")
    :choices{"table", "json", "ndjson", "csv"}
  p:flag("-q --quiet", "No progress line.")
  p:flag("--progress", "Show the progress line even when stderr is not a terminal.")
  p:flag("--debug", "Log every request, retry and wait on stderr.")

  local names = {}
  for plural in pairs(RESOURCE_HELP) do names[#names + 1] = plural end
  table.sort(names)
  for _, plural in ipairs(names) do
    local h = RESOURCE_HELP[plural]
    local cmd = p:command(plural):summary("List " .. h[1]:lower() .. ", or show one by id.")
      :description(h[1] .. ": every record matching --where, or the one record ID.")
    cmd:argument("id", "Show only this record."):args("?")
    add_listing_options(cmd)
    example(cmd, h[2])
  end

  local list = p:command("list"):summary("List any collection path.")
  list:argument("path", "Collection path, e.g. /Computers/42/Software.")
  add_listing_options(list)
  example(list, "cwa list /Computers/42/Software --fields Name,Version")

  local get = p:command("get"):summary("GET a path and print the answer.")
  get:argument("path", "Path below /cwa/api/v1, e.g. /Computers/42.")
  get:option("--query", "Query parameter name=value (repeatable)."):count("*"):argname("<k=v>")
  get:option("--fields", "Fields to show (table and csv).")
  example(get, "cwa get /Computers --query pageSize=5 --query orderBy='Id desc'")

  for _, m in ipairs{"post", "put", "patch"} do
    local c = p:command(m):summary(m:upper() .. " a JSON body to a path.")
    c:argument("path", "Path below /cwa/api/v1.")
    c:argument("body", "JSON text, @FILE, or - for stdin.")
    c:option("--fields", "Fields to show (table and csv).")
    example(c, m == "patch" and "cwa patch /Clients/3 '[{\"op\":\"replace\",\"path\":\"/Name\",\"value\":\"ACME\"}]'"
      or ("cwa " .. m .. " /Tickets '{\"Subject\":\"Printer offline\",\"ClientId\":1}'"))
  end
  local del = p:command("delete"):summary("DELETE a path.")
  del:argument("path", "Path below /cwa/api/v1.")
  example(del, "cwa delete /Tickets/12")

  local count = p:command("count"):summary("Count the records of a resource.")
  count:argument("resource", "computers, alerts, ... or a path.")
  count:option("-w --where", "Condition the server filters by."):argname("<condition>")
  example(count, "cwa count computers --where \"Status = 'Offline'\"")

  local rs = p:command("run-script"):summary("Run a script on computers.")
  rs:argument("computer", "Computer id, name, or comma-separated list of them.")
  rs:argument("script", "Script id or name.")
  rs:argument("params", "Script parameters name=value."):args("*")
  rs:flag("--wait", "Wait for the results and print them.")
  rs:option("--wait-timeout", "Seconds to wait (default 300)."):target("timeout_wait")
    :convert(positive_number("--wait-timeout"))
  rs:option("--poll-interval", "Seconds between polls (default 2)."):convert(positive_number("--poll-interval"))
  example(rs, "cwa run-script 42,43 'Flush DNS Cache' --wait")

  local cmd = p:command("command"):summary("Run a command line on a computer.")
  cmd:argument("computer", "Computer id or name.")
  cmd:argument("text", "The command line.")
  cmd:option("--shell", "cmd or powershell (default cmd)."):choices{"cmd", "powershell"}
  cmd:flag("--no-wait", "Print the queued command instead of waiting for its output.")
  cmd:option("--wait-timeout", "Seconds to wait (default 300)."):target("timeout_wait")
    :convert(positive_number("--wait-timeout"))
  cmd:option("--poll-interval", "Seconds between polls (default 2)."):convert(positive_number("--poll-interval"))
  example(cmd, "cwa command 42 'ipconfig /all'")

  local cc = p:command("check-condition"):summary("Check the syntax of a condition.")
  cc:argument("text", "The condition.")
  example(cc, "cwa check-condition \"Status = 'Online' and Client.Id in (1, 2)\"")

  local login = p:command("login"):summary("Log in and print the token's expiry (never the token).")
  example(login, "cwa --profile prod login")

  local shell = p:command("shell"):summary("Interactive Lua prompt with `cwa` and a connected `client`.")
  shell:option("-e --execute", "Run this Lua chunk first."):count("*")
  example(shell, "echo 'print(#client:list(\"/Computers\"))' | cwa shell")

  return p
end

-- ---------------------------------------------------------------------------
-- main

local function check_condition_command(a)
  local cwa = require "cwa"
  local ok, message, column = cwa.check_condition(a.text)
  if ok then
    io.stdout:write("ok\n")
    return 0
  end
  io.stderr:write("cwa: bad condition: ", tostring(message), "\n")
  if column then
    -- The condition with a caret under the fault, for the eye.
    io.stdout:write(a.text, "\n", string.rep(" ", math.max(0, column - 1)), "^\n")
  end
  return 2
end

local function dispatch(a)
  if a.command == "check-condition" then return check_condition_command(a) end
  local cwa = require "cwa"
  if a.command == "shell" then
    local ok, conn = pcall(cli.connection, a)
    local client
    if ok then
      client = cwa.new(conn)
    else
      io.stderr:write("cwa: not connected: ", tostring(conn), "\n")
    end
    return require("cwa.shell").run{client = client, execute = a.execute, width = terminal_width}
  end
  local conn = cli.connection(a)
  local client <close> = cwa.new(conn)
  local name = a.command:gsub("%-", "_")
  local handler = commands[name]
  return handler(client, a, conn) or 0
end

--- Runs the command line `argv` (a list of strings); returns the exit code.
function cli.main(argv)
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local parser = cli.parser()
  local ok, a = parser:pparse(args)
  if not ok then
    io.stderr:write("cwa: ", tostring(a), " (see cwa --help)\n")
    return 2
  end
  if a.command == nil then
    io.stderr:write(parser:get_usage(), "\n")
    return 2
  end
  local cwa = require "cwa"
  local result
  local done, err = xpcall(function() result = dispatch(a) end, function(e)
    if is_usage(e) or cwa.is_error(e) then return e end
    return setmetatable({message = tostring(e), trace = debug.traceback(tostring(e), 2)}, {
      __tostring = function(x) return x.message end,
    })
  end)
  io.stdout:flush()
  if done then return result or 0 end
  if is_usage(err) then
    io.stderr:write("cwa: ", err.message, "\n")
    return 2
  end
  if cwa.is_error(err) then
    io.stderr:write((tostring(err):gsub("\n", " ")), "\n")
    return err.code == "InvalidArgument" and 2 or 1
  end
  -- lua5.4 turns Ctrl-C into the error "interrupted!" (the progress line
  -- and open pagers were closed on the way out).
  if tostring(err):find("interrupted!$") then
    io.stderr:write("cwa: interrupted\n")
    return 130
  end
  io.stderr:write("cwa: ", (tostring(err):gsub("\n", " ")), "\n")
  if a.debug and type(err) == "table" and err.trace then io.stderr:write(err.trace, "\n") end
  return 1
end

return cli
