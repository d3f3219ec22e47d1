--- The `cwa.Client` class: a connection to one Automate server, its plain
-- requests, its collections (iterators, lists, counts), the resource pairs
-- (`computers`/`computer`, ...) and the actions. `cwa.new` makes clients
-- (`wrap` here); `cwa.Client` is the metatable.
-- @module cwa.client
local cond = require "cwa.cond"
local errors = require "cwa.errors"
local json = require "cwa.json"
local options = require "cwa.options"
local scheduler = require "cwa.scheduler"
local actions = require "cwa.actions"
local map = require "cwa.map"

local invalid = errors.invalid
local request = scheduler.request

local Client = {}
Client.__index = Client
Client.__name = "cwa.Client"

--- Resources: the plural iterator, the singular getter, the path and the id field.
local RESOURCES = {
  {plural = "computers", singular = "computer", path = "/Computers", id = "Id"},
  {plural = "clients", singular = "client", path = "/Clients", id = "Id"},
  {plural = "locations", singular = "location", path = "/Locations", id = "Id"},
  {plural = "contacts", singular = "contact", path = "/Contacts", id = "Id"},
  {plural = "alerts", singular = "alert", path = "/Alerts", id = "AlertId"},
  {plural = "scripts", singular = "script", path = "/Scripts", id = "Id"},
  {plural = "monitors", singular = "monitor", path = "/Monitors", id = "MonitorId"},
  {plural = "groups", singular = "group", path = "/Groups", id = "Id"},
  {plural = "tickets", singular = "ticket", path = "/Tickets", id = "TicketId"},
}

local ID_FIELDS = {}
for _, r in ipairs(RESOURCES) do ID_FIELDS[r.path:lower()] = r.id end

--- A client over a `cwa.core` client; its page size and concurrency are the
-- core's effective settings (the defaults are the core's).
-- @param cc the `cwa.core` client
-- @tparam[opt] function wait the host's wait function (the `wait` option of `cwa.new`)
-- @treturn Client
local function wrap(cc, wait)
  local settings = cc:settings()
  return setmetatable({_core = cc, _auth = settings.auth, _wait = wait, _waiters = {},
                       page_size = settings.page_size, concurrency = settings.concurrency}, Client)
end

--- A connection to one Automate server: token, rate limiter, retry policy and
-- the pages in flight. Made by `cwa.new` or `cwa.from_env`; a to-be-closed value.
-- @type Client

--- A short description without secrets: "cwa.Client".
-- @function Client:__tostring
-- @treturn string
function Client:__tostring()
  return "cwa.Client"
end

