--- Concurrent batches: client:map(items, fn, opts) and client:get_many(paths, opts).
--
-- Each item runs `fn(item, i)` in its own coroutine. When fn makes a plain
-- call (client:get, post, put, patch, delete) the request is submitted to the
-- core and the coroutine yields; one scheduler loop waits on the core for
-- whichever requests complete and resumes their coroutines. The client's
-- rate limiter and concurrency cap govern every request of every item. C
-- never yields: the coroutines yield in Lua, between core calls.
--
-- An iterator (client:each, client:computers, ...), client:list or
-- client:count inside fn yields the same way while its next page is on its
-- way (the pager's pages are fetched ahead as always), so listings of many
-- items overlap with each other and with plain calls. Polling helpers
-- (run_script with wait, command) sleep in place; run them with a list of
-- ids instead.
-- @module cwa.map
local errors = require "cwa.errors"

local invalid = errors.invalid
local WAIT = {}       -- the marker a map coroutine yields with for a request
local WAIT_PAGER = {} -- and for a pager's next page

local M = {}

-- The scheduler of the map running on a client, if any, keyed by client.
local running = setmetatable({}, {__mode = "k"})

--- The request function the client uses: blocking outside map, yielding
-- inside one of map's coroutines.
function M.request(client, method, path, query, body)
  local sched = running[client]
  local co = coroutine.running()
  if sched and sched.coroutines[co] then
    local req = client._core:submit(method, path, query, body)
    coroutine.yield(WAIT, req)
    return req:result()
  end
  return client._core:request(method, path, query, body)
end

--- Called by the iterators before pager:next(): inside one of map's
-- coroutines, yields until the next page has arrived; elsewhere returns at
-- once (next() then waits for it).
function M.await_page(client, pager)
  local sched = running[client]
  local co = coroutine.running()
  if sched and sched.coroutines[co] then
    while not pager:ready() do coroutine.yield(WAIT_PAGER, pager) end
  end
end

local function check_opts(who, opts, client)
  opts = opts or {}
  if type(opts) ~= "table" then invalid(who, "options must be a table") end
  for k in pairs(opts) do
    if k ~= "concurrency" and k ~= "fail_fast" and k ~= "progress" then
      invalid(who, "unknown option '" .. tostring(k) .. "'")
    end
  end
  local width = opts.concurrency or client.concurrency or 10
  if math.type(width) ~= "integer" or width < 1 or width > 1000 then
    invalid(who, "concurrency must be an integer from 1 to 1000")
  end
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
  if running[client] then invalid(who, "map cannot run inside another map of the same client") end

  local total = #items
  local results = {}
  local sched = {coroutines = {}}
  local waiting = {}    -- request id -> {co, i}
  local outstanding = {} -- request objects in flight, for cancellation
  local paging = {}     -- coroutine -> {pager, i}: loops waiting for a page
  local next_item, active, done = 1, 0, 0
  local first_error

  local function finish(i, ok, value)
    if ok then
      results[i] = value
    else
      results[i] = {error = value}
      first_error = first_error or value
    end
    active = active - 1
    done = done + 1
    if opts.progress then opts.progress(done, total) end
  end

  local function step(co, i, ...)
    local ok, marker, req = coroutine.resume(co, ...)
    if coroutine.status(co) == "dead" then
      sched.coroutines[co] = nil
      finish(i, ok, marker)
    elseif marker == WAIT then
      waiting[req:id()] = {co = co, i = i}
      outstanding[req] = true
    elseif marker == WAIT_PAGER then
      paging[co] = {pager = req, i = i}
    else
      -- fn yielded for its own reasons: not ours to interpret
      sched.coroutines[co] = nil
      finish(i, false, errors.new{code = "InvalidArgument",
        message = "map: fn yielded outside a cwa request; coroutines inside fn must be resumed by fn"})
    end
  end

  local function start_more()
    while active < width and next_item <= total and not (opts.fail_fast and first_error) do
      local i = next_item
      next_item = next_item + 1
      active = active + 1
      local item = items[i]
      local co = coroutine.create(function() return fn(item, i) end)
      sched.coroutines[co] = true
      step(co, i)
    end
  end

  -- The items still suspended are closed: a loop's pager (its to-be-closed
  -- value) cancels its pages, as a `break` would.
  local function cancel_all()
    for req in pairs(outstanding) do req:close() end
    for co in pairs(sched.coroutines) do
      if coroutine.status(co) == "suspended" then coroutine.close(co) end
    end
    outstanding, waiting, paging = {}, {}, {}
  end

  -- Resumes the loops whose page has arrived, and starts new items, until
  -- neither happens: a page can also arrive while an item runs a blocking
  -- call (a polling helper), outside client:wait().
  local function resume_paging()
    repeat
      local ready = {}
      for co, w in pairs(paging) do
        if w.pager:ready() then ready[#ready + 1] = {co = co, i = w.i} end
      end
      -- in item order, so that runs are repeatable
      table.sort(ready, function(a, b) return a.i < b.i end)
      for _, w in ipairs(ready) do
        paging[w.co] = nil
        step(w.co, w.i)
      end
      start_more()
    until #ready == 0
  end

  running[client] = sched
  local ok, err = pcall(function()
    resume_paging()
    while active > 0 do
      if opts.fail_fast and first_error then break end
      local completed = client._core:wait()
      if #completed == 0 and next(waiting) == nil and next(paging) == nil then
        error(errors.new{code = "InvalidArgument", message = "map: items are running but wait on nothing"}, 0)
      end
      for _, req in ipairs(completed) do
        local w = waiting[req:id()]
        if w then
          waiting[req:id()] = nil
          outstanding[req] = nil
          step(w.co, w.i)
        end
      end
      resume_paging()
    end
  end)
  running[client] = nil
  if not ok then
    cancel_all()
    error(err, 0)
  end
  if opts.fail_fast and first_error then
    cancel_all()
    error(first_error, 0)
  end
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
