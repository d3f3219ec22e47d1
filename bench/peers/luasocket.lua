-- Peer: a sequential Lua 5.4 loop with luasocket's socket.http and cjson (no
-- keep-alive: socket.http opens a connection per request). Log in once, pages
-- until a short one, wait and retry on 429 (Retry-After) and 5xx, up to 5
-- attempts a page. Plain http only (luasocket has no TLS without luasec).
--   lua5.4 bench/peers/luasocket.lua URL PAGE_SIZE
-- Prints "count N unique N sum S", then "listing SECONDS" (the loop after the
-- login, the span cwa.lua reports). Env: BENCH_CONDITION, BENCH_FIELDS (sent as
-- includeFields on every page request when set, e.g. Id).
local http = require "socket.http"
local ltn12 = require "ltn12"
local socket = require "socket"
local cjson = require "cjson"

local base = assert(arg[1], "usage: luasocket.lua URL PAGE_SIZE") .. "/cwa/api/v1"
local page_size = tonumber(arg[2] or "1000")
local condition = os.getenv("BENCH_CONDITION") or "Id > 0"
local fields = os.getenv("BENCH_FIELDS")

local function urlencode(s)
  return (s:gsub("[^%w%-_%.~]", function(c) return ("%%%02X"):format(c:byte()) end))
end

local function request(method, url, headers, body)
  for attempt = 1, 5 do
    local chunks = {}
    if body then headers["Content-Length"] = tostring(#body) end
    local ok, code, hdrs = http.request{
      method = method, url = url, headers = headers,
      source = body and ltn12.source.string(body) or nil,
      sink = ltn12.sink.table(chunks),
    }
    local text = table.concat(chunks)
    if not ok then error("socket: " .. tostring(code)) end
    if code == 200 then return text end
    if attempt == 5 or not (code == 429 or code >= 500) then
      error("HTTP " .. tostring(code) .. ": " .. text:sub(1, 200))
    end
    socket.sleep(code == 429 and tonumber(hdrs["retry-after"] or "1") or 1)
  end
end

local token = cjson.decode(request("POST", base .. "/apitoken",
  {["ClientId"] = "bench", ["Content-Type"] = "application/json"},
  cjson.encode{UserName = "integrator", Password = "integrator-pass"})).AccessToken

local headers = {["ClientId"] = "bench", ["Accept"] = "application/json",
  ["Authorization"] = "Bearer " .. token}
local t0 = socket.gettime()
local count, sum, seen, unique = 0, 0, {}, 0
local page = 1
while true do
  local url = ("%s/Computers?page=%d&pageSize=%d&condition=%s"):format(base, page, page_size,
    urlencode(condition))
  if fields then url = url .. "&includeFields=" .. urlencode(fields) end
  local records = cjson.decode(request("GET", url, headers))
  for i = 1, #records do
    local id = records[i].Id
    count, sum = count + 1, sum + id
    if not seen[id] then seen[id], unique = true, unique + 1 end
  end
  if #records < page_size then break end
  page = page + 1
end
local elapsed = socket.gettime() - t0
print(("count %d unique %d sum %d"):format(count, unique, sum))
print(("listing %.4f"):format(elapsed))
