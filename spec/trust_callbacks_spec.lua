-- Issue 14, class 1: callbacks that close things. A log or two_factor
-- function, a map item or progress function, or a loop body may close the
-- pager or the client in the middle of a call. Each case runs in a child
-- process (a crash there is a finding, not the end of the suite): no
-- crash, and the call ends with nil (the loop ends) or a cwa.Error that
-- says something was closed (or that the client cannot be closed from
-- its own callback).
local hostile = require "support.hostile"

-- The child ended by itself, and any error it raised is a cwa.Error that
-- says what was closed, or that the client was busy.
local function ends_cleanly(r)
  hostile.finished(r)
  if r.error then
    local m = r.error.message:lower()
    assert(m:find("closed", 1, true) or m:find("busy", 1, true),
      "the error does not say what was closed: " .. r.error.text)
  end
  hostile.assert_clean(hostile.texts(r))
end

describe("callbacks that close the pager or the client #trust", function()
  local srv
  setup(function() srv = hostile.start("normal", {records = 40}) end)
  teardown(function() srv.stop() end)

  local function run(src, extra)
    return hostile.child(src, {client = hostile.options(srv, extra)})
  end

  it("[1] a log function that closes the pager in the middle of a listing", function()
    ends_cleanly(run([[
      local pager
      local c = client{log = function(_, line)
        if pager and line:find("GET", 1, true) then pager:close() end
      end}
      local it, s, ctl
      it, s, ctl, pager = c:each("/Computers", {page_size = 5})
      local n = 0
      for _ in it, s, ctl, pager do n = n + 1 end
      return n
    ]]))
  end)

  it("[1] a log function that closes the client in the middle of a listing", function()
    ends_cleanly(run([[
      local c
      c = client{log = function(_, line)
        if line:find("page=2", 1, true) then c:close() end
      end}
      local n = 0
      for _ in c:each("/Computers", {page_size = 5}) do n = n + 1 end
      return n
    ]]))
  end)

  it("[1] a log function that closes the client during a plain get", function()
    ends_cleanly(run([[
      local c
      c = client{log = function(_, line)
        if line:find("Computers/3", 1, true) then c:close() end
      end}
      return c:computer(3)
    ]]))
  end)

  it("[1] a log function that closes the client during the login", function()
    ends_cleanly(run([[
      local c
      c = client{log = function(_, line)
        if line:lower():find("log", 1, true) then c:close() end
      end}
      return c:computer(1)
    ]]))
  end)

  it("[1] a loop body that closes the client and goes on iterating", function()
    ends_cleanly(run([[
      local c = client()
      local n = 0
      for _ in c:each("/Computers", {page_size = 5}) do
        n = n + 1
        if n == 3 then c:close() end
      end
      return n
    ]]))
  end)

  it("[1] a loop body that closes its own pager and goes on iterating", function()
    ends_cleanly(run([[
      local c = client()
      local it, s, ctl, pager = c:each("/Computers", {page_size = 5})
      local n = 0
      for _ in it, s, ctl, pager do
        n = n + 1
        if n == 7 then pager:close() end
      end
      return n
    ]]))
  end)

  it("[1] a map item that closes the client while other items are in flight", function()
    ends_cleanly(run([[
      local c = client()
      local res = c:map({1, 2, 3, 4, 5, 6}, function(id)
        if id == 3 then c:close() end
        return c:computer(id).Id
      end)
      return #res
    ]]))
  end)

  it("[1] a map progress function that closes the client", function()
    ends_cleanly(run([[
      local c = client()
      local res = c:map({1, 2, 3, 4, 5, 6}, function(id)
        local n = 0
        for _ in c:each("/Computers", {page_size = 5, limit = 10 + id}) do n = n + 1 end
        return n
      end, {progress = function(done) if done == 2 then c:close() end end})
      return #res
    ]]))
  end)
end)

describe("a two_factor function that closes things #trust", function()
  local srv
  setup(function() srv = hostile.start("normal", {records = 40, two_factor = true}) end)
  teardown(function() srv.stop() end)

  local function run(src)
    return hostile.child(src, {client = hostile.options(srv)})
  end

  it("[1] a two_factor function that closes the client", function()
    ends_cleanly(run([[
      local c
      c = client{two_factor = function() c:close() return "918273" end}
      return c:computer(1)
    ]]))
  end)

  it("[1] a two_factor function that closes the pager of the listing that asked", function()
    ends_cleanly(run([[
      local pager
      local c = client{two_factor = function() if pager then pager:close() end return "918273" end}
      local it, s, ctl
      it, s, ctl, pager = c:each("/Computers", {page_size = 5})
      local n = 0
      for _ in it, s, ctl, pager do n = n + 1 end
      return n
    ]]))
  end)
end)

