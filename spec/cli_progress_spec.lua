-- The progress line: fitted to the terminal (never wrapped), counted toward
-- --limit, its rate and ETA following the recent pace; and under a real
-- terminal (tmux) a listing's line on a narrow window stays one row.
local progress = require "cwa.progress"
local simulator = require "support.sim"
local tty = require "support.tty"

local q = simulator.shell_quote

-- A progress line writing into a list, on a clock the test moves.
local function bar_of(opts)
  local written = {}
  local clock = {now = 0}
  opts.out = {write = function(_, ...) for _, s in ipairs{...} do written[#written + 1] = s end end}
  opts.enabled = true
  opts.clock = function() return clock.now end
  local bar = progress.new(opts)
  -- The last line drawn, without its \r and \27[K.
  local function last()
    local text = table.concat(written)
    local line
    for l in text:gmatch("\r([^\r]*)\27%[K") do line = l end
    return line
  end
  return bar, clock, last, written
end

local function pager_of(fetched, total)
  return {pages_fetched = function() return fetched end, total = function() return total end}
end

describe("cwa.progress", function()
  it("leaves out the least useful parts first to fit the width, and cuts the first last", function()
    local parts = progress.parts("computers", 3101, 32, 34, 5000, nil, 100, 250)
    assert.are.equal("computers: 3101/5000 records (62%), page 32/50 (34 fetched), 250/s, ETA 8s",
      progress.fit(parts))
    assert.are.equal("computers: 3101/5000 records (62%), page 32/50, 250/s, ETA 8s", progress.fit(parts, 70))
    assert.are.equal("computers: 3101/5000 records (62%), page 32/50, ETA 8s", progress.fit(parts, 60))
    assert.are.equal("computers: 3101/5000 records (62%), ETA 8s", progress.fit(parts, 50))
    assert.are.equal("computers: 3101/5000 records (62%)", progress.fit(parts, 40))
    local cut = progress.fit(parts, 20)
    assert.are.equal("computers: 3101/...", cut)
    for width = 10, 100 do
      assert.is_true(utf8.len(progress.fit(parts, width)) <= width - 1, width)
    end
  end)

  it("counts toward the limit, not the server's total", function()
    local bar, _, last = bar_of{label = "computers", page_size = 100, limit = 5000}
    for _ = 1, 3101 do bar:update(pager_of(33, 20000)) end
    assert.truthy(last():find("^computers: 3101/5000 records %(62%%%), page 32/50"), last())
    -- a total below the limit stays
    bar = select(1, bar_of{label = "c", page_size = 10, limit = 5000})
    local b2, _, last2 = bar_of{label = "c", page_size = 10, limit = 5000}
    for _ = 1, 11 do b2:update(pager_of(2, 40)) end
    assert.truthy(last2():find("^c: 11/40 records"), last2())
    assert.is_table(bar)
  end)

  it("re-reads the width as the window changes, at most once a second", function()
    local asked, cols = 0, 60
    local bar, clock, last = bar_of{label = "computers", page_size = 10, total = 100000,
      width = function() asked = asked + 1 return cols end}
    for _ = 1, 50 do bar:update(pager_of(9, nil)) end
    assert.are.equal(1, asked)
    assert.is_true(#last() <= 59)
    cols = 30
    clock.now = 1
    for _ = 1, 10 do bar:update(pager_of(9, nil)) end
    assert.are.equal(2, asked)
    assert.is_true(#last() <= 29, last())
  end)

  it("shows no ETA before two pages and a second, then follows the recent pace", function()
    local bar, clock, last = bar_of{label = "c", page_size = 100, total = 20000}
    -- 1000 records/s for 10 s
    for s = 1, 10 do
      clock.now = s - 0.5
      for _ = 1, 500 do bar:update(pager_of(1, nil)) end
      if s == 1 then assert.is_nil(last():find("ETA", 1, true), last()) end
      clock.now = s
      for _ = 1, 500 do bar:update(pager_of(1, nil)) end
    end
    local rate, eta = last():match(", (%d+)/s, ETA (%d+)s$")
    assert.is_true(tonumber(rate) > 900 and tonumber(rate) < 1100, last())
    assert.is_true(tonumber(eta) >= 9 and tonumber(eta) <= 11, last())
    -- then the server slows to 100 records/s: 20 s later the rate is near it,
    -- where the average since the start would still say 400/s
    for s = 11, 30 do
      clock.now = s
      for _ = 1, 100 do bar:update(pager_of(1, nil)) end
    end
    rate = tonumber(last():match(", (%d+)/s"))
    assert.is_true(rate < 130, last())
    eta = last():match("ETA (%S+)")
    assert.is_true(eta:find("m") ~= nil, last()) -- 8000 left at ~100/s: over a minute
  end)

  it("counts any work with update(done, total), from the first call", function()
    local bar, clock, last = bar_of{label = "run-script", unit = "computers", total = 61}
    bar:update(0)
    assert.are.equal("run-script: 0/61 computers (0%)", last())
    clock.now = 2
    bar:update(20)
    assert.are.equal("run-script: 20/61 computers (32%), 10/s, ETA 4s", last())
    bar:update(20, 60)
    assert.are.equal("run-script: 20/61 computers (32%), 10/s, ETA 4s", last()) -- same second, same count
    clock.now = 3
    bar:update(30, 60)
    assert.truthy(last():find("^run%-script: 30/60 computers %(50%%%)"), last())
    bar:done()
  end)

  it("reads the terminal's width from COLUMNS, else stty, else 100", function()
    local w = progress.terminal_width()
    assert.is_true(math.type(w) == "integer" and w >= 20)
  end)
end)

describe("the progress line in a terminal", function()
  local sim

  setup(function()
    sim = simulator.start{"--computers", "2000", "--latency-ms", "150"}
  end)

  teardown(function()
    if sim then sim:stop() end
  end)

  local function run_in(width, args)
    local build = os.getenv("CWA_BUILD") or "build"
    local env = "unset COLUMNS CWA_FORMAT; export CWA_BUILD=" .. q(build) .. " CWA_CONFIG=/nonexistent/cwa.lua"
      .. " CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass"
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
    return tty.start(env .. "bin/cwa " .. args .. " >/dev/null; echo EXIT=$?", {width = width, height = 8})
  end

  it("stays on one row of a 50-column window, counted toward --limit", function()
    local t = run_in(50, "computers --page-size 20 --limit 600 --fields Id")
    local ok, err = pcall(function()
      local screen = t:wait_for("computers: ", 20)
      local rows = {}
      for row in (screen .. "\n"):gmatch("([^\n]*)\n") do rows[#rows + 1] = row end
      assert.truthy(rows[1]:find("^computers: %d+/600 records"), screen)
      assert.is_true(utf8.len(rows[1]) <= 49, screen)
      -- nothing wrapped onto the next row
      assert.truthy(rows[2] == nil or rows[2]:match("^%s*$"), screen)
      t:wait_for("EXIT=0", 30)
    end)
    t:stop()
    assert(ok, err)
  end)

  it("shows the rate and ETA in a wide window once the pace is known", function()
    -- 200 pages, ten at a time at 150 ms: about 3 s, well past the second
    -- the ETA waits for, however fast the machine is.
    local t = run_in(120, "computers --page-size 10 --limit 2000 --fields Id")
    local ok, err = pcall(function()
      local screen = t:wait_for("ETA ", 30)
      assert.truthy(screen:find("computers: %d+/2000 records %(%d+%%%), page %d+/200.-, %d+/s, ETA %d"), screen)
      t:wait_for("EXIT=0", 30)
    end)
    t:stop()
    assert(ok, err)
  end)
end)
