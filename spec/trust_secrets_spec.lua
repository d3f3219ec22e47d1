-- Issue 14, class 9: secrets echoed by the server. A server or proxy that
-- repeats what it received (headers, body) must not make cwa repeat the
-- client's secrets in err.message, tostring(err), details or log lines.
-- Every text from the server or from libcurl passes one scrubber that
-- knows the password, the access and refresh tokens, the 2FA code in use,
-- the TOTP secret and proxy user info; each becomes ***. The server's
-- tokens and the password all hold the marker "SECRET".
local hostile = require "support.hostile"
local cjson = require "cjson"

local TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"

-- A client for srv whose log lines (every level) are kept in `lines`.
local function logging_client(srv, lines, extra)
  local o = {debug = true, retries = 1, log = function(level, line) lines[#lines + 1] = level .. ": " .. line end}
  for k, v in pairs(extra or {}) do o[k] = v end
  return hostile.client(srv, o)
end

-- The codes the client sent in its logins, as the server received them.
local function codes_sent(srv)
  local codes = {}
  for _, r in ipairs(srv.requests()) do
    if r.login then
      local ok, body = pcall(cjson.decode, r.body)
      if ok and type(body) == "table" then
        local code = body.TwoFactorPasscode or body.TwoFactorCode
        if code then codes[#codes + 1] = tostring(code) end
      end
    end
  end
  return codes
end

-- The server did receive the secret it is meant to echo.
local function assert_sent_bearer(srv)
  for _, r in ipairs(srv.data_requests()) do
    for _, h in ipairs(r.headers) do
      if h[1]:lower() == "authorization" and h[2]:find("SECRET", 1, true) then return end
    end
  end
  error("the server never received a bearer token to echo")
end

local ECHOES = {
  {"json400", "a 400 JSON message", "BadRequest"},
  {"json500", "a 500 JSON message with ModelState details", "ServerError"},
  {"text502", "a 502 text page", "ServerError"},
  {"html200", "a 200 HTML page", "InvalidResponse"},
  {"malformed", "a malformed JSON excerpt", "InvalidResponse"},
  {"redirect", "a redirect Location", nil},
}

describe("secrets echoed by the server #trust", function()
  for _, case in ipairs(ECHOES) do
    local mode, what, code = case[1], case[2], case[3]
    it("[9] the bearer token echoed in " .. what .. " appears nowhere", function()
      local srv = hostile.start("echo", {mode = mode})
      finally(srv.stop)
      local lines = {}
      local client = logging_client(srv, lines)
      local e1 = hostile.error_of(client.get, client, "/Computers/1")
      local e2 = hostile.error_of(client.list, client, "/Computers", {page_size = 5})
      assert_sent_bearer(srv)
      if code then assert.are.equal(code, e1.code, e1.text) end
      hostile.assert_clean(hostile.texts(e1, e2, lines))
    end)
  end

  it("[9] the scrubbed text keeps the rest of the message, with *** for the token", function()
    local srv = hostile.start("echo", {mode = "json400"})
    finally(srv.stop)
    local client = hostile.client(srv)
    local e = hostile.error_of(client.get, client, "/Computers/1")
    hostile.assert_clean(hostile.texts(e))
    assert(e.message:find("Bearer ***", 1, true), "no 'Bearer ***' in the message: " .. e.text)
  end)

  it("[9] the refresh token (apicredentials) echoed in a 500 appears nowhere", function()
    local srv = hostile.start("echo", {mode = "json500"})
    finally(srv.stop)
    local lines = {}
    local client = logging_client(srv, lines, {auth = "apicredentials"})
    local e = hostile.error_of(client.get, client, "/Computers/1")
    hostile.assert_clean(hostile.texts(e, lines))
  end)
end)

describe("secrets echoed by a login #trust", function()
  it("[9] the password echoed in a login 400 appears nowhere", function()
    local srv = hostile.start("echo", {mode = "login400"})
    finally(srv.stop)
    local lines = {}
    local client = logging_client(srv, lines)
    local e = hostile.error_of(client.get, client, "/Computers/1")
    hostile.assert_clean(hostile.texts(e, lines))
  end)

  it("[9] a fixed 2FA code echoed in a login 403 appears nowhere", function()
    local srv = hostile.start("echo", {mode = "login403"})
    finally(srv.stop)
    local lines = {}
    local client = logging_client(srv, lines, {two_factor = "918273"})
    local e = hostile.error_of(client.get, client, "/Computers/1")
    hostile.assert_clean(hostile.texts(e, lines), {"918273"})
  end)

  it("[9] a 2FA code from a two_factor function echoed in a login 403 appears nowhere", function()
    local srv = hostile.start("echo", {mode = "login403"})
    finally(srv.stop)
    local lines = {}
    local client = logging_client(srv, lines, {two_factor = function() return "918273" end})
    local e = hostile.error_of(client.get, client, "/Computers/1")
    hostile.assert_clean(hostile.texts(e, lines), {"918273"})
  end)

  it("[9] the TOTP secret and the code made from it, echoed in a login 403, appear nowhere", function()
    local srv = hostile.start("echo", {mode = "login403", echo_extra = {TOTP_SECRET}})
    finally(srv.stop)
    local lines = {}
    local client = logging_client(srv, lines, {totp_secret = TOTP_SECRET})
    local e = hostile.error_of(client.get, client, "/Computers/1")
    local secrets = codes_sent(srv)
    assert(#secrets > 0, "the client sent no TOTP code")
    secrets[#secrets + 1] = TOTP_SECRET
    hostile.assert_clean(hostile.texts(e, lines), secrets)
  end)
end)

describe("secrets in libcurl's error text #trust", function()
  for _, proxy in ipairs{"http://pxuser:proxy-SECRET-pw@127.0.0.1:99999", "http://pxuser:proxy-SECRET-pw@[::1",
    "foo://pxuser:proxy-SECRET-pw@127.0.0.1:1", "http://pxuser:proxy-SECRET-pw@bad host:1"} do
    it("[9] proxy user info in " .. proxy:gsub("pxuser:proxy%-SECRET%-pw", "USER:PASS") .. " appears nowhere", function()
      local srv = hostile.start("normal")
      finally(srv.stop)
      local lines = {}
      local ok, client = pcall(logging_client, srv, lines, {proxy = proxy, retries = 0})
      local e = ok and hostile.error_of(client.get, client, "/Computers/1") or hostile.error_fields(client)
      assert(e, "not a cwa.Error: " .. tostring(client))
      hostile.assert_clean(hostile.texts(e, lines))
    end)
  end
end)
