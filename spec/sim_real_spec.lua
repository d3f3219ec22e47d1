-- The simulator's real-server behaviours (issue 15): repeated query keys,
-- v2 routes, token revocation, command statuses beyond a fixed list,
-- ScriptExecute launch results, the session's absolute expiry, the login
-- without ClientId, and the flags --string-ids, --tz and --limit-silent.
-- Driven through curl: these specs test the simulator, not the client.
local simlib = require("support.sim")
local curl = require("support.curl")
local cjson = require("cjson")

local id, enc, decode = curl.id, curl.enc, curl.decode

-- A simulator, a v1 client logged in to it, and the login's answer.
local function start(args)
  local sim = simlib.start(args)
  local tok = curl.login(sim)
  assert(tok and tok.AccessToken, "login failed")
  return sim, curl.client(sim, tok.AccessToken), tok
end

local function v2_client(sim, tok)
  return curl.client(sim, tok.AccessToken, "/cwa/api/v2")
end

local function exit_code(args)
  local ok, _, code = os.execute(simlib.shell_quote(simlib.binary) .. " " .. args .. " >/dev/null 2>&1")
  return ok and 0 or code
end

describe("cwa-sim real-server flags", function()
  it("lists the new flags in --help", function()
    local p = assert(io.popen(simlib.shell_quote(simlib.binary) .. " --help"))
    local out = p:read("a")
    p:close()
    for _, flag in ipairs{"--token-absolute", "--limit-silent", "--string-ids", "--tz"} do
      assert.truthy(out:find(flag, 1, true), flag)
    end
    assert.truthy(out:find("/v2/", 1, true))
  end)

  it("refuses bad --tz values and --rate-limit with --limit-silent", function()
    for _, bad in ipairs{"10:00", "+1000", "+15:00", "-12:30", "+05:60", "UTC"} do
      assert.equal(2, exit_code("--tz " .. bad), bad)
    end
    assert.equal(2, exit_code("--rate-limit 60 --limit-silent 60"))
  end)
end)

describe("cwa-sim repeated query keys", function()
  local sim, api
  setup(function() sim, api = start{"--computers", "50"} end)
  teardown(function() sim:stop() end)

  it("answers a key repeated in another casing with 400 {Message}", function()
    for _, q in ipairs{"pageSize=1&PageSize=2", "condition=Id%3E1&CONDITION=Id%3E2", "ids=1&IDS=1",
        "orderBy=Id&orderby=Id"} do
      local status, body = api.get("/Computers?" .. q)
      assert.equal(400, status, q)
      assert.equal("An item with the same key has already been added.", body.Message, q)
    end
    assert.equal(200, (api.get("/Computers?pageSize=1&page=2")))
  end)

  it("answers it on item reads and v2 routes too", function()
    assert.equal(400, (api.get("/Computers/1?includeFields=Id&IncludeFields=Id")))
    local v2 = v2_client(sim, curl.login(sim))
    assert.equal(400, (v2.get("/Contacts?page=1&PAGE=1")))
  end)
end)

