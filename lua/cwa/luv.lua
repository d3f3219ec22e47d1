--- The `wait` function of `cwa.new` for luv (libuv) programs, which have no
-- `poll(object)` of their own as cqueues has:
--
--     local client = cwa.new{..., wait = require("cwa.luv").wait}
--
-- Each call of the client then suspends the calling coroutine until the
-- client's descriptor is readable or its timeout has passed, and libuv runs
-- everything else meanwhile. Call the client from a coroutine that the
-- program resumed once; the loop's callbacks resume it after that. An error
-- the coroutine raises after such a resume is raised from the callback,
-- where luv reports it as uncaught (see `examples/luv_listing.lua` for a
-- program that ends its coroutines itself). Needs the luv module (Debian:
-- lua-luv), loaded by the first wait: neither `require "cwa"` nor
-- `require "cwa.luv"` loads it.
-- @module cwa.luv
local errors = require "cwa.errors"

local uv -- luv, loaded by the first wait

local M = {}

-- libuv allows one poll handle per descriptor: the coroutines waiting on a
-- client share one, made by the first and closed by the last.
local watchers = setmetatable({}, {__mode = "k"}) -- client -> {poll, waiting = {coroutine -> wake}}

local function resume(co)
  local ok, err = coroutine.resume(co)
  if not ok then error(err, 0) end
end

local function on_readable(watcher)
  return function()
    -- a woken coroutine may wait again at once: wake those of now only
    local now = {}
    for _, wake in pairs(watcher.waiting) do now[#now + 1] = wake end
    for _, wake in ipairs(now) do wake() end
  end
end

--- Suspends the calling coroutine until `client:pollfd()` is readable or
-- `client:timeout()` seconds have passed.
-- @tparam cwa.Client client
-- @raise cwa.Error InvalidArgument when called outside a coroutine
function M.wait(client)
  local co, main = coroutine.running()
  if main then
    errors.invalid("cwa.luv.wait", "call the client from a coroutine: the luv loop resumes it")
  end
  uv = uv or require "luv"
  local watcher = watchers[client]
  if not watcher then
    local fd = client:pollfd()
    local poll, err = uv.new_poll(fd)
    if not poll then
      -- EEXIST: the program polls this descriptor with a handle of its own
      errors.raise("InvalidArgument", ("cwa.luv.wait: cannot poll descriptor %d: %s"):format(fd, tostring(err)))
    end
    watcher = {poll = poll, waiting = {}}
    watchers[client] = watcher
    poll:start("r", on_readable(watcher))
  end
  local timer, woken = nil, false
  local function wake()
    if woken then return end
    woken = true
    watcher.waiting[co] = nil
    if next(watcher.waiting) == nil then
      watcher.poll:close()
      watchers[client] = nil
    end
    if timer then timer:close() end
    resume(co)
  end
  watcher.waiting[co] = wake
  local seconds = client:timeout()
  if seconds then
    timer = uv.new_timer()
    timer:start(math.ceil(seconds * 1000), 0, wake)
  end
  coroutine.yield()
end

return M
