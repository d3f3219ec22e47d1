-- The simulator cwa-sim, driven through the curl command line: both login
-- dialects, every query option, totals styles, actions, faults, limits,
-- churn, stats and TLS.
local simlib = require("support.sim")
local curl = require("support.curl")
local cjson = require("cjson")

local CLIENT_ID = curl.CLIENT_ID
local quote = simlib.shell_quote
local http, decode, enc, id = curl.request, curl.decode, curl.enc, curl.id

local function read_file(path)
  return simlib.read_file(path) or ""
end

local function login_apitoken(sim, user, pass, code)
  local body = {UserName = user or "integrator", Password = pass or "integrator-pass", TwoFactorPasscode = code}
  local status, text = http(sim, "POST", "/cwa/api/v1/apitoken", {body = cjson.encode(body), headers = {CLIENT_ID}})
  return status, decode(text), text
end

local function login_creds(sim, user, pass, code)
  local body = {Username = user or "integrator", Password = pass or "integrator-pass", TwoFactorCode = code}
  local status, text = http(sim, "POST", "/cwa/api/v1/APICredentials", {body = cjson.encode(body)})
  return status, decode(text), text
end

-- An API client bound to one sim and one token.
local client = curl.client

local function start_apitoken(args)
  local sim = simlib.start(args)
  local status, tok = login_apitoken(sim)
  assert(status == 200, "login failed")
  return sim, client(sim, tok.AccessToken)
end

