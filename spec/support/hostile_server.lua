-- A broken or hostile Automate server for the trust specs (issue 14), run as
-- its own process by spec/support/hostile.lua:
--   lua5.4 spec/support/hostile_server.lua SCENARIO OPTIONS_JSON RECORD_FILE
-- It listens on 127.0.0.1 (a free port), prints "PORT n", and serves many
-- connections at once (socket.select) with keep-alive and Content-Length
-- bodies. Every request is appended to RECORD_FILE as one JSON line before
-- it is answered. The default behaviour is a plain apitoken server (login,
-- refresh, /Computers with offset and keyset paging, writes answered 200);
-- a scenario is a function that may answer a request its own way and
-- returns nil to leave it to the default.
--
-- Options of the default server: records (20), id_field ("Id"),
-- string_ids, odd_ids ({["5"] = id}), record_extra, ttl (token seconds,
-- 3600), token (a fixed AccessToken), token_bytes (a token that long),
-- two_factor (the login asks for a code), total (X-Total-Count text, or
-- the TotalRecordCount text with totals_in = "body"), extra_headers ({{name, value}}
-- on every data answer). Scenarios that misbehave on some requests only
-- pick them with on (see hit) and times.
local socket = require "socket"
local cjson = require "cjson"

local scenario_name, options_json, record_path = arg[1], arg[2], arg[3]
local opts = cjson.decode(options_json or "{}")
local BASE = "/cwa/api/v1"
local HEADER_RECORD_CAP = 65536 -- a 10 MB header is recorded by its start and size

local record_file = assert(io.open(record_path, "a"))
local state = {requests = 0, hits = {}, tokens = {}, logins = 0}

-- Helpers -------------------------------------------------------------------

local function iso(t)
  return os.date("!%Y-%m-%dT%H:%M:%S", math.floor(t)) .. (".%03dZ"):format(math.floor((t % 1) * 1000))
end

local function http_date(t)
  return os.date("!%a, %d %b %Y %H:%M:%S GMT", math.floor(t))
end

local function unescape(s)
  return (s:gsub("+", " "):gsub("%%(%x%x)", function(h) return string.char(tonumber(h, 16)) end))
end