-- Closes the core client, after telling cqueues (when it is loaded) to
-- forget the descriptor: a controller that polled it updates its events
-- lazily and fails on a closed descriptor otherwise ("Bad file
-- descriptor"), as it would for any socket closed without cqueues.cancel.
function Client:_close_core()
  local cqueues = package.loaded.cqueues
  if type(cqueues) == "table" and cqueues.cancel then
    local ok, fd = pcall(self._core.pollfd, self._core)
    if ok then cqueues.cancel(fd) end
  end
  self._core:close()
end

--- Closes the client: cancels the pages and requests in flight and frees the
-- connections. Idempotent; also the `__close` metamethod, so
-- `local client <close> = cwa.new{...}` closes it at the end of the block.
-- On a client with a `wait` function, calls waiting in the host's loop wake
-- at once and raise `Cancelled`; the last of them closes the client, so the
-- loop never polls a closed descriptor. Calls made after close raise
-- InvalidArgument ("the client is closed").
-- @usage do
--   local client <close> = cwa.from_env()
--   print(client:count("/Computers"))
-- end
function Client:close()
  if next(self._waiters) then
    -- Calls wait in the host's loop, which polls the descriptor: wake them
    -- (they raise Cancelled) and let the last one close, so that the loop
    -- never polls a closed descriptor.
    self._closing = true
    self._core:interrupt()
    return
  end
  self:_close_core()
end
Client.__close = Client.close

--- The current token and its expiry (epoch seconds); logs in when needed.
-- @treturn string the access token (a secret: never print it)
-- @treturn number when it expires, in seconds since the epoch
-- @raise cwa.Error Unauthorized, TwoFactorRequired, Network, Timeout, TLS, InvalidResponse
-- @usage local _, expires = client:token(); print(os.date("!%c", math.floor(expires)))
function Client:token()
  return scheduler.token(self)
end

--- Ends the session: revokes the token on the server (`POST /apitoken/Disable`
-- on the apitoken dialect; the brief's APICredentials has no such route, so
-- there the token is only forgotten), then forgets the token and its
-- `token_cache` entry. Without a token it does nothing and sends nothing; the
-- next call logs in again. A token the server already refuses counts as
-- revoked. When the server fails to revoke it (a 500, the network), the token
-- is forgotten all the same and the error is raised: the server may accept
-- the token until it expires.
-- @raise cwa.Error ServerError, Network, Timeout, ... when the server did not revoke it
-- @usage client:logout()
function Client:logout()
  self._core:logout()
end

--- "apitoken" or "apicredentials" once the client has logged in.
-- @treturn ?string the dialect, nil before the first login
-- @usage client:token(); print(client:dialect())
function Client:dialect()
  return self._core:dialect()
end

--- The session the client holds, without a request: what its `token_cache`
-- entry gave when it was made, or its last login. Never the token.
-- @treturn ?table `expires` (epoch seconds), `absolute` (the server's
--   AbsoluteExpirationDate, when it gave one) and `dialect`; nil without a token
-- @usage local s = cwa.from_env{session = true}:session()
-- if s then print("session until " .. os.date("!%c", s.expires)) end
function Client:session()
  return self._core:session()
end

-- ---------------------------------------------------------------------------
-- Event loops: the cqueues polling protocol, so that `cqueues.poll(client)`
-- (or any loop that watches a descriptor and a timeout) can drive the client.

--- A descriptor that becomes readable when the client has network work to
-- do. Wait for it to be readable, or for `Client:timeout` to pass, then call
-- `Client:step`.
-- @treturn integer the descriptor (the client owns it: never close it)
-- @raise cwa.Error InvalidArgument in a process other than the one that made
--   the client (after fork)
-- @usage local fd = client:pollfd()
function Client:pollfd()
  return self._core:pollfd()
end

--- The events to wait for on `Client:pollfd`.
-- @treturn string "r"
function Client:events()
  return self._core:events()
end

--- Seconds until the client must be stepped even when its descriptor stays
-- quiet: libcurl's timer, a retry time, a rate-limit slot, a deadline, the
-- end of a pause between two polls of an action; 0 when a listing has a
-- page ready (the host gets a turn before each page) or when a call waiting
-- in the host's loop could go on (another coroutine's step brought its
-- answer).
-- @treturn ?number seconds, nil when only the descriptor matters
-- @usage local t = client:timeout()
function Client:timeout()
  local t = self._core:timeout()
  for waiter in pairs(self._waiters) do
    if waiter.ready and waiter.ready() then return 0 end
    if waiter.wake_at then
      local left = math.max(0, waiter.wake_at - scheduler.now())
      if not t or left < t then t = left end
    end
  end
  return t
end

--- Does all the work that is ready and never blocks: starts what may
-- start, reads what arrived, runs due timers. Calls on a client made with a
-- `wait` function call it after each return of that function.
-- @treturn boolean true when a request completed or a page arrived
-- @raise cwa.Error Cancelled after `cwa_client_interrupt`; InvalidArgument after fork
-- @usage client:step()
function Client:step()
  return self._core:step()
end

-- ---------------------------------------------------------------------------
-- Plain requests

local function encode_body(who, body)
  if body == nil then return nil end
  if type(body) == "string" then return body end
  if type(body) ~= "table" then invalid(who, "body must be a table or JSON text, got " .. type(body)) end
  return json.encode(who, body)
end

--- GET path (relative to /cwa/api/v1) with an optional query table.
-- @string path e.g. "/Computers/42"
-- @tparam[opt] table query parameter name to value (percent-encoded by the core)
-- @treturn any the decoded JSON body (nil for an empty answer), and the HTTP status
-- @treturn integer the HTTP status
-- @raise cwa.Error Unauthorized, Forbidden, NotFound, BadRequest, RateLimited,
--   ServerError, Network, Timeout, TLS, InvalidResponse; InvalidArgument before sending
-- @usage local computer = client:get("/Computers/42", {includeFields = "Id,ComputerName"})
function Client:get(path, query)
  return request(self, "GET", path, query)
end

--- POST a body (a table, encoded as JSON, or JSON text).
-- A POST is retried only when the server cannot have acted on it. An empty
-- table encodes as `{}`: mark a list with `cwa.array` to send `[]`.
-- @string path
-- @tparam[opt] table|string body
-- @tparam[opt] table query
-- @treturn any the decoded JSON answer
-- @treturn integer the HTTP status
-- @raise cwa.Error as `Client:get`; InvalidArgument for a body that cannot be encoded
-- @usage client:post("/Computers/42/CommandExecute", {ComputerId = 42, Command = {Id = 2}, Parameters = {"cmd.exe!!! /c ver"}})
function Client:post(path, body, query)
  return request(self, "POST", path, query, encode_body("post", body))
