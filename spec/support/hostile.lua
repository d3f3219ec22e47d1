-- The spec side of the hostile server (spec/support/hostile_server.lua) and
-- of client runs in a child process, for the trust specs of issue 14.
--
--   local hostile = require "support.hostile"
--   local srv = hostile.start("cut_headers", {on = "page:2"})
--   finally(srv.stop)
--   local client = hostile.client(srv, {retries = 2})
--   ... srv.requests() -- every request the server received, in order
--
-- A call that may crash, hang or eat memory runs in a child lua5.4 under a
-- watchdog (hostile.child): a time limit (the hang guard) and an RSS limit,
-- with the outcome, the log lines and the peak RSS handed back.
local simmod = require "support.sim"
local cjson = require "cjson"
local socket = require "socket"

local M = {}

M.PASSWORD = "pw-SECRET-hunter2"
M.USERNAME = "api-user"
M.CLIENT_ID = "2b1c7e4e-hostile-spec"
-- Under ASan freed memory sits in a quarantine: RSS bounds do not hold.
M.UNDER_ASAN = (os.getenv("LD_PRELOAD") or ""):find("asan", 1, true) ~= nil
-- `make valgrind` runs each child under memcheck: CWA_CHILD_LUA names the
-- wrapper, CWA_CHILD_SLOWDOWN stretches the hang guards by its factor, and
-- memcheck's own memory makes the RSS bounds meaningless there.
local CHILD_LUA = os.getenv("CWA_CHILD_LUA") or "lua5.4"
local SLOWDOWN = tonumber(os.getenv("CWA_CHILD_SLOWDOWN")) or 1
M.UNDER_VALGRIND = CHILD_LUA ~= "lua5.4"

local build = os.getenv("CWA_BUILD") or "build"
local q = simmod.shell_quote
local read_file = simmod.read_file

