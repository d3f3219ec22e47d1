-- URLs and failures as real servers see them (issue 15, points 6, 7, 11):
-- no query key twice, /v2/ paths under /cwa/api/v2/, the server's own words
-- in error messages, and a host that does not resolve failing at once.
local simmod = require "support.sim"
local helper = require "support.client"
local hostile = require "support.hostile"
local raises = require("support.assert").raises
local socket = require "socket"

local function pages_under(stats, prefix)
  local n = 0
  for url, times in pairs(stats.pages) do
    if url:sub(1, #prefix) == prefix then n = n + times end
  end
  return n
end

describe("query keys", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "60"} end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("refuses a key given twice in any case, before anything is sent", function()
    local client = helper.new(sim)
    local err = raises("InvalidArgument", "given twice", client.get, client, "/Computers",
      {pageSize = "5", PAGESIZE = "6"})
    assert.truthy(err.message:lower():find("'pagesize'", 1, true), err.message)
    raises("InvalidArgument", "given twice", client.delete, client, "/Clients/1",
      {force = "1", Force = "0"})
    assert.equal(0, sim:stats().requests)
    -- distinct keys still go through
    assert.equal(5, #client:get("/Computers", {pageSize = "5", page = "2"}))
  end)

  it("refuses extra pairs that repeat each other or the pager's keys", function()
    local client = helper.new(sim)
    raises("InvalidArgument", "given twice", client.list, client, "/Computers",
      {query = {expandx = "a", EXPANDX = "b"}})
    -- past the Lua layer's own check, the core refuses the pager's keys
    for _, key in ipairs{"page", "PageSize", "CONDITION"} do
      raises("InvalidArgument", "'" .. key .. "' is the pager's own", client._core.pages,
        client._core, "/Computers", {query = {[key] = "1"}})
    end
    raises("InvalidArgument", "'orderby' cannot be given with consistent", client._core.pages,
      client._core, "/Computers", {consistent = true, id_field = "Id", query = {orderby = "Id desc"}})
    assert.equal(0, sim:stats().requests)
    -- without consistent, orderBy is the caller's to give
    local recs = client:list("/Computers", {order_by = "Id desc", limit = 3})
    assert.is_true(recs[1].Id > recs[2].Id and recs[2].Id > recs[3].Id)
  end)
end)

describe("v2 routes", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "20", "--contacts", "45"} end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  local function v1_contact_ids(client)
    local ids = {}
    for c in client:each("/Contacts") do ids[#ids + 1] = tonumber(c.Id) end
    table.sort(ids)
    return ids
  end

  it("get, each, list and count reach /cwa/api/v2/", function()
    local client = helper.new(sim)
    local want = v1_contact_ids(client)
    assert.equal(45, #want)
    local page = client:get("/v2/Contacts", {pageSize = "4"})
    assert.equal(4, #page)
    assert.equal(want[1], page[1].ContactId)
    assert.equal(3, client:get("/v2/Scripts/3").ScriptId)
    local seen = {}
    for c in client:each("/v2/Contacts", {page_size = 10}) do seen[#seen + 1] = c.ContactId end
    assert.same(want, seen)
    local listed = client:list("v2/Contacts", {page_size = 7, order_by = "ContactId desc"})
    assert.equal(45, #listed)
    assert.equal(want[45], listed[1].ContactId)
    assert.equal(45, client:count("/V2/Contacts", {id_field = "ContactId"}))
    local stats = sim:stats()
    -- at least 1 + 5 + 7 + 1 pages (more when the window fetched ahead),
    -- none to /cwa/api/v1/v2/
    assert.is_true(pages_under(stats, "/cwa/api/v2/contacts?") >= 14)
    assert.equal(0, pages_under(stats, "/cwa/api/v1/v2"))
  end)

  it("post, put, patch and delete reach /cwa/api/v2/", function()
    local client = helper.new(sim)
    local made = client:post("/v2/Contacts", {FirstName = "Vera", LastName = "Two"})
    local id = made.ContactId
    assert.is_number(id)
    client:put("/v2/Contacts/" .. id, {FirstName = "Vera", LastName = "Changed"})
    assert.equal("Changed", client:get("/Contacts/" .. id).LastName)
    -- v2 has no PATCH: 405, where a path under v1 would be 404
    local err = raises("BadRequest", nil, client.patch, client, "/v2/Contacts/" .. id,
      {{op = "replace", path = "/LastName", value = "x"}})
    assert.equal(405, err.status)
    assert.truthy(err.url:find("/cwa/api/v2/Contacts/" .. id, 1, true), err.url)
    client:delete("/v2/Contacts/" .. id)
    raises("NotFound", nil, client.get, client, "/Contacts/" .. id)
  end)
end)

describe("the server's own words", function()
  it("an unknown orderBy field shows the ModelState text", function()
    local sim = simmod.start{"--computers", "10"}
    finally(function() sim:stop() end)
    local client = helper.new(sim)
    local err = raises("BadRequest", "The request is invalid. orderBy: ", client.list, client,
      "/Computers", {order_by = "Bogus asc"})
    assert.truthy(err.message:find("unknown field", 1, true), err.message)
  end)

  local function error_for(body)
    local srv = hostile.start("status", {status = 400, headers = {}, body = body})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 0})
    return raises("BadRequest", nil, client.get, client, "/Computers/1")
  end

  it("joins ModelState entries, every field and message", function()
    local err = error_for('{"Message":"The request is invalid.","ModelState":'
      .. '{"orderBy":["Unknown field Bogus"],"pageSize":["must be 1..1000","is a number"]}}')
    -- the members' order is the server's
    assert.truthy(err.message:find("The request is invalid. ", 1, true), err.message)
    for _, part in ipairs{"orderBy: Unknown field Bogus", "pageSize: must be 1..1000",
      "pageSize: is a number"} do
      assert.truthy(err.message:find(part, 1, true), err.message)
    end
  end)

  it("shows errors[] messages, without repeating the message", function()
    local err = error_for('{"code":"InvalidRequest","message":"Bad request","errors":'
      .. '[{"message":"Bad request"},{"message":"Invalid field Foo"},{"message":"Invalid field Bar"}]}')
    assert.equal("Bad request: Invalid field Foo; Invalid field Bar (InvalidRequest)", err.message)
    err = error_for('{"errors":[{"message":"only this"}]}')
    assert.equal("only this", err.message)
  end)

  it("keeps the client's secrets out of the server's words", function()
    local pw = hostile.PASSWORD
    local err = error_for('{"Message":"The request is invalid.","ModelState":{"' .. pw
      .. '":["echo ' .. pw .. '"]},"errors":[{"message":"again ' .. pw .. '"}]}')
    assert.is_nil(err.message:find(pw, 1, true), err.message)
    assert.truthy(err.message:find("***: echo ***", 1, true), err.message)
    assert.truthy(err.message:find("again ***", 1, true), err.message)
  end)
end)

describe("a host that does not resolve", function()
  it("fails after one attempt, as Network, naming the host, at once", function()
    local lines = {}
    -- .invalid never resolves (RFC 6761); connect_timeout is the hang guard
    local client = require("cwa").new{server = "http://nonexistent.invalid", allow_http = true,
      username = "u", password = "p", client_id = "x", retries = 5, connect_timeout = 10,
      debug = true, log = function(_, line) lines[#lines + 1] = line end}
    local t0 = socket.gettime()
    local err = raises("Network", "nonexistent.invalid", client.get, client, "/Computers")
    local elapsed = socket.gettime() - t0
    assert.is_true(elapsed < 2, ("took %.2f s"):format(elapsed))
    local attempts = 0
    for _, line in ipairs(lines) do
      if line:find(" attempt %d") then attempts = attempts + 1 end
      assert.is_nil(line:find("retrying", 1, true), line)
    end
    assert.equal(1, attempts, table.concat(lines, "\n"))
    assert.is_nil(err.message:find("gave up", 1, true), err.message)
  end)
end)