end

--- PUT a body (a table, encoded as JSON, or JSON text).
-- @string path
-- @tparam[opt] table|string body
-- @tparam[opt] table query
-- @treturn any the decoded JSON answer
-- @treturn integer the HTTP status
-- @raise cwa.Error as `Client:post`
-- @usage client:put("/Contacts/7", {Id = 7, FirstName = "Ann"})
function Client:put(path, body, query)
  return request(self, "PUT", path, query, encode_body("put", body))
end

--- PATCH with a JSON Patch array: {{op = "replace", path = "/Name", value = "x"}}.
-- Every PATCH route of the API takes one (Clients, Locations, Tickets, ...);
-- Computers have none.
-- @string path
-- @tparam table|string body
-- @tparam[opt] table query
-- @treturn any the decoded JSON answer
-- @treturn integer the HTTP status
-- @raise cwa.Error as `Client:post`
-- @usage client:patch("/Clients/7", {{op = "replace", path = "/Name", value = "ACME Ltd"}})
function Client:patch(path, body, query)
  return request(self, "PATCH", path, query, encode_body("patch", body))
end

--- DELETE path.
-- @string path
-- @tparam[opt] table query
-- @treturn any the decoded JSON answer (usually nil)
-- @treturn integer the HTTP status
-- @raise cwa.Error as `Client:get`
-- @usage client:delete("/Groups/12")
function Client:delete(path, query)
  return request(self, "DELETE", path, query)
end

-- ---------------------------------------------------------------------------
-- Collections

local COLLECTION_OPTIONS = {
  condition = true, page_size = true, order_by = true, fields = true, exclude_fields = true,
  expand = true, ids = true, limit = true, start_page = true, consistent = true,
  id_field = true, query = true,
}

local function field_list(who, v)
  if v == nil then return nil end
  if type(v) == "string" then return v end
  if type(v) ~= "table" then invalid(who, "expected a string or a list of strings, got " .. type(v)) end
  local parts = {}
  for i, f in ipairs(v) do
    if type(f) ~= "string" and math.type(f) ~= "integer" then
      invalid(who, ("item %d must be a string or an integer"):format(i))
    end
    parts[i] = tostring(f)
  end
  return table.concat(parts, ",")
end

