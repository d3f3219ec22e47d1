--- Concurrent batches: client:map(items, fn, opts) and client:get_many(paths, opts).
--
-- Each item runs `fn(item, i)` in its own coroutine of a `cwa.scheduler`
-- run: a plain call (client:get, post, put, patch, delete), the next page of
-- an iterator (client:each, client:computers, ..., client:list,
-- client:count) and the pause between two polls of run_script with wait or
-- command yield, and the other items go on. The client's rate limiter and
-- concurrency cap govern every request of every item.
-- @module cwa.map
local errors = require "cwa.errors"
local options = require "cwa.options"
local scheduler = require "cwa.scheduler"

local invalid = errors.invalid

local M = {}

local function check_opts(who, opts, client)
  opts = opts or {}
  if type(opts) ~= "table" then invalid(who, "options must be a table") end
  for k in pairs(opts) do
    if k ~= "concurrency" and k ~= "fail_fast" and k ~= "progress" then
      invalid(who, "unknown option '" .. tostring(k) .. "'")
    end
  end
  local width = options.integer(who .. ": concurrency", opts.concurrency or client.concurrency, 1, 1000)
  if opts.progress ~= nil and type(opts.progress) ~= "function" then
    invalid(who, "progress must be a function(done, total)")
  end
  return opts, width
end

--- Runs fn(item, i) for every item, up to `concurrency` items at a time
-- (`Client:map` is this function with the client first).
-- @tparam cwa.Client client
-- @tparam table items an array
-- @tparam function fn called as fn(item, i); its first result goes in the slot
-- @tparam[opt] table opts concurrency (default: the client's), fail_fast,
--   progress = function(done, total)
-- @treturn table results in item order; an item whose fn raised gets
--   {error = err} in its slot (with fail_fast the first error is raised
--   after the requests in flight are cancelled)
-- @raise cwa.Error InvalidArgument (bad arguments, or map inside map)
-- @usage local sizes = client:map(ids, function(id) return #client:get("/Computers/" .. id .. "/Software") end)
function M.map(client, items, fn, opts)
  local who = "map"
  if type(items) ~= "table" then invalid(who, "items must be an array, got " .. type(items)) end
  if type(fn) ~= "function" then invalid(who, "fn must be a function, got " .. type(fn)) end
  local width
  opts, width = check_opts(who, opts, client)
  if scheduler.inside(client) then invalid(who, "map cannot run inside another map of the same client") end
  if scheduler.running(client) then
    -- a host's loop (the wait option) may run several coroutines at once
    invalid(who, "another coroutine is running a map on this client: one map at a time per client "
      .. "(make a second client for a second map)")
  end

  local total = #items
  local results = {}
  local next_item, done = 1, 0
  local first_error

  local run = scheduler.open(client)
  local function feed()
    while run.active < width and next_item <= total and not (opts.fail_fast and first_error) do
      local i = next_item
      next_item = next_item + 1
      local item = items[i]
      run:spawn(function() return fn(item, i) end, function(ok, value)
        if ok then
          results[i] = value
        else
          results[i] = {error = value}
          first_error = first_error or value
        end
        done = done + 1
        if opts.progress then opts.progress(done, total) end
      end)
    end
    return not (opts.fail_fast and first_error)
  end

  local ok, err = pcall(run.loop, run, feed)
  local failed = not ok or (opts.fail_fast and first_error)
  run:close(failed)
  if not ok then error(err, 0) end
  if failed then error(first_error, 0) end
  return results
end

--- Many GETs at once: each item is a path or {path, query}; results in order,
-- {error = err} for a failed one.
function M.get_many(client, requests, opts)
  local who = "get_many"
  if type(requests) ~= "table" then invalid(who, "expected an array of paths or {path, query} tables") end
  for i, r in ipairs(requests) do
    if type(r) ~= "string" and (type(r) ~= "table" or type(r[1] or r.path) ~= "string") then
      invalid(who, ("item %d must be a path or {path, query}"):format(i))
    end
  end
  return M.map(client, requests, function(r)
    if type(r) == "string" then return (client:get(r)) end
    return (client:get(r[1] or r.path, r[2] or r.query))
  end, opts)
end

return M
