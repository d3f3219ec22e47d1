-- Embedding (issue 17, point 2): a client made with `wait = cqueues.poll`
-- never blocks the thread. Every kind of call (iterators, list, count, get
-- and post, a login, run_script and command polling, map, a page fetched
-- again after a body that did not decode) runs inside a cqueues controller
-- while other coroutines of the same loop keep running, and gives the same
-- answers as a blocking client. The luv example is run by examples_spec; the
-- ticker-gap and wall-time figures are in `make bench`.
local simmod = require "support.sim"
local hostile = require "support.hostile"
local cqueues = require "cqueues"
local cwa = require "cwa"

local function options(sim, extra)
  local o = {server = sim.url, username = "integrator", password = "integrator-pass", client_id = "embed",
             rate_limit = false}
  for k, v in pairs(extra or {}) do o[k] = v end
  return o
end

-- The wait function cqueues.poll, counting the turns the client gives the
-- loop.
local turns = 0
local function counted_poll(client)
  turns = turns + 1
  return cqueues.poll(client)
end

-- Runs fn() in a cqueues controller next to a 5 ms ticker. Returns fn's
-- results and what was seen while fn ran: the ticks, and at each mark(i)
-- fn made the turns of counted_poll and the ticks so far.
local function hosted(fn)
  local loop = cqueues.new()
  local running, ticks, at = true, 0, {}
  local results
  loop:wrap(function()
    while running do
      cqueues.sleep(0.005)
      ticks = ticks + 1
    end
  end)
  loop:wrap(function()
    local function mark(i) at[i] = {turns = turns, ticks = ticks} end
    local ok, a, b, c = pcall(fn, mark)
    running = false
    results = {ok = ok, a, b, c}
  end)
  local ok, err = loop:loop()
  assert(ok, tostring(err))
  if not results.ok then error(results[1], 0) end
  return results, {ticks = ticks, at = at}
end

local function ids_of(records)
  local out = {}
  for i, r in ipairs(records) do out[i] = r.Id end
  return out
end

