--- Connection settings of the `cwa` command: flags, then the profile of the
-- config file, then the CONNECTWISE_AUTOMATE_* environment variables (see
-- `cwa.cli` for the file's form, and `cwa.env`).
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

--- Loads and checks a config file. Returns the config table, or nil when the
-- file does not exist. Raises a usage error on a broken file or a profile
-- that stores a secret.
function M.load_config(path)
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

-- The shell reads the secret, not Lua: Ctrl-C reaches it as well, and its
-- trap turns echo back on before it exits, whereas lua5.4's interrupt would
-- fire only after the read, with echo still off. The secret comes back
-- through the pipe, never through an argument or the environment.
local READ_SECRET = [[
trap 'stty echo </dev/tty; printf "\n" >&2; exit 130' INT TERM HUP
stty -echo </dev/tty
IFS= read -r line </dev/tty
status=$?
stty echo </dev/tty
printf "\n" >&2
[ "$status" -eq 0 ] || exit 1
printf '%s\n' "$line"
]]

local function read_secret(prompt)
  io.stderr:write(prompt)
  io.stderr:flush()
  local p = io.popen(READ_SECRET, "r")
  if not p then usage("cannot start sh to read the password") end
  local line = p:read("l")
  local _, _, code = p:close()
  if code == 130 then error("interrupted!", 0) end
  if not line then usage("no password was typed (the prompt needs a terminal)") end
  return line
end

--- Options for cwa.new from parsed arguments `a` (flags), the profile and the
-- environment (`getenv`, default os.getenv). Raises usage errors.
function M.connection(a, getenv)
  getenv = getenv or os.getenv
  local names = env.names
  local over = {}
  local extra = {}

  local path, explicit = M.config_path(getenv)
  local config = path and M.load_config(path)
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
  if a.rate_limit ~= nil then opts.rate_limit = a.rate_limit end
  -- 0 means "no limit" in a profile (and to callers of connection); the
  -- core spells that `false`.
  opts.rate_limit = options.rate(opts.rate_limit)
  if a.debug then
    opts.log = function(level, message)
      common.say("cwa ", tostring(level), ": ", tostring(message))
    end
  else
    -- Without --debug stderr keeps to the one error line: the core's
    -- warnings (a failed login, a retry) are in the error or not errors.
    opts.log = function() end
  end
  return opts
end

return M
