-- Issue 16, points 3 and 4: the targets of run-script and command (ids,
-- names, comma lists, - for stdin, --where), resolved in batched listings,
-- run concurrently with one row per computer; records by exact name; exit
-- codes 0, 1 and 2. bin/cwa runs as a process against cwa-sim.
local simulator = require "support.sim"
local cjson = require "cjson"

local q = simulator.shell_quote
local _ -- placeholder for results a test ignores

local cli_env = require "support.cli_env"

local function ndjson(text)
  local out = {}
  for line in text:gmatch("[^\n]+") do out[#out + 1] = cjson.decode(line) end
  return out
end

-- Requests of the simulator's counters whose method and path match.
local function requests(stats, method, pattern)
  local n = 0
  for key, times in pairs(stats.requests_by_path) do
    local m, path = key:match("^(%u+) (.*)$")
    if m == method and path:match(pattern) then n = n + times end
  end
  if method == "GET" then
    for url, times in pairs(stats.pages) do
      if url:match("^[^?]*"):match(pattern) then n = n + times end
    end
  end
  return n
end

describe("bin/cwa targets", function()
  local sim, env, tmpdir

  setup(function()
    -- 100 ms a request: polls made one after another never overlap
    -- 400: the fleet has computers that share a name (as real fleets do)
    sim = simulator.start{"--computers", "400", "--script-ms", "600", "--latency-ms", "100"}
    tmpdir = cli_env.temp_dir()
    env = cli_env.integrator(sim.url, tmpdir .. "/none.lua")
  end)

  teardown(function()
    if sim then sim:stop() end
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  -- bin/cwa <args> (shell text), stdin from `input`; stdout, stderr, exit code.
  local function cwa(args, input)
    local inp = tmpdir .. "/stdin"
    local f = assert(io.open(inp, "w"))
    f:write(input or "")
    f:close()
    return require("support.proc").run(env .. "timeout 60 bin/cwa " .. args .. " <" .. q(inp))
  end

  -- The computers a condition selects: ids and names, in id order.
  local function fleet(condition, n)
    local out, err, code = cwa("computers --where " .. q(condition) .. " --order-by 'Id asc' --limit " .. n
      .. " --fields Id,ComputerName --format ndjson")
    assert.are.equal(0, code, err)
    local recs = ndjson(out)
    assert.are.equal(n, #recs)
    return recs
  end

  it("runs a script on a --where selection, the histories read together, one row per computer", function()
    local where = "Status = 'Online' and Id <= 40"
    local count_out = cwa("count computers --where " .. q(where))
    local expected = fleet(where, math.tointeger(tonumber(count_out)))
    assert.is_true(#expected >= 5)
    sim:reset()
    local out, err, code = cwa("run-script --where " .. q(where) .. " " .. q("Flush DNS Cache")
      .. " --wait --poll-interval 0.2 --format ndjson")
    assert.are.equal(0, code, err)
    local rows = ndjson(out)
    assert.are.equal(#expected, #rows)
    for i, r in ipairs(rows) do
      assert.are.equal(expected[i].Id, r.ComputerId)
      assert.are.equal(expected[i].ComputerName, r.ComputerName)
      assert.are.equal("Completed", r.Status)
      assert.are.equal("Success", r.State)
    end
    local stats = sim:stats()
    -- one listing selects them; one launch; every history read before it
    assert.are.equal(1, requests(stats, "GET", "^/cwa/api/v1/computers$"))
    assert.are.equal(1, requests(stats, "POST", "^/cwa/api/v1/batch/scriptexecute$"))
    assert.is_true(stats.max_concurrency >= 2, "history reads one at a time: " .. stats.max_concurrency)
  end)

  it("resolves names and ids in one listing, each computer once, from a list or stdin", function()
    local recs = fleet("Status = 'Online'", 4)
    local list = ("%d,%s,%s,%d"):format(recs[1].Id, recs[2].ComputerName, recs[3].ComputerName:lower(), recs[4].Id)
    sim:reset()
    local out, err, code = cwa("run-script " .. q(list .. "," .. recs[1].Id) .. " 8 --format ndjson")
    assert.are.equal(0, code, err)
    local rows = ndjson(out)
    assert.are.equal(4, #rows)
    for i, r in ipairs(rows) do
      assert.are.equal(recs[i].Id, r.ComputerId)
      assert.are.equal(recs[i].ComputerName, r.ComputerName)
      assert.are.equal("Launched", r.Status)
      assert.are.equal("Script scheduled.", r.Message)
    end
    assert.are.equal(1, requests(sim:stats(), "GET", "^/cwa/api/v1/computers$"))

    local input = ("  %s  \n\n%d\n   \n%s\n"):format(recs[2].ComputerName, recs[3].Id, recs[4].ComputerName)
    out, err, code = cwa("command - " .. q("echo from stdin") .. " --poll-interval 0.1 --format ndjson", input)
    assert.are.equal(0, code, err)
    rows = ndjson(out)
    assert.are.equal(3, #rows)
    for i, r in ipairs(rows) do
      assert.are.equal(recs[i + 1].Id, r.ComputerId)
      assert.are.equal("Success", r.Status)
      assert.are.equal("from stdin\n", r.Output)
    end
    _, err, code = cwa("command - 'echo x'", "\n  \n")
    assert.are.equal(2, code)
    assert.truthy(err:find("no computer on stdin", 1, true), err)
  end)

  it("names every unknown computer, exits 1 and launches nothing", function()
    local recs = fleet("Status = 'Online'", 1)
    sim:reset()
    local _, err, code = cwa("run-script " .. q(recs[1].Id .. ",NO-SUCH-PC,99999,OTHER-PC") .. " 8 --wait")
    assert.are.equal(1, code, err)
    for _, word in ipairs{"'NO-SUCH-PC'", "id 99999", "'OTHER-PC'"} do
      assert.truthy(err:find(word, 1, true), err)
    end
    local stats = sim:stats()
    assert.are.equal(0, requests(stats, "POST", "batchscriptexecute") + requests(stats, "POST", "scriptexecute"))
    _, err, code = cwa("command --where " .. q("ComputerName = 'NO-SUCH-PC'") .. " 'echo x'")
    assert.are.equal(1, code)
    assert.truthy(err:find("no computer matches --where", 1, true), err)
    _, err, code = cwa("command --where " .. q("Status = = 1") .. " 'echo x'")
    assert.are.equal(2, code)
    assert.truthy(err:find("--where", 1, true), err)
    _, err, code = cwa("run-script 8")
    assert.are.equal(2, code)
    assert.truthy(err:find("expected", 1, true), err)
  end)

  it("refuses a name several computers share, listing their ids, before anything runs", function()
    local out, err, code = cwa("computers --fields Id,ComputerName --order-by 'Id asc' --format ndjson")
    assert.are.equal(0, code, err)
    local ids_of, shared = {}, nil
    for _, r in ipairs(ndjson(out)) do
      local list = ids_of[r.ComputerName] or {}
      list[#list + 1] = tostring(math.tointeger(r.Id))
      ids_of[r.ComputerName] = list
      if #list == 2 and not shared then shared = r.ComputerName end
    end
    assert.truthy(shared, "no two computers share a name")
    sim:reset()
    for _, args in ipairs{"command 1," .. q(shared) .. " 'echo x'", "run-script " .. q(shared) .. " 8 --wait"} do
      _, err, code = cwa(args)
      assert.are.equal(2, code, err)
      assert.truthy(err:find(("more than one computer named '%s' (ids %s)"):format(shared,
        table.concat(ids_of[shared], ", ")), 1, true), err)
    end
    local stats = sim:stats()
    assert.are.equal(0, requests(stats, "POST", "execute$"))
  end)

  it("exits 1 when a script failed, and says how many", function()
    local recs = fleet("Status = 'Online'", 2)
    local out, err, code = cwa(("run-script %d,%d 8 mode=fail --wait --poll-interval 0.2 --format json"):format(
      recs[1].Id, recs[2].Id))
    assert.are.equal(1, code, err)
    local rows = cjson.decode(out)
    assert.are.equal("Failure", rows[1].State)
    assert.truthy(err:find("2 of 2 script runs failed", 1, true), err)
    _, err, code = cwa(("run-script %d 8 --wait --poll-interval 0.2 --wait-timeout 0.1"):format(recs[1].Id))
    assert.are.equal(1, code, err)
    assert.truthy(err:find("did not finish", 1, true), err)
  end)

  it("runs a command on several computers at once, a row each; exit 1 when one did not succeed", function()
    local recs = fleet("Id > 0", 6)
    local ids = {}
    for i, r in ipairs(recs) do ids[i] = math.tointeger(r.Id) end
    sim:reset()
    local out, err, code = cwa("command " .. table.concat(ids, ",") .. " " .. q("ipconfig /all")
      .. " --poll-interval 0.1 --format csv")
    assert.are.equal(0, code, err)
    local rows = require("support.csv").read(out)
    assert.are.same({"ComputerId", "ComputerName", "Status", "Output"}, rows[1])
    assert.are.equal(7, #rows)
    for i = 2, 7 do
      assert.are.equal(tostring(ids[i - 1]), rows[i][1])
      assert.are.equal("Success", rows[i][3])
      assert.truthy(rows[i][4]:find("ipconfig /all", 1, true))
    end
    local stats = sim:stats()
    assert.are.equal(6, requests(stats, "POST", "^/cwa/api/v1/computers/%d+/commandexecute$"))
    assert.is_true(stats.max_concurrency >= 3, "commands one at a time: " .. stats.max_concurrency)

    out, err, code = cwa("command " .. ids[1] .. "," .. ids[2] .. " 'do fail' --poll-interval 0.1 --format ndjson")
    assert.are.equal(1, code, err)
    for _, r in ipairs(ndjson(out)) do assert.are.equal("Failed", r.Status) end
    assert.truthy(err:find("2 of 2 commands did not succeed", 1, true), err)

    out, err, code = cwa("command " .. ids[1] .. "," .. ids[2]
      .. " 'echo slow' --poll-interval 0.1 --wait-timeout 0.15 --format ndjson")
    assert.are.equal(1, code, err)
    for _, r in ipairs(ndjson(out)) do assert.are.equal("Timeout", r.Status) end

    out, err, code = cwa("command " .. ids[1] .. "," .. ids[2] .. " 'echo x' --no-wait --format ndjson")
    assert.are.equal(0, code, err)
    for _, r in ipairs(ndjson(out)) do assert.is_number(r.CommandId) end
  end)

  it("gets a record by exact name; several with that name are listed by id", function()
    local recs = fleet("Id > 0", 3)
    local out, err, code = cwa("computers " .. q(recs[3].ComputerName) .. " --format ndjson")
    assert.are.equal(0, code, err)
    assert.are.equal(recs[3].Id, cjson.decode(out).Id)
    out, err, code = cwa("scripts " .. q("Flush DNS Cache") .. " --fields Id,Name --format ndjson")
    assert.are.equal(0, code, err)
    assert.are.same({Id = 8, Name = "Flush DNS Cache"}, cjson.decode(out))
    out, err, code = cwa("computers " .. recs[2].Id .. " --format ndjson")
    assert.are.equal(0, code, err)
    assert.are.equal(recs[2].ComputerName, cjson.decode(out).ComputerName)
    _, err, code = cwa("computers NO-SUCH-PC")
    assert.are.equal(1, code)
    assert.truthy(err:find("no computer named 'NO-SUCH-PC'", 1, true), err)
    _, err, code = cwa("alerts Disk")
    assert.are.equal(2, code)
    assert.truthy(err:find("must be a number", 1, true), err)

    local made = {}
    for i = 1, 2 do
      out, err, code = cwa("post /Clients '{\"Name\":\"Twin Peaks Ltd\"}' --format ndjson")
      assert.are.equal(0, code, err)
      made[i] = tostring(math.tointeger(cjson.decode(out).Id))
    end
    _, err, code = cwa("clients " .. q("Twin Peaks Ltd"))
    assert.are.equal(2, code)
    assert.truthy(err:find("more than one client named 'Twin Peaks Ltd' (ids " .. made[1] .. ", " .. made[2] .. ")",
      1, true), err)
  end)

  it("documents the exit codes in --help", function()
    local out, _, code = cwa("--help")
    assert.are.equal(0, code)
    local text = out:gsub("%s+", " ")
    for _, word in ipairs{"0 everything succeeded", "1 an API error", "not launched", "2 a usage error",
      "130 interrupted"} do
      assert.truthy(text:find(word, 1, true), word)
    end
  end)
end)

describe("cwa.cli.targets.resolve", function()
  local targets = require "cwa.cli.targets"
  local common = require "cwa.cli.common"

  -- A client whose /Computers listing filters `fleet` by the Id and
  -- ComputerName lists of the condition (case-insensitively, as servers do).
  local function fake(fleet)
    local client = {conditions = {}}
    function client.list(_, path, opts)
      assert.are.equal("/Computers", path)
      client.conditions[#client.conditions + 1] = opts.condition
      local ids, names = {}, {}
      local id_list = opts.condition:match("Id in %(([^)]*)%)")
      for n in (id_list or ""):gmatch("%d+") do ids[tonumber(n)] = true end
      for name in (opts.condition:match("ComputerName in %((.*)%)") or ""):gmatch("'([^']*)'") do
        names[name:lower()] = true
      end
      local out = {}
      for _, c in ipairs(fleet) do
        if ids[c.Id] or names[c.ComputerName:lower()] then out[#out + 1] = c end
      end
      return out
    end
    function client.map(self, items, fn)
      local out = {}
      for i, item in ipairs(items) do out[i] = fn(item, i) end
      self.mapped = #items
      return out
    end
    return client
  end

  it("lists the ids of computers that share a name", function()
    local client = fake{{Id = 3, ComputerName = "LAB-PC"}, {Id = 9, ComputerName = "lab-pc"},
      {Id = 4, ComputerName = "DESK"}}
    local ok, err = pcall(targets.resolve, client, {"DESK", "Lab-PC"})
    assert.is_false(ok)
    assert.is_true(common.is_usage(err))
    assert.truthy(err.message:find("more than one computer named 'Lab-PC' (ids 3, 9)", 1, true), err.message)
    assert.are.same({{Id = 4, ComputerName = "DESK"}}, targets.resolve(client, {"desk", "4"}))
  end)

  it("resolves 250 targets in three listings, sent together", function()
    local fleet, tokens = {}, {}
    for i = 1, 250 do
      fleet[i] = {Id = i, ComputerName = ("PC%04d"):format(i)}
      tokens[i] = i % 2 == 0 and tostring(i) or fleet[i].ComputerName
    end
    local client = fake(fleet)
    local out = targets.resolve(client, tokens)
    assert.are.equal(250, #out)
    for i, t in ipairs(out) do assert.are.equal(i, t.Id) end
    assert.are.equal(3, #client.conditions)
    assert.are.equal(3, client.mapped)
  end)
end)
