-- Issue 14, classes 4 and 5: servers that ignore what paging relies on.
-- Keyset paging (consistent = true) against a server that ignores orderBy
-- or the `Id > last` condition, and offset paging against one that ignores
-- `page`. Required: ids increase strictly across a keyset listing, a
-- repeated page is detected, and the listing ends with an InvalidResponse
-- that says what the server ignored: never a loop, never memory without
-- bound, never a repeated record handed to the caller. Each listing runs
-- in a child under a 15 s hang guard and an RSS watchdog; the child stops
-- itself past 10,000 records (a runaway) so a loop fails fast.
local hostile = require "support.hostile"

local RSS_BOUND_KB = 200 * 1024

-- Runs a listing in a child: returns the child result; its value (or, when
-- the listing raised, its partial) holds the ids seen, how many records
-- were handed out, how many of them were repeats and whether the runaway
-- cap was hit.
local LISTING = [[
  local c = client()
  local ids, seen, dup, n = {}, {}, 0, 0
  local function take(rec)
    n = n + 1
    if seen[rec.Id] then dup = dup + 1 end
    seen[rec.Id] = true
    if #ids < 2000 then ids[#ids + 1] = rec.Id end
    return n > 10000
  end
  local ok, err = pcall(function()
    if ARGS.mode == "list" then
      for _, rec in ipairs(c:list("/Computers", ARGS.opts)) do take(rec) end
    else
      for rec in c:each("/Computers", ARGS.opts) do
        if take(rec) then return end
      end
    end
  end)
  PARTIAL = {ids = ids, n = n, dup = dup, runaway = n > 10000}
  if not ok then error(err, 0) end
  return PARTIAL
]]

local function listing(srv, mode, opts)
  return hostile.child(LISTING, {client = hostile.options(srv), mode = mode, opts = opts},
    {timeout = 15})
end

local function assert_memory(r)
  if hostile.UNDER_ASAN or hostile.UNDER_VALGRIND then return end
  assert(r.hwm_kb < RSS_BOUND_KB, ("peak RSS %d MB, bound 200 MB"):format(r.hwm_kb // 1024))
end

local function data_requests(srv)
  return #srv.data_requests()
end

describe("keyset paging against a server that ignores the order #trust", function()
  it("[4] ids increase strictly over the whole listing, or InvalidResponse naming the order", function()
    local srv = hostile.start("ignore_order", {records = 23})
    finally(srv.stop)
    local r = hostile.finished(listing(srv, "each", {consistent = true, page_size = 5}))
    if r.ok then
      local last = 0
      for _, id in ipairs(r.value.ids) do
        assert(id > last, ("id %d after %d: the ids do not increase"):format(id, last))
        last = id
      end
      assert(r.value.n == 23 and r.value.dup == 0, ("%d records of 23, %d of them repeats"):format(r.value.n,
        r.value.dup))
    else
      local e = hostile.child_error(r, "InvalidResponse")
      assert(e.message:lower():find("order", 1, true), "the message does not say the order was ignored: " .. e.text)
    end
  end)

  it("[4] list: the same, whole or InvalidResponse", function()
    local srv = hostile.start("ignore_order", {records = 23})
    finally(srv.stop)
    local r = hostile.finished(listing(srv, "list", {consistent = true, page_size = 5}))
    if r.ok then
      assert(r.value.n == 23 and r.value.dup == 0, ("%d records of 23, %d of them repeats"):format(r.value.n,
        r.value.dup))
    else
      hostile.child_error(r, "InvalidResponse")
    end
  end)
end)

describe("keyset paging against a server that ignores `Id > last` #trust", function()
  it("[4] each raises InvalidResponse naming the condition, without looping", function()
    local srv = hostile.start("ignore_condition", {records = 23})
    finally(srv.stop)
    local r = listing(srv, "each", {consistent = true, page_size = 5})
    local e = hostile.child_error(r, "InvalidResponse")
    assert(e.message:lower():find("condition", 1, true),
      "the message does not say the condition was ignored: " .. e.text)
    assert(data_requests(srv) <= 4, data_requests(srv) .. " pages asked for")
    assert(r.partial.dup == 0, r.partial.dup .. " records handed out twice")
    hostile.assert_clean(hostile.texts(r))
  end)

  it("[4] list raises InvalidResponse with bounded memory", function()
    local srv = hostile.start("ignore_condition", {records = 23})
    finally(srv.stop)
    local r = listing(srv, "list", {consistent = true, page_size = 5})
    hostile.child_error(r, "InvalidResponse")
    assert_memory(r)
  end)
end)

describe("offset paging against a server that ignores page #trust", function()
  it("[5] each raises InvalidResponse at the repeated page and never hands out a record twice", function()
    local srv = hostile.start("ignore_page", {records = 100})
    finally(srv.stop)
    local r = listing(srv, "each", {page_size = 10})
    local e = hostile.child_error(r, "InvalidResponse")
    assert(e.message:lower():find("page", 1, true), "the message does not name the page: " .. e.text)
    assert(data_requests(srv) <= 20, data_requests(srv) .. " pages asked for")
    assert(r.partial.dup == 0, r.partial.dup .. " records handed out twice")
    hostile.assert_clean(hostile.texts(r))
  end)

  it("[5] list raises InvalidResponse with bounded memory", function()
    local srv = hostile.start("ignore_page", {records = 100})
    finally(srv.stop)
    local r = listing(srv, "list", {page_size = 10})
    hostile.child_error(r, "InvalidResponse")
    assert_memory(r)
  end)

  it("[5] with X-Total-Count 1000 the repeated pages are not 1000 records", function()
    local srv = hostile.start("ignore_page", {records = 1000, total = "1000"})
    finally(srv.stop)
    local r = listing(srv, "list", {page_size = 10})
    hostile.child_error(r, "InvalidResponse")
  end)

  it("[5] with a limit the listing still stops at the repeated page", function()
    local srv = hostile.start("ignore_page", {records = 100})
    finally(srv.stop)
    local r = listing(srv, "each", {page_size = 10, limit = 50})
    hostile.child_error(r, "InvalidResponse")
  end)
end)
