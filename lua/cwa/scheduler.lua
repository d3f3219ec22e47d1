--- Where a call of the Lua layer waits: the request dispatch, the host's
-- event loop (the `wait` option of `cwa.new`) and the scheduler of the
-- coroutines that `client:map` runs.
--
-- Every plain call (client:get, post, ...), every page an iterator waits for,
-- every login `client:token` waits for and every pause between two polls of
-- an action (run_script with wait, command) goes through `request`,
-- `await_page`, `token` or `sleep`. There are three ways to wait:
--
-- * Inside a coroutine of a run on the same client they yield: the request is
--   submitted to the core, and one loop (`Run:loop`) waits on the core for
--   whichever requests complete, pages arrive or sleeps end, and resumes
--   their coroutines, so that one item polling a script run never holds up
--   the others.
-- * Elsewhere, on a client made with a `wait` function, nothing blocks: each
--   wait is a loop of turns, one turn being the host's `wait(client)` (which
--   returns once the client's descriptor is readable or its timeout has come:
--   `cqueues.poll` does just that) followed by a step of the core. A listing
--   gives the host a turn before each page even when the page is there.
-- * Otherwise they block the thread.
--
-- C never yields: the coroutines yield in Lua, between core calls.
-- @module cwa.scheduler
local core = require "cwa.core"
local errors = require "cwa.errors"

local M = {}

-- The markers a coroutine yields with, followed by what it waits for.
local REQUEST, PAGE, SLEEP = {}, {}, {}

-- The run in progress on a client, if any, keyed by client.
local running = setmetatable({}, {__mode = "k"})

--- Seconds on the core's monotonic clock, for deadlines.
-- @function now
-- @treturn number
M.now = core.monotime

-- The run of client when the caller is one of its coroutines.
local function current(client)
  local run = running[client]
  if run and run.tasks[coroutine.running()] then return run end
end

--- The run in progress on client, if any (its coroutines or not).
function M.running(client)
  return running[client]
end

--- Whether the caller is one of the coroutines of a run on client.
function M.inside(client)
  return current(client) ~= nil
end

-- Hands the thread to the host until the client has work, or until wake_at
-- (a `now` time) when given. While it waits, the call is one of the
-- client's waiters, which `Client:timeout` reads: 0 when `ready()` says the
-- call could go on (another coroutine's step may have brought its answer
-- while this one was away, and the descriptor stays quiet then), else no
-- later than wake_at. A client closed meanwhile is closed by its last
-- waiter (the host may hold its descriptor until then).
local function host_wait(client, ready, wake_at)
  local waiters = client._waiters
  if client._closing then
    error(errors.new{code = "InvalidArgument", message = "the client is closed"}, 0)
  end
  local waiter = {ready = ready, wake_at = wake_at}
  waiters[waiter] = true
  local ok, err = pcall(client._wait, client)
  waiters[waiter] = nil
  if client._closing then
    if next(waiters) == nil then
      client._closing = nil
      client:_close_core()
    end
    error(errors.new{code = "Cancelled", message = "the client was closed while this call waited"}, 0)
  end
  if not ok then error(err, 0) end
end

-- One turn of a wait on a client with a `wait` function.
local function turn(client, ready, wake_at)
  host_wait(client, ready, wake_at)
  client._core:step()
end

--- One request: yielding inside a run's coroutine, going through the host's
-- loop on a client with a `wait` function, else blocking.
-- @treturn any the decoded body
-- @treturn integer the HTTP status
function M.request(client, method, path, query, body)
  if current(client) then
    local req = client._core:submit(method, path, query, body)
    coroutine.yield(REQUEST, req)
    return req:result()
  end
  if client._wait then
    local req <close> = client._core:submit(method, path, query, body)
    local function done() return req:done() end
    while not done() do turn(client, done) end
    return req:result()
  end
  return client._core:request(method, path, query, body)
end

--- Called by the iterators before pager:next(), which then returns without
-- waiting: inside a run's coroutine, yields until the next page has arrived;
-- on a client with a `wait` function, turns until it has, and gives the host
-- one turn when it had arrived already; elsewhere returns at once (next()
-- then waits for it).
function M.await_page(client, pager)
  if current(client) then
    while not pager:ready() do coroutine.yield(PAGE, pager) end
  elseif client._wait then
    local function ready() return pager:ready() end
    if ready() then
      turn(client, nil, M.now())
    else
      repeat turn(client, ready) until ready()
    end
  end
end

--- The token, as `cwa.core.Client:token` gives it; on a client with a
-- `wait` function, the login runs through the host's loop.
function M.token(client)
  if not client._wait or current(client) then return client._core:token() end
  local cc, started = client._core, M.now()
  -- a login another coroutine's step finished, or one that failed
  local function settled()
    local ok, token = pcall(cc.token, cc, started)
    return not ok or token ~= false
  end
  while true do
    local token, expires = cc:token(started)
    if token then return token, expires end
    turn(client, settled)
  end
end

