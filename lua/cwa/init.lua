--- cwa: the ConnectWise Automate REST API client for Lua 5.4.
--
--     local cwa = require "cwa"
--     local client = cwa.from_env()
--     for c in client:computers{condition = "Status = 'Online'"} do print(c.ComputerName) end
--
-- The C core (`cwa.core`) logs in, refreshes tokens, retries, keeps to the rate
-- limit and fetches pages ahead of the loop; this layer names resources, maps
-- options to query parameters, builds conditions and wraps iterators.
-- Collections are always filtered by the server (the `condition` option),
-- never by the client.
-- @module cwa
local core = require "cwa.core"
local errors = require "cwa.errors"
local cond = require "cwa.cond"
local env = require "cwa.env"
local json = require "cwa.json"
local client_module = require "cwa.client"

--- Module fields.
-- @field VERSION the version of the package, e.g. "0.1.0" (the same as `cwa.core._VERSION` and the rockspec)
-- @field _VERSION "cwa " followed by the version
-- @field Error the metatable of every `cwa.Error` (see `cwa.errors`)
-- @field null the value JSON `null` decodes to (lua-cjson's `cjson.null`)
-- @field cond the condition builder module (`cwa.cond`)
-- @field RESOURCES the resource table: `{plural =, singular =, path =, id =}` for each resource
-- @field Client the metatable of the clients made by `new`
-- @table cwa
local cwa = {
  VERSION = core._VERSION,
  _VERSION = "cwa " .. core._VERSION,
  Error = errors.Error,
  is_error = errors.is_error,
  quote = cond.quote,
  where = cond.where,
  cond = cond,
  check_condition = cond.check,
  array = json.array,
  null = require("cjson").null,
  RESOURCES = client_module.RESOURCES,
  Client = client_module.Client,
}

--- True when v is a `cwa.Error` (see `cwa.errors.is_error`).
-- @function is_error
-- @param v any value
-- @treturn boolean
-- @usage local ok, err = pcall(client.get, client, "/Computers/1")
-- if not ok and cwa.is_error(err) and err.code == "NotFound" then print("gone") end

--- Quotes one value for a condition: strings (in `'`, with `''` for a quote),
-- numbers, booleans and dates.
-- @function quote
-- @param v a string, number, boolean or date value
-- @treturn string the condition text of the value
-- @raise cwa.Error InvalidArgument for nil, tables and other types
-- @usage cwa.quote("O'Brien") --> 'O''Brien'

--- Equality conditions joined with `and`, sorted by field name; a list value
-- becomes `Field in (...)`.
-- @function where
-- @tparam table fields field name to value (or list of values)
-- @treturn string the condition text
-- @raise cwa.Error InvalidArgument for a value that cannot be quoted
-- @usage client:computers{condition = cwa.where{Status = "Online", ["Client.Id"] = 100}}

--- Checks the syntax of a condition with the C parser, before any request.
-- By default the syntax current servers accept: `startswith`, `endswith`, a
-- general `not (...)` and quoted dates are refused with a hint (`like 'x%'`;
-- `not like`, `not in`, `not contains`; an unquoted date).
-- @function check_condition
-- @string s the condition text (or a condition value)
-- @string[opt="apitoken"] dialect "apicredentials" for the brief's syntax, "any" for either
-- @treturn[1] boolean true when the condition parses
-- @treturn[2] nil
-- @treturn[2] string a message naming the column of the fault
-- @treturn[2] integer the column
-- @raise cwa.Error InvalidArgument for an unknown dialect
-- @usage assert(cwa.check_condition("Status = 'Online' and Client.Id = 100"))
-- @usage assert(cwa.check_condition("Name startswith 'A'", "apicredentials"))

--- Marks a table to be encoded as a JSON array in bodies, empty or not
-- (lua-cjson writes an empty table as `{}`). The table is marked, not copied.
-- @function array
-- @tparam[opt] table t a list; nil makes a new empty one
-- @treturn table t
-- @raise cwa.Error InvalidArgument for a table with a metatable of its own
-- @usage client:post("/Some/Route", {EntityIds = cwa.array{}}) -- sends "EntityIds":[]

local invalid = errors.invalid

--- Makes a client. Options are those of DESIGN.md: `server`, `username`, `password`,
-- `two_factor`, `totp_secret`, `client_id`, `auth`, `page_size`, `retries`, `rate_limit`,
-- `concurrency`, `timeout`, `connect_timeout`, `verify_tls`, `ca_file`, `log` (plus `debug`,
-- `allow_http`, `token_cache`, `burst`, `max_wait`, `backoff_base`, `backoff_cap`, `proxy`,
-- `max_body`: bytes of an answer at most, decoded, default 64 MiB; `deadline`: seconds a call,
-- or each page of a listing, may take in all, default 300, false for none).
-- Nothing is sent until the first call; bad options raise InvalidArgument.
--
-- `wait = function(client) ... end` makes every call usable inside an event
-- loop: wherever a call would block (a request, the next page of an
-- iterator, a login, a pause between two polls of `run_script` or
-- `command`, `map`) it calls `wait(client)`, which returns once
-- `client:pollfd()` is readable or `client:timeout()` seconds have passed
-- (yielding to the loop meanwhile), then steps the client. `cqueues.poll`
-- is such a function; `examples/luv_listing.lua` writes one for luv.
-- @tparam table opts
-- @treturn cwa.Client
-- @raise cwa.Error InvalidArgument
-- @usage local client = cwa.new{server = "automate.example.com", username = "api", password = pw, client_id = id}
-- @usage local client = cwa.new{server = "http://127.0.0.1:8080", allow_http = true,
--   username = "u", password = "p", totp_secret = "JBSWY3DPEHPK3PXP"}
-- @usage local client = cwa.new{server = url, username = "u", password = pw, wait = cqueues.poll}
function cwa.new(opts)
  if type(opts) ~= "table" then invalid("cwa.new", "expected a table of options, got " .. type(opts)) end
  local wait = opts.wait
  if wait == nil then return client_module.wrap(core.new(opts)) end
  local mt = getmetatable(wait)
  if type(wait) ~= "function" and not (type(mt) == "table" and mt.__call) then
    invalid("cwa.new", "option 'wait': expected a function, got " .. type(wait))
  end
  local core_opts = {}
  for k, v in pairs(opts) do
    if k ~= "wait" then core_opts[k] = v end
  end
  return client_module.wrap(core.new(core_opts), wait)
end

--- A client from the `CONNECTWISE_AUTOMATE_*` environment variables (see `cwa.env`);
-- `overrides` are applied on top.
--
-- `session = true` keeps the token in the sessions file the `cwa` command's
-- `cwa auth login` writes (`$CWA_SESSION_FILE`, else
-- `$XDG_STATE_HOME/cwa/sessions.json`, else `~/.local/state/cwa/sessions.json`;
-- mode 0600, one entry per server, user and ClientId, never the password), so
-- that scripts run one after another log in once; `session = "NAME"` uses a
-- file of that name beside it (`sessions-NAME.json`), a path is used as is.
-- With a session, the password variable may be left unset while the stored
-- session lasts (it is refreshed where the server allows); a base32 TOTP
-- secret in `CONNECTWISE_AUTOMATE_2FA` renews it without a prompt.
-- @tparam[opt] table overrides options of `new` that replace those from the environment,
--   and `session`
-- @treturn Client
-- @raise cwa.Error InvalidArgument when a variable is missing or malformed (the
--   message names the variable, never a secret), or the session file may be read by others
-- @usage local client = cwa.from_env{page_size = 1000}
-- @usage local client = cwa.from_env{session = true} -- after `cwa auth login`
function cwa.from_env(overrides)
  overrides = overrides or {}
  local session = overrides.session
  if not session then
    local opts = env.options()
    for k, v in pairs(overrides) do if k ~= "session" then opts[k] = v end end
    return cwa.new(opts)
  end
  local opts = env.options(nil, {password_optional = true})
  for k, v in pairs(overrides) do if k ~= "session" then opts[k] = v end end
  local path = env.session_path(session, nil, true)
  if not path then invalid("cwa.from_env", "session: set XDG_STATE_HOME, HOME or CWA_SESSION_FILE") end
  opts.token_cache = path
  if opts.password == nil then
    if not env.session(cwa.new, opts, path) then
      local _, err = pcall(env.options)
      errors.raise("InvalidArgument", tostring(err.message or err) .. ", and " .. path
        .. " holds no live session for this server and user (run cwa auth login)", 2)
    end
    opts.password = ""
  end
  return cwa.new(opts)
end

local default_client
--- The client the module-level functions use: cwa.from_env() on first use.
-- @treturn Client
-- @raise cwa.Error InvalidArgument as `from_env`
-- @usage local token = cwa.default():token()
function cwa.default()
  if not default_client then default_client = cwa.from_env() end
  return default_client
end

--- Replaces the default client (nil forgets it).
-- @tparam[opt] Client client
-- @raise cwa.Error InvalidArgument when client is not a cwa client
-- @usage cwa.set_default(cwa.new{server = host, username = u, password = p})
-- for c in cwa.computers{limit = 10} do print(c.ComputerName) end
function cwa.set_default(client)
  if client ~= nil and getmetatable(client) ~= cwa.Client then
    invalid("cwa.set_default", "expected a cwa client")
  end
  default_client = client
end

--- Module functions on the default client.
-- Each calls the method of the same name on `default()`: `cwa.each`, `cwa.list`,
-- `cwa.count`, and for every resource the plural iterator and the singular
-- getter (`cwa.computers`, `cwa.computer`, `cwa.clients`, `cwa.client`, ...).
-- @section default

--- Iterates over a collection with the default client (see `Client:each`).
-- @function each
-- @string path
-- @tparam[opt] table opts
-- @raise cwa.Error as `Client:each`, and as `from_env` on first use
-- @usage for c in cwa.each("/Computers", {condition = "Status = 'Online'"}) do print(c.Id) end

--- Every record of a collection with the default client (see `Client:list`).
-- @function list
-- @string path
-- @tparam[opt] table opts
-- @treturn table
-- @usage local all = cwa.list("/Clients")

--- The number of matching records with the default client (see `Client:count`).
-- @function count
-- @string path
-- @tparam[opt] table opts
-- @treturn integer
-- @usage print(cwa.count("/Computers", {condition = "Status = 'Offline'"}))

--- Iterates over the computers with the default client; the other resources
-- have the same pair (`clients`/`client`, `locations`/`location`, `contacts`/`contact`,
-- `alerts`/`alert`, `scripts`/`script`, `monitors`/`monitor`, `groups`/`group`,
-- `tickets`/`ticket`).
-- @function computers
-- @tparam[opt] table opts the options of `Client:each`
-- @usage for c in cwa.computers{condition = "Client.Id = 100"} do print(c.ComputerName) end

--- One computer by id with the default client.
-- @function computer
-- @param id an integer or a string of decimal digits
-- @tparam[opt] table query
-- @treturn table the record
-- @raise cwa.Error NotFound, InvalidArgument for a bad id
-- @usage print(cwa.computer(42).ComputerName)

for _, r in ipairs(client_module.RESOURCES) do
  cwa[r.plural] = function(opts) return cwa.default()[r.plural](cwa.default(), opts) end
  cwa[r.singular] = function(id, query) return cwa.default()[r.singular](cwa.default(), id, query) end
end

function cwa.each(path, opts) return cwa.default():each(path, opts) end
function cwa.list(path, opts) return cwa.default():list(path, opts) end
function cwa.count(path, opts) return cwa.default():count(path, opts) end

return cwa