describe("cwa-sim v2 routes", function()
  local sim, api, v2
  setup(function()
    local tok
    sim, api, tok = start{"--computers", "200", "--contacts", "30", "--scripts", "20"}
    v2 = v2_client(sim, tok)
  end)
  teardown(function() sim:stop() end)

  it("serves v1's contacts with ContactId and ClientId/LocationId names", function()
    local s1, v1list = api.get("/Contacts?pageSize=1000")
    local s2, v2list = v2.get("/Contacts?pageSize=1000")
    assert.equal(200, s1)
    assert.equal(200, s2)
    assert.equal(30, #v2list)
    for i, c in ipairs(v2list) do
      local old = v1list[i]
      assert.equal(old.Id, c.ContactId)
      assert.is_nil(c.Id)
      assert.equal(old.FirstName, c.FirstName)
      assert.equal(old.Client.Id, c.Client.ClientId)
      assert.equal(old.Location.Id, c.Location.LocationId)
    end
    local _, one = v2.get("/Contacts/7")
    assert.equal(7, one.ContactId)
    assert.equal(404, (v2.get("/Contacts/9999")))
  end)

  it("filters, orders and pages v2 records by their v2 field names", function()
    local _, list = v2.get("/Contacts?condition=" .. enc("ContactId > 25") .. "&orderBy=" .. enc("ContactId desc"))
    assert.equal(5, #list)
    assert.equal(30, list[1].ContactId)
    assert.equal(26, list[5].ContactId)
    local _, page2 = v2.get("/Contacts?page=2&pageSize=10")
    assert.equal(11, page2[1].ContactId)
    local _, by_client = v2.get("/Contacts?condition=" .. enc("Client.ClientId = 3"))
    assert.truthy(#by_client >= 1)
    for _, c in ipairs(by_client) do assert.equal(3, c.Client.ClientId) end
    assert.equal(400, (v2.get("/Contacts?condition=" .. enc("Id = 3"))))
  end)

  it("serves scripts with ScriptId and Folder.FolderId", function()
    local _, s = v2.get("/Scripts/4")
    local _, old = api.get("/Scripts/4")
    assert.equal(4, s.ScriptId)
    assert.equal(old.Name, s.Name)
    assert.equal(old.Folder.Id, s.Folder.FolderId)
    local _, list = v2.get("/Scripts?pageSize=5")
    assert.equal(5, #list)
    assert.equal(1, list[1].ScriptId)
  end)

  it("creates, replaces and deletes contacts and scripts through v2, seen by v1", function()
    local status, c = v2.call("POST", "/Contacts",
      cjson.encode{FirstName = "Ann", LastName = "Lee", Client = {ClientId = 5}})
    assert.equal(200, status)
    assert.truthy(c.ContactId > 30)
    local _, v1c = api.get("/Contacts/" .. id(c.ContactId))
    assert.equal("Ann", v1c.FirstName)
    assert.equal(5, v1c.Client.Id)
    local s2, put = v2.call("PUT", "/Contacts/" .. id(c.ContactId), cjson.encode{ContactId = 1, LastName = "Ng"})
    assert.equal(200, s2)
    assert.equal(c.ContactId, put.ContactId)
    assert.equal("Ng", put.LastName)
    assert.equal("Ng", select(2, v2.get("/Contacts/" .. id(c.ContactId))).LastName)
    assert.equal(204, (v2.call("DELETE", "/Contacts/" .. id(c.ContactId))))
    assert.equal(404, (api.get("/Contacts/" .. id(c.ContactId))))
    assert.equal(404, (v2.get("/Contacts/" .. id(c.ContactId))))
    assert.equal(400, (v2.call("POST", "/Contacts", cjson.encode{LastName = "NoFirst"})))
    local s3, sc = v2.call("POST", "/Scripts", cjson.encode{Name = "Spec Script", Folder = {FolderId = 2}})
    assert.equal(200, s3)
    assert.equal(2, select(2, api.get("/Scripts/" .. id(sc.ScriptId))).Folder.Id)
    assert.equal(204, (v2.call("DELETE", "/Scripts/" .. id(sc.ScriptId))))
  end)

  it("answers 405 to methods v2 has not and 404 to routes it has not", function()
    assert.equal(405, (v2.call("PATCH", "/Contacts/1", "[]")))
    assert.equal(405, (v2.call("DELETE", "/Contacts")))
    assert.equal(404, (v2.get("/Computers")))
    assert.equal(404, (v2.get("/Contacts/1/Extra")))
    assert.equal(401, (curl.client(sim, "eyJbogus", "/cwa/api/v2").get("/Contacts")))
  end)

  it("lists a group's computers: a fixed subset of the fleet, 404 for no such group", function()
    local status, members = v2.get("/Groups/3/Computers?pageSize=1000")
    assert.equal(200, status)
    assert.truthy(#members > 10 and #members < 150, #members)
    local _, again = v2.get("/Groups/3/Computers?pageSize=1000&includeFields=Id")
    assert.equal(#members, #again)
    local _, other = v2.get("/Groups/4/Computers?pageSize=1000")
    assert.are_not.same(members, other)
    local _, first = api.get("/Computers/" .. id(members[1].Id))
    assert.same(first, members[1])
    assert.equal(404, (v2.get("/Groups/9999/Computers")))
    assert.equal(405, (v2.call("POST", "/Groups/3/Computers", "{}")))
  end)

  it("does not exist in the apicredentials dialect", function()
    local s2 = simlib.start{"--dialect", "apicredentials", "--computers", "10"}
    local status, text = curl.request(s2, "POST", "/cwa/api/v1/APICredentials",
      {body = '{"Username":"integrator","Password":"integrator-pass"}'})
    assert.equal(200, status)
    local c = curl.client(s2, decode(text).AccessToken, "/cwa/api/v2")
    assert.equal(404, (c.get("/Contacts")))
    s2:stop()
  end)
end)

describe("cwa-sim /apitoken/Disable", function()
  local sim, api, tok
  setup(function() sim, api, tok = start{"--computers", "20"} end)
  teardown(function() sim:stop() end)

  it("revokes the SecurityToken given: its calls and its refresh get 401, others go on", function()
    local other = curl.client(sim, curl.login(sim).AccessToken)
    sim:reset()
    assert.equal(200, (api.get("/Computers/1")))
    local status = api.call("POST", "/apitoken/Disable", cjson.encode{SecurityToken = tok.AccessToken})
    assert.equal(204, status)
    assert.equal(401, (api.get("/Computers/1")))
    assert.equal(200, (other.get("/Computers/1")))
    assert.equal(401, (curl.request(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = cjson.encode(tok.AccessToken), headers = {curl.CLIENT_ID}})))
    assert.equal(1, sim:stats().logouts)
  end)

  it("needs a bearer token and a SecurityToken, and takes any key casing", function()
    local t = curl.login(sim).AccessToken
    assert.equal(401, (curl.request(sim, "POST", "/cwa/api/v1/apitoken/Disable",
      {body = cjson.encode{SecurityToken = t}, headers = {curl.CLIENT_ID}})))
    local c = curl.client(sim, t)
    local status, body = c.call("POST", "/apitoken/Disable", "{}")
    assert.equal(400, status)
    assert.truthy(body.ModelState.SecurityToken)
    assert.equal(405, (c.get("/apitoken/Disable")))
    assert.equal(204, (c.call("POST", "/apitoken/disable", cjson.encode{securitytoken = t})))
    assert.equal(401, (c.get("/Computers/1")))
  end)
end)

describe("cwa-sim command statuses", function()
  local sim, api
  -- Each status lasts a third of --script-ms: long enough that a poll on a
  -- loaded machine (make sanitize runs three suites at once) sees every one.
  setup(function() sim, api = start{"--computers", "20", "--script-ms", "6000"} end)
  teardown(function() sim:stop() end)

  -- The statuses a command shows until it ends, in order, read through both routes.
  local function watch(computer, command)
    local status, row = api.call("POST", "/Computers/" .. computer .. "/CommandExecute", cjson.encode{
      ComputerId = computer, Command = {Id = 2}, Parameters = {"cmd.exe!!! /c " .. command}})
    assert.equal(200, status)
    local seen, item_route = {row.Status}, false
    local deadline = os.time() + 10
    while os.time() < deadline do
      local rec
      if item_route then
        rec = select(2, api.get("/Computers/" .. computer .. "/CommandExecute/" .. id(row.Id)))
      else
        local _, list = api.get("/Computers/" .. computer .. "/CommandExecute?ids=" .. id(row.Id))
        assert.equal(1, #list)
        rec = list[1]
      end
      item_route = not item_route
      if rec.Status ~= seen[#seen] then seen[#seen + 1] = rec.Status end
      if rec.Status == "Success" or rec.Status == "Failed" then return seen, rec end
      simlib.sleep(0.05)
    end
    error("the command never ended: " .. table.concat(seen, ", "))
  end

  it("passes through Pending, Sent and Executing before Success", function()
    local seen, rec = watch(5, "echo phases")
    assert.same({"Pending", "Sent", "Executing", "Success"}, seen)
    assert.truthy(rec.Output:find("phases", 1, true))
  end)

  it("ends in Failed for a failing command, after the same statuses", function()
    local seen = watch(6, "fail please")
    assert.equal("Pending", seen[1])
    assert.equal("Failed", seen[#seen])
    assert.equal(4, #seen)
  end)
end)

describe("cwa-sim ScriptExecute launch results", function()
  local sim, api
  setup(function() sim, api = start{"--computers", "60", "--script-ms", "100"} end)
  teardown(function() sim:stop() end)

  it("launches online computers, refuses offline and unknown ones with integer codes", function()
    local _, offline = api.get("/Computers?pageSize=2&condition=" .. enc("Status = 'Offline'"))
    local _, online = api.get("/Computers?pageSize=2&condition=" .. enc("Status = 'Online'"))
    assert.equal(2, #offline)
    assert.equal(2, #online)
    local ids = {online[1].Id, offline[1].Id, 999999, online[2].Id, offline[2].Id}
    local status, res = api.call("POST", "/Batch/ScriptExecute", cjson.encode{
      EntityType = "Computer", EntityIds = ids, ScriptId = 2})
    assert.equal(200, status)
    assert.is_true(res.ContainsUnsuccessfulResults)
    assert.equal(5, #res.ScriptResults)
    local by = {}
    for i, r in ipairs(res.ScriptResults) do
      assert.equal(ids[i], r.EntityId)
      assert.equal("integer", math.type(math.tointeger(r.ResultDetails.ResultStatus)))
      assert.equal("number", type(r.ResultDetails.ResultStatus))
      by[r.EntityId] = r.ResultDetails
    end
    for _, c in ipairs(online) do
      assert.equal(0, by[c.Id].ResultStatus)
      assert.equal(1, #select(2, api.get("/Computers/" .. id(c.Id) .. "/ScriptHistory")))
    end
    for _, c in ipairs(offline) do
      assert.equal(1, by[c.Id].ResultStatus)
      assert.equal("Computer is offline.", by[c.Id].Message)
      assert.equal(0, #select(2, api.get("/Computers/" .. id(c.Id) .. "/ScriptHistory")))
    end
    assert.are_not.equal(0, by[999999].ResultStatus)
    assert.truthy(by[999999].Message:find("No computer", 1, true))
  end)

  it("says nothing failed when every computer was launched", function()
    local _, online = api.get("/Computers?pageSize=3&condition=" .. enc("Status = 'Online'"))
    local ids = {}
    for i, c in ipairs(online) do ids[i] = c.Id end
    local _, res = api.call("POST", "/Batch/ScriptExecute", cjson.encode{
      EntityType = 1, EntityIds = ids, ScriptId = 1})
    assert.is_false(res.ContainsUnsuccessfulResults)
    for _, r in ipairs(res.ScriptResults) do assert.equal(0, r.ResultDetails.ResultStatus) end
  end)
end)

describe("cwa-sim AbsoluteExpirationDate", function()
  it("is 24 h after login by default and stays put across refreshes", function()
    local sim = simlib.start{"--computers", "10"}
    local tok = curl.login(sim)
    local abs, exp = curl.iso_seconds(tok.AbsoluteExpirationDate), curl.iso_seconds(tok.ExpirationDate)
    assert.equal(86400 - 3600, abs - exp)
    local _, text = curl.request(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = cjson.encode(tok.AccessToken), headers = {curl.CLIENT_ID}})
    assert.equal(tok.AbsoluteExpirationDate, decode(text).AbsoluteExpirationDate)
    sim:stop()
  end)

  it("ends the session at --token-absolute: no token outlives it, refresh then gets 401", function()
    -- Lifetimes of seconds, not one: a loaded machine may take a second between calls.
    local sim = simlib.start{"--computers", "10", "--token-ttl", "6", "--token-absolute", "8"}
    local tok = curl.login(sim)
    assert.equal(2, curl.iso_seconds(tok.AbsoluteExpirationDate) - curl.iso_seconds(tok.ExpirationDate))
    -- refreshed between 2 s (its new expiry is then the session's end) and 6 s (the token's)
    simlib.sleep(3.5)
    local status, text = curl.request(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = cjson.encode(tok.AccessToken), headers = {curl.CLIENT_ID}})
    assert.equal(200, status)
    local fresh = decode(text)
    assert.equal(tok.AbsoluteExpirationDate, fresh.AbsoluteExpirationDate)
    assert.equal(fresh.AbsoluteExpirationDate, fresh.ExpirationDate)
    simlib.sleep(5)
    assert.equal(401, (curl.client(sim, fresh.AccessToken).get("/Computers/1")))
    assert.equal(401, (curl.request(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = cjson.encode(fresh.AccessToken), headers = {curl.CLIENT_ID}})))
    local again = curl.login(sim)
    assert.truthy(curl.iso_seconds(again.AbsoluteExpirationDate) > curl.iso_seconds(tok.AbsoluteExpirationDate))
    assert.equal(200, (curl.client(sim, again.AccessToken).get("/Computers/1")))
    sim:stop()
  end)
end)

describe("cwa-sim login without ClientId", function()
  local sim
  setup(function() sim = simlib.start{"--computers", "10"} end)
  teardown(function() sim:stop() end)

  it("issues a token that works on data calls sent with a ClientId, and only then", function()
    local tok, status = curl.login(sim, {headers = {}})
    assert.equal(200, status)
    assert.equal(200, (curl.client(sim, tok.AccessToken).get("/Computers/1")))
    assert.equal(401, (curl.request(sim, "GET", "/cwa/api/v1/Computers/1",
      {headers = {"Authorization: Bearer " .. tok.AccessToken}})))
  end)

  it("still refuses wrong credentials without ClientId", function()
    local _, status = curl.login(sim, {password = "nope", headers = {}})
    assert.equal(401, status)
  end)
end)

describe("cwa-sim --tz", function()
  local function skew(offset_args)
    local sim = simlib.start{"--computers", "10", "--tz", offset_args}
    local tok, _, headers = curl.login(sim)
    local now = curl.http_date_seconds(headers.date)
    local api = curl.client(sim, tok.AccessToken)
    local _, row, hdr = api.call("POST", "/Computers/2/CommandExecute",
      cjson.encode{ComputerId = 2, Command = {Id = 2}, Parameters = {"cmd.exe!!! /c ver"}})
    local created = curl.iso_seconds(row.DateCreated) - curl.http_date_seconds(hdr.date)
    sim:stop()
    return curl.iso_seconds(tok.ExpirationDate) - now - 3600, created
  end

  it("writes the token expiry and new rows in that zone's local time, without a zone", function()
    for text, offset in pairs{["+10:00"] = 36000, ["-03:30"] = -12600, ["+00:00"] = 0, ["+14:00"] = 50400} do
      local expiry, created = skew(text)
      assert.truthy(math.abs(expiry - offset) <= 1, text .. ": " .. expiry)
      assert.truthy(math.abs(created - offset) <= 1, text .. ": " .. created)
    end
  end)
end)

describe("cwa-sim --limit-silent", function()
  it("answers 429 with Retry-After past the limit and never an X-RateLimit header", function()
    local sim = simlib.start{"--computers", "10", "--limit-silent", "60", "--burst", "3"}
    local api = curl.client(sim, curl.login(sim).AccessToken)
    local codes, retry = {}, nil
    for _ = 1, 6 do
      local status, _, headers = api.get("/Computers/1")
      codes[tostring(status)] = (codes[tostring(status)] or 0) + 1
      for name in pairs(headers) do assert.is_nil(name:find("^x%-ratelimit"), name) end
      if status == 429 then retry = tonumber(headers["retry-after"]) end
    end
    assert.truthy((codes["429"] or 0) >= 2, cjson.encode(codes))
    assert.truthy(retry and retry >= 1)
    assert.truthy(sim:stats().rate_limited >= 2)
    sim:stop()
  end)

  it("lets requests through again at the stated pace", function()
    local sim = simlib.start{"--computers", "10", "--limit-silent", "120", "--burst", "1"}
    local api = curl.client(sim, curl.login(sim).AccessToken)
    simlib.sleep(0.6)
    local status, _, headers = api.get("/Computers/1")
    assert.equal(200, status)
    assert.is_nil(headers["x-ratelimit-limit"])
    sim:stop()
  end)
end)

describe("cwa-sim --string-ids", function()
  local sim, api, tok
  setup(function() sim, api, tok = start{"--computers", "60", "--string-ids", "--script-ms", "100"} end)
  teardown(function() sim:stop() end)

  it("writes the Id of the collections the spec types as strings as a JSON string", function()
    for _, name in ipairs{"Computers", "Clients", "Contacts", "Scripts", "Groups"} do
      local _, list, _, text = api.get("/" .. name .. "?pageSize=2")
      assert.equal("string", type(list[1].Id), name)
      assert.truthy(text:find('"Id":"' .. list[1].Id .. '"', 1, true), name)
      local _, one = api.get("/" .. name .. "/" .. list[2].Id)
      assert.equal(list[2].Id, one.Id, name)
    end
    for name, field in pairs{Locations = "Id", Alerts = "AlertId", Monitors = "MonitorId", Tickets = "TicketId"} do
      local _, list = api.get("/" .. name .. "?pageSize=1")
      assert.equal("number", type(list[1][field]), name)
    end
    local _, c = api.get("/Computers/3")
    assert.equal("number", type(c.Client.Id))
    local _, shaped = api.get("/Computers?pageSize=1&includeFields=Id,ComputerName")
    assert.equal("1", shaped[1].Id)
    local _, v2 = v2_client(sim, tok).get("/Contacts/2")
    assert.equal(2, v2.ContactId)
  end)

  it("still filters, orders and selects ids numerically", function()
    local _, above = api.get("/Computers?pageSize=1000&condition=" .. enc("Id > 55"))
    assert.equal(5, #above)
    local _, desc = api.get("/Computers?pageSize=3&orderBy=" .. enc("Id desc"))
    assert.same({"60", "59", "58"}, {desc[1].Id, desc[2].Id, desc[3].Id})
    local _, asc = api.get("/Computers?pageSize=12&orderBy=" .. enc("Id asc"))
    assert.equal("9", asc[9].Id)
    assert.equal("10", asc[10].Id)
    local _, some = api.get("/Computers?ids=5,10,11")
    assert.same({"5", "10", "11"}, {some[1].Id, some[2].Id, some[3].Id})
    local _, page = api.get("/Computers?page=2&pageSize=25")
    assert.equal("26", page[1].Id)
  end)

  it("writes created and changed records with string ids, and takes string ids in actions", function()
    local _, c = api.call("POST", "/Clients", cjson.encode{Name = "String Client"})
    assert.equal("string", type(c.Id))
    local _, p = api.call("PATCH", "/Clients/" .. c.Id, cjson.encode{{op = "replace", path = "/City", value = "Oslo"}})
    assert.equal(c.Id, p.Id)
    local _, online = api.get("/Computers?pageSize=1&condition=" .. enc("Status = 'Online'"))
    local _, res = api.call("POST", "/Batch/ScriptExecute", cjson.encode{
      EntityType = "Computer", EntityIds = {online[1].Id}, ScriptId = "2"})
    assert.equal(0, res.ScriptResults[1].ResultDetails.ResultStatus)
    assert.equal(1, #select(2, api.get("/Computers/" .. online[1].Id .. "/ScriptHistory")))
  end)
end)