--- Waits `seconds` before the next poll: inside a run's coroutine the others
-- go on meanwhile; on a client with a `wait` function the host does;
-- elsewhere the thread sleeps.
function M.sleep(client, seconds)
  if current(client) then
    coroutine.yield(SLEEP, M.now() + seconds)
  elseif client._wait then
    local wake_at = M.now() + seconds
    repeat turn(client, nil, wake_at) until M.now() >= wake_at
  else
    core.sleep(seconds)
  end
end

local Run = {}
Run.__index = Run

--- Starts a run on client (one at a time per client). Coroutines are added
-- with `Run:spawn` and driven by `Run:loop`; `Run:close` ends the run.
-- @treturn Run
function M.open(client)
  assert(not running[client], "a run is already in progress on this client")
  local run = setmetatable({
    client = client,
    tasks = {},       -- coroutine -> task {co, seq, done}
    active = 0,       -- tasks not finished
    seq = 0,
    requests = {},    -- request id -> {task, req}
    paging = {},      -- task -> the pager it waits on
    sleeping = {},    -- task -> the time it wakes up
  }, Run)
  running[client] = run
  return run
end

-- Resumes task and files it under what it waits for next; calls its done
-- function when it has ended.
function Run:step(task)
  local co = task.co
  local ok, marker, what = coroutine.resume(co)
  if coroutine.status(co) == "dead" then
    self.tasks[co] = nil
    self.active = self.active - 1
    task.done(ok, marker)
  elseif marker == REQUEST then
    self.requests[what:id()] = {task = task, req = what}
  elseif marker == PAGE then
    self.paging[task] = what
  elseif marker == SLEEP then
    self.sleeping[task] = what
  else
    -- fn yielded for its own reasons: not ours to interpret
    self.tasks[co] = nil
    self.active = self.active - 1
    task.done(false, errors.new{code = "InvalidArgument",
      message = "map: fn yielded outside a cwa request; coroutines inside fn must be resumed by fn"})
  end
end

--- Runs fn() in a new coroutine of the run, at once until it first waits;
-- done(ok, value) is called when it ends (ok false: it raised value).
function Run:spawn(fn, done)
  self.seq = self.seq + 1
  local task = {co = coroutine.create(fn), seq = self.seq, done = done}
  self.tasks[task.co] = task
  self.active = self.active + 1
  self:step(task)
end

local function by_seq(a, b) return a.seq < b.seq end

-- Resumes the tasks whose page has arrived or whose sleep has ended, in the
-- order they were spawned (runs are repeatable), and lets feed start more,
-- until neither happens. False when feed asks to stop.
function Run:wake(feed)
  repeat
    local ready = {}
    for task, pager in pairs(self.paging) do
      if pager:ready() then ready[#ready + 1] = task end
    end
    if next(self.sleeping) then
      local now = M.now()
      for task, at in pairs(self.sleeping) do
        if at <= now then ready[#ready + 1] = task end
      end
    end
    table.sort(ready, by_seq)
    for _, task in ipairs(ready) do
      self.paging[task], self.sleeping[task] = nil, nil
      self:step(task)
    end
    if not feed() then return false end
  until #ready == 0
  return true
end

-- Whether a task could go on now: its request is done or its page is in
-- (another coroutine of a host's loop may have stepped the client).
function Run:any_ready()
  for _, w in pairs(self.requests) do
    if w.req:done() then return true end
  end
  for _, pager in pairs(self.paging) do
    if pager:ready() then return true end
  end
  return false
end

--- Drives the run until no task is left, or until feed() (called whenever
-- tasks may be started: it spawns them) returns false.
function Run:loop(feed)
  local cc = self.client._core
  if not self:wake(feed) then return end
  while self.active > 0 do
    local wake_at
    for _, at in pairs(self.sleeping) do
      if not wake_at or at < wake_at then wake_at = at end
    end
    local completed
    if self.client._wait then
      host_wait(self.client, function() return self:any_ready() end, wake_at)
      completed = cc:wait(0)
    else
      completed = cc:wait(wake_at and math.max(0, wake_at - M.now()) or nil)
    end
    if #completed == 0 and next(self.requests) == nil and next(self.paging) == nil then
      if not wake_at then
        error(errors.new{code = "InvalidArgument", message = "map: items are running but wait on nothing"}, 0)
      end
      -- only sleepers: wait returns at once when nothing is in flight (the
      -- host's wait counted wake_at in)
      local left = wake_at - M.now()
      if left > 0 and not self.client._wait then core.sleep(left) end
    end
    for _, req in ipairs(completed) do
      local w = self.requests[req:id()]
      if w then
        self.requests[req:id()] = nil
        self:step(w.task)
      end
    end
    if not self:wake(feed) then return end
  end
end

--- Ends the run. With `cancel`, the requests in flight are cancelled and the
-- tasks still suspended are closed: a loop's pager (its to-be-closed value)
-- cancels its pages, as a `break` would.
function Run:close(cancel)
  if running[self.client] == self then running[self.client] = nil end
  if not cancel then return end
  for _, w in pairs(self.requests) do w.req:close() end
  for co in pairs(self.tasks) do
    if coroutine.status(co) == "suspended" then coroutine.close(co) end
  end
  self.requests, self.paging, self.sleeping, self.tasks = {}, {}, {}, {}
end

return M
