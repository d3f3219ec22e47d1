-- client:map and client:get_many against cwa-sim.
local simmod = require "support.sim"
local helper = require "support.client"

describe("client:map", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "300", "--latency-ms", "20"} end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("returns results in item order and overlaps the requests", function()
    local client = helper.new(sim, {concurrency = 10})
    client:token()
    sim:reset()
    local ids = {}
    for i = 1, 60 do ids[i] = 61 - i end
    local events = {}
    local names = client:map(ids, function(id, i)
      assert.equal(ids[i], id)
      events[#events + 1] = "start " .. i
      local name = client:computer(id).ComputerName
      events[#events + 1] = "end " .. i
      return name
    end)
    local stats = sim:stats()
    assert.equal(60, #names)
    for i, id in ipairs(ids) do assert.equal(client:computer(id).ComputerName, names[i]) end
    -- one request an item, ten at a time: the first ten items are all
    -- under way before the first answer (20 ms) comes back
    assert.equal(60, stats.requests)
    local pos = {}
    for k, e in ipairs(events) do pos[e] = k end
    assert.is_true(pos["start 10"] < pos["end 1"], table.concat(events, ", "))
    assert.is_true(stats.max_concurrency >= 5, "max " .. stats.max_concurrency)
    assert.is_true(stats.max_concurrency <= 10, "max " .. stats.max_concurrency)
  end)

  it("puts {error = cwa.Error} in the slot of an item that failed", function()
    local client = helper.new(sim)
    local out = client:map({1, 999999, 3}, function(id) return client:computer(id).Id end)
    assert.equal(1, out[1])
    assert.equal(3, out[3])
    assert.equal("NotFound", out[2].error.code)
  end)

  it("with fail_fast raises the first error and starts nothing after it", function()
    local client = helper.new(sim, {concurrency = 4})
    local items = {}
    for i = 1, 200 do items[i] = i end
    items[5] = 999999
    local err = helper.error_of(client.map, client, items, function(id)
      return client:computer(id).Id
    end, {fail_fast = true, concurrency = 4})
    assert.equal("NotFound", err.code)
    local n = sim:stats().requests
    simmod.sleep(0.2)
    assert.equal(n, sim:stats().requests)
    assert.is_true(n < 30, "requests: " .. n)
  end)

  it("runs iterators inside fn", function()
    local client = helper.new(sim)
    local counts = client:map({"Status = 'Online'", "Status = 'Offline'"}, function(condition)
      local n = 0
      for _ in client:computers{condition = condition, page_size = 25} do n = n + 1 end
      return n
    end)
    assert.equal(300, counts[1] + counts[2])
    assert.is_true(counts[1] > 0 and counts[2] > 0)
  end)

  it("overlaps the listings of many items, within the cap, every record once", function()
    local client = helper.new(sim, {concurrency = 10})
    local clients = client:list("/Clients", {fields = "Id"})
    assert.is_true(#clients >= 10)
    sim:reset()
    local order, seen, dup = {}, {}, 0
    local counts = client:map(clients, function(cl, i)
      local n = 0
      for c in client:computers{condition = "Client.Id = " .. cl.Id, page_size = 3, fields = {"Id"}} do
        if seen[c.Id] then dup = dup + 1 end
        seen[c.Id] = true
        if n == 0 then order[#order + 1] = "first " .. i end
        n = n + 1
      end
      order[#order + 1] = "end " .. i
      return n
    end)
    local total = 0
    for _, n in ipairs(counts) do total = total + n end
    assert.equal(300, total)
    assert.equal(0, dup)
    -- every listing spans several pages; while one waits for a page the
    -- others run, so the second item starts before the first one ends
    local pos = {}
    for k, e in ipairs(order) do pos[e] = k end
    assert.is_true(pos["first 2"] < pos["end 1"], table.concat(order, ", "))
    local stats = sim:stats()
    assert.is_true(stats.max_concurrency <= 10, "max " .. stats.max_concurrency)
    assert.is_true(stats.max_concurrency >= 5, "max " .. stats.max_concurrency)
  end)

  it("with fail_fast closes the loops still waiting for a page", function()
    local client = helper.new(sim, {concurrency = 6})
    local items = {}
    for i = 1, 40 do items[i] = i end
    local err = helper.error_of(client.map, client, items, function(i)
      if i == 3 then return client:computer(999999) end
      for _ in client:computers{page_size = 5} do end
    end, {fail_fast = true, concurrency = 6})
    assert.equal("NotFound", err.code)
    simmod.sleep(0.1) -- what was already on the wire has ended
    local n = sim:stats().requests
    assert.equal(0, sim:stats().in_flight)
    client:computer(1) -- drives the client: nothing of the map may start now
    assert.equal(n + 1, sim:stats().requests)
  end)

  it("rejects map inside map", function()
    local client = helper.new(sim)
    local out = client:map({1}, function() return client:map({2}, function() end) end)
    assert.equal("InvalidArgument", out[1].error.code)
    assert.matches("inside another map", out[1].error.message)
  end)

  it("reports progress and never exceeds the concurrency cap", function()
    local client = helper.new(sim, {concurrency = 3})
    local calls = 0
    local items = {}
    for i = 1, 40 do items[i] = i end
    client:map(items, function(id) return client:computer(id) end, {
      concurrency = 20, progress = function(done, total)
        calls = calls + 1
        assert.equal(40, total)
        assert.equal(calls, done)
      end})
    assert.equal(40, calls)
    assert.is_true(sim:stats().max_concurrency <= 3)
  end)

  it("get_many fetches paths in order", function()
    local client = helper.new(sim)
    local out = client:get_many({"/Computers/4", {"/Computers", {ids = "7"}}, "/Computers/0"})
    assert.equal(4, out[1].Id)
    assert.equal(7, out[2][1].Id)
    assert.equal("NotFound", out[3].error.code)
  end)

  it("validates its arguments", function()
    local client = helper.new(sim)
    for _, args in ipairs{{nil, print}, {{}, nil}, {{1}, print, {colour = 1}}, {{1}, print, {concurrency = 0}}} do
      local err = helper.error_of(client.map, client, args[1], args[2], args[3])
      assert.equal("InvalidArgument", err.code)
    end
  end)
end)

describe("listings that end", function()
  -- The pages sent past the end of a listing finish instead of being cut
  -- off, and keep their place under the cap: a server that allows 4 at a
  -- time never sees a 5th, listing after listing.
  it("never put the server above the concurrency cap", function()
    local sim = simmod.start{"--computers", "300", "--latency-ms", "20", "--max-concurrent", "4"}
    local client = helper.new(sim, {concurrency = 4})
    local clients = client:list("/Clients", {fields = "Id"})
    local total = 0
    for _, cl in ipairs(clients) do
      for _ in client:computers{condition = "Client.Id = " .. cl.Id, page_size = 2} do total = total + 1 end
    end
    local mapped = client:map(clients, function(cl)
      return #client:list("/Computers", {condition = "Client.Id = " .. cl.Id, page_size = 2})
    end)
    for _, n in ipairs(mapped) do total = total + n end
    local stats = sim:stats()
    sim:stop()
    assert.equal(600, total)
    assert.equal(0, stats.concurrency_limited)
    assert.is_true(stats.max_concurrency <= 4, "max " .. stats.max_concurrency)
  end)
end)

describe("listings inside client:map under faults", function()
  it("give every record exactly once through 5xx, dropped connections and bad bodies", function()
    local sim = simmod.start{"--computers", "500", "--latency-ms", "10", "--fail-rate", "0.2",
      "--drop-rate", "0.05", "--malformed-rate", "0.05", "--seed", "11"}
    local client = helper.new(sim, {retries = 10})
    local clients = client:list("/Clients", {fields = "Id"})
    local seen, dup = {}, 0
    local counts = client:map(clients, function(cl, i)
      local n = 0
      for c in client:computers{condition = "Client.Id = " .. cl.Id, page_size = 4, fields = {"Id"}} do
        if seen[c.Id] then dup = dup + 1 end
        seen[c.Id] = true
        n = n + 1
      end
      if i % 5 == 0 then client:computer(i) end -- plain calls between the listings
      return n
    end)
    local stats = sim:stats()
    sim:stop()
    local total = 0
    for i, n in ipairs(counts) do
      assert.equal("number", type(n), "item " .. i .. ": " .. tostring(type(n) == "table" and n.error))
      total = total + n
    end
    assert.equal(500, total)
    assert.equal(0, dup)
    assert.is_true(stats.faults.fail > 0 and stats.faults.drop > 0 and stats.faults.malformed > 0)
    assert.is_true(stats.max_concurrency <= 10, "max " .. stats.max_concurrency)
  end)
end)

describe("client:map under the server's limits", function()
  -- How close it comes to the time the limit allows is `make bench`'s
  -- business; here: nothing refused, nothing sent twice, and only the
  -- requests past the server's burst wait for the pace.
  it("gets zero 429s, sends each request once and uses the server's burst", function()
    -- 6000/min = 100/s, the server's bucket holds 1000
    local sim = simmod.start{"--computers", "2000", "--rate-limit", "6000", "--max-concurrent", "10"}
    local lines = {}
    local client = helper.new(sim, {rate_limit = 6000, concurrency = 10, debug = true,
      log = function(_, line) lines[#lines + 1] = line end})
    client:token() -- the login counts against the limit too
    local items = {}
    for i = 1, 2000 do items[i] = i end
    local out = client:map(items, function(id) return client:computer(id).Id end)
    local stats = sim:stats()
    sim:stop()
    assert.equal(2000, #out)
    assert.equal(2000, out[2000])
    assert.equal(0, stats.rate_limited)
    assert.equal(0, stats.concurrency_limited)
    assert.equal(2001, stats.requests)
    assert.equal(2001, stats.by_status["200"])
    assert.is_true(stats.max_concurrency <= 10, "max " .. stats.max_concurrency)
    -- 1000 go at once (more when the machine is slow: tokens accrue
    -- meanwhile), each of the other 1001 waits for its token
    local waits = helper.waits(lines)
    assert.equal(2001, #waits, "requests in the debug log")
    local waited = 0
    for _, w in ipairs(waits) do
      if w >= 0.025 then waited = waited + 1 end
    end
    assert.is_true(waited <= 1001 + 50, waited .. " requests waited for a token")
  end)
end)
