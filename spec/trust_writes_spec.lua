-- Issue 14, class 14: resending writes. A POST or PATCH may have been acted
-- on by the server (or forwarded by a proxy) before a 5xx came back, so it
-- is resent only when nothing reached the server (a connect failure) or
-- the server refused it before acting (429). The server of this spec
-- counts the copies that arrive.
local hostile = require "support.hostile"

local function copies(srv, method, path)
  local n = 0
  for _, r in ipairs(srv.data_requests()) do
    if r.method == method and r.path:lower() == ("/cwa/api/v1" .. path):lower() then n = n + 1 end
  end
  return n
end

local function timed_error(fn, ...)
  local t0 = hostile.now()
  local e = hostile.error_of(fn, ...)
  assert(hostile.now() - t0 < 15, "hang guard: the write took more than 15 s")
  hostile.assert_clean(hostile.texts(e))
  return e
end

describe("writes answered 503 with Retry-After #trust", function()
  it("[14] a POST answered 503 with Retry-After is sent once (retries = 3)", function()
    local srv = hostile.start("status", {on = "post", status = 503, headers = {{"Retry-After", "1"}}})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    local e = timed_error(client.post, client, "/Computers/1/CommandExecute", {ComputerId = 1})
    assert.are.equal("ServerError", e.code, e.text)
    local n = copies(srv, "POST", "/Computers/1/CommandExecute")
    assert(n == 1, n .. " copies of the POST, 1 expected")
  end)

  it("[14] a PATCH answered 503 with Retry-After is sent once (retries = 3)", function()
    local srv = hostile.start("status", {on = "patch", status = 503, headers = {{"Retry-After", "1"}}})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    local e = timed_error(client.patch, client, "/Computers/1", {{op = "replace", path = "/Comment", value = "x"}})
    assert.are.equal("ServerError", e.code, e.text)
    local n = copies(srv, "PATCH", "/Computers/1")
    assert(n == 1, n .. " copies of the PATCH, 1 expected")
  end)

  it("[14] run_script answered 503 with Retry-After runs once", function()
    local srv = hostile.start("status", {on = "post", status = 503, headers = {{"Retry-After", "1"}}})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    timed_error(client.run_script, client, {1}, 6001)
    local posts = 0
    for _, r in ipairs(srv.data_requests()) do if r.method == "POST" then posts = posts + 1 end end
    assert(posts == 1, posts .. " copies of the script run, 1 expected")
  end)

  for _, status in ipairs{500, 502, 504} do
    it("[14] a POST answered " .. status .. " is sent once", function()
      local srv = hostile.start("status", {on = "post", status = status, headers = {}})
      finally(srv.stop)
      local client = hostile.client(srv, {retries = 3})
      timed_error(client.post, client, "/Computers/1/CommandExecute", {ComputerId = 1})
      local n = copies(srv, "POST", "/Computers/1/CommandExecute")
      assert(n == 1, n .. " copies after a " .. status .. ", 1 expected")
    end)
  end

  it("[14] a POST whose connection closes after it arrived is sent once", function()
    local srv = hostile.start("drop", {on = "post"})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    local e = timed_error(client.post, client, "/Computers/1/CommandExecute", {ComputerId = 1})
    assert.are.equal("Network", e.code, e.text)
    local n = copies(srv, "POST", "/Computers/1/CommandExecute")
    assert(n == 1, n .. " copies of the POST, 1 expected")
  end)
end)

describe("writes the server refused before acting #trust", function()
  it("[14] a POST answered 429 is sent again and succeeds", function()
    local srv = hostile.start("status", {on = "post", times = 1, status = 429, headers = {{"Retry-After", "0"}}})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    local body = client:post("/Computers/1/CommandExecute", {ComputerId = 1})
    assert.are.equal("Queued", body.Status)
    assert.are.equal(2, copies(srv, "POST", "/Computers/1/CommandExecute"))
  end)

  it("[14] a GET answered 503 with Retry-After is still retried", function()
    local srv = hostile.start("status", {on = "get", times = 2, status = 503, headers = {{"Retry-After", "0"}}})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    assert.are.equal("pc-1", client:computer(1).ComputerName)
    assert.are.equal(3, copies(srv, "GET", "/Computers/1"))
  end)
end)
