-- Authentication against cwa-sim: both login dialects, auto, 2FA, expiry,
-- refresh, replay after 401, wrong credentials, ClientId, token cache.
local simmod = require "support.sim"
local helper = require "support.client"
local raises = require("support.assert").raises
local cwa = require "cwa"

local TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

local function each_dialect(fn)
  for _, dialect in ipairs{"apitoken", "apicredentials"} do fn(dialect) end
end

each_dialect(function(dialect)
  describe("login in the " .. dialect .. " dialect", function()
    local sim
    setup(function()
      sim = simmod.start{"--dialect", dialect, "--computers", "50", "--totp-secret", TOTP_SECRET}
    end)
    teardown(function() sim:stop() end)
    before_each(function() sim:reset() end)

    for _, auth in ipairs{dialect, "auto"} do
      it("logs in lazily with auth = " .. auth .. " and lists", function()
        local client = helper.new(sim, {auth = auth})
        assert.equal(0, sim:stats().logins)
        local rec = client:computer(1)
        assert.equal(1, rec.Id)
        local stats = sim:stats()
        assert.equal(1, stats.logins)
        assert.equal(dialect, client:dialect())
        if auth == "auto" and dialect == "apicredentials" then
          -- one 404 on /apitoken, then APICredentials, remembered afterwards
          assert.equal(1, stats.requests_by_path["POST /cwa/api/v1/apitoken"])
          client:computer(2)
          assert.equal(1, sim:stats().requests_by_path["POST /cwa/api/v1/apitoken"])
        end
        client:close()
      end)
    end

    it("answers a 2FA user without a code with TwoFactorRequired", function()
      local client = helper.new(sim, {username = "tech", password = "tech-pass"})
      local err = raises("TwoFactorRequired", "two_factor", client.computer, client, 1)
      assert.is_nil(tostring(err):find("tech-pass", 1, true))
    end)

    it("logs in a 2FA user with a fixed code", function()
      local client = helper.new(sim, {username = "tech", password = "tech-pass", two_factor = "123456"})
      assert.equal(1, client:computer(1).Id)
      assert.equal(1, sim:stats().logins)
    end)

    it("asks a two_factor function only when the server wants a code", function()
      local asked = 0
      local client = helper.new(sim, {username = "tech", password = "tech-pass",
        two_factor = function() asked = asked + 1; return "123456" end})
      assert.equal(1, client:computer(1).Id)
      assert.equal(1, asked)
      local plain = helper.new(sim, {two_factor = function() asked = asked + 1; return "1" end})
      plain:computer(1)
      assert.equal(1, asked)
    end)

    it("computes TOTP codes from totp_secret", function()
      local client = helper.new(sim, {username = "tech", password = "tech-pass", totp_secret = TOTP_SECRET})
      assert.equal(1, client:computer(1).Id)
    end)

    it("reports a rejected 2FA code as Unauthorized", function()
      local client = helper.new(sim, {username = "tech", password = "tech-pass", two_factor = "000000"})
      local err = raises("Unauthorized", nil, client.computer, client, 1)
      assert.is_nil(tostring(err):find("000000", 1, true))
    end)

    it("raises the error of a failing two_factor function", function()
      local client = helper.new(sim, {username = "tech", password = "tech-pass",
        two_factor = function() error("no phone nearby") end})
      raises("TwoFactorRequired", "no phone nearby", client.computer, client, 1)
    end)

    it("fails wrong credentials at once, without a retry storm", function()
      local client = helper.new(sim, {password = "wrong-password", retries = 5})
      local err = raises("Unauthorized", nil, client.computer, client, 1)
      assert.equal(401, err.status)
      assert.is_nil(tostring(err):find("wrong-password", 1, true))
      local stats = sim:stats()
      assert.equal(1, stats.logins) -- attempts, this one failed
      assert.equal(1, stats.login_failures)
      -- the next call tries again (the password may have been fixed meanwhile)
      helper.error_of(client.computer, client, 1)
    end)

    it("returns the token and its expiry", function()
      local client = helper.new(sim)
      local token, expires = client:token()
      assert.is_string(token)
      assert.is_true(#token > 10)
      assert.is_true(expires > os.time() + 3000 and expires < os.time() + 3700)
      assert.is_nil(tostring(client):find(token, 1, true))
    end)
  end)
end)

describe("ClientId", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "10"} end)
  teardown(function() sim:stop() end)

  it("is required by apitoken servers and the error says so", function()
    local client = helper.new(sim, {client_id = "nil"})
    raises("Unauthorized", "ClientId", client.computer, client, 1)
  end)
end)

