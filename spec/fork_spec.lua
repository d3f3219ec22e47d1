-- fork() (issue 17, point 4): a client made before fork() belongs to the
-- parent. A C host (build/cwa-host fork) lists once to fill the keep-alive
-- pool, forks, and then parent and child list at the same time with that
-- client. The child gets a clear cwa.Error before anything reaches the
-- inherited sockets, closes the client (which must leave the parent's
-- connections alone) and lists with a new client; the parent's listings,
-- during and after the child's, are whole and without repeats.
local simmod = require "support.sim"

local build = os.getenv("CWA_BUILD") or "build"

local SCRIPT = [[
local cwa = require "cwa"
local M = {}
local url, client

local function new()
  return cwa.new{server = url, username = "integrator", password = "integrator-pass",
    client_id = "fork", rate_limit = false, concurrency = 4}
end

-- "<count> <repeats>" of a listing of the computers
local function list(c)
  local seen, n, dup = {}, 0, 0
  for rec in c:computers{page_size = 50} do
    if seen[rec.Id] then dup = dup + 1 end
    seen[rec.Id] = true
    n = n + 1
  end
  return n .. " " .. dup
end

function M.before(u)
  url = u
  client = new()
  return list(client)
end

function M.after(role)
  local ok, got = pcall(list, client)
  local first = ok and ("listed " .. got)
    or ("error " .. tostring(type(got) == "table" and got.code) .. ": " .. tostring(got))
  if role == "parent" then
    return first .. "; again " .. list(client)
  end
  client:close()
  local fresh <close> = new()
  return first .. "; new client " .. list(fresh)
end
return M
]]

describe("fork", function()
  it("parent and child using one client: the parent's data is whole, the child is told to make a new client", function()
    local sim = simmod.start{"--computers", "2000", "--latency-ms", "2"}
    finally(function() sim:stop() end)
    local script = os.tmpname()
    finally(function() os.remove(script) end)
    local f = assert(io.open(script, "w"))
    f:write(SCRIPT)
    f:close()
    for run = 1, 10 do
      local p = assert(io.popen(string.format("CWA_BUILD=%s ./%s/cwa-host fork %s %s 2>&1; echo exit=$?",
        build, build, script, simmod.shell_quote(sim.url))))
      local out = p:read("a")
      p:close()
      local where = "run " .. run .. ":\n" .. out
      assert.matches("parent: listed 2000 0; again 2000 0\n", out, 1, true, where)
      -- a clear error, never wrong data...
      assert.matches("child: error InvalidArgument: [^\n]*make a new client after fork%(%)", out, 1, false, where)
      -- ...and the remedy it names works
      assert.matches("; new client 2000 0\n", out, 1, true, where)
      assert.matches("child exit: 0\nexit=0", out, 1, true, where)
    end
  end)
end)
