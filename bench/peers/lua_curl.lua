-- Peer: a sequential Lua loop with Debian's lua-curl (luacurl 0.3, Lua 5.1/5.2
-- only, so it runs under lua5.2) and cjson, one reused easy handle, the way a
-- Lua user without cwa writes it: log in once, pages until a short one, wait
-- and retry on 429 (Retry-After) and 5xx, up to 5 attempts a page.
--   lua5.2 bench/peers/lua_curl.lua URL PAGE_SIZE
-- Prints "count N unique N sum S", then "listing SECONDS" (the loop after the
-- login, the span cwa.lua reports; luasocket's clock). Env: BENCH_CONDITION, BENCH_CA, BENCH_FIELDS
-- (sent as includeFields on every page request when set, e.g. Id).
local curl = require "curl"
local cjson = require "cjson"
local socket = require "socket"

local base = assert(arg[1], "usage: lua_curl.lua URL PAGE_SIZE") .. "/cwa/api/v1"
local page_size = tonumber(arg[2] or "1000")
local condition = os.getenv("BENCH_CONDITION") or "Id > 0"
local fields = os.getenv("BENCH_FIELDS")

local h = curl.easy_init()
if os.getenv("BENCH_CA") then h:setopt(curl.OPT_CAINFO, os.getenv("BENCH_CA")) end
local body, status, retry_after

h:setopt(curl.OPT_WRITEFUNCTION, function(s, n) body[#body + 1] = s; return n end)
h:setopt(curl.OPT_HEADERFUNCTION, function(s, n)
  local code = s:match("^HTTP/%S+ (%d+)")
  if code then status = tonumber(code); retry_after = nil end
  local ra = s:match("^[Rr]etry%-[Aa]fter:%s*(%d+)")
  if ra then retry_after = tonumber(ra) end
  return n
end)

local function perform()
  body, status, retry_after = {}, nil, nil
  local ok, err = h:perform()
  if not ok and err then error("curl: " .. tostring(err)) end
  return status, table.concat(body)
end

local function sleep(s) os.execute("sleep " .. s) end

local function with_retries(fn)
  for attempt = 1, 5 do
    local code, text = fn()
    if code == 200 then return text end
    if attempt == 5 or not (code == 429 or (code and code >= 500)) then
      error("HTTP " .. tostring(code) .. ": " .. text:sub(1, 200))
    end
    sleep(code == 429 and (retry_after or 1) or 1)
  end
end

local token = cjson.decode(with_retries(function()
  h:setopt(curl.OPT_URL, base .. "/apitoken")
  h:setopt(curl.OPT_HTTPHEADER, {"ClientId: bench", "Content-Type: application/json"})
  h:setopt(curl.OPT_POSTFIELDS, cjson.encode{UserName = "integrator", Password = "integrator-pass"})
  return perform()
end)).AccessToken

h:setopt(curl.OPT_HTTPGET, 1)
h:setopt(curl.OPT_HTTPHEADER, {"ClientId: bench", "Accept: application/json",
  "Authorization: Bearer " .. token})

local t0 = socket.gettime()
local count, sum, seen, unique = 0, 0, {}, 0
local page = 1
while true do
  local url = ("%s/Computers?page=%d&pageSize=%d&condition=%s"):format(base, page, page_size,
    curl.escape(condition))
  if fields then url = url .. "&includeFields=" .. curl.escape(fields) end
  local records = cjson.decode(with_retries(function()
    h:setopt(curl.OPT_URL, url)
    return perform()
  end))
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