-- A list of ids (a table, or a comma list in a string) as the `ids`
-- parameter: every item an id as `options.id` takes it.
local function id_list(who, v)
  local items = v
  if type(v) == "string" then
    items = {}
    for item in (v .. ","):gmatch("%s*([^,]-)%s*,") do items[#items + 1] = item end
  elseif type(v) ~= "table" then
    items = {v}
  elseif getmetatable(v) == nil then
    local n = 0
    for _ in pairs(v) do n = n + 1 end
    if n ~= #v then invalid(who, "expected a list of ids") end
  end
  if #items == 0 then invalid(who, "the list is empty (pass nil to list everything)") end
  local parts = {}
  for i, id in ipairs(items) do parts[i] = tostring(options.id(("%s: item %d"):format(who, i), id)) end
  return table.concat(parts, ",")
end

-- The query parameters the pager (page, pageSize) and the named options
-- set, lower-cased: given in `query` too, the URL would carry the key twice,
-- which servers answer 400 ("An item with the same key has already been added").
local RESERVED = {
  page = "start_page", pagesize = "page_size", condition = "condition", orderby = "order_by",
  includefields = "fields", excludefields = "exclude_fields", ids = "ids", expand = "expand",
}

-- The condition syntax a listing is checked against: the server's once the
-- client has logged in, the configured dialect, else current servers'.
local function check_dialect(self)
  local d = self._core:dialect()
  if d then return d end
  return self._auth == "apicredentials" and "apicredentials" or "apitoken"
end

local function has_field(list, field)
  for f in (list .. ","):gmatch("([^,]*),") do
    if f:lower() == field:lower() then return true end
  end
  return false
end

-- Maps the documented options onto the pager's options and query parameters.
local function pager_options(self, path, opts, who)
  if opts == nil then opts = {} end
  if type(opts) ~= "table" then invalid(who, "options must be a table, got " .. type(opts)) end
  for k in pairs(opts) do
    if not COLLECTION_OPTIONS[k] then invalid(who, "unknown option '" .. tostring(k) .. "'") end
  end
  local query = {}
  if opts.query ~= nil then
    if type(opts.query) ~= "table" then invalid(who, "query must be a table") end
    for k, v in pairs(opts.query) do
      local option = type(k) == "string" and RESERVED[k:lower()]
      if option then
        invalid(who, ("query: parameter '%s' is set by the option %s: pass {%s = ...}, not query"):format(
          k, option, option))
      end
      query[k] = v
    end
  end
  local po = {
    -- unset: the client's, which the core applies
    page_size = opts.page_size and options.integer(who .. ": page_size", opts.page_size, 1, 1000),
    start_page = opts.start_page and options.integer(who .. ": start_page", opts.start_page, 1) or 1,
    limit = opts.limit ~= nil and options.integer(who .. ": limit", opts.limit, 0) or nil,
    consistent = opts.consistent and true or false,
    id_field = opts.id_field or ID_FIELDS[path:lower()] or "Id",
    query = query,
  }
  if opts.condition ~= nil then
    local ok, text = pcall(cond.to_text, opts.condition)
    if not ok then invalid(who, "condition must be a string or a condition value") end
    -- an empty condition is a builder bug more often than a wish for everything
    if not text:find("%S") then invalid(who, "condition is empty (pass nil to list everything)") end
    local valid, message = cond.check(text, check_dialect(self))
    if not valid then invalid(who, "condition: " .. message) end
    po.condition = text
  end
  if opts.order_by ~= nil then
    if type(opts.order_by) ~= "string" then invalid(who, "order_by must be a string like 'Name asc'") end
    if po.consistent then
      invalid(who, "order_by cannot be combined with consistent = true (it orders by the id)")
    end
    query.orderBy = opts.order_by
  end
  for option, param in pairs{fields = "includeFields", exclude_fields = "excludeFields", expand = "expand"} do
    if opts[option] ~= nil then query[param] = field_list(who .. ": " .. option, opts[option]) end
  end
  if opts.ids ~= nil then query.ids = id_list(who .. ": ids", opts.ids) end
  if po.consistent and query.includeFields ~= nil and not has_field(query.includeFields, po.id_field) then
    query.includeFields = query.includeFields .. "," .. po.id_field
  end
  return po
end

--- Iterates over every record of a collection path, fetching pages ahead.
-- Returns a closing value: leaving the loop early cancels the pages in flight.
-- An error (after the retry policy is spent) is raised, never a silent end.
-- @string path e.g. "/Computers" or "/Computers/42/Software"
-- @tparam[opt] table opts `condition` (checked before sending, in the syntax of the
--   client's dialect once known, else current servers'), `page_size`, `order_by`, `fields`,
--   `exclude_fields`, `expand`, `ids` (integers or decimal strings, a list or a comma list),
--   `limit`, `start_page`, `consistent`, and `query` for other parameters (the keys that
--   the pager and these options set, page to expand, in any case, are refused)
-- @treturn function the iterator, giving one record (a table) a call
-- @return nil
-- @return nil
-- @return the pager, a to-be-closed value
-- @raise cwa.Error InvalidArgument for bad options (before any request); from the
--   loop, the errors of `Client:get`
-- @usage for c in client:each("/Computers", {condition = "Status = 'Online'"}) do ... end
function Client:each(path, opts)
  if type(path) ~= "string" then invalid("each", "path must be a string, got " .. type(path)) end
  local pager = self._core:pages(path, pager_options(self, path, opts, "each"))
  local records, i, n = nil, 0, 0
  local function iterate()
    i = i + 1
    if i <= n then return records[i] end
    repeat
      -- dropped first: otherwise the finished page stays alive while the
      -- next one is decoded, and a listing's peak holds two pages
      records = nil
      scheduler.await_page(self, pager)
      records = pager:next()
      if not records then
        n = 0
        return nil
      end
      n, i = #records, 1
    until n > 0
    return records[1]
  end
  return iterate, nil, nil, pager
end

--- Every record of a collection, as an array.
-- @string path
-- @tparam[opt] table opts the options of `Client:each`
-- @treturn table an array of records
-- @raise cwa.Error as `Client:each`
-- @usage local offline = client:list("/Computers", {condition = "Status = 'Offline'", fields = {"Id", "ComputerName"}})
function Client:list(path, opts)
  local out, n = {}, 0
  for rec in self:each(path, opts) do
    n = n + 1
    out[n] = rec
  end
  return out
end

--- How many records match: the server's total when it gives one, otherwise
-- pages of 1000 holding only the id field.
-- @string path
-- @tparam[opt] table opts the options of `Client:each`
-- @treturn integer
-- @raise cwa.Error as `Client:each`
-- @usage print(client:count("/Computers", {condition = "Client.Id = 100"}))
function Client:count(path, opts)
  opts = opts or {}
  if type(opts) ~= "table" then invalid("count", "options must be a table") end
  local o = {}
  for k, v in pairs(opts) do o[k] = v end
  local id_field = o.id_field or ID_FIELDS[tostring(path):lower()] or "Id"
  o.fields = o.fields or {id_field}
  o.page_size = o.page_size or 1000
  local po = pager_options(self, path, o, "count")
  po.window = 1 -- one page at a time: a total in the first answer ends it
  local pager <close> = self._core:pages(path, po)
  local n = 0
  while true do
    scheduler.await_page(self, pager)
    local records = pager:next()
    if not records then return n end
    local total = pager:total()
    if total and n == 0 then return total end
    n = n + #records
  end
end

--- Iterates over the computers (`/Computers`), fetching pages ahead.
-- The other resources have the same iterator and getter pair: `clients`/`client`
-- (`/Clients`), `locations`/`location`, `contacts`/`contact`, `alerts`/`alert`
-- (id field AlertId), `scripts`/`script`, `monitors`/`monitor` (MonitorId),
-- `groups`/`group`, `tickets`/`ticket` (TicketId).
-- @function Client:computers
-- @tparam[opt] table opts the options of `Client:each`
-- @return the iterator values of `Client:each`
-- @raise cwa.Error as `Client:each`
-- @usage for c in client:computers{condition = "Status = 'Online'", fields = "Id,ComputerName"} do
--   print(c.Id, c.ComputerName)
-- end

--- One computer by id (`GET /Computers/{id}`).
-- @function Client:computer
-- @param id an integer or a string of decimal digits (`42`, `"42"`)
-- @tparam[opt] table query e.g. `{includeFields = "Id,ComputerName"}`
-- @treturn table the record
-- @raise cwa.Error NotFound; InvalidArgument for a bad id; as `Client:get`
-- @usage local c = client:computer(42)

--- Runs a script on computers (see `cwa.actions.run_script`).
-- @function Client:run_script
-- @param computer_ids an id or a list of ids (integers or decimal strings)
-- @param script_id an integer or a decimal string
-- @tparam[opt] table params
-- @tparam[opt] table opts wait, timeout, poll_interval
-- @return the server's answer, or with `wait` one result per computer (status
--   "Completed", "NotLaunched" with the server's message, or "Running" at the timeout)
-- @raise cwa.Error as `Client:post`
-- @usage local results = client:run_script({42, 43}, 6001, {Name = "x"}, {wait = true})

--- Runs a command line on a computer (see `cwa.actions.command`).
-- @function Client:command
-- @param computer_id an integer or a decimal string
-- @string text
-- @tparam[opt] table opts shell, wait, timeout, poll_interval
-- @treturn ?string the output
-- @treturn ?string the status
-- @treturn table the command row
-- @raise cwa.Error Timeout when it has not finished in time; as `Client:post`
-- @usage local out = client:command(42, "ipconfig /all", {shell = "cmd"})

--- Runs `fn(item, i)` for every item, each in its own coroutine, with the
-- requests of all items in flight together (see `cwa.map.map`).
-- @function Client:map
-- @tparam table items an array
-- @tparam function fn called as `fn(item, i)`; its first result goes in the slot
-- @tparam[opt] table opts `concurrency`, `fail_fast`, `progress`
-- @treturn table the results in item order (`{error = err}` for an item that raised)
-- @raise cwa.Error InvalidArgument; with `fail_fast`, the first item's error
-- @usage local names = client:map({1, 2, 3}, function(id) return client:computer(id).ComputerName end)

--- Many GETs at once (see `cwa.map.get_many`).
-- @function Client:get_many
-- @tparam table requests paths, or `{path, query}` pairs
-- @tparam[opt] table opts as `Client:map`
-- @treturn table the decoded bodies in order (`{error = err}` for a failed one)
-- @raise cwa.Error InvalidArgument
-- @usage local a, b = table.unpack(client:get_many{"/Computers/1", "/Computers/2"})
for _, r in ipairs(RESOURCES) do
  local path, id_field = r.path, r.id
  Client[r.plural] = function(self, opts)
    if opts ~= nil and type(opts) ~= "table" then invalid(r.plural, "options must be a table") end
    local o = {id_field = id_field}
    for k, v in pairs(opts or {}) do o[k] = v end
    return self:each(path, o)
  end
  Client[r.singular] = function(self, id, query)
    return (self:get(path .. "/" .. options.id(r.singular, id), query))
  end
end

Client.run_script = actions.run_script
Client.command = actions.command
Client.map = map.map
Client.get_many = map.get_many

return {Client = Client, RESOURCES = RESOURCES, wrap = wrap}