local function parse_query(q)
  local t, list = {}, {}
  for pair in (q or ""):gmatch("[^&]+") do
    local k, v = pair:match("^([^=]*)=?(.*)$")
    k, v = unescape(k), unescape(v)
    t[k:lower()] = v
    list[#list + 1] = {k, v}
  end
  return t, list
end

local function json(status, value, headers)
  local h = {{"Content-Type", "application/json; charset=utf-8"}}
  for _, kv in ipairs(headers or {}) do h[#h + 1] = kv end
  return {status = status, headers = h, body = type(value) == "string" and value or cjson.encode(value)}
end

-- True for the requests the scenario misbehaves on (opts.on), at most
-- opts.times of them: "data" (every call but logins, the default), "login",
-- "get", "post", "patch", "write" (POST, PUT, PATCH), "page:N", "all".
local function hit(req)
  local on = opts.on or "data"
  local m
  if on == "all" then m = true
  elseif on == "login" then m = req.login
  elseif on == "data" then m = not req.login
  elseif on == "write" then m = not req.login and (req.method == "POST" or req.method == "PUT" or req.method == "PATCH")
  elseif on:match("^page:") then
    m = not req.login and req.method == "GET" and req.collection and tonumber(req.query.page or "1") == tonumber(on:sub(6))
  else m = not req.login and req.method == on:upper() end
  if not m then return false end
  state.hits[on] = (state.hits[on] or 0) + 1
  return opts.times == nil or state.hits[on] <= opts.times
end

-- Data ----------------------------------------------------------------------

local ID_FIELD = opts.id_field or "Id"

local function make_records()
  local list = {}
  for i = 1, opts.records or 20 do
    local id = i
    if opts.string_ids then id = ("c-%03d"):format(i) end
    if opts.odd_ids and opts.odd_ids[tostring(i)] then id = opts.odd_ids[tostring(i)] end
    local r = {ComputerName = "pc-" .. i, Status = "Online"}
    r[ID_FIELD] = id
    for k, v in pairs(opts.record_extra or {}) do r[k] = v end
    list[i] = r
  end
  return list
end
local records = make_records()

local function new_token()
  if opts.token then return opts.token end
  if opts.token_bytes then return "tok-SECRET-" .. ("x"):rep(opts.token_bytes) end
  state.logins = state.logins + 1
  return ("tok-SECRET-%d-%08x"):format(state.logins, math.random(0, 0x7fffffff))
end

local function login(req)
  local ttl = opts.ttl or 3600
  if opts.two_factor then
    local ok, body = pcall(cjson.decode, req.body)
    if not ok or type(body) ~= "table" or not body.TwoFactorPasscode then
      return json(200, {IsTwoFactorRequired = true})
    end
  end
  local tok = new_token()
  state.tokens[tok] = socket.gettime() + ttl
  if req.path:lower() == BASE:lower() .. "/apicredentials" then
    local rt = "rt-SECRET-" .. math.random(0, 0x7fffffff)
    state.refresh_token = rt
    return json(200, {AccessToken = tok, TokenType = "Bearer", ExpiresIn = ttl, RefreshToken = rt,
      UserID = 1, Username = "api"})
  end
  return json(200, {AccessToken = tok, TokenType = "Bearer", ExpirationDate = iso(socket.gettime() + ttl),
    AbsoluteExpirationDate = iso(socket.gettime() + 10 * ttl), UserId = "1", IsTwoFactorRequired = false})
end

local function authorized(req)
  local auth = req.header["authorization"] or ""
  local tok = auth:match("^Bearer (.*)$")
  local exp = tok and state.tokens[tok]
  return exp and socket.gettime() < exp
end

-- The records matching a keyset condition `<id> > last` (anywhere in it).
local function after_last(list, condition)
  local lit = condition and condition:match(ID_FIELD .. "%s*>%s*(%S+)")
  if not lit then return list end
  local n = tonumber(lit)
  local s = lit:match("^'(.*)'$") or lit:match('^"(.*)"$')
  local out = {}
  for _, r in ipairs(list) do
    local id = r[ID_FIELD]
    if (n and type(id) == "number" and id > n) or (s and type(id) == "string" and id > s) then
      out[#out + 1] = r
    end
  end
  return out
end

local function page_of(list, req, ignore_page)
  local size = tonumber(req.query.pagesize or "") or 50
  local page = ignore_page and 1 or (tonumber(req.query.page or "") or 1)
  local out = {}
  for i = (page - 1) * size + 1, math.min(page * size, #list) do out[#out + 1] = list[i] end
  if #out == 0 then out = setmetatable(out, cjson.array_mt) end
  return out
end

-- The listing of the default server, with the misbehaviours of the paging
-- scenarios as flags: ignore_page, ignore_condition, ignore_order.
local function listing(req, flags)
  flags = flags or {}
  local list = records
  if not flags.ignore_condition then list = after_last(list, req.query.condition) end
  if flags.ignore_order then
    local rev = {}
    for i = #list, 1, -1 do rev[#rev + 1] = list[i] end
    list = rev
  end
  local page = page_of(list, req, flags.ignore_page)
  local headers = {}
  for _, kv in ipairs(opts.extra_headers or {}) do headers[#headers + 1] = kv end
  if opts.total and (opts.totals_in or "header") == "header" then
    headers[#headers + 1] = {"X-Total-Count", tostring(opts.total)}
  end
  if opts.total and opts.totals_in == "body" then
    -- spliced as text: 9223372036854775807 stays that number
    return json(200, '{"ResultSet":' .. cjson.encode(page) .. ',"TotalRecordCount":' .. opts.total .. "}", headers)
  end
  return json(200, page, headers)
end

local function default(req)
  if req.login then return login(req) end
  if req.path:lower() == (BASE .. "/apitoken/refresh"):lower() then return login(req) end
  if not authorized(req) then
    return json(401, {Message = "Authorization has been denied for this request."})
  end
  local lower = req.path:lower()
  local headers = opts.extra_headers
  if req.method ~= "GET" then return json(200, {Id = 1, Status = "Queued"}, headers) end
  if req.collection then return listing(req) end
  local id = lower:match("^" .. BASE:lower() .. "/computers/([^/]+)$")
  if id then
    for _, r in ipairs(records) do
      if tostring(r[ID_FIELD]):lower() == id then return json(200, r, headers) end
    end
    return json(404, {Message = "No computer " .. id})
  end
  return json(404, {Message = "No route " .. req.path})
end

-- Echoes ----------------------------------------------------------------------

-- What a careless server or proxy repeats: every header it was sent, the
-- body, and the secrets it knows (opts.echo_extra, the refresh token).
-- The secrets come first, where the shortest excerpt still holds them.
local function echo_text(req)
  local parts = {}
  if req.header.authorization then parts[1] = "Authorization: " .. req.header.authorization end
  if req.body ~= "" then parts[#parts + 1] = "body: " .. req.body end
  for _, s in ipairs(opts.echo_extra or {}) do parts[#parts + 1] = "known: " .. s end
  if state.refresh_token then parts[#parts + 1] = "refresh: " .. state.refresh_token end
  for _, kv in ipairs(req.headers) do
    if kv[1]:lower() ~= "authorization" then parts[#parts + 1] = kv[1] .. ": " .. kv[2] end
  end
  return table.concat(parts, " | ")
end

local ECHO = {
  json400 = function(text) return json(400, {message = "invalid request: " .. text}) end,
  json500 = function(text)
    return json(500, {Message = "An error has occurred: " .. text, ModelState = {request = {text}}})
  end,
  text502 = function(text)
    return {status = 502, headers = {{"Content-Type", "text/plain"}}, body = "Bad gateway. You sent " .. text}
  end,
  html200 = function(text)
    return {status = 200, headers = {{"Content-Type", "text/html"}},
      body = "<html><head><title>Sign in " .. text .. "</title></head><body>" .. text .. "</body></html>"}
  end,
  malformed = function(text) return json(200, '[{"Id": 1, "Echo": "' .. text .. '"') end,
  redirect = function(text)
    return {status = 302, headers = {{"Location", "http://127.0.0.1:9/login?from=" .. text:gsub("[^%w%-%.]", "_")},
      {"Content-Type", "text/plain"}}, body = "moved"}
  end,
}

-- Scenarios -----------------------------------------------------------------

-- `[`, bytes spaces, `]` (valid JSON), gzipped by gzip(1).
local function gzip_of(bytes)
  local path = os.tmpname()
  local p = assert(io.popen("gzip -c -9 > " .. path, "w"))
  p:write("[")
  local chunk = (" "):rep(1 << 20)
  for _ = 1, bytes // #chunk do p:write(chunk) end
  p:write((" "):rep(bytes % #chunk), "]")
  p:close()
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  os.remove(path)
  return s
end

local scenarios = {}

function scenarios.normal() return nil end

-- A status line and part of the headers, then the connection closes.
function scenarios.cut_headers(req)
  if hit(req) then
    return {raw = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Le", close = true}
  end
end

-- The request arrives and the connection closes without a byte of answer.
function scenarios.drop(req)
  if hit(req) then return {close = true} end
end

function scenarios.empty_200(req)
  if hit(req) then return {status = 200, headers = {{"Content-Type", "application/json"}}, body = ""} end
end

function scenarios.ignore_page(req)
  if req.login or not req.collection or not authorized(req) then return nil end
  return listing(req, {ignore_page = true})
end

function scenarios.ignore_condition(req)
  if req.login or not req.collection or not authorized(req) then return nil end
  return listing(req, {ignore_condition = true})
end

function scenarios.ignore_order(req)
  if req.login or not req.collection or not authorized(req) then return nil end
  return listing(req, {ignore_order = true})
end

-- opts.status with opts.headers and opts.body (default: 503, Retry-After 1).
function scenarios.status(req)
  if hit(req) then
    return {status = opts.status or 503, headers = opts.headers or {{"Retry-After", "1"}},
      body = opts.body or '{"Message":"try later"}'}
  end
end

local bomb
function scenarios.gzip_bomb(req)
  if req.login or not hit(req) then return nil end
  bomb = bomb or gzip_of(opts.decoded_bytes or 100 << 20)
  return {status = 200, headers = {{"Content-Type", "application/json"}, {"Content-Encoding", "gzip"}}, body = bomb}
end

local big
function scenarios.big_body(req)
  if req.login or not hit(req) then return nil end
  big = big or ("[" .. (" "):rep(opts.bytes or 3 << 20) .. "]")
  return {status = 200, headers = {{"Content-Type", "application/json"}}, body = big}
end

function scenarios.big_header(req)
  if req.login or not hit(req) then return nil end
  return {status = 200, headers = {{"Content-Type", "application/json"}, {"X-Junk", ("a"):rep(opts.bytes or 1 << 20)}},
    body = "[]"}
end

-- opts.mode: a key of ECHO for data calls, or login400 / login403.
function scenarios.echo(req)
  local mode = opts.mode or "json400"
  if mode == "login400" and req.login then
    return json(400, {message = "The user name or password is incorrect: " .. echo_text(req)})
  elseif mode == "login403" and req.login then
    local body = cjson.decode(req.body ~= "" and req.body or "{}")
    if not body.TwoFactorPasscode then return json(200, {IsTwoFactorRequired = true}) end
    return json(403, {message = "Two-factor code rejected: " .. echo_text(req)})
  elseif ECHO[mode] and not req.login and authorized(req) then
    return ECHO[mode](echo_text(req))
  end
end

-- A server whose commands have only the item route (.../CommandExecute/77):
-- the spec's list route (?ids=77) is 404; the command is Sent on the first
-- two reads, then Success.
function scenarios.command_item_route(req)
  if req.login or not authorized(req) then return nil end
  local lower = req.path:lower()
  if not lower:match("^" .. BASE:lower() .. "/computers/%d+/commandexecute") then return nil end
  if req.method == "POST" then return json(200, {Id = 77, Status = "Pending"}) end
  if lower:match("/commandexecute/77$") then
    state.command_reads = (state.command_reads or 0) + 1
    if state.command_reads <= 2 then return json(200, {Id = 77, Status = "Sent"}) end
    return json(200, {Id = 77, Status = "Success", Output = "done"})
  end
  return json(404, {Message = "No route " .. req.path})
end

-- Control characters and terminal escapes in cells, column names, errors.
local EVIL = "\27]0;pwned\7\27[31mred\27[0m\8\r"
function scenarios.terminal(req)
  if req.login or not authorized(req) then return nil end
  if req.path:lower():find("/fail", 1, true) then
    return json(400, {message = "bad " .. EVIL .. " request"})
  end
  if req.path:lower():find("/retry", 1, true) then
    return json(500, {message = "broken " .. EVIL .. " server"})
  end
  local function evil(r)
    local out = {Id = r.Id, ["Na\27[2Jme"] = "pc" .. EVIL, Status = "On\27[5mline"}
    return out
  end
  if req.collection then
    local page = page_of(records, req)
    for i, r in ipairs(page) do page[i] = evil(r) end
    return json(200, page, {{"X-Total-Count", tostring(#records)}})
  end
  return json(200, evil(records[1]))
end

-- The HTTP server -----------------------------------------------------------

local handler = scenarios[scenario_name]
if not handler then
  io.stderr:write("hostile_server: unknown scenario ", tostring(scenario_name), "\n")
  os.exit(2)
end

local function record(req)
  local headers = {}
  for i, kv in ipairs(req.headers) do
    local v = kv[2]
    headers[i] = {kv[1], #v > HEADER_RECORD_CAP and v:sub(1, HEADER_RECORD_CAP) or v, #v}
  end
  record_file:write(cjson.encode{n = state.requests, conn = req.conn, method = req.method, target = req.target,
    path = req.path, query = req.query, query_list = req.query_list, headers = headers,
    body = #req.body > HEADER_RECORD_CAP and req.body:sub(1, HEADER_RECORD_CAP) or req.body,
    body_bytes = #req.body, login = req.login, time = socket.gettime()}, "\n")
  record_file:flush()
end

local function parse_head(head, conn_id)
  -- a bare LF ends a line too, as many servers and proxies read it
  local lines = {}
  for line in (head .. "\n"):gmatch("([^\n]*)\n") do lines[#lines + 1] = line:gsub("\r$", "") end
  local method, target = (lines[1] or ""):match("^(%S+) (%S+)")
  local req = {conn = conn_id, method = method or "?", target = target or "?", headers = {}, header = {}}
  for i = 2, #lines do
    local name, value = lines[i]:match("^([^:]*):%s*(.-)%s*$")
    if name then
      req.headers[#req.headers + 1] = {name, value}
      req.header[name:lower()] = value
    elseif lines[i] ~= "" then
      req.headers[#req.headers + 1] = {lines[i], ""}
    end
  end
  -- a proxy is sent absolute-form targets
  local path_q = req.target:gsub("^%a+://[^/]*", "")
  local path, q = path_q:match("^([^?]*)%??(.*)$")
  req.path = path or path_q
  req.query, req.query_list = parse_query(q)
  local lower = req.path:lower()
  req.login = req.method == "POST" and (lower == (BASE .. "/apitoken"):lower()
    or lower == (BASE .. "/apicredentials"):lower())
  req.collection = lower == (BASE .. "/computers"):lower()
  return req
end

local function format_response(resp)
  if resp.raw then return resp.raw end
  local out = {("HTTP/1.1 %d %s\r\n"):format(resp.status, resp.status < 400 and "OK" or "Error"),
    "Date: " .. http_date(os.time()) .. "\r\n", "Server: hostile\r\n"}
  local body = resp.body or ""
  for _, kv in ipairs(resp.headers or {}) do out[#out + 1] = kv[1] .. ": " .. kv[2] .. "\r\n" end
  out[#out + 1] = "Content-Length: " .. #body .. "\r\n\r\n"
  out[#out + 1] = body
  return table.concat(out)
end

local server = assert(socket.bind("127.0.0.1", 0))
server:settimeout(0)
local _, port = server:getsockname()
io.stdout:write("PORT ", port, "\n")
io.stdout:flush()

local conns, next_conn = {}, 0

local function close_conn(c)
  c.sock:close()
  conns[c.sock] = nil
end

-- Takes in bytes, and every complete request out of them. Only the new
-- bytes (with the last three before them) are searched for the end of the
-- headers, so a 10 MB header arrives in linear time.
local function on_data(c, data)
  local before = c.size
  c.parts[#c.parts + 1] = data
  c.size = c.size + #data
  if not c.head_end then
    local probe = c.tail .. data
    local e = probe:find("\r\n\r\n", 1, true)
    c.tail = probe:sub(-3)
    if not e then return end
    c.head_end = before - (#probe - #data) + e + 3
    local all = table.concat(c.parts)
    c.parts = {all}
    c.req = parse_head(all:sub(1, c.head_end - 4), c.id)
    c.need = c.head_end + (tonumber(c.req.header["content-length"] or "0") or 0)
  end
  if c.size < c.need then return end
  local all = table.concat(c.parts)
  local req = c.req
  req.body = all:sub(c.head_end + 1, c.need)
  c.parts, c.size, c.tail, c.head_end, c.req = {}, 0, "", nil, nil
  state.requests = state.requests + 1
  record(req)
  local resp = handler(req, state) or default(req)
  if resp.close and not resp.raw then
    c.closing = true
    return
  end
  c.out[#c.out + 1] = format_response(resp)
  if resp.close or (req.header["connection"] or ""):lower() == "close" then
    c.closing = true
    return
  end
  local rest = all:sub(c.need + 1)
  if #rest > 0 then on_data(c, rest) end
end

local function on_readable(c)
  local data, err, partial = c.sock:receive(1 << 16)
  data = data or partial
  if data and #data > 0 then on_data(c, data) end
  if err == "closed" then c.peer_closed = true end
end

local function on_writable(c)
  while c.out[1] do
    local s = c.out[1]
    local last, err, partial = c.sock:send(s, c.pos)
    last = last or partial
    if last and last >= #s then
      table.remove(c.out, 1)
      c.pos = 1
    else
      if last then c.pos = last + 1 end
      if err == "closed" then c.peer_closed = true end
      return
    end
  end
  if c.closing then close_conn(c) end
end

-- runs until the spec's helper kills it
while true do
  local readers, writers = {server}, {}
  for sock, c in pairs(conns) do
    if not c.closing then readers[#readers + 1] = sock end
    if c.out[1] then writers[#writers + 1] = sock end
  end
  local r, w = socket.select(readers, writers, 0.2)
  for _, sock in ipairs(r) do
    if sock == server then
      local s = server:accept()
      while s do
        s:settimeout(0)
        next_conn = next_conn + 1
        conns[s] = {sock = s, id = next_conn, parts = {}, size = 0, tail = "", out = {}, pos = 1}
        s = server:accept()
      end
    elseif conns[sock] then
      on_readable(conns[sock])
    end
  end
  for _, sock in ipairs(w) do
    if conns[sock] then on_writable(conns[sock]) end
  end
  for sock, c in pairs(conns) do
    if c.peer_closed and not c.out[1] then close_conn(c) end
    if c.closing and not c.out[1] and conns[sock] then close_conn(c) end
  end
end
