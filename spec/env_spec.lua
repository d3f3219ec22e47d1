-- Options for cwa.new from CONNECTWISE_AUTOMATE_* variables, read through
-- fake getenv tables and functions.

local env = require "cwa.env"
local errors = require "cwa.errors"
local raises = require("support.assert").raises

local P = "CONNECTWISE_AUTOMATE_"

-- A getenv function over a table of short names (SERVER -> CONNECTWISE_AUTOMATE_SERVER).
local function fake(t)
  local full = {}
  for k, v in pairs(t) do full[P .. k] = v end
  return function(name) return full[name] end
end

local function base(extra)
  local t = {SERVER = "automate.example.com", USERNAME = "integrator", PASSWORD = "s3cret-PW"}
  for k, v in pairs(extra or {}) do t[k] = v end
  return t
end

describe("cwa.env.options", function()
  it("reads server and integrator credentials", function()
    local o = env.options(fake(base()))
    assert.are.equal("automate.example.com", o.server)
    assert.are.equal("integrator", o.username)
    assert.are.equal("s3cret-PW", o.password)
    assert.is_nil(o.two_factor)
    assert.is_nil(o.totp_secret)
  end)

  it("reads user credentials", function()
    local o = env.options(fake{SERVER = "h", USER = "bob", PASS = "pw"})
    assert.are.equal("bob", o.username)
    assert.are.equal("pw", o.password)
  end)

  it("prefers USERNAME over USER when both are set", function()
    local o = env.options(fake(base{USER = "bob", PASS = "other"}))
    assert.are.equal("integrator", o.username)
    assert.are.equal("s3cret-PW", o.password)
  end)

  it("accepts a plain table as getenv", function()
    local o = env.options{[P .. "SERVER"] = "h", [P .. "USER"] = "u", [P .. "PASS"] = "p"}
    assert.are.equal("h", o.server)
  end)

  it("reads os.getenv by default", function()
    local ok, e = pcall(env.options)
    if os.getenv(P .. "SERVER") then
      assert.is_true(ok or errors.is_error(e))
    else
      assert.is_false(ok)
      assert.is_truthy(e.message:find(P .. "SERVER", 1, true))
    end
  end)

  it("reads a proxy URL, and none/off/0/false as no proxy at all", function()
    assert.are.equal("http://proxy.example.com:3128",
      env.options(fake(base{PROXY = " http://proxy.example.com:3128 "})).proxy)
    for _, word in ipairs{"none", "NONE", "off", "0", "false"} do
      assert.are.equal("", env.options(fake(base{PROXY = word})).proxy)
    end
    assert.is_nil(env.options(fake(base{PROXY = ""})).proxy)
    assert.is_nil(env.options(fake(base())).proxy)
  end)

  it("rejects a bad getenv", function()
    local ok, e = pcall(env.options, 5)
    assert.is_false(ok)
    assert.are.equal("InvalidArgument", e.code)
  end)

  it("names the server variable when it is missing", function()
    raises("InvalidArgument", P .. "SERVER", env.options, fake{USERNAME = "u", PASSWORD = "p"})
  end)

  it("treats empty and blank variables as unset", function()
    raises("InvalidArgument", P .. "SERVER", env.options, fake{SERVER = "  ", USERNAME = "u", PASSWORD = "p"})
    raises("InvalidArgument", P .. "USERNAME", env.options, fake{SERVER = "h", USERNAME = "", PASSWORD = "p"})
  end)

  it("names all credential variables when none is set", function()
    local e = raises("InvalidArgument", P .. "USERNAME", env.options, fake{SERVER = "h"})
    for _, n in ipairs{"PASSWORD", "USER ", "PASS ", "2FA"} do
      assert.is_truthy(e.message:find(P .. n, 1, true), n)
    end
  end)

  it("names the missing password", function()
    raises("InvalidArgument", P .. "PASSWORD", env.options, fake{SERVER = "h", USERNAME = "u"})
    raises("InvalidArgument", P .. "PASS", env.options, fake{SERVER = "h", USER = "u"})
  end)

  it("never echoes a password or a secret", function()
    local e = raises("InvalidArgument", P .. "2FA", env.options, fake(base{TWOFA = nil, ["2FA"] = "not-a-code!"}))
    assert.is_nil(e.message:find("s3cret-PW", 1, true))
    assert.is_nil(e.message:find("not-a-code", 1, true))
    e = raises("InvalidArgument", "RATE_LIMIT", env.options, fake(base{RATE_LIMIT = "x"}))
    assert.is_nil(e.message:find("s3cret-PW", 1, true))
  end)

  it("reads a 6 to 8 digit 2FA code as two_factor", function()
    assert.are.equal("123456", env.options(fake(base{["2FA"] = "123456"})).two_factor)
    assert.are.equal("12345678", env.options(fake(base{["2FA"] = "1234 5678"})).two_factor)
    raises("InvalidArgument", "2FA", env.options, fake(base{["2FA"] = "12345"}))
    raises("InvalidArgument", "2FA", env.options, fake(base{["2FA"] = "123456789"}))
  end)

  it("reads a base32 secret as totp_secret", function()
    local o = env.options(fake{SERVER = "h", USER = "u", PASS = "p", ["2FA"] = "jbsw y3dp ehpk 3pxp"})
    assert.are.equal("JBSWY3DPEHPK3PXP", o.totp_secret)
    assert.is_nil(o.two_factor)
    assert.are.equal("GEZDGNBVGY3TQOJQ", env.options(fake(base{["2FA"] = "GEZDGNBVGY3TQOJQ=="})).totp_secret)
  end)

  it("rejects short or non-base32 secrets", function()
    raises("InvalidArgument", "base32", env.options, fake(base{["2FA"] = "JBSWY3DP"}))
    raises("InvalidArgument", "base32", env.options, fake(base{["2FA"] = "JBSWY3DPEHPK3PX1"}))
  end)

  it("reads the client id", function()
    local id = "0e5a2a12-7a4d-4f3c-9b1b-0123456789ab"
    assert.are.equal(id, env.options(fake(base{CLIENT_ID = id})).client_id)
    assert.is_nil(env.options(fake(base())).client_id)
  end)

  it("reads the auth mode", function()
    for _, m in ipairs{"auto", "apitoken", "apicredentials"} do
      assert.are.equal(m, env.options(fake(base{AUTH = m})).auth)
    end
    assert.are.equal("apitoken", env.options(fake(base{AUTH = "ApiToken"})).auth)
    raises("InvalidArgument", P .. "AUTH", env.options, fake(base{AUTH = "basic"}))
  end)

  it("reads the CA file", function()
    assert.are.equal("/etc/ca.pem", env.options(fake(base{CA_FILE = "/etc/ca.pem"})).ca_file)
  end)

  it("reads verify_tls and allow_http booleans", function()
    for _, s in ipairs{"0", "false", "no", "off", "FALSE", "No"} do
      assert.is_false(env.options(fake(base{VERIFY_TLS = s})).verify_tls, s)
    end
    for _, s in ipairs{"1", "true", "yes", "on"} do
      assert.is_true(env.options(fake(base{VERIFY_TLS = s})).verify_tls, s)
    end
    assert.is_true(env.options(fake(base{ALLOW_HTTP = "1"})).allow_http)
    assert.is_false(env.options(fake(base{ALLOW_HTTP = "no"})).allow_http)
    assert.is_nil(env.options(fake(base())).verify_tls)
    raises("InvalidArgument", "VERIFY_TLS", env.options, fake(base{VERIFY_TLS = "maybe"}))
    raises("InvalidArgument", "ALLOW_HTTP", env.options, fake(base{ALLOW_HTTP = "2"}))
  end)

  it("reads and validates the rate limit", function()
    assert.are.equal(60, env.options(fake(base{RATE_LIMIT = "60"})).rate_limit)
    assert.is_true(math.type(env.options(fake(base{RATE_LIMIT = "60"})).rate_limit) == "integer")
    assert.are.equal(0.5, env.options(fake(base{RATE_LIMIT = "0.5"})).rate_limit)
    for _, s in ipairs{"0", "off", "false", "no", "none", "0.0"} do
      assert.is_false(env.options(fake(base{RATE_LIMIT = s})).rate_limit, s)
    end
    raises("InvalidArgument", "RATE_LIMIT", env.options, fake(base{RATE_LIMIT = "-1"}))
    raises("InvalidArgument", "RATE_LIMIT", env.options, fake(base{RATE_LIMIT = "fast"}))
    raises("InvalidArgument", "RATE_LIMIT", env.options, fake(base{RATE_LIMIT = "inf"}))
  end)

  it("reads and validates the concurrency", function()
    assert.are.equal(10, env.options(fake(base{CONCURRENCY = "10"})).concurrency)
    assert.are.equal(4, env.options(fake(base{CONCURRENCY = " 4 "})).concurrency)
    raises("InvalidArgument", "CONCURRENCY", env.options, fake(base{CONCURRENCY = "0"}))
    raises("InvalidArgument", "CONCURRENCY", env.options, fake(base{CONCURRENCY = "2.5"}))
    raises("InvalidArgument", "CONCURRENCY", env.options, fake(base{CONCURRENCY = "many"}))
    -- the upper bound is the core's, so cwa.new refuses what is above it
    local o = env.options(fake(base{CONCURRENCY = "100000"}))
    assert.are.equal(100000, o.concurrency)
    local ok, e = pcall(require("cwa").new, o)
    assert.is_false(ok)
    assert.are.equal("InvalidArgument", e.code)
    assert.truthy(e.message:find("concurrency", 1, true), e.message)
  end)

  it("sets no option that is not configured", function()
    local o = env.options(fake(base()))
    local keys = {}
    for k in pairs(o) do keys[#keys + 1] = k end
    table.sort(keys)
    assert.are.same({"password", "server", "username"}, keys)
  end)

  it("lists the variable names", function()
    assert.are.equal(P .. "SERVER", env.names.server)
    assert.are.equal(P .. "2FA", env.names.two_factor)
  end)
end)
