-- Threads (issue 17, point 6): a C host with four threads, each with its own
-- lua_State and client, lists the simulator at the same time, several
-- rounds; every listing is whole and without repeats. libcurl's own word
-- on thread safety is core.threadsafe.
local simmod = require "support.sim"
local core = require "cwa.core"

local build = os.getenv("CWA_BUILD") or "build"

local SCRIPT = [[
local M = {}
function M.work(url)
  local cwa = require "cwa"
  local client <close> = cwa.new{server = url, username = "integrator",
    password = "integrator-pass", client_id = "threads", rate_limit = false}
  local rounds = 0
  for _ = 1, 5 do
    local seen, n = {}, 0
    for c in client:computers{page_size = 100} do
      if seen[c.Id] then return "repeat of " .. tostring(c.Id) end
      seen[c.Id] = true
      n = n + 1
    end
    if n ~= 600 then return "listed " .. n .. " of 600" end
    rounds = rounds + 1
  end
  return "ok " .. rounds .. " rounds"
end
return M
]]

describe("threads", function()
  it("core.threadsafe is libcurl's CURL_VERSION_THREADSAFE, a boolean", function()
    assert.is_boolean(core.threadsafe)
    -- Debian's libcurl (7.88 and later) is built thread-safe
    local p = io.popen("curl-config --version 2>/dev/null")
    local v = p and p:read("l")
    if p then p:close() end
    local major, minor = (v or ""):match("(%d+)%.(%d+)")
    if major and (tonumber(major) > 7 or tonumber(minor) >= 84) then
      assert.is_true(core.threadsafe)
    end
  end)

  it("four threads with a lua_State each list in parallel, every listing whole", function()
    local sim = simmod.start{"--computers", "600", "--latency-ms", "5"}
    finally(function() sim:stop() end)
    local script = os.tmpname()
    finally(function() os.remove(script) end)
    local f = assert(io.open(script, "w"))
    f:write(SCRIPT)
    f:close()
    local p = assert(io.popen(string.format("CWA_BUILD=%s ./%s/cwa-host threads 4 %s %s 2>&1; echo exit=$?",
      build, build, script, simmod.shell_quote(sim.url))))
    local out = p:read("a")
    p:close()
    for i = 1, 4 do
      assert.matches("thread " .. i .. ": ok 5 rounds\n", out, 1, true)
    end
    assert.matches("exit=0", out, 1, true)
    -- 4 threads x 5 rounds x 6 pages, and a login each
    assert.is_true(sim:stats().requests >= 4 * 5 * 6)
  end)
end)