describe("token lifetime", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "100", "--token-ttl", "2"} end)
  teardown(function() sim:stop() end)

  it("refreshes before expiry and never sees a 401", function()
    local client = helper.new(sim)
    local t0 = os.time()
    local n = 0
    while os.time() - t0 < 4 do
      client:computer(1 + n % 50)
      n = n + 1
      simmod.sleep(0.1)
    end
    local stats = sim:stats()
    assert.is_true(stats.refreshes + stats.logins >= 3, "refreshes " .. stats.refreshes)
    assert.is_nil(stats.by_status["401"])
  end)

  it("logs in again and replays once when a token is rejected", function()
    local cache = os.tmpname()
    local f = assert(io.open(cache, "w"))
    f:write(require("cjson").encode{server = sim.url .. "/cwa/api/v1", username = "integrator",
      dialect = "apitoken", token = "not-a-valid-token", expires = os.time() + 3600,
      refresh_at = os.time() + 3000})
    f:close()
    os.execute("chmod 600 " .. cache)
    sim:reset()
    local client = helper.new(sim, {token_cache = cache})
    assert.equal(7, client:computer(7).Id)
    local stats = sim:stats()
    assert.equal(1, stats.by_status["401"])
    assert.equal(1, stats.logins)
    os.remove(cache)
  end)
end)

describe("a login that fails in the middle of a listing", function()
  -- Under a tight rate limit the pages of the open window wait in the queue
  -- and the short-lived token is not refreshed: the next call logs in again,
  -- and this time the 2FA code is wrong. The page that waited for the login
  -- fails with the login's error, the pages queued after it go with it (an
  -- earlier version read one of them after freeing it: make sanitize), and
  -- nothing more is sent.
  it("raises the login's error for the page and drops the queued ones", function()
    local sim = simmod.start{"--computers", "200", "--token-ttl", "2"}
    local asked = 0
    local client = helper.new(sim, {username = "tech", password = "tech-pass", rate_limit = 120, burst = 1,
      two_factor = function() asked = asked + 1; return asked == 1 and "123456" or "000000" end})
    local n = 0
    local err = helper.error_of(function()
      for _ in client:computers{page_size = 5} do n = n + 1 end
    end)
    simmod.sleep(0.3)
    local before = sim:stats().requests
    simmod.sleep(0.6)
    local after = sim:stats()
    sim:stop()
    assert.equal("Unauthorized", err.code)
    assert.matches("^page %d+ of /Computers failed: login failed", err.message)
    assert.is_true(n > 0 and n < 200, "records " .. n)
    assert.equal(2, asked)
    assert.equal(before, after.requests)
    assert.equal(0, after.in_flight)
  end)
end)

describe("token_cache", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "10"} end)
  teardown(function() sim:stop() end)

  it("stores the token in a 0600 file and reuses it", function()
    local dir = os.tmpname()
    os.remove(dir)
    os.execute("mkdir -p " .. dir)
    local cache = dir .. "/token.json"
    sim:reset()
    helper.new(sim, {token_cache = cache}):computer(1)
    local p = io.popen("stat -c %a " .. cache)
    assert.equal("600", p:read("l"))
    p:close()
    helper.new(sim, {token_cache = cache}):computer(2)
    assert.equal(1, sim:stats().logins)
    os.execute("chmod 644 " .. cache)
    raises("InvalidArgument", "chmod 600", helper.new, sim, {token_cache = cache})
    os.execute("rm -rf " .. dir)
  end)
end)

