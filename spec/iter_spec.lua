-- Iterators and pagination against cwa-sim: every resource, every totals
-- style, options, limit and start_page, early exit, keyset paging under
-- churn, count and list.
local simmod = require "support.sim"
local helper = require "support.client"
local cwa = require "cwa"

local function page_requests(stats, path)
  local n = 0
  for url, times in pairs(stats.pages) do
    if url:find("/cwa/api/v1/" .. path:lower() .. "?", 1, true) then n = n + times end
  end
  return n
end

describe("iterators", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "1000", "--clients", "40", "--alerts", "700"} end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("walks every resource", function()
    local client = helper.new(sim)
    for _, r in ipairs(cwa.RESOURCES) do
      local n, seen = helper.ids(client[r.plural](client, {page_size = 100}), r.id)
      local distinct = 0
      for _ in pairs(seen) do distinct = distinct + 1 end
      assert.is_true(n > 0, r.plural)
      assert.equal(n, distinct, r.plural .. " has duplicates")
      local first = next(seen)
      local one = client[r.singular](client, first)
      assert.equal(first, one[r.id], r.singular)
    end
  end)

  it("yields records in server order", function()
    local client = helper.new(sim, {concurrency = 8})
    local last = 0
    for c in client:computers{page_size = 37} do
      assert.is_true(c.Id > last)
      last = c.Id
    end
    assert.equal(1000, last)
  end)

  it("stops at a short page and wastes at most `concurrency` requests past the end", function()
    local client = helper.new(sim, {concurrency = 6})
    local n = helper.ids(client:computers{page_size = 30})
    assert.equal(1000, n)
    local pages = page_requests(sim:stats(), "computers")
    -- 34 pages hold records; the rest were requests past the end
    assert.is_true(pages >= 34 and pages <= 34 + 6, "pages: " .. pages)
  end)

  it("costs exactly one empty request after a full last page, sequentially", function()
    local client = helper.new(sim, {concurrency = 1})
    assert.equal(1000, (helper.ids(client:computers{page_size = 100})))
    assert.equal(11, page_requests(sim:stats(), "computers"))
  end)

  it("fetches no page beyond `limit`", function()
    local client = helper.new(sim, {concurrency = 10})
    for _, case in ipairs{{100, 50, 2}, {101, 50, 3}, {1, 50, 1}, {0, 50, 0}, {999, 1000, 1}} do
      sim:reset()
      local limit, ps, want_pages = case[1], case[2], case[3]
      local n = helper.ids(client:computers{limit = limit, page_size = ps})
      assert.equal(limit, n)
      assert.equal(want_pages, page_requests(sim:stats(), "computers"), "limit " .. limit)
    end
  end)

  it("starts at start_page", function()
    local client = helper.new(sim)
    local first
    local n = 0
    for c in client:computers{start_page = 3, page_size = 100} do
      first = first or c.Id
      n = n + 1
    end
    assert.equal(201, first)
    assert.equal(800, n)
  end)

  it("sends condition, order_by, fields, exclude_fields, ids and expand", function()
    local client = helper.new(sim)
    local recs = client:list("/Computers", {condition = "Status = 'Online' and Type = 'Server'",
      order_by = "ComputerName desc", fields = {"Id", "ComputerName", "Status", "Type"}, page_size = 1000})
    assert.is_true(#recs > 0 and #recs < 1000)
    for i, c in ipairs(recs) do
      assert.equal("Online", c.Status)
      assert.equal("Server", c.Type)
      assert.is_nil(c.Client)
      if i > 1 then assert.is_true(recs[i - 1].ComputerName:lower() >= c.ComputerName:lower()) end
    end
    local some = client:list("/Computers", {ids = {5, 7, 9}, exclude_fields = "OpenPortsTCP"})
    assert.equal(3, #some)
    assert.is_nil(some[1].OpenPortsTCP)
    assert.is_table(some[1].Client)
    assert.equal(3, #client:list("/Computers", {ids = {1, 2, 3}, expand = "tickets"}))
  end)

  it("takes a condition built with cwa.cond and cwa.where", function()
    local client = helper.new(sim)
    local f = cwa.cond.field
    local online_servers = f("Status"):eq("Online") & f("Type"):eq("Server")
    local a = client:count("/Computers", {condition = online_servers})
    local b = client:count("/Computers", {condition = cwa.where{Status = "Online", Type = "Server"}})
    local c = client:count("/Computers", {condition = "Status = 'Online' and Type = 'Server'"})
    assert.is_true(a > 0)
    assert.equal(a, b)
    assert.equal(a, c)
    local injected = client:count("/Computers", {condition = f("ComputerName"):eq("O'Brien' or 1=1 --")})
    assert.equal(0, injected)
  end)

  it("cancels pages in flight when the loop is left early, by break or error", function()
    local slow = simmod.start{"--computers", "3000", "--latency-ms", "40"}
    local client = helper.new(slow, {concurrency = 8})
    local n = 0
    for _ in client:computers{page_size = 50} do
      n = n + 1
      if n == 120 then break end
    end
    local after_break = slow:stats().requests
    local ok = pcall(function()
      for c in client:computers{page_size = 50} do
        if c.Id == 75 then error("stop here") end
      end
    end)
    assert.is_false(ok)
    local after_error = slow:stats().requests
    simmod.sleep(0.3)
    local later = slow:stats().requests
    slow:stop()
    assert.is_true(after_break < 30, "requests: " .. after_break)
    assert.equal(after_error, later)
  end)

  it("raises a cwa.Error naming the page that failed", function()
    local client = helper.new(sim)
    local err = helper.error_of(function()
      for _ in client:each("/Computers", {condition = "NoSuchField = 1"}) do end
    end)
    assert.equal("BadRequest", err.code)
    assert.matches("page 1 of /Computers failed", err.message)
    assert.matches("Invalid field", err.message)
  end)

  it("rejects bad options before sending anything", function()
    local client = helper.new(sim)
    for _, opts in ipairs{{page_size = 0}, {page_size = 1001}, {limit = -1}, {start_page = 0},
                          {colour = "red"}, {condition = 42}, {fields = {{}}},
                          {consistent = true, order_by = "Id desc"}, {condition = "  "}} do
      local err = helper.error_of(function() return client:computers(opts) end)
      assert.equal("InvalidArgument", err.code)
    end
    assert.equal(0, sim:stats().requests)
  end)

  it("counts with the fewest requests", function()
    local client = helper.new(sim)
    assert.equal(1000, client:count("/Computers"))
    assert.equal(2, page_requests(sim:stats(), "computers")) -- 1000 + an empty page
    local online = client:count("/Computers", {condition = "Status = 'Online'"})
    assert.is_true(online > 0 and online < 1000)
  end)
end)

describe("totals styles", function()
  for _, style in ipairs{"none", "headers", "body"} do
    it("lists everything with totals = " .. style .. " and no page past the end when told", function()
      local sim = simmod.start{"--computers", "777", "--totals", style}
      local client = helper.new(sim, {concurrency = 5})
      local n, seen = helper.ids(client:computers{page_size = 100})
      local distinct = 0
      for _ in pairs(seen) do distinct = distinct + 1 end
      local pages = page_requests(sim:stats(), "computers")
      sim:reset()
      local counted = client:count("/Computers")
      local count_pages = page_requests(sim:stats(), "computers")
      sim:stop()
      assert.equal(777, n)
      assert.equal(777, distinct)
      assert.equal(777, counted)
      if style == "none" then
        assert.is_true(pages >= 8 and pages <= 8 + 5)
      else
        assert.equal(8, pages)
        assert.equal(1, count_pages)
      end
    end)
  end

  it("works in the apicredentials dialect (headers, flat names)", function()
    local sim = simmod.start{"--computers", "300", "--dialect", "apicredentials"}
    local client = helper.new(sim, {auth = "apicredentials"})
    local n = 0
    for c in client:computers{condition = "Name startswith 'A' or ClientID >= 0", page_size = 64} do
      assert.is_number(c.ComputerID)
      n = n + 1
    end
    sim:stop()
    assert.equal(300, n)
  end)
end)

describe("consistent = true", function()
  it("lists a changing collection with no duplicates and no gaps", function()
    local sim = simmod.start{"--computers", "2000", "--churn", "5"}
    local client = helper.new(sim)
    local before = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do before[c.Id] = true end
    local n, seen, dup = helper.ids(client:computers{consistent = true, page_size = 100})
    local after = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do after[c.Id] = true end
    sim:stop()
    assert.equal(0, dup)
    -- every record that existed during the whole listing was seen
    for id in pairs(before) do
      if after[id] then assert.is_true(seen[id], "missed " .. id) end
    end
    assert.is_true(n > 1900)
  end)

  it("shows why: offset paging over the same churn repeats or skips records", function()
    local sim = simmod.start{"--computers", "2000", "--churn", "5"}
    local client = helper.new(sim, {concurrency = 1})
    local before = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do before[c.Id] = true end
    local _, seen, dup = helper.ids(client:computers{page_size = 100})
    local after = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do after[c.Id] = true end
    sim:stop()
    local missed = 0
    for id in pairs(before) do
      if after[id] and not seen[id] then missed = missed + 1 end
    end
    assert.is_true(dup + missed > 0)
  end)
end)

describe("module-level iterators", function()
  it("use cwa.set_default or a client from the environment", function()
    local sim = simmod.start{"--computers", "40"}
    cwa.set_default(helper.new(sim))
    local n = 0
    for c in cwa.computers{condition = "Id <= 10"} do
      n = n + 1
      assert.is_true(c.Id <= 10)
    end
    assert.equal(10, n)
    assert.equal(3, cwa.computer(3).Id)
    cwa.set_default(nil)
    sim:stop()
  end)
end)

describe("edge cases", function()
  it("lists an empty result when the server says the total is 0", function()
    for _, style in ipairs{"headers", "body"} do
      local sim = simmod.start{"--computers", "50", "--totals", style}
      local client = helper.new(sim)
      assert.same({}, client:list("/Computers", {condition = "Id = 0"}))
      assert.equal(0, client:count("/Computers", {condition = "Id = 0"}))
      sim:stop()
    end
  end)

  it("raises the error of the user's log function, and stays usable", function()
    local sim = simmod.start{"--computers", "50"}
    local fail = true
    local client = helper.new(sim, {log = function() if fail then error({mine = true}) end end})
    local ok, err = pcall(client.list, client, "/Computers", {page_size = 10})
    assert.is_false(ok)
    assert.is_true(err.mine)
    fail = false
    assert.equal(50, #client:list("/Computers", {page_size = 10}))
    sim:stop()
  end)
end)

describe("query tables", function()
  it("take the same values as the named options of each: lists of integers, whole floats and strings", function()
    local sim = simmod.start{"--computers", "40"}
    local client = helper.new(sim)
    local listed = {}
    for c in client:each("/Computers", {ids = {3, 5.0, "7"}, fields = {"Id", "ComputerName"}}) do
      listed[#listed + 1] = c.Id
    end
    local got = client:get("/Computers", {ids = {3, 5.0, "7"}, includeFields = {"Id", "ComputerName"}})
    local fetched = {}
    for i, c in ipairs(got) do
      fetched[i] = c.Id
      assert.is_nil(c.Status)
    end
    table.sort(listed)
    table.sort(fetched)
    assert.same({3, 5, 7}, listed)
    assert.same({3, 5, 7}, fetched)
    local sent = sim:stats().requests
    for _, bad in ipairs{{1, {2}}, 1.5, {1, x = 2}, print, {0 / 0}} do
      local err = helper.error_of(function() return client:each("/Computers", {ids = bad}) end)
      assert.equal("InvalidArgument", err.code)
      assert.is_truthy(err.message:find("each: ids", 1, true), err.message)
      err = helper.error_of(function() return client:get("/Computers", {ids = bad}) end)
      assert.equal("InvalidArgument", err.code)
      assert.is_truthy(err.message:find("query: parameter 'ids' must be", 1, true), err.message)
    end
    assert.equal(sent, sim:stats().requests)
    sim:stop()
  end)
end)
