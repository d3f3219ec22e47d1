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
