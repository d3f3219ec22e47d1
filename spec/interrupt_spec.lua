-- Interrupts (issue 17, point 5): lua.c's SIGINT handler only sets a debug
-- hook, which runs when control is back in Lua. A blocking wait of cwa
-- returns to such a point at least every 100 ms (and at once when the
-- signal cuts its epoll_wait short), so Ctrl-C ends a `lua5.4 -e` listing
-- against a stalled server well within 250 ms. The C side
-- (cwa_client_interrupt from another thread) is test/poll_test.c.
local simmod = require "support.sim"
local core = require "cwa.core"

local build = os.getenv("CWA_BUILD") or "build"

-- The child prints "go" when logged in, then blocks in `body`.
local function child_script(url, body)
  return table.concat({
    "package.path = 'lua/?.lua;lua/?/init.lua;' .. package.path",
    "package.cpath = './" .. build .. "/?.so;' .. package.cpath",
    "local cwa = require 'cwa'",
    "local client = cwa.new{server = '" .. url .. "', username = 'integrator',",
    "  password = 'integrator-pass', client_id = 'int', rate_limit = false, timeout = 120}",
    "client:token()",
    "io.stdout:write('go\\n'); io.stdout:flush()",
    body,
  }, "\n")
end

-- Runs the child under sh, sends SIGINT `delay` s after its "go"; returns
-- the seconds from the signal to its exit, its output and exit status.
local function interrupt_after(script, delay)
  local file = os.tmpname()
  local f = assert(io.open(file, "w"))
  f:write(script)
  f:close()
  local p = assert(io.popen("lua5.4 " .. file .. " 2>&1 & echo $!; wait $!; echo exit=$?"))
  local pid = assert(tonumber(p:read("l")))
  local go = p:read("l")
  core.sleep(delay)
  local t0 = core.monotime()
  os.execute("kill -INT " .. pid)
  local rest = p:read("a")
  local took = core.monotime() - t0
  p:close()
  os.remove(file)
  return took, go .. "\n" .. rest, tonumber(rest:match("exit=(%d+)"))
end

describe("interrupt", function()
  it("a SIGINT ends a listing that a stalled server holds within 250 ms", function()
    -- every data call's body stops half way for 4 s (longer than the measurement)
    local sim = simmod.start{"--computers", "2000", "--stall-rate", "1", "--stall-ms", "4000"}
    finally(function() sim:stop() end)
    local worst = 0
    for _ = 1, 3 do
      local took, out, code = interrupt_after(child_script(sim.url,
        "for _ in client:computers() do end print('listed: not stalled')"), 0.6)
      print(string.format("interrupt latency (stalled listing): %.0f ms", took * 1000))
      worst = math.max(worst, took)
      assert.matches("^go\n", out)
      assert.matches("interrupted!", out, 1, true)
      assert.are.equal(1, code, out)
    end
    -- 250 ms is the target; a loaded machine (two cores, sanitizers) gets slack
    assert.is_true(worst < 0.5, string.format("worst %.0f ms", worst * 1000))
  end)

  it("a SIGINT ends a wait on submitted requests and core.sleep as soon", function()
    local sim = simmod.start{"--computers", "10", "--latency-ms", "4000"}
    finally(function() sim:stop() end)
    local took, out, code = interrupt_after(child_script(sim.url,
      "local r = client._core:submit('GET', '/Computers/1') client._core:wait() print('answered')"), 0.3)
    print(string.format("interrupt latency (wait on a request): %.0f ms", took * 1000))
    assert.matches("interrupted!", out, 1, true)
    assert.are.equal(1, code, out)
    assert.is_true(took < 0.5, string.format("%.0f ms", took * 1000))
    took, out, code = interrupt_after(child_script(sim.url, "require('cwa.core').sleep(30) print('slept')"), 0.3)
    print(string.format("interrupt latency (core.sleep): %.0f ms", took * 1000))
    assert.matches("interrupted!", out, 1, true)
    assert.are.equal(1, code, out)
    assert.is_true(took < 0.5, string.format("%.0f ms", took * 1000))
  end)
end)
