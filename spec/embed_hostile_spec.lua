-- The `wait` option (issue 17) against hostile servers and hostile hosts:
-- 429s with Retry-After, 5xx, dropped connections, stalled bodies, tokens
-- that expire mid-listing and wrong passwords, under cqueues and luv; and
-- hosts that close the client from another coroutine, run many calls on one
-- client at once, resume their waits late, never wait at all, or call the
-- client from inside the wait function. Everything runs in a cqueues loop
-- with a watchdog (a hang fails the test, it does not hang the suite) or,
-- where a crash or an uncatchable hang is possible, in a child process under
-- hostile.child. The comments of the tests that failed before their fix
-- say what the bug was.
local simmod = require "support.sim"
local hostile = require "support.hostile"
local cqueues = require "cqueues"
local cwa = require "cwa"

local USER, PASS = "integrator", "integrator-pass"

local function options(sim, extra)
  local o = {server = sim.url, username = USER, password = PASS, client_id = "embed-hostile", rate_limit = false}
  for k, v in pairs(extra or {}) do
    if v == "nil" then o[k] = nil else o[k] = v end
  end
  return o
end

-- A wait function cqueues.poll that counts its calls in counter.n.
local function counting_poll(counter)
  return function(client)
    counter.n = counter.n + 1
    return cqueues.poll(client)
  end
end