local function decode_lines(text)
  local out = {}
  for line in (text or ""):gmatch("[^\n]+") do out[#out + 1] = cjson.decode(line) end
  return out
end

--- Starts the server with a scenario (a key of its table) and options (a
-- table, sent as JSON). Returns {url, port, requests(), data_requests(),
-- logins(), stop()}; the functions need no self.
function M.start(scenario, opts)
  local record = os.tmpname()
  local proc, out = simmod.spawn({"lua5.4", "spec/support/hostile_server.lua", scenario,
    cjson.encode(opts or {}), record}, function(o) return o:match("PORT %d+\n") end,
    -- the server is not under test: no sanitizer runtime in it
    "unset LD_PRELOAD; ")
  local port = tonumber(out:match("PORT (%d+)"))
  local srv = {port = port, url = "http://127.0.0.1:" .. port, proc = proc}
  function srv.requests() return decode_lines(read_file(record)) end
  function srv.data_requests()
    local out_list = {}
    for _, r in ipairs(srv.requests()) do
      if not r.login then out_list[#out_list + 1] = r end
    end
    return out_list
  end
  function srv.logins()
    local n = 0
    for _, r in ipairs(srv.requests()) do if r.login then n = n + 1 end end
    return n
  end
  function srv.stop()
    proc:stop()
    os.remove(record)
  end
  return srv
end

--- Client options for srv (a table without functions, so that it can go
-- to a child as JSON); extra is merged over them ("nil" removes one).
function M.options(srv, extra)
  local o = {server = srv.url, allow_http = true, username = M.USERNAME, password = M.PASSWORD,
    client_id = M.CLIENT_ID, rate_limit = false, retries = 2, timeout = 10, connect_timeout = 5,
    backoff_base = 0.01, backoff_cap = 0.05}
  for k, v in pairs(extra or {}) do
    if v == "nil" then o[k] = nil else o[k] = v end
  end
  return o
end

--- A client for srv in this process (see options).
function M.client(srv, extra)
  return require("cwa").new(M.options(srv, extra))
end

--- The fields of a cwa.Error as plain values (details encoded as JSON).
function M.error_fields(err)
  local cwa = require "cwa"
  if not cwa.is_error(err) then return nil end
  local details = err.details
  if type(details) == "table" then
    local ok, text = pcall(cjson.encode, details)
    details = ok and text or tostring(details)
  end
  return {code = err.code, message = err.message, text = tostring(err), details = details,
    status = err.status, attempts = err.attempts, url = err.url, method = err.method}
end

--- Runs fn and returns the cwa.Error it raised as error_fields (fails when
-- it succeeded or raised something else).
function M.error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  if ok then
    local shown = err
    if type(err) == "table" and #err > 0 then
      shown = #err .. " records"
    elseif type(err) == "table" then
      local okj, text = pcall(cjson.encode, err)
      shown = okj and text:sub(1, 200) or "a table"
    end
    error("expected a cwa.Error, got success returning " .. tostring(shown), 2)
  end
  local e = M.error_fields(err)
  assert(e, "expected a cwa.Error, got the Lua error: " .. tostring(err))
  return e
end

-- Child processes ------------------------------------------------------------

local PRELUDE = [[
package.path = "./lua/?.lua;./lua/?/init.lua;./spec/?.lua;" .. package.path
package.cpath = "./%s/?.so;" .. package.cpath
local cjson = require "cjson"
local cwa = require "cwa"
local hostile = require "support.hostile"
local ARGS = cjson.decode(%q)
local LOG = {}
local function log(level, line) LOG[#LOG + 1] = level .. ": " .. line end
local function client(extra)
  local o = {}
  for k, v in pairs(ARGS.client or {}) do o[k] = v end
  for k, v in pairs(extra or {}) do o[k] = v end
  if o.log == nil then o.log = log end
  return cwa.new(o)
end
local function body()
]]

local POSTLUDE = [[
end
local ok, value = pcall(body)
-- what the body got before it raised, when it kept it in PARTIAL
local out = {ok = ok, log = LOG, partial = rawget(_G, "PARTIAL")}
if ok then
  out.value = value
else
  out.error = hostile.error_fields(value)
  if not out.error then out.lua_error = tostring(value) end
end
local f = io.open("/proc/self/status", "r")
if f then
  out.hwm_kb = tonumber(f:read("a"):match("VmHWM:%s*(%d+)"))
  f:close()
end
local r = assert(io.open(arg[1], "w"))
local okj, text = pcall(cjson.encode, out)
if not okj then text = cjson.encode{ok = false, lua_error = "result not encodable: " .. tostring(text), log = LOG} end
r:write(text)
r:close()
]]

local function status_kb(pid, field)
  local s = read_file("/proc/" .. pid .. "/status")
  return s and tonumber(s:match(field .. ":%s*(%d+)"))
end

--- Runs `src` (the body of a function; it sees cwa, cjson, ARGS, LOG, log
-- and client(extra), a client made from ARGS.client with log capture) in
-- a child lua5.4; a global PARTIAL it sets is handed back as `partial`. limits: timeout (seconds, default 15), rss_mb (killed
-- past it, default 1500), env (shell text put before the command, e.g.
-- "export http_proxy=...;"). Returns the result table: ok, value | error
-- (error_fields) | lua_error, partial, log (lines), hwm_kb (peak RSS), elapsed,
-- exit (the exit status), timed_out, killed_rss, crashed (a signal
-- number), stderr.
function M.child(src, args, limits)
  limits = limits or {}
  local timeout, rss_kb = (limits.timeout or 15) * SLOWDOWN, (limits.rss_mb or 1500) * 1024 * SLOWDOWN
  local script, result, pidf, codef, errf = os.tmpname(), os.tmpname(), os.tmpname(), os.tmpname(), os.tmpname()
  local f = assert(io.open(script, "w"))
  f:write(PRELUDE:format(build, cjson.encode(args or {})), src, "\n", POSTLUDE)
  f:close()
  os.remove(codef)
  local inner = "echo $$ >" .. q(pidf) .. "; " .. (limits.env or "") .. "exec " .. CHILD_LUA .. " " .. q(script) .. " "
    .. q(result) .. " </dev/null >/dev/null 2>" .. q(errf)
  local outer = "(sh -c " .. q(inner) .. "; echo $? >" .. q(codef) .. ".tmp; mv " .. q(codef) .. ".tmp "
    .. q(codef) .. ") >/dev/null 2>&1 &"
  local started = socket.gettime()
  assert(os.execute(outer))
  local pid, code
  local timed_out, killed_rss, peak = false, false, 0
  while true do
    local c = read_file(codef)
    if c and c:match("%d") then
      code = tonumber(c:match("%d+"))
      break
    end
    pid = pid or (read_file(pidf) or ""):match("%d+")
    if pid then
      local hwm = status_kb(pid, "VmHWM")
      if hwm and hwm > peak then peak = hwm end
      local rss = status_kb(pid, "VmRSS")
      if not timed_out and not killed_rss then
        if rss and rss > rss_kb then
          killed_rss = true
          os.execute("kill -9 " .. pid .. " 2>/dev/null")
        elseif socket.gettime() - started > timeout then
          timed_out = true
          os.execute("kill -9 " .. pid .. " 2>/dev/null")
        end
      end
    end
    socket.sleep(0.02)
  end
  local elapsed = socket.gettime() - started
  local text = read_file(result)
  local r = text and text ~= "" and cjson.decode(text) or {ok = false}
  r.elapsed, r.exit, r.timed_out, r.killed_rss = elapsed, code, timed_out, killed_rss
  r.hwm_kb = math.max(r.hwm_kb or 0, peak)
  r.stderr = read_file(errf) or ""
  if code and code > 128 and not timed_out and not killed_rss then r.crashed = code - 128 end
  r.log = r.log or {}
  for _, path in ipairs{script, result, pidf, codef, errf} do os.remove(path) end
  return r
end

local function outcome(r)
  if r.timed_out then return ("killed after %.1f s: a hang"):format(r.elapsed) end
  if r.killed_rss then return ("killed at an RSS of %d MB: unbounded memory"):format(r.hwm_kb // 1024) end
  if r.crashed then return ("crashed with signal %d: %s"):format(r.crashed, r.stderr:sub(1, 300)) end
  if r.lua_error then return "raised a Lua error, not a cwa.Error: " .. r.lua_error end
  if r.error then return "raised " .. r.error.text end
  if r.ok then
    local shown = r.value
    if type(shown) == "table" then
      -- long lists are summed up, so that the other fields stay in view
      shown = {}
      for k, v in pairs(r.value) do
        shown[k] = type(v) == "table" and #v > 20 and ("<%d items>"):format(#v) or v
      end
    end
    local ok, text = pcall(cjson.encode, shown)
    return "succeeded, returning " .. (ok and text or tostring(r.value)):sub(1, 300)
  end
  return ("exited %s without a result: %s"):format(tostring(r.exit), r.stderr:sub(1, 300))
end

--- One line saying how a child run ended, for assertion messages.
function M.outcome(r)
  return ("%s (%.1f s, peak RSS %d MB)"):format(outcome(r), r.elapsed or 0, (r.hwm_kb or 0) // 1024)
end

--- Asserts that the child finished by itself (no hang, no crash, no memory
-- blow-up, no plain Lua error) and returns it.
function M.finished(r)
  assert(not r.timed_out and not r.killed_rss and not r.crashed and not r.lua_error
    and (r.ok or r.error), M.outcome(r))
  return r
end

--- Asserts the child raised a cwa.Error with one of the codes (a string or
-- a list) and returns the error fields.
function M.child_error(r, codes)
  M.finished(r)
  assert(r.error, "expected a cwa.Error, but the call " .. M.outcome(r))
  if type(codes) == "string" then codes = {codes} end
  if codes then
    local want = false
    for _, c in ipairs(codes) do want = want or r.error.code == c end
    assert(want, ("expected %s, got %s"):format(table.concat(codes, " or "), r.error.text))
  end
  return r.error
end

-- Secrets --------------------------------------------------------------------

--- Every text a cwa.Error (error_fields) or a child result shows.
function M.texts(...)
  local out = {}
  local function add(v)
    if type(v) == "string" then out[#out + 1] = v
    elseif type(v) == "table" then
      for _, k in ipairs{"code", "message", "text", "details", "url", "method", "lua_error", "stderr"} do
        if type(v[k]) == "string" then out[#out + 1] = v[k] end
      end
      if v.error then add(v.error) end
      for _, line in ipairs(v.log or {}) do out[#out + 1] = line end
      if v[1] then for _, s in ipairs(v) do add(s) end end
    end
  end
  for i = 1, select("#", ...) do add((select(i, ...))) end
  return out
end

local KINDS = {{"tok%-SECRET", "the access token"}, {"rt%-SECRET", "the refresh token"},
  {"pw%-SECRET", "the password"}, {"proxy%-SECRET", "the proxy password"}, {"SECRET", "a secret"}}

--- Asserts no secret appears in any text: the server's tokens and the
-- password all hold "SECRET"; `extra` lists other secrets (2FA codes...).
-- The failure names every kind of secret found and the first text.
function M.assert_clean(texts, extra)
  local found, first = {}, nil
  local function leak(what, text)
    if not found[what] then
      found[#found + 1] = what
      found[what] = true
    end
    first = first or text
  end
  for _, text in ipairs(texts) do
    local named = false
    for i, kind in ipairs(KINDS) do
      -- the last kind, any "SECRET", only when no other named it
      if text:find(kind[1]) and (i < #KINDS or not named) then
        leak(kind[2], text)
        named = true
      end
    end
    for _, s in ipairs(extra or {}) do
      if text:find(s, 1, true) then leak(("%q"):format(s), text) end
    end
  end
  assert(#found == 0, ("leaked %s in: %s"):format(table.concat(found, ", "), first and first:sub(1, 400)))
end

--- Seconds since an arbitrary point (for hang guards).
M.now = socket.gettime

return M