describe("a client with wait = cqueues.poll #embed", function()
  local sim, blocking

  setup(function()
    sim = simmod.start{"--computers", "1000", "--latency-ms", "20", "--script-ms", "300"}
    blocking = cwa.new(options(sim))
  end)

  teardown(function()
    if blocking then blocking:close() end
    if sim then sim:stop() end
  end)

  it("lists the same records as a blocking client, and the loop has a turn between every two pages", function()
    local client <close> = cwa.new(options(sim, {wait = counted_poll, page_size = 100}))
    local expected = ids_of(blocking:list("/Computers", {fields = {"Id"}, page_size = 100}))
    local r, seen = hosted(function(mark)
      local got, n = {}, 0
      for c in client:computers{fields = {"Id", "ComputerName"}} do
        n = n + 1
        got[n] = c.Id
        mark(n)
      end
      return got
    end)
    assert.are.same(expected, r[1])
    assert.are.equal(1000, #r[1])
    for first = 101, 1000, 100 do
      assert.is_true(seen.at[first].turns > seen.at[first - 1].turns,
        ("the loop had no turn between record %d and %d (pages of 100)"):format(first - 1, first))
    end
    assert.is_true(seen.ticks > 0, "the 5 ms ticker never ran during the listing")
  end)

  it("gives the loop a turn between pages that have all arrived already", function()
    local client <close> = cwa.new(options(sim, {wait = counted_poll, page_size = 100, concurrency = 10}))
    local r, seen = hosted(function(mark)
      -- every page of the listing arrives while this coroutine sleeps
      local records = {}
      local iterate, _, _, pager = client:computers{fields = {"Id"}}
      local first = iterate()
      cqueues.sleep(0.5)
      records[1] = first
      mark(1)
      for c in iterate, nil, nil, pager do
        records[#records + 1] = c
        mark(#records)
      end
      return records
    end)
    assert.are.equal(1000, #r[1])
    for first = 101, 1000, 100 do
      assert.is_true(seen.at[first].turns > seen.at[first - 1].turns, "no turn before record " .. first)
    end
  end)

  it("runs list, count, get, post and a login through the loop", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll}))
    local r, seen = hosted(function()
      local token, expires = client:token()
      local list = client:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}})
      local count = client:count("/Computers", {condition = "Status = 'Online'"})
      local one = client:computer(list[1].Id)
      return {token = token, expires = expires, list = list, count = count, one = one}
    end)
    local got = r[1]
    assert.is_string(got.token)
    assert.is_true(got.expires > os.time())
    assert.are.same(ids_of(blocking:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}})),
      ids_of(got.list))
    assert.are.equal(#got.list, got.count)
    assert.are.same(blocking:computer(got.list[1].Id), got.one)
    assert.is_true(seen.ticks > 0)
  end)

  it("polls run_script and command through the loop, the ticker running during their pauses", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll}))
    local online = blocking:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}, limit = 2})
    local r, seen = hosted(function()
      local results = client:run_script({online[1].Id, online[2].Id}, 7, nil,
        {wait = true, poll_interval = 0.05, timeout = 10})
      local output, status = client:command(online[1].Id, "ipconfig /all", {poll_interval = 0.05, timeout = 10})
      return results, output, status
    end)
    assert.are.equal(2, #r[1])
    for _, one in ipairs(r[1]) do assert.are.equal("Completed", one.status) end
    assert.is_string(r[2])
    assert.are.equal("Success", r[3])
    -- two script runs of 300 ms and a command: 5 ms ticks all along
    assert.is_true(seen.ticks >= 20, seen.ticks .. " ticks")
  end)

  it("runs map through the loop", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll}))
    local ids = {}
    for i = 1, 30 do ids[i] = i end
    local r, seen = hosted(function()
      return client:map(ids, function(id) return client:computer(id).ComputerName end, {concurrency = 5})
    end)
    for i, name in ipairs(r[1]) do assert.are.equal(blocking:computer(i).ComputerName, name) end
    assert.is_true(seen.ticks > 0)
  end)

  it("runs one map at a time on a client, and says which rule a second one broke", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll}))
    local loop = cqueues.new()
    local outcomes, nested = {}, {}
    for k = 1, 2 do
      loop:wrap(function()
        local ids = {k * 10 + 1, k * 10 + 2, k * 10 + 3}
        local ok, r = pcall(client.map, client, ids, function(id)
          if id == ids[2] then nested[#nested + 1] = select(2, pcall(client.map, client, {1}, function() end)) end
          return client:computer(id).Id
        end)
        outcomes[#outcomes + 1] = {ok = ok, result = r, ids = ids}
      end)
    end
    assert(loop:loop())
    -- whichever started first ran; the other was refused at once
    table.sort(outcomes, function(a, b) return a.ok and not b.ok end)
    assert.is_true(outcomes[1].ok)
    assert.are.same(outcomes[1].ids, outcomes[1].result)
    assert.is_false(outcomes[2].ok)
    assert.are.equal("InvalidArgument", outcomes[2].result.code)
    assert.truthy(outcomes[2].result.message:find("another coroutine is running a map on this client", 1, true),
      outcomes[2].result.message)
    assert.are.equal(1, #nested)
    assert.are.equal("InvalidArgument", nested[1].code)
    assert.truthy(nested[1].message:find("cannot run inside another map", 1, true), nested[1].message)
  end)

  it("keeps two listings of one client apart in two coroutines", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, page_size = 50}))
    local loop = cqueues.new()
    local a, b = {}, {}
    loop:wrap(function()
      for c in client:computers{fields = {"Id"}, condition = "Status = 'Online'"} do a[#a + 1] = c end
    end)
    loop:wrap(function()
      for c in client:alerts{fields = {"AlertId"}} do b[#b + 1] = c end
    end)
    assert(loop:loop())
    assert.are.same(ids_of(blocking:list("/Computers", {fields = {"Id"}, condition = "Status = 'Online'"})),
      ids_of(a))
    assert.are.equal(blocking:count("/Alerts"), #b)
  end)

  it("cancels the pages in flight when a loop breaks, and the client goes on", function()
    local client <close> = cwa.new(options(sim, {wait = cqueues.poll, page_size = 10, concurrency = 8}))
    local r = hosted(function()
      local n = 0
      for _ in client:computers{fields = {"Id"}} do
        n = n + 1
        if n == 15 then break end
      end
      return n, client:count("/Computers")
    end)
    assert.are.equal(15, r[1])
    assert.are.equal(1000, r[2])
  end)

  it("raises the wait function's error from the call, and the client stays usable", function()
    local fail = true
    local client <close> = cwa.new(options(sim, {wait = function(c)
      if fail then error("host loop is shutting down", 0) end
      return cqueues.poll(c)
    end}))
    local ok, err = pcall(client.count, client, "/Computers")
    assert.is_false(ok)
    assert.are.equal("host loop is shutting down", err)
    fail = false
    local r = hosted(function() return client:count("/Computers") end)
    assert.are.equal(1000, r[1])
  end)

  it("refuses a wait option that is not a function", function()
    local ok, err = pcall(cwa.new, options(sim, {wait = 5}))
    assert.is_false(ok)
    assert.are.equal("InvalidArgument", err.code)
    assert.truthy(err.message:find("wait", 1, true))
  end)

  it("counts a pause of run_script polling in its timeout", function()
    -- nothing is in flight during a pause: without the pause in timeout()
    -- the loop would sleep until the core's own deadline
    local pauses = 0
    local client <close> = cwa.new(options(sim, {wait = function(c)
      local t = c:timeout()
      if t and t > 0 and t <= 0.2 then pauses = pauses + 1 end
      return cqueues.poll(c)
    end}))
    local online = blocking:list("/Computers", {condition = "Status = 'Online'", fields = {"Id"}, limit = 1})
    local r = hosted(function()
      return client:run_script(online[1].Id, 7, nil, {wait = true, poll_interval = 0.2, timeout = 10})
    end)
    assert.are.equal("Completed", r[1][1].status)
    assert.is_true(pauses > 0, "no wait was told of a pause")
  end)
end)

describe("a client with wait = cqueues.poll against a broken server #embed", function()
  it("fetches a page that did not decode again without blocking the loop during the backoff", function()
    local srv = hostile.start("status", {on = "page:2", times = 1, records = 30, status = 200,
      headers = {{"Content-Type", "text/html"}}, body = "<html><body>proxy error</body></html>"})
    finally(srv.stop)
    local delay
    local client <close> = hostile.client(srv, {wait = counted_poll, backoff_base = 0.3, backoff_cap = 0.3,
      page_size = 10, concurrency = 1, log = function(_, line)
        delay = delay or tonumber(line:match("fetching it again in ([%d.]+)s"))
      end})
    local r, seen = hosted(function(mark)
      local n = 0
      for _ in client:computers{} do
        n = n + 1
        mark(n)
      end
      return n
    end)
    assert.are.equal(30, r[1])
    local page2 = 0
    for _, q in ipairs(srv.data_requests()) do
      if q.query and tonumber(q.query.page) == 2 then page2 = page2 + 1 end
    end
    assert.are.equal(2, page2, "page 2 was not fetched again")
    -- The backoff (jittered, up to 0.3 s) and the new attempt passed in the
    -- loop, not inside next(): a turn for each at least, and the ticker ran.
    assert.is_number(delay, "no retry was logged")
    local turns = seen.at[11].turns - seen.at[10].turns
    local ticks = seen.at[11].ticks - seen.at[10].ticks
    assert.is_true(turns >= 2, turns .. " turns between page 1 and page 2")
    if delay >= 0.05 then
      assert.is_true(ticks >= 1, ("no tick of 5 ms in a backoff of %.2f s"):format(delay))
    end
  end)

  it("runs the probe of a server that ignores page through the loop, and raises InvalidResponse", function()
    local srv = hostile.start("ignore_page", {records = 100})
    finally(srv.stop)
    local client <close> = hostile.client(srv, {wait = cqueues.poll})
    local ok, err = pcall(hosted, function()
      local n = 0
      for _ in client:computers{fields = {"Status"}, page_size = 10} do n = n + 1 end
      return n
    end)
    assert.is_false(ok)
    assert.are.equal("InvalidResponse", err.code, tostring(err))
  end)
end)
