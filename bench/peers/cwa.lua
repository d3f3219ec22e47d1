-- Peer: cwa itself, the iterator `client:computers{condition = ...}`.
--   lua5.4 bench/peers/cwa.lua URL PAGE_SIZE [option=value ...]
-- Options go to cwa.new as given (numbers, true/false), e.g. concurrency=1
-- or rate_limit=false; with none, the client has its defaults. PAGE_SIZE
-- "default" gives the iterator no page_size: the client's own is used, so
-- `cwa.lua URL default` is cwa with credentials alone.
-- Prints "count N unique N sum S", then "listing SECONDS": the time of the
-- loop alone, after the login, which is what the schedule limit describes.
-- Env: BENCH_CONDITION, BENCH_CA, BENCH_STREAMING, CWA_BUILD (default build),
-- BENCH_FIELDS (the iterator's `fields`, i.e. includeFields, when set, e.g. Id).
local dir = arg[0]:match("^(.*)/[^/]*$") or "."
local setup = dofile(dir .. "/cwa_setup.lua")
local cwa = setup.load(dir)
local ok_socket, socket = pcall(require, "socket")
local now = ok_socket and socket.gettime or os.time

local url = assert(arg[1], "usage: cwa.lua URL PAGE_SIZE|default [option=value ...]")
local page_size = arg[2] ~= "default" and math.tointeger(tonumber(arg[2] or "1000")) or nil
local opts = setup.options(url, 3)

local client = cwa.new(opts)
client:token()
local t0 = now()
local count, sum, seen, unique = 0, 0, {}, 0
-- BENCH_STREAMING=1 (the memory scenario): unique counts strictly ascending
-- ids instead of keeping a set, so the peak RSS is the client's alone.
local streaming, last = os.getenv("BENCH_STREAMING") == "1", -math.huge
local spec = {condition = os.getenv("BENCH_CONDITION") or "Id > 0", page_size = page_size,
  fields = os.getenv("BENCH_FIELDS")}
for c in client:computers(spec) do
  local id = c.Id
  count, sum = count + 1, sum + id
  if streaming then
    if id > last then last, unique = id, unique + 1 end
  elseif not seen[id] then
    seen[id], unique = true, unique + 1
  end
end
local elapsed = now() - t0
print(("count %d unique %d sum %d"):format(count, unique, sum))
print(("listing %.4f"):format(elapsed))
client:close()
