-- Each example in examples/ run as a process against a simulator started
-- here, its output checked against what the API says; and `make demo`'s
-- script, including its cleanup when interrupted.
local simulator = require "support.sim"
local cjson = require "cjson"
local cwa = require "cwa"

local q = simulator.shell_quote

local read_file = simulator.read_file

local function lines_of(text)
  local out = {}
  for line in text:gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

local parse_csv = require("support.csv").read

local UNSET = "unset CONNECTWISE_AUTOMATE_USER CONNECTWISE_AUTOMATE_PASS CONNECTWISE_AUTOMATE_2FA "
  .. "CONNECTWISE_AUTOMATE_AUTH CONNECTWISE_AUTOMATE_RATE_LIMIT; "

describe("examples", function()
  local sim, client, env

  setup(function()
    sim = simulator.start{"--computers", "300", "--script-ms", "100"}
    client = cwa.new{server = sim.url, username = "integrator", password = "integrator-pass",
                     client_id = "spec"}
    local build = os.getenv("CWA_BUILD") or "build"
    env = UNSET .. "export CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass"
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec"
      .. " LUA_PATH='./lua/?.lua;./lua/?/init.lua;;' LUA_CPATH=" .. q("./" .. build .. "/?.so;;")
      .. " FLEET_POLL=0.2 POLL_INTERVAL=0.2; "
  end)

  teardown(function()
    if client then client:close() end
    if sim then sim:stop() end
  end)

  -- Runs an example; returns stdout, stderr, exit code.
  local function run(script, args, extra_env)
    return require("support.proc").run(env .. (extra_env or "") .. "lua5.4 examples/" .. script .. " "
      .. (args or "") .. " </dev/null")
  end

  it("fleet_report.lua reports clients, offline servers, open alerts and a script run", function()
    local out, err, code = run("fleet_report.lua")
    assert.are.equal(0, code, err)
    local online = client:count("/Computers", {condition = "Status = 'Online'"})
    assert.truthy(out:find(("Fleet: 300 computers, %d online, %d offline"):format(online, 300 - online), 1, true), out)
    local servers = client:count("/Computers", {condition = "Status != 'Online' and Type = 'Server'"})
    assert.truthy(out:find(("Offline servers: %d\n"):format(servers), 1, true))
    local alerts = client:count("/Alerts", {condition = "Severity >= 3 and Status != 'Closed'"})
    assert.truthy(out:find(("Open alerts of severity 3 and up: %d "):format(alerts), 1, true))
    assert.truthy(out:find("Client%s+Computers%s+Online%s+Offline%s+Offline servers"))
    assert.truthy(out:find("\nACME Corporation%s+%d+%s+%d+%s+%d+%s+%d+\n"))
    assert.truthy(out:find("Running 'Flush DNS Cache'", 1, true))
    assert.truthy(out:find(": Completed %- Script 'Flush DNS Cache' completed"))
    assert.are.equal("", err) -- no progress line: stderr is not a terminal
  end)

  -- The two event-loop examples: the counts of a blocking client, and a
  -- heartbeat that ran while they were listed (its gaps are in make bench).
  for _, script in ipairs{"cqueues_listing.lua", "luv_listing.lua"} do
    it(script .. " lists computers and open alerts while its timer ticks", function()
      -- answers that take 30 ms each: a blocking call would stop the timer
      local slow = simulator.start{"--computers", "300", "--latency-ms", "30"}
      finally(function() slow:stop() end)
      local out, err, code = run(script, "5", "export CONNECTWISE_AUTOMATE_SERVER=" .. q(slow.url) .. "; ")
      assert.are.equal(0, code, err)
      local online = client:count("/Computers", {condition = "Status = 'Online'"})
      assert.truthy(out:find(("Computers: 300 (Offline %d, Online %d)\n"):format(300 - online, online), 1, true), out)
      local alerts = client:count("/Alerts", {condition = "Status != 'Closed'"})
      assert.truthy(out:find(("Open alerts: %d\n"):format(alerts), 1, true), out)
      -- a login, a page and a count of 30 ms each at least, 5 ms a tick
      local ticks = tonumber(out:match("Heartbeat: (%d+) ticks"))
      assert.is_true(ticks and ticks >= 10, out)
      assert.are.equal("", err)
    end)
  end

  it("offline_servers.lua writes every offline server as CSV", function()
    local out, err, code = run("offline_servers.lua")
    assert.are.equal(0, code, err)
    local rows = parse_csv(out)
    assert.are.same({"Id", "ComputerName", "Client.Name", "Location.Name", "OperatingSystemName",
                     "RemoteAgentLastContact"}, rows[1])
    local expected = client:list("/Computers", {condition = "Status = 'Offline' and Type = 'Server'",
                                                order_by = "ComputerName asc"})
    assert.are.equal(#expected + 1, #rows)
    for i, c in ipairs(expected) do
      assert.are.equal(c.ComputerName, rows[i + 1][2])
      assert.are.equal(c.Client.Name, rows[i + 1][3])
    end
    assert.truthy(err:find("condition: Status = 'Offline' and Type = 'Server'", 1, true))

    out, err, code = run("offline_servers.lua", "Glo")
    assert.are.equal(0, code, err)
    rows = parse_csv(out)
    assert.truthy(err:find("Client.Name like 'Glo%'", 1, true))
    for i = 2, #rows do assert.truthy(rows[i][3]:find("^Glo")) end
  end)

  it("alert_triage.lua counts open alerts by client and severity", function()
    local out, err, code = run("alert_triage.lua", "3")
    assert.are.equal(0, code, err)
    local total = client:count("/Alerts", {condition = "Status != 'Closed' and Severity >= 3"})
    local n, clients = out:match("Open alerts of severity 3 and up: (%d+) across (%d+) clients")
    assert.are.equal(total, tonumber(n))
    local lines = lines_of(out)
    assert.truthy(lines[2]:match("^Client%s+Sev 5%s+Sev 4%s+Sev 3%s+Total$"))
    local sum, rows = 0, 0
    for i = 4, 3 + tonumber(clients) do
      local s5, s4, s3, t = lines[i]:match("(%d+)%s+(%d+)%s+(%d+)%s+(%d+)$")
      assert.are.equal(tonumber(t), tonumber(s5) + tonumber(s4) + tonumber(s3))
      sum, rows = sum + tonumber(t), rows + 1
    end
    assert.are.equal(total, sum)
    assert.truthy(out:find("Most severe open alerts of", 1, true))
    local _, _, bad = run("alert_triage.lua", "high")
    assert.are.equal(2, bad)
  end)

  it("run_script_on_group.lua runs a script on every matching computer", function()
    local condition = "Status = 'Online' and Client.Name = 'Initech'"
    local ids = {}
    for c in client:computers{condition = condition, fields = "Id"} do ids[#ids + 1] = math.tointeger(c.Id) end
    assert.is_true(#ids > 1)
    local out, err, code = run("run_script_on_group.lua", q(condition) .. " " .. q("Clear Temp Files") .. " mode=quick")
    assert.are.equal(0, code, err)
    assert.truthy(out:find(("on %d computers matching"):format(#ids), 1, true))
    assert.truthy(out:find(("%d of %d completed"):format(#ids, #ids), 1, true))
    for _, id in ipairs(ids) do
      assert.truthy(out:find("\n%s*" .. id .. "%s+%S+%s+Completed%s+Success"), id)
    end
    local _, err2, code2 = run("run_script_on_group.lua", q("Status = = 1"))
    assert.are.equal(2, code2)
    assert.truthy(err2:find("column", 1, true))
  end)

  it("inventory_software.lua lists the software of a client's computers as CSV", function()
    local path = os.tmpname()
    local _, err, code = run("inventory_software.lua", "1 " .. q(path))
    assert.are.equal(0, code, err)
    local rows = parse_csv(read_file(path))
    os.remove(path)
    assert.are.same({"ComputerId", "ComputerName", "Name", "Version", "Publisher"}, rows[1])
    local computers = client:list("/Computers", {condition = "Client.Id = 1", fields = "Id"})
    local seen = {}
    for i = 2, #rows do seen[tonumber(rows[i][1])] = true end
    for _, c in ipairs(computers) do assert.is_true(seen[c.Id], "no software for " .. c.Id) end
    local expected = 0
    for _, c in ipairs(computers) do expected = expected + #client:get("/Computers/" .. c.Id .. "/Software", {pageSize = 1000}) end
    assert.are.equal(expected, #rows - 1)
    assert.truthy(err:find(("%d software rows from %d computers (0 failed)"):format(expected, #computers), 1, true))
    local _, usage_err, usage_code = run("inventory_software.lua")
    assert.are.equal(2, usage_code)
    assert.truthy(usage_err:find("usage", 1, true))
  end)

  it("export_inventory.lua streams every computer as NDJSON", function()
    local path = os.tmpname()
    local _, err, code = run("export_inventory.lua", q(path))
    assert.are.equal(0, code, err)
    local ids = {}
    for line in io.lines(path) do
      local rec = cjson.decode(line)
      ids[#ids + 1] = math.tointeger(rec.Id)
      assert.is_string(rec.ComputerName)
    end
    os.remove(path)
    assert.are.equal(300, #ids)
    table.sort(ids)
    assert.are.equal(1, ids[1])
    assert.are.equal(300, ids[300])
    assert.truthy(err:find("exported 300 computers", 1, true))
    local out = run("export_inventory.lua")
    assert.are.equal(300, #lines_of(out))
  end)

  describe("run-demo.sh", function()
    local build = os.getenv("CWA_BUILD") or "build"

    local function unreachable(url)
      local p = io.popen("curl -s -o /dev/null -w '%{http_code}' --max-time 2 " .. q(url .. "/__stats"))
      local status = p:read("a")
      p:close()
      return status == "000"
    end

    it("runs the fleet report against its own simulator and stops it", function()
      local p = assert(io.popen("sh examples/run-demo.sh " .. q(build) .. " 2>&1 </dev/null; echo \"exit=$?\""))
      local out = p:read("a")
      p:close()
      assert.truthy(out:find("exit=0\n$"), out)
      assert.truthy(out:find("Fleet: 5000 computers", 1, true))
      assert.truthy(out:find(": Completed", 1, true))
      local url = out:match("simulator at (http://[%d%.:]+)")
      assert.is_not_nil(url)
      assert.is_true(unreachable(url))
    end)

    it("stops the simulator on Ctrl-C", function()
      local log = os.tmpname()
      -- The demo runs in its own process group (setsid) with SIGINT at its
      -- default (a background job of a script starts with it ignored), and
      -- the whole group gets SIGINT as a terminal's Ctrl-C would send it.
      local script = "setsid env --default-signal=INT sh examples/run-demo.sh " .. q(build)
        .. " >" .. q(log) .. " 2>&1 </dev/null & P=$!; "
        .. "i=0; while [ $i -lt 200 ] && ! grep -q 'running examples' " .. q(log) .. "; do sleep 0.02; i=$((i+1)); done; "
        .. "sleep 0.3; kill -INT -$P; wait $P; echo \"exit=$?\""
      local p = assert(io.popen("sh -c " .. q(script)))
      local out = p:read("a")
      p:close()
      local text = read_file(log) or ""
      os.remove(log)
      local code = tonumber(out:match("exit=(%d+)"))
      assert.are.equal(130, code, text)
      local url = text:match("simulator at (http://[%d%.:]+)")
      assert.is_not_nil(url, text)
      assert.is_true(unreachable(url))
    end)

    it("fails clearly without a build", function()
      local p = assert(io.popen("sh examples/run-demo.sh /nonexistent-build 2>&1; echo \"exit=$?\""))
      local out = p:read("a")
      p:close()
      assert.truthy(out:find("make build", 1, true))
      assert.truthy(out:find("exit=1\n$"))
    end)
  end)
end)
