--- Options for cwa.new from the CONNECTWISE_AUTOMATE_* environment variables.
--
--   CONNECTWISE_AUTOMATE_SERVER       server (required)
--   CONNECTWISE_AUTOMATE_USERNAME     integrator user name  } one pair is
--   CONNECTWISE_AUTOMATE_PASSWORD     integrator password   } required;
--   CONNECTWISE_AUTOMATE_USER         user name             } USERNAME wins
--   CONNECTWISE_AUTOMATE_PASS         user password         } when both set
--   CONNECTWISE_AUTOMATE_2FA          6-8 digit code -> two_factor,
--                                     base32 secret (>= 16) -> totp_secret
--   CONNECTWISE_AUTOMATE_CLIENT_ID    client_id (the ClientId header)
--   CONNECTWISE_AUTOMATE_AUTH         auto | apitoken | apicredentials
--   CONNECTWISE_AUTOMATE_CA_FILE      ca_file
--   CONNECTWISE_AUTOMATE_VERIFY_TLS   verify_tls (0/false/no/off, 1/true/yes/on)
--   CONNECTWISE_AUTOMATE_ALLOW_HTTP   allow_http (same booleans)
--   CONNECTWISE_AUTOMATE_RATE_LIMIT   rate_limit (requests a minute; 0/off -> false)
--   CONNECTWISE_AUTOMATE_CONCURRENCY  concurrency (integer >= 1)
--   CONNECTWISE_AUTOMATE_PROXY        proxy (a URL; none/off/0/false -> "", no
--                                     proxy; unset: libcurl's https_proxy etc.)
--
-- The 2FA variable applies to either pair. Empty variables count as unset.
-- Messages name variables, never the value of a secret.
--
-- Sessions (`cwa.from_env{session = true}` and the `cwa` command's `auth
-- login`) live in one token_cache file, one entry per server, user and
-- ClientId, mode 0600, never a password: $CWA_SESSION_FILE, else
-- $XDG_STATE_HOME/cwa/sessions.json, else ~/.local/state/cwa/sessions.json
-- (state, not cache: deleting it logs you out). `session = "NAME"` uses
-- sessions-NAME.json in the same directory; a value holding a `/` is a path.

local errors = require "cwa.errors"
local options = require "cwa.options"

local env = {}

local P = "CONNECTWISE_AUTOMATE_"
local WHO = "cwa.from_env: "

env.names = {
  server = P .. "SERVER", username = P .. "USERNAME", password = P .. "PASSWORD",
  user = P .. "USER", pass = P .. "PASS", two_factor = P .. "2FA",
  client_id = P .. "CLIENT_ID", auth = P .. "AUTH", ca_file = P .. "CA_FILE",
  verify_tls = P .. "VERIFY_TLS", allow_http = P .. "ALLOW_HTTP",
  rate_limit = P .. "RATE_LIMIT", concurrency = P .. "CONCURRENCY",
  proxy = P .. "PROXY",
}

local function bad(message)
  errors.raise("InvalidArgument", WHO .. message, 3)
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

local function parsed(name, s, value, what)
  if value == nil then bad(name .. " must be " .. what .. " (got " .. string.format("%q", s) .. ")") end
  return value
end

local AUTH = {auto = true, apitoken = true, apicredentials = true}

--- Reads the variables through getenv (a function, default os.getenv, or a
-- table of name = value) and returns an options table for cwa.new.
-- With `how.password_optional` a user name without its password is not an
-- error: `password` is left nil (a stored session may stand in for it).
function env.options(getenv, how)
  getenv = getenv or os.getenv
  local lookup
  if type(getenv) == "table" then
    lookup = function(name) return getenv[name] end
  elseif type(getenv) == "function" then
    lookup = getenv
  else
    errors.raise("InvalidArgument",
      "cwa.env.options: getenv must be a function or a table, got " .. type(getenv), 2)
  end
  local function get(name)
    local v = lookup(name)
    if v == nil then return nil end
    if type(v) ~= "string" then v = tostring(v) end
    v = trim(v)
    if v == "" then return nil end
    return v
  end

  local optional = how and how.password_optional
  local n = env.names
  local opts = {}
  opts.server = get(n.server)
  if not opts.server then
    bad(n.server .. " is not set (the Automate server, e.g. automate.example.com)")
  end

  local username = get(n.username)
  if username then
    opts.username = username
    opts.password = get(n.password)
    if not opts.password and not optional then bad(n.username .. " is set but " .. n.password .. " is not") end
  else
    local user = get(n.user)
    if user then
      opts.username = user
      opts.password = get(n.pass)
      if not opts.password and not optional then bad(n.user .. " is set but " .. n.pass .. " is not") end
    else
      bad("no credentials: set " .. n.username .. " and " .. n.password
        .. " (integrator) or " .. n.user .. " and " .. n.pass .. " (user, with "
        .. n.two_factor .. " when needed)")
    end
  end

  local tfa = get(n.two_factor)
  if tfa then
    local compact = tfa:gsub("[%s%-]", "")
    if compact:match("^%d%d%d%d%d%d%d?%d?$") then
      opts.two_factor = compact
    else
      local secret = compact:upper():gsub("=+$", "")
      if #secret >= 16 and secret:match("^[A-Z2-7]+$") then
        opts.totp_secret = secret
      else
        bad(n.two_factor .. " must be a 6-8 digit code or a base32 TOTP secret "
          .. "(letters A-Z and digits 2-7, at least 16)")
      end
    end
  end

  opts.client_id = get(n.client_id)

  local auth = get(n.auth)
  if auth then
    if not AUTH[auth:lower()] then
      bad(n.auth .. " must be auto, apitoken or apicredentials (got "
        .. string.format("%q", auth) .. ")")
    end
    opts.auth = auth:lower()
  end

  opts.ca_file = get(n.ca_file)

  local proxy = get(n.proxy)
  if proxy then
    local word = proxy:lower()
    opts.proxy = (options.parse_boolean(word) == false or word == "none") and "" or proxy
  end

  local verify = get(n.verify_tls)
  if verify then opts.verify_tls = parsed(n.verify_tls, verify, options.parse_boolean(verify)) end
  local allow = get(n.allow_http)
  if allow then opts.allow_http = parsed(n.allow_http, allow, options.parse_boolean(allow)) end

  -- cwa.new takes a positive rate or false (no client-side limit); 0, off,
  -- false, no and none all mean false here.
  local rate = get(n.rate_limit)
  if rate then opts.rate_limit = parsed(n.rate_limit, rate, options.parse_rate(rate)) end

  -- The upper bound is the core's, checked by cwa.new.
  local conc = get(n.concurrency)
  if conc then opts.concurrency = parsed(n.concurrency, conc, options.parse_integer(conc, 1)) end

  return opts
end

--- The sessions file: `name` true (or nil) for the default one, a name
-- ([A-Za-z0-9_.-]) for sessions-NAME.json beside it, or a path (holding a
-- `/`). With `create` its directory is made (mode 0700) when missing. nil
-- when neither XDG_STATE_HOME nor HOME names a place.
function env.session_path(name, getenv, create)
  getenv = getenv or os.getenv
  local function get(k)
    local v = getenv(k)
    return v ~= "" and v or nil
  end
  local path
  if type(name) == "string" and name:find("/", 1, true) then
    path = name
  elseif name ~= nil and name ~= true and not (type(name) == "string" and name:match("^[%w_.%-]+$")) then
    errors.raise("InvalidArgument", WHO .. "session must be true, a name (letters, digits, _ . -) or a path", 3)
  else
    local dir = get("XDG_STATE_HOME") or (get("HOME") and get("HOME") .. "/.local/state")
    if name == nil or name == true then path = get("CWA_SESSION_FILE") end
    if not path then
      if not dir then return nil end
      path = dir .. "/cwa/" .. ((name == nil or name == true) and "sessions.json" or ("sessions-" .. name .. ".json"))
    end
  end
  local dir = create and path:match("^(.*)/[^/]*$")
  if dir and dir ~= "" then
    local probe = io.open(dir .. "/.", "r")
    if probe then
      probe:close()
    else
      os.execute("mkdir -p -m 700 '" .. dir:gsub("'", "'\\''") .. "' 2>/dev/null")
    end
  end
  return path
end

--- The live session `path` holds for the server, user and ClientId of
-- `opts` (its expires, absolute and dialect: see Client:session), or nil.
-- Sends nothing: a client is made with the file as its token_cache (`new`,
-- i.e. cwa.new) and asked. A file others may read raises InvalidArgument.
function env.session(new, opts, path)
  local probe = {}
  for k, v in pairs(opts) do probe[k] = v end
  probe.password = opts.password or ""
  probe.token_cache = path
  probe.log = nil
  local client <close> = new(probe)
  return client:session()
end

return env
