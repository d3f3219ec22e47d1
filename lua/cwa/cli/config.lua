--- Connection settings of the `cwa` command: flags, then --profile NAME,
-- then the CONNECTWISE_AUTOMATE_* environment variables, then the default
-- profile (see `cwa.cli` for the order and the file's form, and `cwa.env`),
-- and the stored session (`cwa auth login`) that stands in for the password.
-- @module cwa.cli.config
local common = require "cwa.cli.common"
local env = require "cwa.env"
local options = require "cwa.options"

local usage, isatty = common.usage, common.isatty

local M = {}

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
function M.config_path(getenv)
  getenv = getenv or os.getenv
  local explicit = getenv("CWA_CONFIG")
  if explicit and explicit ~= "" then return explicit, true end
  local xdg = getenv("XDG_CONFIG_HOME")
  if xdg and xdg ~= "" then return xdg .. "/cwa/config.lua", false end
  local home = getenv("HOME")
  if home and home ~= "" then return home .. "/.config/cwa/config.lua", false end
  return nil, false
end

-- Why profile p (named name) cannot be used, or nil.
local function profile_fault(where, p)
  if type(p) ~= "table" then return where .. " must be a table" end
  for k, v in pairs(p) do
    if SECRET_KEYS[k] then
      return where .. " stores '" .. tostring(k) .. "' in clear; cwa never reads secrets "
        .. "from its config: use password_env = \"VARIABLE\" or password_command = \"pass show ...\""
    end
    local want = PROFILE_KEYS[k]
    if not want then return where .. ": unknown key '" .. tostring(k) .. "'" end
    if type(v) ~= want then return where .. ": '" .. k .. "' must be a " .. want end
  end
  return nil
end

--- Checks the text of a config file (read from `path`). Returns the config
-- table: `profiles` holds the usable profiles, `faults` the message of each
-- profile that cannot be used (one bad profile does not block the others:
-- its fault is raised when it is used). Raises a usage error when the file
-- itself is broken.
function M.parse_config(text, path)
  -- The file is data: it runs with no access to the standard library.
  local chunk, err = load(text, "@" .. path, "t", {})
  if not chunk then usage("config file " .. path .. ": " .. tostring(err)) end
  local ok, config = pcall(chunk)
  if not ok then usage("config file " .. path .. ": " .. tostring(config)) end
  if type(config) ~= "table" then usage("config file " .. path .. " must return a table") end
  local profiles = config.profiles
  if profiles == nil then profiles = {} end
  if type(profiles) ~= "table" then usage("config file " .. path .. ": 'profiles' must be a table") end
  if config.default_profile ~= nil and type(config.default_profile) ~= "string" then
    usage("config file " .. path .. ": 'default_profile' must be a string")
  end
  local good, faults = {}, {}
  for name, p in pairs(profiles) do
    local fault = profile_fault(("config file %s, profile '%s'"):format(path, tostring(name)), p)
    if fault then faults[tostring(name)] = fault else good[name] = p end
  end
  config.profiles, config.faults = good, faults
  return config
end

--- Loads and checks a config file (see `parse_config`); nil when the file
-- does not exist.
function M.load_config(path)
  local f = io.open(path, "r")
  if not f then return nil end
  local text = f:read("a")
  f:close()
  if not text then usage("config file " .. path .. " cannot be read (a directory?)") end
  return M.parse_config(text, path)
end

--- The sorted names of every profile of a config, usable or not.
function M.profile_names(config)
  local names = {}
  for k in pairs(config.profiles) do names[#names + 1] = tostring(k) end
  for k in pairs(config.faults) do names[#names + 1] = k end
  table.sort(names)
  return names
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

-- The shell reads the answer, not Lua: Ctrl-C reaches it as well, and its
-- trap turns echo back on before it exits, whereas lua5.4's interrupt would
-- fire only after the read, with echo still off. The secret comes back
-- through the pipe, never through an argument or the environment. $1 is
-- -echo for a password, echo for a 2FA code (shown, as other tools do).
local READ_ANSWER = [[
trap 'stty echo </dev/tty; printf "\n" >&2; exit 130' INT TERM HUP
stty "$1" </dev/tty
IFS= read -r line </dev/tty
status=$?
stty echo </dev/tty
[ "$1" = echo ] || printf "\n" >&2
[ "$status" -eq 0 ] || { [ "$1" = echo ] && printf "\n" >&2; exit 1; }
printf '%s\n' "$line"
]]

-- Asks on the terminal. Ctrl-C ends the run with 130 here: the shell has
-- restored the terminal, and an error raised from the core's two_factor
-- call would come back as a failed login. The end of input (Ctrl-D) is a
-- usage error naming `what`.
local function ask(prompt, what, hidden)
  io.stderr:write(prompt)
  io.stderr:flush()
  local p = io.popen("set -- " .. (hidden and "-echo" or "echo") .. "\n" .. READ_ANSWER, "r")
  if not p then usage("cannot start sh to read the " .. what) end
  local line = p:read("l")
  local _, _, code = p:close()
  if code == 130 then
    io.stderr:write("cwa: interrupted\n")
    os.exit(130, true)
  end
  if not line then usage("no " .. what .. " was typed (the prompt needs a terminal)") end
  return line
end

-- The profile the settings come from: --profile NAME; else the config's
-- default_profile, unless CONNECTWISE_AUTOMATE_SERVER is set (an explicit
-- server is never overridden by a default: a note says so when the two
-- name different servers). Returns the profile and its name, or nil.
local function choose_profile(a, getenv)
  local path, explicit = M.config_path(getenv)
  local config = path and M.load_config(path)
  if a.profile and not config then
    usage("--profile " .. a.profile .. ": no config file "
      .. (path and ("at " .. path) or "(set CWA_CONFIG or HOME)")
      .. (explicit and "" or " (CWA_CONFIG names another)"))
  end
  local pname = a.profile or (config and config.default_profile)
  if not pname then return nil end
  if config.faults[pname] then usage(config.faults[pname]) end
  local profile = config.profiles[pname]
  if not profile then
    local known = M.profile_names(config)
    usage("no profile '" .. tostring(pname) .. "' in " .. path
      .. (#known > 0 and (" (profiles: " .. table.concat(known, ", ") .. ")") or ""))
  end
  local env_server = getenv(env.names.server)
  if not a.profile and env_server and env_server ~= "" and not a.server then
    if profile.server and profile.server ~= env_server then
      common.say("cwa: note: ", env.names.server, " is set: the default profile '", pname,
        "' (", profile.server, ") is not used (give --profile ", pname, " to use it)")
    end
    return nil
  end
  return profile, pname
end

-- Where the password comes from, as a function: strict, it raises a usage
-- error for a source that yields nothing and runs a password_command;
-- otherwise it reads variables only, and gives nil.
local function password_source(a, profile, pname, getenv, fallback)
  local function from_var(var, what, strict)
    local v = getenv(var)
    if (not v or v == "") and strict then usage(what .. "the variable " .. var .. " is not set") end
    return v ~= "" and v or nil
  end
  return function(strict)
    if a.password_env then return from_var(a.password_env, "--password-env: ", strict) end
    -- Typed on this command line, it is run even while a session lasts: a
    -- password given is never thrown away (the session may be refused).
    if a.password_command then return run_command_line(a.password_command, "--password-command") end
    if profile and profile.password_env then
      return from_var(profile.password_env, "profile '" .. pname .. "': ", strict)
    end
    if profile and profile.password_command then
      return strict and run_command_line(profile.password_command, "profile '" .. pname .. "': password_command") or nil
    end
    if fallback then
      local v = getenv(env.names.password) or getenv(env.names.pass)
      return v ~= "" and v or nil
    end
    return nil
  end
end

--- Options for cwa.new from parsed arguments `a` (flags), the profile, the
-- environment (`getenv`, default os.getenv) and the stored session. `mode`
-- "login" always keeps the session file and wants a password; "session"
-- (auth status, auth logout) never asks for one; nil (every other command)
-- uses a live session when there is one, else the password. Returns the
-- options, the profile's name, and whether a live session is all there is
-- (no password). Raises usage errors.
function M.connection(a, getenv, mode)
  getenv = getenv or os.getenv
  local names = env.names
  local over = {}
  local extra = {}
  local profile, pname = choose_profile(a, getenv)

  local function set(key, v)
    if v ~= nil then over[names[key]] = tostring(v) end
  end
  if profile then
    set("server", profile.server)
    set("username", profile.username)
    set("client_id", profile.client_id)
    set("auth", profile.auth)
    set("ca_file", profile.ca_file)
    set("proxy", profile.proxy == "" and "none" or profile.proxy)
    if profile.verify_tls ~= nil then extra.verify_tls = profile.verify_tls end
    if profile.allow_http ~= nil then extra.allow_http = profile.allow_http end
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

  -- A user name from a flag or a profile takes its password from the same
  -- place, else from either password variable.
  local own_user = over[names.username] ~= nil
  if own_user then over[names.password], over[names.user], over[names.pass] = false, false, false end
  local password = password_source(a, profile, pname, getenv, own_user)

  local ok, opts = pcall(env.options, function(n)
    local v = over[n]
    if v == false then return nil end
    if v ~= nil then return v end
    return getenv(n)
  end, {password_optional = true})
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
  if a.insecure then opts.verify_tls = false end
  if a.timeout then opts.timeout = a.timeout end
  if a.retries then opts.retries = a.retries end
  if a.rate_limit ~= nil then opts.rate_limit = a.rate_limit end
  -- 0 means "no limit" in a profile (and to callers of connection); the
  -- core spells that `false`.
  opts.rate_limit = options.rate(opts.rate_limit)

  -- The session: a live one stands in for the password (and its prompt).
  local spath = env.session_path(nil, getenv, mode == "login")
  if mode and not spath then usage("no place for sessions: set XDG_STATE_HOME, HOME or CWA_SESSION_FILE") end
  local live = mode ~= "login" and spath and env.session(require("cwa").new, opts, spath)
  -- Once a sessions file exists (cwa auth login made it), every command
  -- keeps its account's session there: refreshed, or renewed by a new login
  -- (with a TOTP secret, without a prompt).
  local kept = spath and io.open(spath, "r")
  if kept then kept:close() end
  if mode or live or kept then opts.token_cache = spath end
  opts.password = opts.password or password(not live and mode ~= "session")
  if not opts.password and mode ~= "session" and not live then
    if isatty(0) and isatty(2) then
      opts.password = ask("Password for " .. opts.username .. ": ", "password", true)
    else
      usage("no password for " .. opts.username .. ": give --password-env or --password-command, set "
        .. names.password .. ", or run cwa auth login")
    end
  end
  -- With a session and no password a refused session cannot be replaced:
  -- the caller says so instead of the server's "invalid password".
  local session_only = live and not opts.password
  opts.password = opts.password or ""

  -- A user account that turns out to need a 2FA code is asked for one on a
  -- terminal (the core calls this only when the server wants a code).
  if not opts.two_factor and not opts.totp_secret and mode ~= "session" and isatty(0) and isatty(2) then
    opts.two_factor = function()
      -- lua5.4 sees the Ctrl-C too, and may raise "interrupted!" first
      local ok, code = pcall(ask, "Two-factor code for " .. opts.username .. ": ", "two-factor code")
      if not ok and tostring(code):find("interrupted!$") then
        io.stderr:write("cwa: interrupted\n")
        os.exit(130, true)
      end
      -- the end of input is a usage error, as at the password prompt: the
      -- core would make it TwoFactorRequired
      if not ok and common.is_usage(code) then
        common.say("cwa: ", code.message)
        os.exit(2, true)
      end
      if not ok then error(code, 0) end
      return (code:gsub("%s", ""))
    end
  end
  if a.debug then
    opts.log = function(level, message)
      common.say("cwa ", tostring(level), ": ", tostring(message))
    end
  else
    -- Without --debug stderr keeps to the one error line: the core's
    -- warnings (a failed login, a retry) are in the error or not errors.
    opts.log = function() end
  end
  return opts, profile and pname, session_only
end

return M