-- Runs each function of tasks in its own coroutine of one cqueues
-- controller, next to a 10 ms ticker, until all have ended or `limit`
-- seconds have passed (the watchdog). Returns the results (per task:
-- {ok, value...} as pcall gives them, nil for a task that never ended) and
-- what the loop saw: ticks, hung (the tasks that never ended), errors (what
-- loop:step returned as errors: a host's `assert(loop:loop())` dies of any).
local function hosted(tasks, limit)
  local loop = cqueues.new()
  local results, left, ticks, running = {}, #tasks, 0, true
  loop:wrap(function()
    while running do
      cqueues.sleep(0.01)
      ticks = ticks + 1
    end
  end)
  for i, fn in ipairs(tasks) do
    loop:wrap(function()
      results[i] = table.pack(pcall(fn))
      left = left - 1
    end)
  end
  local deadline = cqueues.monotime() + (limit or 30)
  local errors = {}
  while left > 0 and cqueues.monotime() < deadline do
    local ok, err = loop:step(0.1)
    if not ok then errors[#errors + 1] = tostring(err) end
  end
  running = false
  for _ = 1, 10 do
    if loop:empty() then break end
    local ok, err = loop:step(0.05)
    if not ok then errors[#errors + 1] = tostring(err) end
  end
  local hung = {}
  for i = 1, #tasks do
    if not results[i] then hung[#hung + 1] = i end
  end
  return results, {ticks = ticks, hung = hung, errors = errors}
end

-- The value of one task that must have succeeded.
local function value_of(results, seen, i)
  i = i or 1
  assert(#seen.hung == 0, ("task(s) %s never ended: a hang"):format(table.concat(seen.hung, ",")))
  local r = results[i]
  assert(r[1], "task " .. i .. " raised " .. tostring(r[2]))
  return r[2], r[3]
end

-- The error of one task that must have raised a cwa.Error.
local function error_of(results, seen, i)
  i = i or 1
  assert(#seen.hung == 0, ("task(s) %s never ended: a hang"):format(table.concat(seen.hung, ",")))
  local r = results[i]
  assert(not r[1], "task " .. i .. " succeeded, it should have raised")
  assert(cwa.is_error(r[2]), "not a cwa.Error: " .. tostring(r[2]))
  return r[2]
end

local function ids_of(records)
  local out = {}
  for i, r in ipairs(records) do out[i] = r.Id end
  return out
end

-- Asserts that ids holds every id of expected exactly once (any order).
local function assert_exactly_once(expected, ids)
  local seen, dups = {}, {}
  for _, id in ipairs(ids) do
    if seen[id] then dups[#dups + 1] = id end
    seen[id] = true
  end
  assert(#dups == 0, ("%d record(s) repeated, e.g. id %s"):format(#dups, tostring(dups[1])))
  local missing = {}
  for _, id in ipairs(expected) do
    if not seen[id] then missing[#missing + 1] = id end
  end
  assert(#missing == 0, ("%d record(s) lost, e.g. id %s"):format(#missing, tostring(missing[1])))
  assert.are.equal(#expected, #ids)
end

-- A listing of every computer id through client, in a task.
local function listing(client, opts)
  return function()
    local ids = {}
    for c in client:computers(opts or {fields = {"Id"}}) do ids[#ids + 1] = c.Id end
    return ids
  end
end

-- The source of a child that runs `task` (Lua text: a function body using
-- `c`, the client) in a cqueues loop with wait = cqueues.poll, raising its
-- error, with a turn counter in TURNS.
local CQ_CHILD = [[
  local cqueues = require "cqueues"
  local TURNS = 0
  local c = client{wait = function(cl) TURNS = TURNS + 1; return cqueues.poll(cl) end}
  local loop = cqueues.new()
  local out
  loop:wrap(function() out = table.pack(pcall(function() %s end)) end)
  local ok, err = loop:loop()
  if not ok then error("the cqueues loop failed: " .. tostring(err), 0) end
  if not out then error("the task never ended", 0) end
  if not out[1] then error(out[2], 0) end
  return {value = out[2], turns = TURNS}
]]

-- The same under luv with require("cwa.luv").wait.
local LUV_CHILD = [[
  local uv = require "luv"
  local TURNS = 0
  local lw = require("cwa.luv").wait
  local c = client{wait = function(cl) TURNS = TURNS + 1; return lw(cl) end}
  local out
  local ticks = 0
  local ticker = uv.new_timer()
  ticker:start(10, 10, function() ticks = ticks + 1 end)
  local co = coroutine.create(function()
    out = table.pack(pcall(function() %s end))
    ticker:stop()
    ticker:close()
  end)
  assert(coroutine.resume(co))
  uv.run()
  if not out then error("the task never ended", 0) end
  if not out[1] then error(out[2], 0) end
  return {value = out[2], turns = TURNS, ticks = ticks}
]]

describe("wait mode under rate limits, retries and dropped connections #embed", function()
  local clean, expected

  setup(function()
    clean = simmod.start{"--computers", "300", "--seed", "5"}
    local blocking <close> = cwa.new(options(clean))
    expected = ids_of(blocking:list("/Computers", {fields = {"Id"}}))
    assert.are.equal(300, #expected)
  end)

  teardown(function()
    if clean then clean:stop() end
  end)

  it("waits out a 429 with Retry-After and X-RateLimit headers through the loop, not spinning it", function()
    local srv = hostile.start("status", {on = "page:2", times = 1, records = 100, status = 429,
      headers = {{"Content-Type", "application/json"}, {"Retry-After", "2"}, {"X-RateLimit-Limit", "600"},
        {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "2"}},
      body = '{"Message":"Rate limit exceeded."}'})
    finally(srv.stop)
    local turns = {n = 0}
    local client <close> = hostile.client(srv, {wait = counting_poll(turns), page_size = 10, concurrency = 1})
    local started = cqueues.monotime()
    local results, seen = hosted{function()
      local ids = {}
      for c in client:computers{} do ids[#ids + 1] = c.Id end
      return ids
    end}
    local elapsed = cqueues.monotime() - started
    local ids = value_of(results, seen)
    local want = {}
    for i = 1, 100 do want[i] = i end
    assert_exactly_once(want, ids)
    local page2 = 0
    for _, q in ipairs(srv.data_requests()) do
      if q.query and tonumber(q.query.page) == 2 then page2 = page2 + 1 end
    end
    assert.are.equal(2, page2, "page 2 was not asked for again after the 429")
    -- Retry-After 2 was honoured (wide margin) and the 2 s went by in the
    -- loop: the ticker ran, and the client told the loop when to come back
    -- instead of asking for a turn every millisecond.
    assert.is_true(elapsed >= 1.5, ("the listing took %.2f s: Retry-After 2 not honoured"):format(elapsed))
    assert.is_true(seen.ticks >= 50, seen.ticks .. " ticks of 10 ms in a wait of 2 s")
    assert.is_true(turns.n < 200, turns.n .. " wait calls for 11 pages and one 2 s retry: the loop was spun")
  end)

  it("follows the simulator's stated rate limit through the loop, with few turns", function()
    local sim = simmod.start{"--computers", "300", "--seed", "5", "--rate-limit", "240", "--burst", "2"}
    finally(function() sim:stop() end)
    local turns = {n = 0}
    local client <close> = cwa.new(options(sim, {wait = counting_poll(turns), page_size = 50,
      rate_limit = "nil"}))
    local results, seen = hosted({listing(client)}, 40)
    assert_exactly_once(expected, value_of(results, seen))
    -- 7 requests at 4 a second past a burst of 2: over a second of pacing
    assert.is_true(seen.ticks >= 50, seen.ticks .. " ticks")
    assert.is_true(turns.n < 300, turns.n .. " wait calls: the rate limiter's slots are not in timeout()")
  end)

  it("waits out silent 429s (Retry-After only) through the loop, every record once", function()
    local sim = simmod.start{"--computers", "300", "--seed", "5", "--limit-silent", "240", "--burst", "2"}
    finally(function() sim:stop() end)
    local turns = {n = 0}
    local client <close> = cwa.new(options(sim, {wait = counting_poll(turns), page_size = 25, retries = 10}))
    local results, seen = hosted({listing(client)}, 60)
    assert_exactly_once(expected, value_of(results, seen))
    local stats = sim:stats()
    assert.is_true(stats.rate_limited > 0, "the server never answered 429: the test proves nothing")
    assert.is_true(turns.n < 50 * (stats.requests + 1),
      ("%d wait calls for %d requests: the loop was spun"):format(turns.n, stats.requests))
  end)

  -- 5xx answers and dropped connections: retried through the loop
  for _, case in ipairs{
    {what = "500s and 503s", flag = "--fail-rate", rate = "0.3", fault = "fail", none = "no 5xx was injected"},
    {what = "dropped connections", flag = "--drop-rate", rate = "0.25", fault = "drop", none = "no connection was dropped"},
  } do
    it("retries " .. case.what .. " through the loop: every record once", function()
      local sim = simmod.start{"--computers", "300", "--seed", "5", case.flag, case.rate}
      finally(function() sim:stop() end)
      local turns = {n = 0}
      local client <close> = cwa.new(options(sim, {wait = counting_poll(turns), page_size = 20, retries = 8,
        backoff_base = 0.05, backoff_cap = 0.2}))
      local results, seen = hosted({listing(client)}, 60)
      assert_exactly_once(expected, value_of(results, seen))
      local stats = sim:stats()
      assert.is_true(stats.faults[case.fault] > 0, case.none)
      assert.is_true(turns.n < 50 * stats.requests, ("%d wait calls for %d requests"):format(turns.n, stats.requests))
    end)
  end

  it("refreshes a token that expires mid-listing: no record lost or repeated, logins bounded", function()
    local sim = simmod.start{"--computers", "300", "--seed", "5", "--token-ttl", "2", "--latency-ms", "120"}
    finally(function() sim:stop() end)
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, page_size = 10, concurrency = 1}))
    local started = cqueues.monotime()
    local results, seen = hosted({listing(client)}, 60)
    local elapsed = cqueues.monotime() - started
    assert_exactly_once(expected, value_of(results, seen))
    assert.is_true(elapsed > 3, ("the listing took %.1f s: it did not outlive the 2 s token"):format(elapsed))
    local stats = sim:stats()
    local sessions = stats.logins + stats.refreshes
    assert.is_true(sessions >= 2, "the token was never renewed")
    -- one renewal per second of a 2 s token at most (half its lifetime), and slack
    assert.is_true(sessions <= math.ceil(elapsed) + 3,
      ("%d logins and %d refreshes in %.1f s"):format(stats.logins, stats.refreshes, elapsed))
  end)

  it("raises Unauthorized for a wrong password from the loop, without a hang", function()
    local sim = simmod.start{"--computers", "10"}
    finally(function() sim:stop() end)
    local r = hostile.child(CQ_CHILD:format("return c:count('/Computers')"),
      {client = options(sim, {password = "wrong-pass"})}, {timeout = 20})
    local e = hostile.child_error(r, "Unauthorized")
    assert.are.equal(401, e.status)
    assert.is_true(sim:stats().login_failures <= 2, "the wrong password was sent again and again")
  end)

  it("raises Unauthorized for a wrong password in a listing while the loop ticks", function()
    local sim = simmod.start{"--computers", "10", "--latency-ms", "50"}
    finally(function() sim:stop() end)
    local client <close> = cwa.new(options(sim, {password = "wrong-pass", wait = cqueues.poll}))
    local results, seen = hosted({listing(client)}, 20)
    local e = error_of(results, seen)
    assert.are.equal("Unauthorized", e.code, tostring(e))
    assert.are.same({}, seen.errors)
  end)

  it("times out a stalled body under wait mode while the rest of the loop keeps ticking", function()
    local sim = simmod.start{"--computers", "50", "--stall-rate", "1", "--stall-ms", "5000"}
    finally(function() sim:stop() end)
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, timeout = 1, retries = 1,
      backoff_base = 0.05, backoff_cap = 0.1}))
    local started = cqueues.monotime()
    local results, seen = hosted({listing(client)}, 20)
    local elapsed = cqueues.monotime() - started
    local e = error_of(results, seen)
    assert.is_truthy(e.code == "Timeout" or e.code == "Network", tostring(e))
    -- two attempts of a 1 s timeout, not the 5 s stall (wide margin)
    assert.is_true(elapsed < 4.5, ("%.1f s: the timeout was not applied"):format(elapsed))
    -- the 10 ms ticker went on meanwhile (about 200 ticks in 2 s; a blocked loop has ~0)
    assert.is_true(seen.ticks >= 50, seen.ticks .. " ticks while the body stalled")
  end)
end)

describe("wait mode under luv against hostile servers #embed", function()
  local clean, expected

  setup(function()
    clean = simmod.start{"--computers", "300", "--seed", "5"}
    local blocking <close> = cwa.new(options(clean))
    expected = ids_of(blocking:list("/Computers", {fields = {"Id"}}))
  end)

  teardown(function()
    if clean then clean:stop() end
  end)

  it("waits out a 429 with Retry-After under luv: every record once, few turns", function()
    local srv = hostile.start("status", {on = "page:2", times = 1, records = 60, status = 429,
      headers = {{"Content-Type", "application/json"}, {"Retry-After", "2"}, {"X-RateLimit-Limit", "600"},
        {"X-RateLimit-Remaining", "0"}},
      body = '{"Message":"Rate limit exceeded."}'})
    finally(srv.stop)
    local r = hostile.child(LUV_CHILD:format([[
      local ids = {}
      for rec in c:computers{page_size = 10} do ids[#ids + 1] = rec.Id end
      return ids
    ]]), {client = hostile.options(srv, {concurrency = 1})}, {timeout = 20})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    local want = {}
    for i = 1, 60 do want[i] = i end
    assert_exactly_once(want, r.value.value)
    assert.is_true(r.value.ticks >= 50, r.value.ticks .. " ticks of the luv timer during a 2 s Retry-After")
    assert.is_true(r.value.turns < 200, r.value.turns .. " wait calls: the luv loop was spun")
  end)

  it("retries 5xx and dropped connections under luv: every record once", function()
    local sim = simmod.start{"--computers", "300", "--seed", "5", "--fail-rate", "0.2", "--drop-rate", "0.15"}
    finally(function() sim:stop() end)
    local r = hostile.child(LUV_CHILD:format([[
      local ids = {}
      for rec in c:computers{page_size = 20, fields = {"Id"}} do ids[#ids + 1] = rec.Id end
      return ids
    ]]), {client = options(sim, {retries = 8, backoff_base = 0.05, backoff_cap = 0.2})}, {timeout = 40})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert_exactly_once(expected, r.value.value)
  end)

  it("raises Unauthorized for a wrong password under luv, without a hang", function()
    local sim = simmod.start{"--computers", "10"}
    finally(function() sim:stop() end)
    local r = hostile.child(LUV_CHILD:format("return c:list('/Computers')"),
      {client = options(sim, {password = "wrong-pass"})}, {timeout = 20})
    local e = hostile.child_error(r, "Unauthorized")
    assert.are.equal(401, e.status)
  end)

  it("refreshes a token that expires mid-listing under luv", function()
    local sim = simmod.start{"--computers", "300", "--seed", "5", "--token-ttl", "2", "--latency-ms", "120"}
    finally(function() sim:stop() end)
    local r = hostile.child(LUV_CHILD:format([[
      local ids = {}
      for rec in c:computers{page_size = 10, fields = {"Id"}} do ids[#ids + 1] = rec.Id end
      return ids
    ]]), {client = options(sim, {concurrency = 1})}, {timeout = 40})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert_exactly_once(expected, r.value.value)
    local stats = sim:stats()
    assert.is_true(stats.logins + stats.refreshes >= 2, "the token was never renewed")
    assert.is_true(stats.logins + stats.refreshes <= math.ceil(r.elapsed) + 3)
  end)
end)

describe("a host that closes the client or the pager while a call waits #embed", function()
  local sim

  setup(function()
    sim = simmod.start{"--computers", "200", "--latency-ms", "200"}
  end)

  teardown(function()
    if sim then sim:stop() end
  end)

  -- Client:close() from another coroutine wakes the coroutine waiting in
  -- cqueues.poll(client) at once (the close interrupts the core, whose
  -- eventfd makes the descriptor readable); it raises Cancelled. Before the
  -- fix it slept until the timeout it had been given (6 s here).
  it("wakes a listing waiting in cqueues.poll at once when another coroutine closes the client", function()
    local client = cwa.new(options(sim, {wait = cqueues.poll, page_size = 20, concurrency = 1,
      timeout = 6, connect_timeout = 6}))
    local got, closed_at, ended_at = 0, nil, nil
    local results, seen = hosted({
      function()
        local ok, err = pcall(function()
          for _ in client:computers{fields = {"Id"}} do got = got + 1 end
        end)
        ended_at = cqueues.monotime()
        if not ok then error(err, 0) end
        return got
      end,
      function()
        cqueues.sleep(0.6)
        closed_at = cqueues.monotime()
        client:close()
      end,
    }, 20)
    assert.are.same({}, seen.hung)
    assert.is_true(got < 200, "the listing ended before the close: the test proves nothing")
    local r = results[1]
    assert(r[1] or cwa.is_error(r[2]), "the listing raised a Lua error, not a cwa.Error: " .. tostring(r[2]))
    -- a woken waiter ends in milliseconds; 2 s is a wide margin
    assert.is_true(ended_at - closed_at < 2,
      ("the waiting listing ended %.1f s after the close"):format(ended_at - closed_at))
  end)

  -- The descriptor is closed by the last waiter, after cqueues.cancel(fd):
  -- the controller that polled it never updates its events on a closed
  -- descriptor. Before the fix loop:loop() failed with "unable to update
  -- event disposition: Bad file descriptor".
  it("leaves the host's cqueues loop without an error when another coroutine closes the client", function()
    local client = cwa.new(options(sim, {wait = cqueues.poll, page_size = 20, concurrency = 1,
      timeout = 2, connect_timeout = 2}))
    local got = 0
    local results, seen = hosted({
      function()
        for _ in client:computers{fields = {"Id"}} do got = got + 1 end
        return got
      end,
      function()
        cqueues.sleep(0.6)
        client:close()
      end,
    }, 20)
    assert.are.same({}, seen.hung)
    assert.is_true(got < 200, "the listing ended before the close: the test proves nothing")
    local r = results[1]
    assert(r[1] or cwa.is_error(r[2]), "the listing raised a Lua error, not a cwa.Error: " .. tostring(r[2]))
    -- after close, a call raises at once, without polling the closed descriptor
    local e = hostile.error_of(client.count, client, "/Computers")
    assert.are.equal("InvalidArgument", e.code)
    assert.are.same({}, seen.errors, "the host's cqueues loop failed after the client was closed")
  end)

  -- The same in a child process under the README's own `assert(loop:loop())`.
  it("lets a host running assert(loop:loop()) survive a close from another coroutine", function()
    local r = hostile.child([[
      local cqueues = require "cqueues"
      local c = client{wait = cqueues.poll, page_size = 20, concurrency = 1, timeout = 2, connect_timeout = 2}
      local loop = cqueues.new()
      local first
      loop:wrap(function() first = table.pack(pcall(function() return c:list("/Computers") end)) end)
      loop:wrap(function() cqueues.sleep(0.5); c:close() end)
      assert(loop:loop())
      if not first[1] then error(first[2], 0) end
      return #first[2]
    ]], {client = options(sim)}, {timeout = 20})
    hostile.finished(r)
    -- the listing ends with Cancelled (closed while it waited); the loop ends
    assert(r.error and r.error.code == "Cancelled", hostile.outcome(r))
    assert.truthy(r.error.message:find("closed while this call waited", 1, true), r.error.message)
  end)

  -- The same close under cwa.luv.wait: the waiter wakes at once and its
  -- uv poll handle is closed with it, so a new client that gets the same
  -- descriptor number polls it (before the fix uv.new_poll failed with
  -- EEXIST, unchecked: a Lua error); cwa.luv now checks new_poll's error.
  it("lets a new client list under luv while a closed client's listing still waits", function()
    local r = hostile.child([[
      local uv = require "luv"
      local lw = require("cwa.luv").wait
      local old = client{wait = lw, page_size = 20, concurrency = 1, timeout = 3, connect_timeout = 3}
      local out = {}
      local function lister(c, name)
        return coroutine.create(function()
          out[name] = table.pack(pcall(function()
            local n = 0
            for _ in c:computers{fields = {"Id"}} do n = n + 1 end
            return n
          end))
        end)
      end
      assert(coroutine.resume(lister(old, "old")))
      local t = uv.new_timer()
      t:start(500, 0, function()
        t:close()
        old:close()
        local new = client{wait = lw, page_size = 50}
        assert(coroutine.resume(lister(new, "new")))
      end)
      uv.run()
      if not out.new[1] then error(out.new[2], 0) end
      return {new = out.new[2], old_ok = out.old[1], old = tostring(out.old[2])}
    ]], {client = options(sim)}, {timeout = 20})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.are.equal(200, r.value.new)
  end)

  -- Under luv too, close wakes the waiter at once.
  it("wakes a listing waiting under luv at once when the client is closed", function()
    local r = hostile.child([[
      local uv = require "luv"
      local c = client{wait = require("cwa.luv").wait, page_size = 20, concurrency = 1, timeout = 6,
        connect_timeout = 6}
      local out, closed_at, ended_at
      local co = coroutine.create(function()
        out = table.pack(pcall(function() return #c:list("/Computers", {fields = {"Id"}}) end))
        ended_at = uv.hrtime()
      end)
      assert(coroutine.resume(co))
      local t = uv.new_timer()
      t:start(600, 0, function()
        t:close()
        closed_at = uv.hrtime()
        c:close()
      end)
      uv.run()
      return {ok = out[1], value = tostring(out[2]), is_error = cwa.is_error(out[2]),
        after = (ended_at - closed_at) / 1e9}
    ]], {client = options(sim)}, {timeout = 20})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert(r.value.ok or r.value.is_error, "not a cwa.Error: " .. r.value.value)
    assert.is_true(r.value.after < 2, ("the waiting listing ended %.1f s after the close"):format(r.value.after))
  end)

  it("ends or raises cleanly when a token login is closed under it", function()
    local client = cwa.new(options(sim, {wait = cqueues.poll}))
    local results, seen = hosted({
      function() return client:token() end,
      function()
        cqueues.sleep(0.05)
        client:close()
      end,
    }, 20)
    assert.are.same({}, seen.hung)
    local r = results[1]
    assert(r[1] or cwa.is_error(r[2]), "not a cwa.Error: " .. tostring(r[2]))
  end)

  it("ends a listing whose pager another coroutine closed, and the client goes on", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, page_size = 20, concurrency = 1}))
    local pager
    local results, seen = hosted({
      function()
        local n = 0
        local iterate, s, c, p = client:computers{fields = {"Id"}}
        pager = p
        for _ in iterate, s, c, p do n = n + 1 end
        return n
      end,
      function()
        cqueues.sleep(0.7)
        pager:close()
      end,
    }, 20)
    assert.are.same({}, seen.hung)
    local r = results[1]
    assert(r[1] or cwa.is_error(r[2]), "not a cwa.Error: " .. tostring(r[2]))
    if r[1] then assert.is_true(r[2] < 200, "the closed pager went on to the end") end
    assert.are.same({}, seen.errors)
    local after = hosted{function() return client:count("/Computers") end}
    assert.are.equal(200, after[1][2])
  end)

  it("cancels a listing broken out of in a luv coroutine, and the client goes on", function()
    local r = hostile.child(LUV_CHILD:format([[
      local n = 0
      for _ in c:computers{page_size = 10, fields = {"Id"}} do
        n = n + 1
        if n == 15 then break end
      end
      return {n, c:count("/Computers")}
    ]]), {client = options(sim, {concurrency = 8})}, {timeout = 20})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.are.same({15, 200}, r.value.value)
  end)
end)

describe("many coroutines on one client under cqueues #embed", function()
  it("answers a listing, a count, gets, a second listing, map, run_script with wait and a command, all at once", function()
    local sim = simmod.start{"--computers", "400", "--latency-ms", "30", "--script-ms", "300"}
    finally(function() sim:stop() end)
    local blocking <close> = cwa.new(options(sim))
    local online = ids_of(blocking:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}, limit = 3}))
    local all = ids_of(blocking:list("/Computers", {fields = {"Id"}}))
    local online_count = blocking:count("/Computers", {condition = "Status = 'Online'"})
    local alerts = blocking:count("/Alerts")
    local name7, name9 = blocking:computer(7).ComputerName, blocking:computer(9).ComputerName
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, page_size = 50}))
    local poll = {poll_interval = 0.05, timeout = 15}
    local results, seen = hosted({
      listing(client),
      function() return client:count("/Computers", {condition = "Status = 'Online'"}) end,
      function() return client:computer(7).ComputerName end,
      function() return client:run_script({online[1], online[2]}, 7, nil,
        {wait = true, poll_interval = 0.05, timeout = 15}) end,
      function() return table.pack(client:command(online[3], "ipconfig /all", poll)) end,
      function() return #client:list("/Alerts", {fields = {"AlertId"}, page_size = 100}) end,
      function() return client:get("/Computers/9", {includeFields = "Id,ComputerName"}).ComputerName end,
      function() return client:map({1, 2, 3, 4}, function(id) return client:computer(id).Id end) end,
    }, 40)
    assert.are.same({}, seen.errors)
    assert.are.same(all, value_of(results, seen, 1))
    assert.are.equal(online_count, value_of(results, seen, 2))
    assert.are.equal(name7, value_of(results, seen, 3))
    local runs = value_of(results, seen, 4)
    assert.are.equal(2, #runs)
    for _, one in ipairs(runs) do assert.are.equal("Completed", one.status) end
    local cmd = value_of(results, seen, 5)
    assert.is_string(cmd[1])
    assert.are.equal("Success", cmd[2])
    assert.are.equal(alerts, value_of(results, seen, 6))
    assert.are.equal(name9, value_of(results, seen, 7))
    assert.are.same({1, 2, 3, 4}, value_of(results, seen, 8))
    assert.is_true(seen.ticks > 20, seen.ticks .. " ticks")
  end)
end)

describe("hosts whose wait function misbehaves #embed", function()
  local sim

  setup(function()
    sim = simmod.start{"--computers", "200", "--latency-ms", "20", "--script-ms", "200"}
  end)

  teardown(function()
    if sim then sim:stop() end
  end)

  it("completes every call with a wait function that returns at once (busier, still right)", function()
    local turns = 0
    local client <close> = cwa.new(options(sim, {page_size = 20, wait = function() turns = turns + 1 end}))
    local results, seen = hosted({function()
      local ids = listing(client)()
      return {ids = ids, count = client:count("/Computers"), one = client:computer(3).Id}
    end}, 30)
    local v = value_of(results, seen)
    assert.are.equal(200, #v.ids)
    assert_exactly_once(v.ids, v.ids)
    assert.are.equal(200, v.count)
    assert.are.equal(3, v.one)
    assert.is_true(turns > 0)
  end)

  it("completes a run_script pause with a wait function that returns at once", function()
    local client <close> = cwa.new(options(sim, {wait = function() end}))
    local blocking <close> = cwa.new(options(sim))
    local online = ids_of(blocking:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}, limit = 1}))
    local results, seen = hosted({function()
      return client:run_script(online[1], 7, nil, {wait = true, poll_interval = 0.05, timeout = 10})
    end}, 20)
    assert.are.equal("Completed", value_of(results, seen)[1].status)
  end)

  -- A wait function that yields to the loop before it polls (a host that
  -- gives its other coroutines a turn first, or resumes the wait late).
  -- While coroutine A's wait is away, coroutine B steps the client and A's
  -- page arrives. When A then polls, the descriptor stays quiet: it must
  -- not wait forever. client:timeout() is 0 while a waiting call could go
  -- on (each waiting call tells the client what it waits for); before the
  -- fix it was nil and A hung.
  for _, case in ipairs{
    {what = "a listing", opts = {page_size = 20}, expected = 200,
      call = function(client) return #client:list("/Computers", {fields = {"Id"}}) end},
    {what = "a get", opts = {}, expected = 3, call = function(client) return client:computer(3).Id end},
  } do
    it("finishes " .. case.what .. " whose wait is resumed late while the host stepped the client", function()
      local late = setmetatable({}, {__mode = "k"})
      local opts = {wait = function(c)
        local co = coroutine.running()
        if late[co] then
          late[co] = nil
          cqueues.sleep(0.8)
        end
        return cqueues.poll(c)
      end}
      for k, v in pairs(case.opts) do opts[k] = v end
      local client <close> = cwa.new(options(sim, opts))
      local results, seen = hosted({
        function()
          late[coroutine.running()] = true
          return case.call(client)
        end,
        function()
          local id = client:computer(1).Id
          for _ = 1, 10 do
            cqueues.sleep(0.05)
            client:step()
          end
          return id
        end,
      }, 10)
      assert.are.equal(1, value_of(results, seen, 2))
      assert.are.equal(case.expected, value_of(results, seen, 1))
    end)
  end

  -- The same lost wake-up from re-entry: the wait function itself calls
  -- client:computer(5), whose turns complete the outer listing's first
  -- page; the outer poll then returns at once (timeout() is 0).
  it("gives a clear error or a right answer when the wait function calls the client itself", function()
    local inside, inner = false, {}
    local client <close> = cwa.new(options(sim, {page_size = 20, wait = function(c)
      if not inside and #inner < 2 then
        inside = true
        inner[#inner + 1] = table.pack(pcall(function() return c:computer(5).Id end))
        inside = false
      end
      return cqueues.poll(c)
    end}))
    local results, seen = hosted({listing(client)}, 10)
    local ids = value_of(results, seen)
    assert.are.equal(200, #ids)
    assert_exactly_once(ids, ids)
    for _, r in ipairs(inner) do
      assert(r[1] and r[2] == 5 or cwa.is_error(r[2]), "the inner call gave " .. tostring(r[2]))
    end
  end)

  it("keeps a listing right when the wait function runs a whole listing of its own", function()
    local inside, inner = false, {}
    local client <close> = cwa.new(options(sim, {page_size = 20, wait = function(c)
      if not inside and #inner < 2 then
        inside = true
        inner[#inner + 1] = table.pack(pcall(function() return #c:list("/Computers", {fields = {"Id"}}) end))
        inside = false
      end
      return cqueues.poll(c)
    end}))
    local results, seen = hosted({listing(client)}, 20)
    local ids = value_of(results, seen)
    assert.are.equal(200, #ids)
    assert_exactly_once(ids, ids)
    for _, r in ipairs(inner) do
      assert(r[1] and r[2] == 200 or cwa.is_error(r[2]), "the inner listing gave " .. tostring(r[2]))
    end
  end)

  it("raises the wait function's error when it fails half way through a listing, and the client goes on", function()
    local turns = 0
    local client <close> = cwa.new(options(sim, {page_size = 20, wait = function(c)
      turns = turns + 1
      if turns == 6 then error("host is shutting down", 0) end
      return cqueues.poll(c)
    end}))
    local results, seen = hosted({listing(client)}, 20)
    assert.are.same({}, seen.hung)
    assert.is_false(results[1][1])
    assert.are.equal("host is shutting down", results[1][2])
    local again = hosted({listing(client)}, 20)
    assert.are.equal(200, #again[1][2])
  end)
end)
