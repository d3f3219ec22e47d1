-- Talking to a cwa-sim through the curl command line, for the specs that test
-- the simulator itself (not the client):
--   local curl = require("support.curl")
--   local status, body, headers = curl.request(sim, "GET", "/__stats")
--   local api = curl.client(sim, curl.login(sim).AccessToken)
--   local status, list, headers, text = api.get("/Computers?pageSize=5")
local simlib = require("support.sim")
local cjson = require("cjson")

local M = {}

M.CLIENT_ID = "ClientId: 2c6c4a1e-8d0e-4f59-9f37-0b1f6a1d2e3f"
local quote = simlib.shell_quote

-- The decoded JSON text, or nil when it is not JSON.
function M.decode(text)
  local ok, v = pcall(cjson.decode, text)
  if ok then return v end
  return nil
end

-- Percent-encodes a query value.
function M.enc(s)
  return (tostring(s):gsub("[^%w%-_%.~]", function(c) return string.format("%%%02X", c:byte()) end))
end

-- lua-cjson may decode integers as floats: ids go into paths through this.
function M.id(x)
  return string.format("%d", math.tointeger(tonumber(x)) or error("not an integer id: " .. tostring(x)))
end

-- One curl call; returns status (0 when nothing came back), body, headers
-- (lowercased names) and curl's exit code. opts: headers (list of "Name:
-- value"), body (JSON text), base (instead of sim.url), max_time, cacert,
-- verify (no -k).
function M.request(sim, method, path, opts)
  opts = opts or {}
  local hdr = os.tmpname()
  local args = {"curl", "-s", "-o", "-", "-D", quote(hdr), "-w", "'\\n%{http_code}'", "-X", method}
  if opts.max_time then args[#args + 1] = "-m " .. opts.max_time end
  if opts.cacert then
    args[#args + 1] = "--cacert " .. quote(opts.cacert)
  elseif not opts.verify then
    args[#args + 1] = "-k"
  end
  for _, h in ipairs(opts.headers or {}) do args[#args + 1] = "-H " .. quote(h) end
  if opts.body then
    args[#args + 1] = "-H 'Content-Type: application/json' --data-binary " .. quote(opts.body)
  end
  args[#args + 1] = quote((opts.base or sim.url) .. path)
  local p = assert(io.popen(table.concat(args, " ") .. "; printf '\\n%s' $?"))
  local out = p:read("a")
  p:close()
  local body, code, rc = out:match("^(.*)\n(%d+)\n(%d+)$")
  local headers = {}
  for line in (simlib.read_file(hdr) or ""):gmatch("[^\r\n]+") do
    local k, v = line:match("^([^:]+):%s*(.*)$")
    if k then headers[k:lower()] = v end
  end
  os.remove(hdr)
  return tonumber(code) or 0, body or out, headers, tonumber(rc)
end

-- POST /apitoken; returns the decoded answer, status, headers. opts: user,
-- password, code, headers (default: the ClientId header).
function M.login(sim, opts)
  opts = opts or {}
  local body = {UserName = opts.user or "integrator", Password = opts.password or "integrator-pass",
    TwoFactorPasscode = opts.code}
  local status, text, headers = M.request(sim, "POST", "/cwa/api/v1/apitoken",
    {body = cjson.encode(body), headers = opts.headers or {M.CLIENT_ID}})
  return M.decode(text), status, headers
end

-- An API client bound to one sim and one token: call(method, path, body,
-- extra_headers) and get(path, extra_headers) under /cwa/api/v1, or under
-- `root` (e.g. "/cwa/api/v2") when given; each returns status, decoded body,
-- headers, raw text and curl's exit code.
function M.client(sim, token, root)
  local c = {}
  root = root or "/cwa/api/v1"
  function c.call(method, path, body, extra)
    local headers = {M.CLIENT_ID, "Authorization: Bearer " .. token}
    for _, h in ipairs(extra or {}) do headers[#headers + 1] = h end
    local status, text, hdrs, rc = M.request(sim, method, root .. path, {body = body, headers = headers})
    return status, M.decode(text), hdrs, text, rc
  end
  function c.get(path, extra) return c.call("GET", path, nil, extra) end
  return c
end

local function days_from_civil(y, m, d)
  y = m <= 2 and y - 1 or y
  local era = (y >= 0 and y or y - 399) // 400
  local yoe = y - era * 400
  local doy = (153 * (m + (m > 2 and -3 or 9)) + 2) // 5 + d - 1
  local doe = yoe * 365 + yoe // 4 - yoe // 100 + doy
  return era * 146097 + doe - 719468
end

-- Seconds since the epoch of an offset-less "YYYY-MM-DDTHH:MM:SS" read as UTC.
function M.iso_seconds(s)
  local y, mo, d, h, mi, se = tostring(s):match("^(%d+)%-(%d+)%-(%d+)T(%d+):(%d+):(%d+)$")
  assert(y, "not an offset-less ISO date: " .. tostring(s))
  return days_from_civil(tonumber(y), tonumber(mo), tonumber(d)) * 86400 + tonumber(h) * 3600
    + tonumber(mi) * 60 + tonumber(se)
end

local MONTHS = {Jan = 1, Feb = 2, Mar = 3, Apr = 4, May = 5, Jun = 6, Jul = 7, Aug = 8, Sep = 9,
  Oct = 10, Nov = 11, Dec = 12}

-- Seconds since the epoch of an HTTP Date header ("Wed, 02 Dec 2026 05:52:24 GMT").
function M.http_date_seconds(s)
  local d, mon, y, h, mi, se = tostring(s):match("^%a+, (%d+) (%a+) (%d+) (%d+):(%d+):(%d+) GMT$")
  assert(d and MONTHS[mon], "not an HTTP date: " .. tostring(s))
  return days_from_civil(tonumber(y), MONTHS[mon], tonumber(d)) * 86400 + tonumber(h) * 3600
    + tonumber(mi) * 60 + tonumber(se)
end

return M
