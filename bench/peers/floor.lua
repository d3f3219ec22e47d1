-- The cpu floor: the same pages fetched sequentially with one reused libcurl
-- easy handle (Debian lua-curl, so lua5.2) and decoded by cjson, nothing
-- else: no retries, no checks beyond the count line. What any client must at
-- least spend to receive and decode the listing in Lua.
--   lua5.2 bench/peers/floor.lua URL PAGE_SIZE
-- Prints "count N unique N sum S". Env: BENCH_CONDITION, BENCH_FIELDS (sent as
-- includeFields on every page request when set, e.g. Id).
local curl = require "curl"
local cjson = require "cjson"

local base = assert(arg[1], "usage: floor.lua URL PAGE_SIZE") .. "/cwa/api/v1"
local page_size = tonumber(arg[2] or "1000")
local condition = os.getenv("BENCH_CONDITION") or "Id > 0"
local fields = os.getenv("BENCH_FIELDS") and "&includeFields=" .. curl.escape(os.getenv("BENCH_FIELDS")) or ""

local h = curl.easy_init()
local body
h:setopt(curl.OPT_WRITEFUNCTION, function(s, n) body[#body + 1] = s; return n end)
local function fetch(url)
  body = {}
  h:setopt(curl.OPT_URL, url)
  local ok, err = h:perform()
  if not ok and err then error("curl: " .. tostring(err)) end
  return cjson.decode(table.concat(body))
end

h:setopt(curl.OPT_HTTPHEADER, {"ClientId: bench", "Content-Type: application/json"})
h:setopt(curl.OPT_POSTFIELDS, '{"UserName":"integrator","Password":"integrator-pass"}')
local token = assert(fetch(base .. "/apitoken").AccessToken, "login failed")
h:setopt(curl.OPT_HTTPGET, 1)
h:setopt(curl.OPT_HTTPHEADER, {"ClientId: bench", "Authorization: Bearer " .. token})

local count, sum, seen, unique = 0, 0, {}, 0
local page = 1
while true do
  local records = fetch(("%s/Computers?page=%d&pageSize=%d&condition=%s%s")
    :format(base, page, page_size, curl.escape(condition), fields))
  for i = 1, #records do
    local id = records[i].Id
    count, sum = count + 1, sum + id
    if not seen[id] then seen[id], unique = true, unique + 1 end
  end
  if #records < page_size then break end
  page = page + 1
end
print(("count %d unique %d sum %d"):format(count, unique, sum))