-- The rest of class 1: a callback that raises, that calls its own client
-- again, that closes things during a call other than a listing's, or a
-- finalizer that the collector runs in the middle of a call (while a page
-- is decoded, say) and that closes something.
describe("callbacks that raise, reenter or close from a finalizer #trust", function()
  local srv
  setup(function() srv = hostile.start("normal", {records = 40}) end)
  teardown(function() srv.stop() end)

  local function run(src)
    return hostile.child(src, {client = hostile.options(srv)})
  end

  it("[1] a log function that raises: the call raises that error, the client stays usable", function()
    local r = run([[
      local raised = false
      local c = client{log = function()
        if not raised then raised = true error({mine = true}) end
      end}
      local ok, e = pcall(c.computer, c, 1)
      assert(not ok and type(e) == "table" and e.mine, "the call did not raise the log function's error")
      return c:computer(2).Id
    ]])
    hostile.finished(r)
    assert.is_true(r.ok, hostile.outcome(r))
    assert.equal(2, r.value)
  end)

  it("[1] a log function that calls its own client: busy, and the client stays usable", function()
    local r = run([[
      local c, nested
      c = client{log = function()
        if nested == nil then nested = false nested = pcall(c.get, c, "/Computers/5") end
      end}
      local ok, e = pcall(c.computer, c, 1)
      assert(ok, "the log function's pcall kept the error: the call should succeed, got " .. tostring(e))
      assert(nested == false, "the nested call succeeded")
      local n = 0
      for _ in c:each("/Computers", {page_size = 5, limit = 12}) do n = n + 1 end
      return n
    ]])
    hostile.finished(r)
    assert.is_true(r.ok, hostile.outcome(r))
    assert.equal(12, r.value)
  end)

  it("[1] a log function whose reentry error escapes ends the call with 'busy'", function()
    local r = run([[
      local c
      c = client{log = function() c:get("/Computers/5") end}
      return c:computer(1)
    ]])
    local e = hostile.child_error(r, "InvalidArgument")
    assert.truthy(e.message:find("busy", 1, true), e.text)
  end)

  it("[1] a client closed by a callback is closed after the call", function()
    local r = run([[
      local c
      c = client{log = function(_, line) if line:find("Computers/3", 1, true) then c:close() end end}
      local ok, e = pcall(c.computer, c, 3)
      assert(not ok and cwa.is_error(e) and e.message:find("closed"), "the call did not fail: " .. tostring(e))
      return c:computer(4)
    ]])
    local e = hostile.child_error(r, "InvalidArgument")
    assert.truthy(e.message:find("closed", 1, true), e.text)
  end)

  it("[1] a log function that closes a listing's pager while a get drives its pages", function()
    local r = run([[
      local closing, other = false, nil
      local c = client{log = function() if closing then closing = false other:close() end end}
      other = c._core:pages("/Computers", {page_size = 5})
      assert(#other:next() == 5)
      closing = true -- the next pages are in flight: the get drives them
      local got = c:computer(2)
      assert(other:next() == nil, "a closed pager went on")
      return got.Id
    ]])
    hostile.finished(r)
    assert.is_true(r.ok, hostile.outcome(r))
    assert.equal(2, r.value)
  end)

  it("[1] requests in flight when a log function closes the client during wait", function()
    ends_cleanly(run([[
      local c
      c = client{log = function(_, line) if line:find("Computers/3", 1, true) then c:close() end end}
      local cc = c._core
      local reqs = {}
      for id = 1, 6 do reqs[id] = cc:submit("GET", "/Computers/" .. id) end
      local ok, e = pcall(function() while true do cc:wait() end end)
      assert(not ok, "wait went on after the close")
      for _, req in ipairs(reqs) do
        assert(not req:done() or not pcall(req.result, req))
        req:close()
      end
      error(e, 0)
    ]]))
  end)

  it("[1] a token call whose log function closes the client", function()
    ends_cleanly(run([[
      local c
      c = client{log = function() c:close() end}
      return c:token()
    ]]))
  end)

  -- A finalizer made before each page runs inside pager:next: the log
  -- function collects when the page's answer is logged (window = 1: every
  -- page is fetched inside its own next), and the collector, running all
  -- the time, may run it earlier, while a page is decoded. From the fourth
  -- page on it closes the pager, or the client.
  for _, what in ipairs{"pager", "client"} do
    it("[1] a finalizer that closes the " .. what .. " in the middle of pager:next", function()
      local r = run(([[
        local inside = false
        local c = client{log = function() if inside then collectgarbage() end end}
        local pager = c._core:pages("/Computers", {page_size = 5, window = 1})
        local hits, n = 0, 0
        collectgarbage("incremental", 1, 1000)
        for round = 1, 8 do
          setmetatable({}, {__gc = function()
            if inside then
              hits = hits + 1
              if round > 3 then (%s):close() end
            end
          end})
          inside = true
          local ok, page = pcall(pager.next, pager)
          inside = false
          if not ok then
            collectgarbage("incremental", 200, 100)
            error(page, 0)
          end
          if not page then break end
          n = n + #page
        end
        collectgarbage("incremental", 200, 100)
        assert(hits > 0, "no finalizer ran inside pager:next: the case tests nothing")
        assert(n >= 15 and n < 40, "the listing did not end after the close: " .. n .. " records")
        return n
      ]]):format(what == "pager" and "pager" or "c"))
      ends_cleanly(r)
    end)
  end
end)
