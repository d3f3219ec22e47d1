-- The Lua layer against servers as they are (issue 15): ids as integers or
-- decimal strings and records whose Id is a string (cwa-sim --string-ids);
-- commands that pass through intermediate statuses, read by the spec's list
-- route; the launch answer of a script run; query keys that belong to the
-- pager and the named options; cwa.array; conditions in current servers'
-- syntax; the PATCH example of the documentation.
local simmod = require "support.sim"
local helper = require "support.client"
local hostile = require "support.hostile"
local curl = require "support.curl"
local raises = require("support.assert").raises
local cwa = require "cwa"

local DIALECTS = {"apitoken", "apicredentials"}

-- The GETs the simulator counted whose path (lower case, without the query)
-- matches pattern: those with a query are under stats.pages, by URL.
local function gets(stats, pattern)
  local n = 0
  for key, times in pairs(stats.requests_by_path) do
    local path = key:match("^GET (.*)$")
    if path and path:match(pattern) then n = n + times end
  end
  for url, times in pairs(stats.pages) do
    if url:match("^[^?]*"):match(pattern) then n = n + times end
  end
  return n
end

-- The id of the first computer matching condition (as the server writes it).
local function first_id(client, condition)
  return client:list("/Computers", {condition = condition, limit = 1, fields = {"Id"}})[1].Id
end

