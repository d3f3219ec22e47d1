-- Issue 14, classes 10 and 11: where the credentials go and what goes in
-- the header lines. An http:// server is contacted directly whatever
-- http_proxy says (only an explicit `proxy =` is used), and control
-- characters in header values are refused: InvalidArgument for options
-- (client_id, username), InvalidResponse for an AccessToken from the server.
local hostile = require "support.hostile"
local cwa = require "cwa"

local PROXY_VARS = {"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"}

describe("proxies on plain http #trust", function()
  local srv, proxy
  before_each(function()
    srv = hostile.start("normal")
    proxy = hostile.start("normal")
  end)
  after_each(function()
    srv.stop()
    proxy.stop()
  end)

  it("[10] http_proxy from the environment is not used for an http:// server", function()
    local env = {"unset no_proxy NO_PROXY; export"}
    for _, v in ipairs(PROXY_VARS) do env[#env + 1] = v .. "=" .. proxy.url end
    local r = hostile.child([[return client():computer(1).ComputerName]], {client = hostile.options(srv)},
      {env = table.concat(env, " ") .. "; "})
    local through = proxy.requests()
    assert(#through == 0, ("the proxy from the environment received %d requests (first: %s %s)"):format(#through,
      through[1] and through[1].method, through[1] and through[1].target))
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.are.equal("pc-1", r.value)
    assert.are.equal(1, srv.logins())
  end)

  it("[10] an explicit proxy = is still used", function()
    local client = hostile.client(srv, {proxy = proxy.url})
    assert.are.equal("pc-1", client:computer(1).ComputerName)
    assert.are.equal(0, #srv.requests())
    local through = proxy.requests()
    assert.are.equal(2, #through)
    assert.truthy(through[1].target:find("^http://127%.0%.0%.1:" .. srv.port .. "/"), through[1].target)
  end)
end)

-- Headers named X-Injected that the server received.
local function injected(srv)
  local out = {}
  for _, r in ipairs(srv.requests()) do
    for _, h in ipairs(r.headers) do
      if h[1]:lower():find("x-injected", 1, true) then out[#out + 1] = r.method .. " " .. r.path .. ": " .. h[1] end
    end
  end
  return out
end

describe("header injection through options #trust", function()
  local srv
  before_each(function() srv = hostile.start("normal") end)
  after_each(function() srv.stop() end)

  for _, option in ipairs{"client_id", "username"} do
    for _, sep in ipairs{"\r\n", "\n", "\r"} do
      local shown = sep:gsub("\r", "CR"):gsub("\n", "LF")
      it(("[11] %s holding %s is refused with InvalidArgument before sending"):format(option, shown), function()
        local ok, res = pcall(hostile.client, srv, {[option] = "abc" .. sep .. "X-Injected: 1"})
        if ok then
          pcall(res.computer, res, 1)
          local got = injected(srv)
          error(("cwa.new accepted %s with %s; the server received %d requests, injected headers: %s"):format(
            option, shown, #srv.requests(), #got > 0 and table.concat(got, "; ") or "none"))
        end
        local e = hostile.error_fields(res)
        assert(e, "not a cwa.Error: " .. tostring(res))
        assert.are.equal("InvalidArgument", e.code, e.text)
        assert(e.message:find(option, 1, true), "the message does not name " .. option .. ": " .. e.text)
        assert.are.equal(0, #srv.requests())
      end)
    end
  end

  it("[11] other control characters in client_id are refused too", function()
    for _, bad in ipairs{"abc\1def", "abc\127def", "abc\27[2Jdef"} do
      local ok, res = pcall(cwa.new, hostile.options(srv, {client_id = bad}))
      assert(not ok, ("cwa.new accepted client_id %q"):format(bad))
      local e = hostile.error_fields(res)
      assert(e and e.code == "InvalidArgument", tostring(e and e.text or res))
    end
  end)
end)

describe("header injection through the server's token #trust", function()
  for _, sep in ipairs{"\r\n", "\n"} do
    local shown = sep:gsub("\r", "CR"):gsub("\n", "LF")
    it("[11] an AccessToken holding " .. shown .. " is refused as InvalidResponse", function()
      local srv = hostile.start("normal", {token = "tok-SECRET-1" .. sep .. "X-Injected: 1"})
      finally(srv.stop)
      local client = hostile.client(srv)
      local ok, res = pcall(client.computer, client, 1)
      local got = injected(srv)
      assert(#got == 0, "the server received injected headers: " .. table.concat(got, "; "))
      assert(not ok, "the call succeeded with the token")
      local e = hostile.error_fields(res)
      assert(e, "not a cwa.Error: " .. tostring(res))
      assert.are.equal("InvalidResponse", e.code, e.text)
      assert.are.equal(0, #srv.data_requests(), "the token was sent")
      hostile.assert_clean(hostile.texts(e))
    end)
  end
end)