describe("secrets", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "60", "--token-ttl", "2", "--fail-rate", "0.2"} end)
  teardown(function() sim:stop() end)

  it("never appear in log lines, errors or tostring", function()
    local lines = {}
    local log = function(level, line) lines[#lines + 1] = level .. " " .. line end
    local client = helper.new(sim, {username = "tech", password = "tech-pass", two_factor = "123456",
      log = log, retries = 8})
    local token = client:token()
    for _ in client:computers{page_size = 7} do end
    simmod.sleep(1.2)
    client:computer(3)
    local err = helper.error_of(client.computer, client, 424242)
    local bad = helper.new(sim, {password = "other-secret-pw", log = log})
    local err2 = helper.error_of(bad.computer, bad, 1)
    local texts = {tostring(err), tostring(err2), tostring(client), err.message, err2.message}
    for _, l in ipairs(lines) do texts[#texts + 1] = l end
    assert.is_true(#lines > 10)
    for _, text in ipairs(texts) do
      for _, secret in ipairs{"tech-pass", "123456", token, "other-secret-pw"} do
        assert.is_nil(text:find(secret, 1, true), "secret in: " .. text)
      end
    end
  end)
end)

describe("TLS", function()
  local sim
  setup(function() sim = simmod.start{"--tls", "--computers", "10"} end)
  teardown(function() sim:stop() end)

  it("verifies certificates by default", function()
    local client = helper.new(sim)
    raises("TLS", "ca_file", client.computer, client, 1)
  end)

  it("trusts the server's certificate given as ca_file", function()
    local client = helper.new(sim, {ca_file = sim.ca_file})
    assert.equal(1, client:computer(1).Id)
  end)

  it("warns once on the log when verify_tls = false", function()
    local warnings = {}
    local client = helper.new(sim, {verify_tls = false, log = function(level, line)
      if level == "warn" then warnings[#warnings + 1] = line end
    end})
    client:computer(1)
    client:computer(2)
    assert.equal(1, #warnings)
    assert.matches("verif", warnings[1])
  end)
end)

describe("cwa.new", function()
  local function bad(opts, fragment)
    raises("InvalidArgument", fragment, cwa.new, opts)
  end

  it("rejects unknown options and wrong types, naming the option", function()
    local base = {server = "http://127.0.0.1:1", username = "u", password = "p"}
    local function with(k, v)
      local t = {}
      for a, b in pairs(base) do t[a] = b end
      t[k] = v
      return t
    end
    bad(with("sever", "x"), "unknown option 'sever'")
    bad(with("retries", "5"), "option 'retries': expected an integer, got string")
    bad(with("concurrency", 0), "concurrency")
    bad(with("verify_tls", "no"), "option 'verify_tls': expected a boolean, got string")
    bad(with("two_factor", 123456), "option 'two_factor': expected a string or a function, got number")
    bad(with("auth", "oauth"), "auth")
    bad(with("page_size", 5000), "page_size")
    bad(with("rate_limit", -1), "rate_limit")
    bad(with("timeout", 0), "timeout")
    bad({server = "http://127.0.0.1:1", password = "p"}, "username")
  end)

  it("allows plain http only to loopback unless allow_http", function()
    bad({server = "http://automate.example.com", username = "u", password = "p"}, "allow_http")
    assert.is_table(cwa.new{server = "http://automate.example.com", username = "u", password = "p",
      allow_http = true})
    assert.is_table(cwa.new{server = "automate.example.com", username = "u", password = "p"})
    assert.is_table(cwa.new{server = "https://automate.example.com:8443/", username = "u", password = "p"})
    bad({server = "ftp://x", username = "u", password = "p"}, "server")
    bad({server = "https://user:pw@host", username = "u", password = "p"}, "server")
  end)
end)

describe("offset-less ExpirationDate (issue 15, point 5)", function()
  for _, tz in ipairs{"+14:00", "-12:00", "+10:00", "+00:00"} do
    it("is never later than the server's real expiry at UTC" .. tz, function()
      local sim = simmod.start{"--computers", "5", "--tz", tz, "--token-ttl", "3600"}
      local client = helper.new(sim)
      local t0 = os.time()
      local _, expires = client:token()
      local t1 = os.time() + 1
      -- the server issued it between t0 and t1, for an hour
      assert.truthy(expires <= t1 + 3600, ("expires %.1f s from now"):format(expires - t1))
      assert.truthy(expires >= t0 + 50 * 60, ("expires %.1f s from now"):format(expires - t0))
      client:close()
      sim:stop()
    end)
  end
end)

describe("AbsoluteExpirationDate (issue 15, point 5)", function()
  local SESSION = {"--computers", "5", "--token-ttl", "2", "--token-absolute", "3"}

  -- Calls for about `seconds`, each one checked; the loop is a hang guard.
  local function calls_for(client, seconds)
    local stop = helper.monotime() + seconds
    local n = 0
    while helper.monotime() < stop do
      assert.equal(1, client:computer(1).Id)
      n = n + 1
      simmod.sleep(0.1)
    end
    return n
  end

  it("ends refreshes: past it the client logs in again, no refresh is refused", function()
    local sim = simmod.start(SESSION)
    finally(function() sim:stop() end)
    local client = helper.new(sim)
    calls_for(client, 7)
    local stats = sim:stats()
    assert.truthy(stats.logins >= 2, "a new session after the absolute expiry")
    -- a 2 s token refreshed once reaches the 3 s end; a refresh past it is
    -- refused with 401, which the client never provokes
    assert.truthy(stats.refreshes <= stats.logins, ("%d refreshes, %d logins"):format(stats.refreshes,
      stats.logins))
    assert.is_nil(stats.by_status["401"])
    client:close()
  end)

  it("logs in again with a fixed 2FA code once; refused, it is TwoFactorRequired", function()
    local sim = simmod.start(SESSION)
    finally(function() sim:stop() end)
    local client = helper.new(sim, {username = "tech", password = "tech-pass", two_factor = "123456"})
    -- this server takes the code again: the session goes on
    calls_for(client, 4)
    assert.truthy(sim:stats().logins >= 2)
    assert.is_nil(sim:stats().by_status["401"])
    -- the same port, a server whose code is another one now
    sim:stop()
    local args = {"--port", tostring(sim.port), "--user", "tech:tech-pass:654321"}
    for _, a in ipairs(SESSION) do args[#args + 1] = a end
    local again = simmod.start(args)
    finally(function() again:stop() end)
    assert.equal(sim.port, again.port)
    simmod.sleep(3.2) -- past the session's absolute end
    local err = raises("TwoFactorRequired", "absolute expiry", client.computer, client, 1)
    assert.truthy(err.message:find("totp_secret", 1, true))
    assert.equal(1, again:stats().logins)
    -- attempted once: the next call raises without a request
    raises("TwoFactorRequired", "absolute expiry", client.computer, client, 1)
    assert.equal(1, again:stats().requests)
    client:close()
  end)
end)