describe("[2] ids", function()
  for _, dialect in ipairs(DIALECTS) do
    describe("with string Ids (" .. dialect .. ")", function()
      local sim, client
      setup(function()
        sim = simmod.start{"--computers", "60", "--string-ids", "--dialect", dialect, "--script-ms", "100"}
        client = helper.new(sim, {auth = dialect})
      end)
      teardown(function() sim:stop() end)

      it("every singular getter takes the Id as the listing gives it, as a string and as an integer", function()
        for _, r in ipairs(cwa.RESOURCES) do
          local rec = client[r.plural](client, {limit = 1})()
          local id = rec[r.id]
          assert.is_truthy(tostring(id):match("^%d+$"), r.plural)
          for _, form in ipairs{tostring(id), math.tointeger(tonumber(id))} do
            local got = client[r.singular](client, form)
            assert.are.equal(tostring(id), tostring(got[r.id]), r.singular .. "(" .. tostring(form) .. ")")
          end
        end
        assert.are.equal("string", type(client:computer("42").Id))
        assert.are.equal("42", client:computer(42.0).Id)
      end)

      it("lists, counts and pages records whose Id is a string", function()
        assert.are.equal(60, client:count("/Computers"))
        local n, seen, dup = helper.ids(client:computers{page_size = 7})
        assert.are.equal(60, n)
        assert.are.equal(0, dup)
        for id in pairs(seen) do assert.are.equal("string", type(id)) end
        assert.is_true(seen["60"] and seen["9"] and seen["10"])
      end)

      it("takes ids as integers, decimal strings or a comma list in the ids option", function()
        for _, ids in ipairs{{3, "5", 7.0}, "3,5, 7", {"3", "5", "7"}} do
          local got = {}
          for c in client:computers{ids = ids, fields = {"Id"}} do got[#got + 1] = c.Id end
          table.sort(got)
          assert.same({"3", "5", "7"}, got)
        end
      end)

      it("runs a script on computers given by string ids", function()
        local online = first_id(client, "Status = 'Online'")
        assert.are.equal("string", type(online))
        local results = client:run_script({online}, "7", nil, {wait = true, poll_interval = 0.05, timeout = 20})
        assert.are.equal(math.tointeger(tonumber(online)), results[1].computer_id)
        assert.are.equal("Completed", results[1].status)
      end)
    end)
  end

  it("pages a changing collection with string Ids, consistent = true: no duplicates, no gaps", function()
    local sim = simmod.start{"--computers", "600", "--churn", "4", "--string-ids"}
    local client = helper.new(sim)
    local before = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do before[c.Id] = true end
    local n, seen, dup = helper.ids(client:computers{consistent = true, page_size = 50})
    local after = {}
    for c in client:computers{page_size = 1000, fields = "Id"} do after[c.Id] = true end
    sim:stop()
    assert.are.equal(0, dup)
    assert.is_true(n >= 600)
    -- the ids "10" and "9" order as numbers: a text comparison would skip
    -- the computers between two pages' boundaries
    for id in pairs(before) do
      if after[id] then assert.is_true(seen[id], "missed " .. id) end
    end
  end)

  it("runs a command on a computer given by a string id", function()
    local sim = simmod.start{"--computers", "5", "--script-ms", "60", "--string-ids"}
    local client = helper.new(sim)
    local output, status = client:command("2", "ver", {poll_interval = 0.02, timeout = 20})
    sim:stop()
    assert.are.equal("Success", status)
    assert.matches("ver", output)
  end)

  describe("refuses what is not an id, before sending anything", function()
    local sim, client
    setup(function()
      sim = simmod.start{"--computers", "5"}
      client = helper.new(sim)
    end)
    teardown(function() sim:stop() end)

    local BAD = {{"1e300", 1e300}, {"math.huge", math.huge}, {"-math.huge", -math.huge}, {"2^63", 2.0 ^ 63},
      {"NaN", 0 / 0}, {"1.5", 1.5}, {"-1", -1}, {'"4x"', "4x"}, {'"-1"', "-1"}, {'" 42"', " 42"}, {'""', ""},
      {'"1e3"', "1e3"}, {'"0x10"', "0x10"}, {'"1/2"', "1/2"}, {("9"):rep(30), ("9"):rep(30)}, {"true", true},
      {"{}", {}}}

    for _, b in ipairs(BAD) do
      it(b[1], function()
        local before = sim:stats().requests
        local function refused(fn, ...)
          local err = raises("InvalidArgument", nil, fn, ...)
          assert.is_falsy(err.message:find("format", 1, true), err.message)
        end
        refused(client.computer, client, b[2])
        refused(client.ticket, client, b[2])
        refused(client.run_script, client, b[2], 7)
        refused(client.run_script, client, 2, b[2])
        refused(client.run_script, client, {2, b[2]}, 7, nil, {wait = true})
        refused(client.command, client, b[2], "ver")
        refused(client.list, client, "/Computers", {ids = {2, b[2]}})
        -- a string is a comma list there, whose items may have spaces around them
        if type(b[2]) ~= "table" and b[2] ~= " 42" then
          refused(client.list, client, "/Computers", {ids = b[2]})
        end
        assert.are.equal(before, sim:stats().requests)
      end)
    end

    it("names the argument and the rule", function()
      raises("InvalidArgument", "computer: id must be an integer or a string of decimal digits, got \"4x\"",
        client.computer, client, "4x")
      raises("InvalidArgument", "run_script: computer_ids[2]", client.run_script, client, {1, 1e300}, 7)
      raises("InvalidArgument", "each: ids: item 2", client.list, client, "/Computers", {ids = {1, "x"}})
      raises("InvalidArgument", "each: ids: the list is empty", client.list, client, "/Computers", {ids = {}})
    end)
  end)
end)

describe("[3] client:command", function()
  it("waits through Pending, Sent and Executing, reading the spec's list route, and returns the Output", function()
    local sim = simmod.start{"--computers", "5", "--script-ms", "300"}
    local client = helper.new(sim)
    local output, status, row = client:command(2, "ipconfig /all", {poll_interval = 0.02, timeout = 20})
    local stats = sim:stats()
    sim:stop()
    assert.are.equal("Success", status)
    assert.matches("ipconfig /all", output)
    assert.are.equal("Success", row.Status)
    -- a third of 300 ms in each of three waiting statuses: many polls
    assert.is_true(gets(stats, "^/cwa/api/v1/computers/2/commandexecute$") >= 5)
    assert.are.equal(0, gets(stats, "^/cwa/api/v1/computers/2/commandexecute/"))
  end)

  it("raises Timeout when the command is not final in time, with the last status", function()
    local sim = simmod.start{"--computers", "5", "--script-ms", "30000"}
    local client = helper.new(sim)
    local err = raises("Timeout", "not finished after 0.3 s", client.command, client, 2, "ver",
      {poll_interval = 0.05, timeout = 0.3})
    sim:stop()
    assert.is_table(err.details)
    assert.is_number(err.details.command_id)
    assert.is_truthy(({Pending = true, Sent = true, Executing = true})[err.details.status], err.details.status)
  end)

  it("reads /CommandExecute/{id} only after the list route answered 404", function()
    local srv = hostile.start("command_item_route")
    local client = hostile.client(srv)
    local output, status = client:command(2, "ver", {poll_interval = 0.01, timeout = 20})
    local list, item = 0, 0
    for _, r in ipairs(srv.data_requests()) do
      if r.method == "GET" and r.path:lower() == "/cwa/api/v1/computers/2/commandexecute" then
        list = list + 1
        assert.are.equal("77", r.query.ids)
      elseif r.method == "GET" and r.path:lower() == "/cwa/api/v1/computers/2/commandexecute/77" then
        item = item + 1
      end
    end
    srv.stop()
    assert.are.equal("done", output)
    assert.are.equal("Success", status)
    assert.are.equal(1, list)
    assert.are.equal(3, item)
  end)
end)

describe("[4] run_script with wait reads the launch answer", function()
  local sim, client
  setup(function()
    sim = simmod.start{"--computers", "30", "--script-ms", "200"}
    client = helper.new(sim)
  end)
  teardown(function() sim:stop() end)

  it("returns the computers the server did not launch at once, with its Message; polls only the others", function()
    local online, offline = first_id(client, "Status = 'Online'"), first_id(client, "Status = 'Offline'")
    sim:reset()
    local results = client:run_script({offline, online, 99999}, 7, nil, {wait = true, poll_interval = 0.05,
      timeout = 20})
    local stats = sim:stats()
    assert.are.equal("NotLaunched", results[1].status)
    assert.are.equal("Computer is offline.", results[1].message)
    assert.are.equal(1, results[1].launch.ResultDetails.ResultStatus)
    assert.are.equal("Completed", results[2].status)
    assert.are.equal(0, results[2].launch.ResultDetails.ResultStatus)
    assert.are.equal("NotLaunched", results[3].status)
    assert.are.equal("No computer with this id.", results[3].message)
    -- the history read before the launch, and no poll after it
    assert.are.equal(1, gets(stats, ("^/cwa/api/v1/computers/%d/scripthistory$"):format(offline)))
    assert.is_true(gets(stats, ("^/cwa/api/v1/computers/%d/scripthistory$"):format(online)) >= 2)
  end)

  it("does not wait at all when no computer was launched", function()
    local offline = client:list("/Computers", {condition = "Status = 'Offline'", limit = 2, fields = {"Id"}})
    local ids = {offline[1].Id, offline[2].Id}
    local t0 = helper.monotime()
    local results = client:run_script(ids, 7, nil, {wait = true, poll_interval = 30, timeout = 60})
    -- a hang guard: one poll interval would be 30 s
    assert.is_true(helper.monotime() - t0 < 20)
    for i, r in ipairs(results) do
      assert.are.equal(ids[i], r.computer_id)
      assert.are.equal("NotLaunched", r.status)
      assert.are.equal("Computer is offline.", r.message)
    end
  end)
end)

describe("[6] query keys of listings", function()
  local RESERVED = {
    {"page", "start_page"}, {"Page", "start_page"}, {"pageSize", "page_size"}, {"PAGESIZE", "page_size"},
    {"condition", "condition"}, {"orderBy", "order_by"}, {"orderby", "order_by"},
    {"includeFields", "fields"}, {"IncludeFields", "fields"}, {"excludeFields", "exclude_fields"},
    {"ids", "ids"}, {"IDS", "ids"}, {"expand", "expand"},
  }
  for _, dialect in ipairs(DIALECTS) do
    it("refuses the pager's and the named options' keys in query, in any case (" .. dialect .. ")", function()
      local sim = simmod.start{"--computers", "20", "--dialect", dialect}
      local client = helper.new(sim, {auth = dialect})
      for _, kv in ipairs(RESERVED) do
        local query = {[kv[1]] = "1"}
        local needle = ("query: parameter '%s' is set by the option %s"):format(kv[1], kv[2])
        raises("InvalidArgument", "each: " .. needle, client.each, client, "/Computers", {query = query})
        raises("InvalidArgument", needle, client.list, client, "/Computers", {query = query})
        raises("InvalidArgument", "count: " .. needle, client.count, client, "/Computers", {query = query})
        raises("InvalidArgument", needle, client.computers, client, {query = query, page_size = 5})
      end
      assert.are.equal(0, sim:stats().requests)
      -- other keys still go through, once
      assert.are.equal(20, #client:list("/Computers", {query = {someFlag = "1"}, page_size = 50}))
      sim:stop()
    end)
  end
end)

describe("[8] cwa.array", function()
  it("sends a marked table as a JSON array, empty or not; an unmarked empty table stays an object", function()
    local srv = hostile.start("normal")
    local client = hostile.client(srv)
    client:post("/Batch/ScriptExecute", {EntityIds = cwa.array{}, ScriptId = 7})
    client:put("/Contacts/1", {Tags = cwa.array{"a", "b"}, Extra = {}, Nested = {cwa.array()}})
    client:patch("/Clients/1", cwa.array{})
    local bodies = {}
    for _, r in ipairs(srv.data_requests()) do bodies[#bodies + 1] = r.body end
    srv.stop()
    assert.is_truthy(bodies[1]:find('"EntityIds":[]', 1, true), bodies[1])
    assert.is_truthy(bodies[2]:find('"Tags":["a","b"]', 1, true), bodies[2])
    assert.is_truthy(bodies[2]:find('"Extra":{}', 1, true), bodies[2])
    assert.is_truthy(bodies[2]:find('"Nested":[[]]', 1, true), bodies[2])
    assert.are.equal("[]", bodies[3])
  end)

  it("keeps the empty array through the simulator", function()
    local sim = simmod.start{"--computers", "5"}
    local client = helper.new(sim)
    local made = client:post("/Clients", {Name = "Arrays", Tags = cwa.array{}, Props = {}})
    local api = curl.client(sim, curl.login(sim).AccessToken)
    local status, _, _, text = api.get("/Clients/" .. curl.id(made.Id))
    sim:stop()
    assert.are.equal(200, status)
    assert.is_truthy(text:find('"Tags":[]', 1, true), text)
    assert.is_truthy(text:find('"Props":{}', 1, true), text)
  end)

  it("writes integers exactly and refuses what JSON cannot hold, before sending", function()
    local srv = hostile.start("normal")
    local client = hostile.client(srv)
    client:post("/Tickets", {Big = 123456789012345678, Small = -7, Ratio = 0.25})
    for _, body in ipairs{{Ids = cwa.array{1, x = 2}}, {F = print}, {N = 0 / 0}, {[true] = 1}} do
      raises("InvalidArgument", "post: body cannot be encoded as JSON", client.post, client, "/Tickets", body)
    end
    local cycle = {}
    cycle.self = cycle
    raises("InvalidArgument", "nested deeper than", client.post, client, "/Tickets", cycle)
    local requests = srv.data_requests()
    srv.stop()
    assert.are.equal(1, #requests)
    assert.is_truthy(requests[1].body:find('"Big":123456789012345678', 1, true), requests[1].body)
    assert.is_truthy(requests[1].body:find('"Ratio":0.25', 1, true), requests[1].body)
  end)

  it("marks only plain tables", function()
    local t = {1, 2}
    assert.are.equal(t, cwa.array(t))
    assert.are.equal(t, cwa.array(t)) -- twice is fine
    raises("InvalidArgument", "cwa.array: expected a table, got string", cwa.array, "x")
    raises("InvalidArgument", "already has a metatable", cwa.array, setmetatable({}, {}))
  end)
end)

describe("[10] conditions", function()
  local REFUSED = {
    {"ComputerName startswith 'A'", "use like 'x%'"},
    {"ComputerName endswith 'A'", "use like '%x'"},
    {"not (Status = 'Online')", "a general 'not' is not supported"},
    {"Status = 'Online' and not Id = 3", "put 'not' before in, like or contains"},
    {"RemoteAgentLastContact < '2024-01-01'", "write it unquoted: 2024-01-01"},
    {'RemoteAgentLastContact >= "2024-01-01T10:00:00"', "write it unquoted: 2024-01-01T10:00:00"},
  }

  it("cwa.check_condition checks current servers' syntax; the brief's extensions with 'apicredentials'", function()
    for _, case in ipairs(REFUSED) do
      local ok, message, column = cwa.check_condition(case[1])
      assert.is_nil(ok, case[1])
      assert.is_truthy(message:find(case[2], 1, true), message)
      assert.is_truthy(message:find("column " .. column .. ":", 1, true), message)
      assert.is_true(cwa.check_condition(case[1], "apicredentials"), case[1])
    end
    local text = "ComputerName = 'x' and D < '2024-01-01'"
    assert.are.equal(text:find("'2024", 1, true), select(3, cwa.check_condition(text)))
    for _, good in ipairs{"ComputerName like 'A%'", "Status != 'Online'", "OperatingSystemName not like '%Mac%'",
      "Id not in (1, 2)", "RemoteAgentLastContact < 2024-01-01T00:00:00", "ComputerName = '2024'",
      "Comment = 'it''s 2024-01-01 or so'"} do
      assert.is_true(cwa.check_condition(good), good)
    end
    assert.is_nil(cwa.check_condition("Status == 'x'", "apicredentials"))
    raises("InvalidArgument", "dialect must be", cwa.check_condition, "Id = 1", "odata")
  end)

  it("each, list and count refuse a malformed condition before sending anything (apitoken)", function()
    local sim = simmod.start{"--computers", "20"}
    local client = helper.new(sim)
    local bad = {"Status = 'Online' and", "Status == 'Online'"}
    for _, case in ipairs(REFUSED) do bad[#bad + 1] = case[1] end
    for _, text in ipairs(bad) do
      raises("InvalidArgument", "each: condition: column", client.each, client, "/Computers", {condition = text})
      raises("InvalidArgument", "each: condition: column", client.list, client, "/Computers", {condition = text})
      raises("InvalidArgument", "count: condition: column", client.count, client, "/Computers", {condition = text})
      raises("InvalidArgument", "condition: column", client.computers, client, {condition = text})
    end
    assert.are.equal(0, sim:stats().requests)
    -- the builder writes what current servers accept
    local F = cwa.cond.field
    assert.is_true(client:count("/Computers", {condition = F("ComputerName"):startswith("") & ~F("Id"):eq(3)}) > 0)
    sim:stop()
  end)

  it("follow the client's dialect: the brief's extensions reach an apicredentials server", function()
    local sim = simmod.start{"--computers", "40", "--dialect", "apicredentials"}
    local configured = helper.new(sim, {auth = "apicredentials"})
    local condition = "not (Status = 'Online') or Name startswith 'A'"
    assert.is_true(configured:count("/Computers", {condition = condition}) > 0)
    -- auto: current servers' syntax until the login has shown the dialect
    local auto = helper.new(sim, {auth = "auto"})
    raises("InvalidArgument", "a general 'not'", auto.count, auto, "/Computers", {condition = condition})
    auto:token()
    assert.are.equal(configured:count("/Computers", {condition = condition}),
      auto:count("/Computers", {condition = condition}))
    raises("InvalidArgument", "condition: column", auto.list, auto, "/Computers", {condition = "Name = 'A' and"})
    sim:stop()
  end)
end)

describe("[12] the PATCH example", function()
  -- The first `client:patch(...)` call of a text, as Lua source.
  local function example(path)
    local f = assert(io.open(path))
    local text = f:read("a")
    f:close()
    return assert(text:match("(client:patch%b())"), path .. " has no client:patch example")
  end

  for _, file in ipairs{"README.md", "lua/cwa/client.lua"} do
    it("of " .. file .. " works against the simulator: a route with PATCH and a JSON Patch body", function()
      local sim = simmod.start{"--computers", "5"}
      local client = helper.new(sim)
      local code = example(file)
      local body, status = assert(load("local client = ...; return " .. code, "=" .. file))(client)
      local path = code:match('client:patch%("([^"]+)"')
      local after = client:get(path)
      sim:stop()
      assert.are.equal(200, status)
      assert.is_table(body)
      local patch = assert(load("return " .. code:match("^client:patch%(\"[^\"]+\",%s*(.*)%)$")))()
      assert.is_true(#patch > 0, "the body is a JSON Patch array")
      for _, op in ipairs(patch) do
        assert.are.equal("replace", op.op)
        assert.are.equal(op.value, after[op.path:sub(2)])
      end
    end)
  end
end)