local function start_creds(args)
  local a = {"--dialect", "apicredentials"}
  for _, v in ipairs(args or {}) do a[#a + 1] = v end
  local sim = simlib.start(a)
  local status, tok = login_creds(sim)
  assert(status == 200, "login failed")
  return sim, client(sim, tok.AccessToken)
end

local ISO = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d$"

-- RFC 6238 code of a base32 secret at unix time t, HMAC-SHA1 by the openssl CLI.
local function totp(secret, t)
  local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
  local acc, bits, key = 0, 0, {}
  for ch in secret:upper():gmatch("[A-Z2-7]") do
    acc = (acc << 5) | (alphabet:find(ch, 1, true) - 1)
    bits = bits + 5
    if bits >= 8 then
      key[#key + 1] = string.format("%02x", (acc >> (bits - 8)) & 255)
      bits = bits - 8
    end
  end
  local counter, octal = t // 30, {}
  for i = 7, 0, -1 do octal[#octal + 1] = string.format("\\%03o", (counter >> (i * 8)) & 255) end
  local p = assert(io.popen("printf '" .. table.concat(octal) ..
    "' | openssl dgst -sha1 -mac HMAC -macopt hexkey:" .. table.concat(key)))
  local hex = p:read("a"):match("= (%x+)")
  p:close()
  local bytes = {}
  for b in hex:gmatch("%x%x") do bytes[#bytes + 1] = tonumber(b, 16) end
  local off = (bytes[20] & 15) + 1
  local code = ((bytes[off] & 127) << 24) | (bytes[off + 1] << 16) | (bytes[off + 2] << 8) | bytes[off + 3]
  return string.format("%06d", code % 1000000)
end

describe("cwa-sim startup", function()
  it("prints usage with every flag for --help", function()
    local p = assert(io.popen(quote(simlib.binary) .. " --help"))
    local out = p:read("a")
    p:close()
    for _, flag in ipairs{"--port", "--dialect", "--totals", "--seed", "--computers", "--clients",
        "--locations", "--alerts", "--scripts", "--contacts", "--monitors", "--groups", "--tickets",
        "--token-ttl", "--user", "--totp-secret", "--script-ms", "--churn", "--rate-limit", "--burst",
        "--max-concurrent", "--latency-ms", "--fail-rate", "--drop-rate", "--malformed-rate",
        "--html-rate", "--stall-rate", "--fault-logins", "--tls", "--cert", "--key", "--verbose"} do
      assert.truthy(out:find(flag, 1, true), flag)
    end
  end)

  it("rejects an unknown flag with exit status 2", function()
    local ok, _, code = os.execute(quote(simlib.binary) .. " --no-such-flag 2>/dev/null")
    assert.is_nil(ok)
    assert.equal(2, code)
  end)

  it("prints the loopback URL first and stops on SIGTERM", function()
    local sim = simlib.start()
    assert.truthy(sim.url:match("^http://127%.0%.0%.1:%d+$"))
    local pid = sim.pid
    sim:stop()
    assert.is_false(simlib.alive(pid))
  end)
end)

describe("cwa-sim apitoken dialect", function()
  local sim, api
  setup(function() sim, api = start_apitoken{"--script-ms", "150"} end)
  teardown(function() sim:stop() end)

  it("logs in with a TokenResult whose expiry has no time zone", function()
    local status, tok = login_apitoken(sim)
    assert.equal(200, status)
    assert.truthy(#tok.AccessToken > 20)
    assert.equal("Bearer", tok.TokenType)
    assert.truthy(tok.ExpirationDate:match(ISO))
    assert.truthy(tok.AbsoluteExpirationDate:match(ISO))
    assert.equal("string", type(tok.UserId))
    assert.equal("integrator", tok.InternalUserName)
    assert.is_false(tok.IsTwoFactorRequired)
    assert.is_nil(tok.ExpiresIn)
    assert.is_nil(tok.RefreshToken)
  end)

  it("accepts credentials keys in any casing", function()
    local status, text = http(sim, "POST", "/cwa/api/v1/apitoken",
      {body = '{"username":"integrator","password":"integrator-pass"}', headers = {CLIENT_ID}})
    assert.equal(200, status)
    assert.truthy(decode(text).AccessToken)
  end)

  it("accepts a login without a ClientId header, as real servers do", function()
    local status, text = http(sim, "POST", "/cwa/api/v1/apitoken",
      {body = '{"UserName":"integrator","Password":"integrator-pass"}'})
    assert.equal(200, status)
    assert.truthy(decode(text).AccessToken)
  end)

  it("accepts the ClientId header name in any casing", function()
    local _, tok = login_apitoken(sim)
    local status = http(sim, "GET", "/cwa/api/v1/Computers?pageSize=1",
      {headers = {"clientid: abc", "Authorization: Bearer " .. tok.AccessToken}})
    assert.equal(200, status)
  end)

  it("answers 401 to a data call without ClientId, even with a token", function()
    local _, tok = login_apitoken(sim)
    local status = http(sim, "GET", "/cwa/api/v1/Computers?pageSize=1",
      {headers = {"Authorization: Bearer " .. tok.AccessToken}})
    assert.equal(401, status)
  end)

  it("answers 401 with {code, message, errors} to a wrong password", function()
    local status, body = login_apitoken(sim, "integrator", "nope")
    assert.equal(401, status)
    assert.equal("Unauthorized", body.code)
    assert.truthy(body.message)
    assert.truthy(body.errors[1].message)
  end)

  it("signals 2FA with a 200, IsTwoFactorRequired and no token", function()
    sim:reset()
    local status, body = login_apitoken(sim, "tech", "tech-pass")
    assert.equal(200, status)
    assert.is_true(body.IsTwoFactorRequired)
    assert.equal(cjson.null, body.AccessToken)
    assert.equal(1, sim:stats().two_factor_challenges)
  end)

  it("logs a 2FA user in with the passcode and refuses a wrong one", function()
    local status, body = login_apitoken(sim, "tech", "tech-pass", "123 456")
    assert.equal(200, status)
    assert.truthy(body.AccessToken)
    assert.equal(401, (login_apitoken(sim, "tech", "tech-pass", "654321")))
  end)

  it("answers 401 without a bearer token or with a bogus one", function()
    assert.equal(401, (http(sim, "GET", "/cwa/api/v1/Computers", {headers = {CLIENT_ID}})))
    assert.equal(401, (client(sim, "eyJbogus").get("/Computers")))
  end)

  it("refreshes with the token as a JSON string body", function()
    local _, tok = login_apitoken(sim)
    local status, text = http(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = cjson.encode(tok.AccessToken), headers = {CLIENT_ID}})
    assert.equal(200, status)
    local fresh = decode(text)
    assert.are_not.equal(tok.AccessToken, fresh.AccessToken)
    assert.equal(200, (client(sim, fresh.AccessToken).get("/Computers?pageSize=1")))
    assert.equal(401, (http(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = '"eyJunknown"', headers = {CLIENT_ID}})))
    assert.equal(400, (http(sim, "POST", "/cwa/api/v1/apitoken/refresh",
      {body = '{"RefreshToken":"x"}', headers = {CLIENT_ID}})))
  end)

  it("has no APICredentials route", function()
    local status = http(sim, "POST", "/cwa/api/v1/APICredentials",
      {body = '{"Username":"integrator","Password":"integrator-pass"}', headers = {CLIENT_ID}})
    assert.equal(404, status)
  end)

  it("lists computers as a bare array of 250 by default, without totals headers", function()
    local status, list, headers = api.get("/Computers")
    assert.equal(200, status)
    assert.equal(250, #list)
    assert.is_nil(headers["x-total-count"])
    assert.truthy(headers["content-type"]:find("application/json", 1, true))
  end)

  it("pages with page and pageSize until an empty page", function()
    local seen, page = {}, 1
    while true do
      local status, list = api.get("/Computers?page=" .. page .. "&pageSize=700")
      assert.equal(200, status)
      if #list == 0 then break end
      for _, c in ipairs(list) do
        assert.is_nil(seen[c.Id])
        seen[c.Id] = true
      end
      page = page + 1
    end
    assert.equal(4, page) -- 700 + 700 + 600, then the empty page
    local n = 0
    for _ in pairs(seen) do n = n + 1 end
    assert.equal(2000, n)
  end)

  it("shapes computers like the real server", function()
    local _, list = api.get("/Computers?pageSize=50")
    local c = list[1]
    assert.equal("number", type(c.Id))
    assert.equal("string", type(c.ComputerName))
    assert.equal("number", type(c.Client.Id))
    assert.equal("string", type(c.Client.Name))
    assert.equal("number", type(c.Location.Id))
    assert.truthy(c.Status == "Online" or c.Status == "Offline")
    assert.truthy(c.Type == "Workstation" or c.Type == "Server")
    assert.equal("number", type(c.TotalMemory))
    assert.equal("number", type(c.FreeMemory))
    assert.truthy(c.RemoteAgentLastContact:match(ISO))
    assert.equal("table", type(c.OpenPortsTCP))
    assert.truthy(c.LocalIPAddress:match("^%d+%.%d+%.%d+%.%d+$"))
    assert.truthy(c.SerialNumber)
    assert.is_nil(c.ClientID)
    assert.is_nil(c.ComputerID)
  end)

  it("rejects bad paging values with a ModelState 400", function()
    local status, body = api.get("/Computers?pageSize=5000")
    assert.equal(400, status)
    assert.truthy(body.Message)
    assert.truthy(body.ModelState.pageSize)
    assert.equal(400, (api.get("/Computers?pageSize=0")))
    assert.equal(400, (api.get("/Computers?page=abc")))
    assert.equal(200, (api.get("/Computers?pageSize=1000")))
  end)

  it("filters with a condition", function()
    local _, list = api.get("/Computers?pageSize=1000&condition=" .. enc("Status = 'Online' and Type = 'Server'"))
    assert.truthy(#list > 0 and #list < 1000)
    for _, c in ipairs(list) do
      assert.equal("Online", c.Status)
      assert.equal("Server", c.Type)
    end
  end)

  it("answers a syntax error with 400 naming the column", function()
    local status, body = api.get("/Computers?condition=" .. enc("Status == 'Online'"))
    assert.equal(400, status)
    assert.truthy(body.message:find("column 8", 1, true))
  end)

  it("answers an unknown field with 400 Invalid field", function()
    local status, body = api.get("/Computers?condition=" .. enc("LastContact < 2024-01-01"))
    assert.equal(400, status)
    assert.truthy(body.message:find("Invalid field", 1, true))
    assert.truthy(body.message:find("column 1", 1, true))
  end)

  it("answers a quoted date with 500, as real servers do", function()
    local status = api.get("/Computers?condition=" .. enc("RemoteAgentLastContact < '2024-01-01'"))
    assert.equal(500, status)
  end)

  it("rejects the brief's startswith in this dialect", function()
    assert.equal(400, (api.get("/Computers?condition=" .. enc("ComputerName startswith 'ACME'"))))
  end)

  it("orders by a field, breaking ties by ascending Id", function()
    local _, list = api.get("/Computers?pageSize=300&orderBy=" .. enc("ComputerName desc"))
    for i = 2, #list do
      assert.truthy(list[i - 1].ComputerName:lower() >= list[i].ComputerName:lower())
    end
    local _, by_status = api.get("/Computers?pageSize=1000&orderBy=" .. enc("Status asc"))
    for i = 2, #by_status do
      local a, b = by_status[i - 1], by_status[i]
      assert.truthy(a.Status < b.Status or (a.Status == b.Status and a.Id < b.Id))
    end
    local _, nested = api.get("/Computers?pageSize=100&orderBy=" .. enc("Client.Id desc"))
    assert.truthy(nested[1].Client.Id >= nested[100].Client.Id)
    assert.equal(400, (api.get("/Computers?orderBy=" .. enc("NoSuchField asc"))))
  end)

  it("keeps only includeFields, dotted paths keeping nested members", function()
    local _, list = api.get("/Computers?pageSize=5&includeFields=Id,ComputerName,Client.Name")
    for _, c in ipairs(list) do
      assert.truthy(c.Id and c.ComputerName and c.Client.Name)
      assert.is_nil(c.Client.Id)
      assert.is_nil(c.Status)
    end
  end)

  it("drops excludeFields", function()
    local _, list = api.get("/Computers?pageSize=5&excludeFields=OpenPortsTCP,Client.Name")
    for _, c in ipairs(list) do
      assert.is_nil(c.OpenPortsTCP)
      assert.is_nil(c.Client.Name)
      assert.truthy(c.Client.Id and c.ComputerName)
    end
  end)

  it("treats query parameter names case-insensitively", function()
    assert.equal(3, #select(2, api.get("/Computers?pagesize=3")))
    assert.equal(4, #select(2, api.get("/Computers?PAGESIZE=4&PAGE=2")))
  end)

  it("selects records with ids", function()
    local _, list = api.get("/Computers?ids=9,5,7")
    assert.equal(3, #list)
    assert.same({5, 7, 9}, {list[1].Id, list[2].Id, list[3].Id})
    assert.equal(400, (api.get("/Computers?ids=1,x")))
  end)

  it("expands tickets on computers", function()
    local _, tickets = api.get("/Tickets?pageSize=1")
    local cid = tickets[1].ComputerId
    local _, list = api.get("/Computers?ids=" .. id(cid) .. "&expand=tickets")
    assert.truthy(#list[1].Tickets >= 1)
    assert.equal(cid, list[1].Tickets[1].ComputerId)
  end)

  it("answers repeated query keys with 400, as real servers do", function()
    local status, body = api.get("/Computers?page=1&Page=2")
    assert.equal(400, status)
    assert.equal("An item with the same key has already been added.", body.Message)
  end)

  it("treats paths case-insensitively", function()
    local status, c = http(sim, "GET", "/CWA/API/V1/computers/1",
      {headers = {CLIENT_ID, "Authorization: Bearer " .. select(2, login_apitoken(sim)).AccessToken}})
    assert.equal(200, status)
    assert.equal(1, decode(c).Id)
    assert.equal(200, (api.get("/COMPUTERS/2")))
  end)

  it("reads one record by id and answers 404 with an error body for unknown ids", function()
    local status, c = api.get("/Computers/42")
    assert.equal(200, status)
    assert.equal(42, c.Id)
    local s404, err = api.get("/Computers/999999")
    assert.equal(404, s404)
    assert.equal("NotFound", err.code)
    assert.equal(400, (api.get("/Computers/abc")))
  end)

  it("answers 404 for an unknown collection", function()
    assert.equal(404, (api.get("/NoSuchThings")))
  end)

  it("serves every collection with its id field", function()
    local ids = {Clients = "Id", Locations = "Id", Contacts = "Id", Alerts = "AlertId", Scripts = "Id",
      Monitors = "MonitorId", Groups = "Id", Tickets = "TicketId"}
    for name, field in pairs(ids) do
      local status, list = api.get("/" .. name .. "?pageSize=5")
      assert.equal(200, status, name)
      assert.equal(5, #list, name)
      assert.equal("number", type(list[1][field]), name)
      assert.equal(200, (api.get("/" .. name .. "/" .. id(list[1][field]))), name)
    end
  end)

  it("has a client with Id 100 and one with Id 5", function()
    assert.equal(200, (api.get("/Clients/100")))
    assert.equal(200, (api.get("/Clients/5")))
  end)

  it("serves a computer's alerts and a deterministic software list", function()
    local _, alerts = api.get("/Alerts?pageSize=1")
    local cid = alerts[1].ComputerId
    local _, mine = api.get("/Computers/" .. id(cid) .. "/Alerts")
    assert.truthy(#mine >= 1)
    for _, a in ipairs(mine) do assert.equal(cid, a.ComputerId) end
    local _, sw1, _, raw1 = api.get("/Computers/3/Software")
    local _, _, _, raw2 = api.get("/Computers/3/Software")
    assert.truthy(#sw1 >= 3)
    assert.truthy(sw1[1].Name and sw1[1].Version)
    assert.equal(raw1, raw2)
    assert.equal(404, (api.get("/Computers/999999/Software")))
  end)

  it("runs Batch/ScriptExecute: Running, then Completed in ScriptHistory", function()
    -- A run of its own that lasts: the shared simulator's 150 ms runs may end
    -- before a loaded machine reads the history.
    local slow, api = start_apitoken{"--script-ms", "5000"}
    finally(function() slow:stop() end)
    local status, res = api.call("POST", "/Batch/ScriptExecute", cjson.encode{
      EntityType = "Computer", EntityIds = {7, 999999}, ScriptId = 3,
      Parameters = {{Key = "Path", Value = "C:\\Temp"}}})
    assert.equal(200, status)
    assert.equal(2, #res.ScriptResults)
    assert.is_true(res.ContainsUnsuccessfulResults)
    local _, hist = api.get("/Computers/7/ScriptHistory?orderBy=" .. enc("HistoryDate desc"))
    assert.equal(1, #hist)
    assert.equal(3, hist[1].ScriptId)
    assert.equal("Running", hist[1].Status)
    for _ = 1, 300 do -- a hang guard of 30 s for a 5 s run
      _, hist = api.get("/Computers/7/ScriptHistory")
      if hist[1].Status ~= "Running" then break end
      simlib.sleep(0.1)
    end
    assert.equal("Completed", hist[1].Status)
    assert.equal("Success", hist[1].State)
    assert.truthy(hist[1].HistoryDate:match(ISO))
    assert.equal(400, (api.call("POST", "/Batch/ScriptExecute", cjson.encode{EntityType = "Computer",
      EntityIds = {7}, ScriptId = 99999})))
  end)

  it("runs CommandExecute: Pending, then Success with an Output, or Failed", function()
    local status, row = api.call("POST", "/Computers/8/CommandExecute", cjson.encode{
      ComputerId = 8, Command = {Id = 2}, Parameters = {"cmd.exe!!! /c echo hello-sim"}})
    assert.equal(200, status)
    assert.equal("Pending", row.Status)
    local _, bad = api.call("POST", "/Computers/8/CommandExecute", cjson.encode{
      ComputerId = 8, Command = {Id = 2}, Parameters = {"cmd.exe!!! /c fail now"}})
    simlib.sleep(0.3)
    local _, done = api.get("/Computers/8/CommandExecute/" .. id(row.Id))
    assert.equal("Success", done.Status)
    assert.truthy(done.Output:find("hello-sim", 1, true))
    local _, by_ids = api.get("/Computers/8/CommandExecute?ids=" .. id(bad.Id))
    assert.equal("Failed", by_ids[1].Status)
    assert.equal(404, (api.get("/Computers/8/CommandExecute/1")))
  end)

  it("creates, patches, replaces and deletes clients", function()
    local status, c = api.call("POST", "/Clients", cjson.encode{Name = "Spec Client", City = "Tampa"})
    assert.equal(200, status)
    assert.truthy(c.Id > 100)
    local s2, p = api.call("PATCH", "/Clients/" .. id(c.Id),
      cjson.encode{{op = "replace", path = "/City", value = "Denver"}, {Op = "add", Path = "/Comment", Value = "x"}})
    assert.equal(200, s2)
    assert.equal("Denver", p.City)
    assert.equal("x", p.Comment)
    local s3, r = api.call("PUT", "/Clients/" .. id(c.Id), cjson.encode{Name = "Renamed"})
    assert.equal(200, s3)
    assert.equal("Renamed", r.Name)
    assert.equal("Denver", select(2, api.get("/Clients/" .. id(c.Id))).City)
    assert.equal(204, (api.call("DELETE", "/Clients/" .. id(c.Id))))
    assert.equal(404, (api.get("/Clients/" .. id(c.Id))))
  end)

  it("patches tickets and locations and rejects bad patches", function()
    local s1, t = api.call("PATCH", "/Tickets/1", cjson.encode{{op = "replace", path = "/Status", value = "Closed"}})
    assert.equal(200, s1)
    assert.equal("Closed", t.Status)
    assert.equal(200, (api.call("PATCH", "/Locations/1", cjson.encode{{op = "replace", path = "/Name", value = "HQ"}})))
    assert.equal(400, (api.call("PATCH", "/Tickets/1", cjson.encode{{op = "replace", path = "/TicketId", value = 5}})))
    assert.equal(400, (api.call("PATCH", "/Tickets/1", '{"op":"replace"}')))
    assert.equal(404, (api.call("PATCH", "/Tickets/999999", "[]")))
    assert.equal(405, (api.call("DELETE", "/Computers/1")))
  end)

  it("answers a body that is not JSON with 400", function()
    assert.equal(400, (api.call("POST", "/Clients", "{not json")))
    assert.equal(400, (http(sim, "POST", "/cwa/api/v1/apitoken", {body = "{nope", headers = {CLIENT_ID}})))
  end)

  it("pages a filtered, ordered listing consistently", function()
    local q = "&condition=" .. enc("Status = 'Online'") .. "&orderBy=" .. enc("Client.Name asc")
    local _, whole = api.get("/Computers?pageSize=300" .. q)
    local _, p1 = api.get("/Computers?pageSize=150&page=1" .. q)
    local _, p2 = api.get("/Computers?pageSize=150&page=2" .. q)
    assert.equal(300, #whole)
    for i = 1, 150 do
      assert.equal(whole[i].Id, p1[i].Id)
      assert.equal(whole[150 + i].Id, p2[i].Id)
    end
  end)

  it("sees changes in the next filtered listing", function()
    local cond = "&condition=" .. enc("City = 'Nowhere Springs'")
    assert.equal(0, #select(2, api.get("/Clients?pageSize=10" .. cond)))
    api.call("PATCH", "/Clients/3", cjson.encode{{op = "replace", path = "/City", value = "Nowhere Springs"}})
    local _, list = api.get("/Clients?pageSize=10" .. cond)
    assert.equal(1, #list)
    assert.equal(3, list[1].Id)
  end)

  it("counts pages, paths and statuses in /__stats and zeroes them on /__reset", function()
    sim:reset()
    api.get("/Computers?pageSize=10&page=1")
    api.get("/computers?PAGE=1&pagesize=10")
    api.get("/Computers/1")
    api.get("/Computers?pageSize=5000")
    local st = sim:stats()
    assert.equal(4, st.requests)
    assert.equal(2, st.pages["/cwa/api/v1/computers?page=1&pagesize=10"])
    assert.equal(1, st.requests_by_path["GET /cwa/api/v1/computers/1"])
    assert.equal(3, st.by_status["200"])
    assert.equal(1, st.by_status["400"])
    assert.truthy(st.max_concurrency >= 1)
    assert.equal(0, st.in_flight)
    local code = http(sim, "POST", "/__reset")
    assert.equal(204, code)
    st = sim:stats()
    assert.equal(0, st.requests)
    assert.is_nil(next(st.pages))
  end)
end)

describe("cwa-sim data", function()
  local sim, api
  setup(function() sim, api = start_apitoken{"--totals", "body"} end)
  teardown(function() sim:stop() end)

  local function count(path, condition)
    local status, body = api.get(path .. "?pageSize=1&condition=" .. enc(condition))
    assert.equal(200, status, condition .. ": " .. tostring(status))
    return body.TotalRecordCount
  end

  it("answers {ResultSet, TotalRecordCount} with --totals body", function()
    local status, body = api.get("/Computers?pageSize=30&page=2")
    assert.equal(200, status)
    assert.equal(30, #body.ResultSet)
    assert.equal(2000, body.TotalRecordCount)
    assert.equal(31, body.ResultSet[1].Id)
  end)

  it("gives every documented condition example a partial result", function()
    local examples = {
      {"/Computers", "Status = 'Online'"},
      {"/Computers", "ComputerName contains 'DC'"},
      {"/Computers", "ComputerName like '%web%'"},
      {"/Computers", "OpenPortsTCP contains 3389"},
      {"/Computers", "UserAccounts Contains 'bob'"},
      {"/Computers", "Type != 'Server'"},
      {"/Computers", "Client.Id = 5"},
      {"/Computers", "Client.Id = 100"},
      {"/Computers", "Client.Name contains 'ACME'"},
      {"/Computers", "IsMaster = true"},
      {"/Computers", "OperatingSystemName not like '%Mac%'"},
      {"/Computers", "OperatingSystemName contains 'Server' and Status = 'Online'"},
      {"/Computers", "RemoteAgentLastContact <= 2019-12-18T00:50:19"},
      {"/Computers", "Status = 'Offline' and RemoteAgentLastContact >= 2024-02-14"},
      {"/Computers", "TotalMemory < 4096"},
      {"/Computers", "VirusScanner.Name = 'Windows Defender'"},
      {"/Computers", "Location.Id in (1,2,3)"},
      {"/Clients", "City != 'Baltimore'"},
      {"/Clients", "City = 'Baltimore'"},
      {"/Alerts", "Severity >= 3"},
      {"/Alerts", "Client.Id = 100 and Status in ('New','Active')"},
      {"/Monitors", "IsInternalMonitor = False"},
      {"/Monitors", "AffectedEntities.RemoteMonitorAffectedClient.Id IN (1,5)"},
    }
    for _, ex in ipairs(examples) do
      local total = count(ex[1], (({["/Alerts"] = "AlertId", ["/Monitors"] = "MonitorId"})[ex[1]] or "Id") .. " > 0")
      local n = count(ex[1], ex[2])
      assert.truthy(n > 0 and n < total, ex[2] .. " selected " .. n .. " of " .. total)
    end
  end)

  it("is deterministic for a seed and differs across seeds", function()
    local other = simlib.start{"--seed", "1", "--totals", "body"}
    local third = simlib.start{"--seed", "2", "--totals", "body"}
    local function page(s)
      local _, tok = login_apitoken(s)
      return select(4, client(s, tok.AccessToken).get("/Computers?pageSize=100&page=3"))
    end
    local a, b, c = page(sim), page(other), page(third)
    other:stop()
    third:stop()
    assert.equal(a, b)
    assert.are_not.equal(a, c)
  end)

  -- How fast it starts is `make bench`'s business (support.sim only guards
  -- against a start that hangs).
  it("generates a large fleet completely", function()
    local big = simlib.start{"--computers", "50000", "--totals", "body"}
    local _, tok = login_apitoken(big)
    local c = client(big, tok.AccessToken)
    local _, last = c.get("/Computers?pageSize=1000&page=50")
    big:stop()
    assert.equal(50000, last.TotalRecordCount)
    assert.equal(1000, #last.ResultSet)
    assert.equal(50000, last.ResultSet[1000].Id)
  end)

  it("sizes collections from the flags", function()
    local small = simlib.start{"--computers", "10", "--clients", "3", "--alerts", "7", "--totals", "body"}
    local _, tok = login_apitoken(small)
    local c = client(small, tok.AccessToken)
    local n1 = select(2, c.get("/Computers")).TotalRecordCount
    local n2 = select(2, c.get("/Clients")).TotalRecordCount
    local n3 = select(2, c.get("/Alerts")).TotalRecordCount
    small:stop()
    assert.same({10, 3, 7}, {n1, n2, n3})
  end)
end)

describe("cwa-sim apicredentials dialect", function()
  local sim, api
  setup(function() sim, api = start_creds() end)
  teardown(function() sim:stop() end)

  it("logs in with the brief's token answer", function()
    local status, tok = login_creds(sim)
    assert.equal(200, status)
    assert.equal("Bearer", tok.TokenType)
    assert.equal(3600, tok.ExpiresIn)
    assert.truthy(tok.RefreshToken)
    assert.equal("number", type(tok.UserID))
    assert.equal("integrator", tok.Username)
  end)

  it("answers a missing 2FA code with 401 TwoFactorRequired and accepts the code", function()
    local status, body = login_creds(sim, "tech", "tech-pass")
    assert.equal(401, status)
    assert.equal("TwoFactorRequired", body.error.code)
    local ok, tok = login_creds(sim, "tech", "tech-pass", "123456")
    assert.equal(200, ok)
    assert.truthy(tok.AccessToken)
  end)

  it("answers a wrong password with the {error:{code,message}} shape", function()
    local status, body = login_creds(sim, "integrator", "wrong")
    assert.equal(401, status)
    assert.equal("Unauthorized", body.error.code)
    assert.truthy(body.error.message)
  end)

  it("refreshes with a RefreshToken once", function()
    local _, tok = login_creds(sim)
    local status, text = http(sim, "POST", "/cwa/api/v1/APICredentials/Refresh",
      {body = cjson.encode{RefreshToken = tok.RefreshToken}})
    assert.equal(200, status)
    local fresh = decode(text)
    assert.are_not.equal(tok.AccessToken, fresh.AccessToken)
    assert.equal(200, (client(sim, fresh.AccessToken).get("/Computers?pageSize=1")))
    assert.equal(401, (http(sim, "POST", "/cwa/api/v1/APICredentials/Refresh",
      {body = cjson.encode{RefreshToken = tok.RefreshToken}})))
  end)

  it("needs no ClientId and has no apitoken route", function()
    local _, tok = login_creds(sim)
    local status = http(sim, "GET", "/cwa/api/v1/Computers?pageSize=1",
      {headers = {"Authorization: Bearer " .. tok.AccessToken}})
    assert.equal(200, status)
    assert.equal(404, (http(sim, "POST", "/cwa/api/v1/apitoken",
      {body = '{"UserName":"integrator","Password":"integrator-pass"}', headers = {CLIENT_ID}})))
  end)

  it("sends totals headers and pages 50 by default", function()
    local status, list, h = api.get("/Computers?page=3")
    assert.equal(200, status)
    assert.equal(50, #list)
    assert.equal("2000", h["x-total-count"])
    assert.equal("3", h["x-page"])
    assert.equal("50", h["x-page-size"])
    assert.equal("40", h["x-total-pages"])
  end)

  it("adds the brief's flat names with the same values", function()
    local _, list = api.get("/Computers?pageSize=20")
    for _, c in ipairs(list) do
      assert.equal(c.Id, c.ComputerID)
      assert.equal(c.ComputerName, c.Name)
      assert.equal(c.Client.Id, c.ClientID)
      assert.equal(c.Location.Id, c.LocationID)
      assert.equal(c.OperatingSystemName, c.OS)
      assert.equal(c.RemoteAgentLastContact, c.LastContact)
    end
  end)

  it("gives every condition example of the brief a partial result", function()
    local examples = {
      {"/Computers", "Status = 'Online'"}, {"/Computers", "Status != 'Offline'"},
      {"/Computers", "ComputerID > 100"}, {"/Computers", "TotalMemory < 4096"},
      {"/Computers", "DiskFreePercent <= 10"}, {"/Computers", "Name contains 'DC'"},
      {"/Computers", "Name startswith 'ACME'"}, {"/Computers", "Name endswith '01'"},
      {"/Computers", "Status = 'Offline' or Status = 'Unknown'"}, {"/Computers", "not (Status = 'Offline')"},
      {"/Computers", "ClientID = 100"}, {"/Computers", "Status = 'Online' and ClientID = 100"},
      {"/Computers", "OS contains 'Server' and Status = 'Online'"},
      {"/Computers", "Status = 'Offline' and LastContact >= '2024-02-14'"},
      {"/Alerts", "Severity >= 3"}, {"/Alerts", "ClientID = 100 and Status in ('New','Active')"},
      {"/Alerts", "Severity >= 3 and Status in ('New','Active')"},
    }
    for _, ex in ipairs(examples) do
      local _, all, ha = api.get(ex[1] .. "?pageSize=1")
      assert.truthy(#all == 1)
      local status, _, h = api.get(ex[1] .. "?pageSize=1&condition=" .. enc(ex[2]))
      assert.equal(200, status, ex[2])
      local n, total = tonumber(h["x-total-count"]), tonumber(ha["x-total-count"])
      assert.truthy(n > 0 and n < total, ex[2] .. " selected " .. n .. " of " .. total)
    end
  end)

  it("answers condition errors in the brief's error shape", function()
    local status, body = api.get("/Computers?condition=" .. enc("Status == 'Online'"))
    assert.equal(400, status)
    assert.truthy(body.error.message:find("column 8", 1, true))
    assert.equal("condition", body.error.details.field)
    assert.equal("Status == 'Online'", body.error.details.value)
  end)

  it("runs a script with Computers/{id}/Scripts/{id}/Execute", function()
    local status, row = api.call("POST", "/Computers/4/Scripts/2/Execute", cjson.encode{Parameters = {Mode = "fast"}})
    assert.equal(200, status)
    assert.equal(2, row.ScriptId)
    assert.equal(4, row.ComputerId)
    local _, hist = api.get("/Computers/4/ScriptHistory")
    assert.equal(1, #hist)
    assert.equal(404, (api.call("POST", "/Batch/ScriptExecute", "{}")))
  end)
end)

describe("cwa-sim users", function()
  it("takes users from --user and 2FA codes from --totp-secret", function()
    local secret = "JBSWY3DPEHPK3PXP"
    local sim = simlib.start{"--user", "ops:s3cret:000111", "--user", "svc:svc-pass", "--totp-secret", secret}
    local s1, t1 = login_apitoken(sim, "svc", "svc-pass")
    local s2 = login_apitoken(sim, "integrator", "integrator-pass")
    local s3, t3 = login_apitoken(sim, "ops", "s3cret", "000111")
    local s4, t4 = login_apitoken(sim, "ops", "s3cret", totp(secret, os.time()))
    local s5 = login_apitoken(sim, "ops", "s3cret", totp(secret, os.time() + 600))
    sim:stop()
    assert.equal(200, s1)
    assert.truthy(t1.AccessToken)
    assert.equal(401, s2)
    assert.equal(200, s3)
    assert.truthy(t3.AccessToken)
    assert.equal(200, s4)
    assert.truthy(t4.AccessToken)
    assert.equal(401, s5)
  end)
end)

describe("cwa-sim token lifetime", function()
  it("answers 401 once a token expired (--token-ttl 1)", function()
    local sim, api = start_apitoken{"--token-ttl", "1"}
    assert.equal(200, (api.get("/Computers?pageSize=1")))
    simlib.sleep(1.2)
    local status = api.get("/Computers?pageSize=1")
    sim:stop()
    assert.equal(401, status)
  end)
end)

describe("cwa-sim faults #slow", function()
  local function fault_run(args, n)
    local sim, api = start_apitoken(args)
    local results = {}
    for i = 1, n do
      local status, body, headers, raw, rc = api.get("/Computers?pageSize=5&page=" .. i)
      results[i] = {status = status, body = body, headers = headers, raw = raw, rc = rc}
    end
    local st = sim:stats()
    sim:stop()
    return results, st
  end

  it("--fail-rate 1 fails every data call with 500 or 503, logins still work", function()
    local results, st = fault_run({"--fail-rate", "1"}, 12)
    local seen = {}
    for _, r in ipairs(results) do
      assert.truthy(r.status == 500 or r.status == 503)
      seen[r.status] = true
    end
    assert.truthy(seen[500] and seen[503])
    assert.equal(12, st.faults.fail)
    assert.equal(1, st.logins)
  end)

  it("--fail-rate 0.5 fails about half, the same calls for the same seed", function()
    local a = fault_run({"--fail-rate", "0.5"}, 40)
    local b = fault_run({"--fail-rate", "0.5"}, 40)
    local failed = 0
    for i, r in ipairs(a) do
      if r.status ~= 200 then failed = failed + 1 end
      assert.equal(r.status, b[i].status)
    end
    assert.truthy(failed >= 10 and failed <= 30, failed .. " of 40 failed")
  end)

  it("--drop-rate 1 closes the connection without an answer", function()
    local results, st = fault_run({"--drop-rate", "1"}, 3)
    for _, r in ipairs(results) do
      assert.equal(0, r.status)
      assert.equal(52, r.rc) -- curl: empty reply from server
    end
    assert.equal(3, st.faults.drop)
  end)

  it("--malformed-rate 1 answers 200 with truncated JSON", function()
    local results, st = fault_run({"--malformed-rate", "1"}, 3)
    for _, r in ipairs(results) do
      assert.equal(200, r.status)
      assert.is_nil(r.body)
      assert.equal("[{", r.raw:sub(1, 2))
    end
    assert.equal(3, st.faults.malformed)
  end)

  it("--html-rate 1 answers 200 with an HTML page", function()
    local results = fault_run({"--html-rate", "1"}, 2)
    for _, r in ipairs(results) do
      assert.equal(200, r.status)
      assert.truthy(r.headers["content-type"]:find("text/html", 1, true))
      assert.truthy(r.raw:find("<html>", 1, true))
    end
  end)

  it("--stall-rate 1 sends headers and half a body, then stops", function()
    local sim = simlib.start{"--stall-rate", "1"}
    local _, tok = login_apitoken(sim)
    local status, raw, headers, rc = http(sim, "GET", "/cwa/api/v1/Computers?pageSize=20",
      {max_time = 1, headers = {CLIENT_ID, "Authorization: Bearer " .. tok.AccessToken}})
    local st = sim:stats()
    sim:stop()
    assert.equal(200, status)
    assert.equal(28, rc) -- curl: timeout
    assert.truthy(#raw > 10 and #raw < tonumber(headers["content-length"]))
    assert.equal(1, st.faults.stall)
  end)

  it("spares logins unless --fault-logins", function()
    local sim = simlib.start{"--fail-rate", "1", "--fault-logins"}
    local status = login_apitoken(sim)
    sim:stop()
    assert.truthy(status == 500 or status == 503)
  end)
end)

describe("cwa-sim limits", function()
  it("rate-limits with a token bucket, 429 + Retry-After and X-RateLimit-* headers", function()
    local sim, api = start_apitoken{"--rate-limit", "60", "--burst", "4"}
    -- the login took one token
    local codes, last = {}, nil
    for i = 1, 4 do
      local status, _, headers = api.get("/Computers?pageSize=1")
      codes[i] = status
      last = headers
      assert.equal("60", headers["x-ratelimit-limit"])
      assert.truthy(headers["x-ratelimit-remaining"])
      assert.truthy(headers["x-ratelimit-reset"])
    end
    local st = sim:stats()
    sim:stop()
    assert.same({200, 200, 200, 429}, codes)
    assert.truthy(tonumber(last["retry-after"]) >= 1)
    assert.equal(1, st.rate_limited)
  end)

  local function parallel(sim, token, n, path)
    local cmds = {}
    for _ = 1, n do
      cmds[#cmds + 1] = "curl -s -o /dev/null -w '%{http_code}\\n' -H " .. quote(CLIENT_ID) ..
        " -H " .. quote("Authorization: Bearer " .. token) .. " " .. quote(sim.url .. "/cwa/api/v1" .. path) .. " &"
    end
    local p = assert(io.popen("(" .. table.concat(cmds, " ") .. " wait)"))
    local out = p:read("a")
    p:close()
    local counts = {}
    for code in out:gmatch("%d+") do counts[code] = (counts[code] or 0) + 1 end
    return counts
  end

  it("answers 429 past --max-concurrent", function()
    local sim = simlib.start{"--max-concurrent", "2", "--latency-ms", "400"}
    local _, tok = login_apitoken(sim)
    local counts = parallel(sim, tok.AccessToken, 6, "/Computers?pageSize=1")
    local st = sim:stats()
    sim:stop()
    assert.truthy((counts["200"] or 0) >= 1 and (counts["200"] or 0) <= 2)
    assert.truthy((counts["429"] or 0) >= 4)
    assert.truthy(st.concurrency_limited >= 4)
    assert.truthy(st.max_concurrency >= 3)
  end)

  it("serves 12 slow requests in parallel (--latency-ms)", function()
    local sim = simlib.start{"--latency-ms", "500"}
    local _, tok = login_apitoken(sim)
    local counts = parallel(sim, tok.AccessToken, 12, "/Computers?pageSize=100")
    local st = sim:stats()
    sim:stop()
    assert.equal(12, counts["200"])
    -- in parallel: at least 10 of the 12 were held at once (not how long
    -- they took, which a busy machine stretches)
    assert.truthy(st.max_concurrency >= 10, "max_concurrency " .. st.max_concurrency)
  end)
end)

describe("cwa-sim churn", function()
  local function listing(api, keyset)
    local seen, order, page, last = {}, {}, 1, 0
    while true do
      local path
      if keyset then
        path = "/Computers?pageSize=50&orderBy=" .. enc("Id asc") .. "&condition=" .. enc("Id > " .. last)
      else
        path = "/Computers?pageSize=50&page=" .. page
      end
      local status, list = api.get(path)
      assert.equal(200, status)
      if #list == 0 then break end
      for _, c in ipairs(list) do
        order[#order + 1] = c.Id
        seen[c.Id] = (seen[c.Id] or 0) + 1
        last = c.Id
      end
      page = page + 1
      if page > 50 then break end
    end
    return seen, order
  end

  it("offset paging misses records while keyset paging sees each live one once", function()
    local sim, api = start_apitoken{"--computers", "300", "--churn", "5"}
    local seen_offset = listing(api, false)
    local seen_key, order = listing(api, true)
    -- keyset: strictly increasing ids, so never a duplicate
    for i = 2, #order do assert.truthy(order[i] > order[i - 1]) end
    -- every id keyset did not see (up to the highest it saw) is gone for good;
    -- one ids= listing tells which are alive (it churns once more, which can
    -- only make fewer of them alive)
    local candidates = {}
    for n = 1, order[#order] do
      if not seen_key[n] or (n <= 300 and not seen_offset[n]) then candidates[#candidates + 1] = n end
    end
    local _, alive_list = api.get("/Computers?pageSize=1000&ids=" .. table.concat(candidates, ","))
    local missed_live_offset, missed_live_key = 0, 0
    for _, c in ipairs(alive_list) do
      if not seen_key[c.Id] then missed_live_key = missed_live_key + 1 end
      if c.Id <= 300 and not seen_offset[c.Id] then missed_live_offset = missed_live_offset + 1 end
    end
    sim:stop()
    assert.equal(0, missed_live_key)
    assert.truthy(missed_live_offset > 0)
  end)
end)

describe("cwa-sim TLS", function()
  it("serves https with a generated certificate and prints its CA file", function()
    local sim = simlib.start{"--tls"}
    assert.truthy(sim.url:match("^https://127%.0%.0%.1:%d+$"))
    assert.truthy(sim.ca_file)
    local pem = read_file(sim.ca_file)
    assert.truthy(pem:find("BEGIN CERTIFICATE", 1, true))
    local status = http(sim, "POST", "/cwa/api/v1/apitoken", {cacert = sim.ca_file,
      body = '{"UserName":"integrator","Password":"integrator-pass"}', headers = {CLIENT_ID}})
    local _, _, _, rc = http(sim, "GET", "/__stats", {verify = true})
    local localhost = http(sim, "GET", "/__stats", {cacert = sim.ca_file,
      base = "https://localhost:" .. sim.port})
    local ca = sim.ca_file
    sim:stop()
    assert.equal(200, status)
    assert.equal(60, rc) -- curl: certificate not trusted without the CA
    assert.equal(200, localhost)
    assert.is_nil(io.open(ca, "r"))
  end)
end)
