-- Security checks beyond auth_spec: debug logging through login, refresh,
-- replay after 401 and failures never shows a secret (in both dialects);
-- the token cache is never used for another server or user, is refused when
-- group readable and is not written through a symlink; hostile values given
-- to the condition builder reach the simulator as one literal comparison.
local simmod = require "support.sim"
local helper = require "support.client"
local raises = require("support.assert").raises
local cwa = require "cwa"
local cjson = require "cjson"

local TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"

-- Every string an error carries: tostring, message, details, url.
local function error_texts(err, into)
  into[#into + 1] = tostring(err)
  for _, k in ipairs{"message", "details", "url", "method", "code"} do
    if type(err[k]) == "string" then into[#into + 1] = err[k] end
  end
end

local function assert_clean(texts, secrets)
  for _, text in ipairs(texts) do
    for _, secret in ipairs(secrets) do
      assert.is_nil(text:find(secret, 1, true), ("secret %q in: %s"):format(secret, text))
    end
    -- the simulator's access tokens are eyJ and refresh tokens rt_ followed
    -- by random characters (a word like "start_page" is no token)
    assert.is_nil(text:find("eyJ[%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_]"), "a token in: " .. text)
    assert.is_nil(text:find("rt_[%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_][%w%-_]"),
      "a refresh token in: " .. text)
    assert.is_nil(text:lower():find("bearer ", 1, true), "an Authorization header in: " .. text)
  end
end

local function write_cache(path, t)
  local f = assert(io.open(path, "w"))
  f:write(cjson.encode(t))
  f:close()
  os.execute("chmod 600 " .. path)
end

local read_file = simmod.read_file

local function tmpdir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -m 700 " .. dir))
  return dir
end

for _, dialect in ipairs{"apitoken", "apicredentials"} do
  describe("redaction (" .. dialect .. ")", function()
    it("debug logs of login, refresh, replay and failures show no secret", function()
      local sim = simmod.start{"--dialect", dialect, "--computers", "40", "--token-ttl", "6",
        "--totp-secret", TOTP_SECRET, "--fail-rate", "0.2", "--fault-logins", "--seed", "9"}
      local dir = tmpdir()
      -- busted keeps one finally a test: both clean-ups go in it
      finally(function()
        sim:stop()
        os.execute("rm -rf " .. dir)
      end)
      local texts, tokens = {}, {}
      local function log(level, line) texts[#texts + 1] = level .. " " .. line end
      local function base(extra)
        local o = {debug = true, log = log, retries = 10, auth = dialect}
        for k, v in pairs(extra or {}) do o[k] = v end
        return o
      end

      -- login with a fixed 2FA code, a listing through failures, a refresh
      local client = helper.new(sim, base{username = "tech", password = "tech-pass", two_factor = "123456"})
      tokens[#tokens + 1] = client:token()
      for _ in client:computers{page_size = 7} do end
      simmod.sleep(3.3) -- past the half-life: the next call refreshes
      client:computer(3)
      simmod.sleep(0.3)
      client:computer(4)
      tokens[#tokens + 1] = client:token()
      texts[#texts + 1] = tostring(client)

      -- TOTP codes
      local totp = helper.new(sim, base{username = "tech", password = "tech-pass", totp_secret = TOTP_SECRET})
      totp:computer(1)
      tokens[#tokens + 1] = totp:token()

      -- a cached token the server rejects: 401, a new login, one replay
      local cache = dir .. "/token.json"
      write_cache(cache, {server = sim.url .. "/cwa/api/v1", username = "integrator", dialect = dialect,
        token = "cached-secret-token-0123456789", expires = os.time() + 3600, refresh_at = os.time() + 3000})
      local cached = helper.new(sim, base{token_cache = cache})
      cached:computer(5)
      tokens[#tokens + 1] = cached:token()

      -- failures: wrong password, wrong code, a 404, a failing two_factor function
      local failures = {
        {helper.new(sim, base{password = "wrong-secret-password"}), 1},
        {helper.new(sim, base{username = "tech", password = "tech-pass", two_factor = "654321"}), 1},
        {client, 424242},
        {helper.new(sim, base{username = "tech", password = "tech-pass",
          two_factor = function() error("no code today") end}), 1},
      }
      for _, f in ipairs(failures) do
        error_texts(helper.error_of(f[1].computer, f[1], f[2]), texts)
      end

      local stats = sim:stats()
      assert.is_true(stats.refreshes + stats.logins >= 5, "logins " .. stats.logins)
      assert.is_true(stats.by_status["401"] ~= nil, "no token was rejected")
      assert.is_true(#texts > 30, "only " .. #texts .. " lines")
      local secrets = {"tech-pass", "integrator-pass", "123456", "654321", TOTP_SECRET,
        "wrong-secret-password", "cached-secret-token-0123456789"}
      for _, t in ipairs(tokens) do secrets[#secrets + 1] = t end
      assert_clean(texts, secrets)
      -- the cache holds the token but never the password or a code
      local stored = read_file(cache)
      assert.is_nil(stored:find("integrator-pass", 1, true))
      assert.is_nil(stored:find("Password", 1, true))
    end)
  end)
end

describe("proxy", function()
  -- The simulator answers a proxy's absolute-form requests itself; the
  -- server address has nothing listening, so answers came through the proxy.
  it("carries every request through the proxy option, and never repeats its password", function()
    local sim = simmod.start{"--computers", "30"}
    local client = helper.new(sim, {server = "http://127.0.0.1:9", proxy = sim.url})
    local n = 0
    for _ in client:computers{page_size = 10} do n = n + 1 end
    assert.equal(30, n)
    local stats = sim:stats()
    assert.equal(stats.requests, stats.proxied)
    client:close()
    -- a proxy URL with a password, nothing listening: the error names no secret
    local texts, lines = {}, {}
    local bad = helper.new(sim, {server = "http://127.0.0.1:9", proxy = "http://alice:Pr0xy-s3cret@127.0.0.1:1",
      retries = 0, debug = true, log = function(_, line) lines[#lines + 1] = line end})
    local err = helper.error_of(bad.computer, bad, 1)
    sim:stop()
    assert.equal("Network", err.code)
    error_texts(err, texts)
    for _, l in ipairs(lines) do texts[#texts + 1] = l end
    assert_clean(texts, {"Pr0xy-s3cret", "integrator-pass"})
  end)

  it("refuses a proxy value with control characters without repeating it", function()
    local err = raises("InvalidArgument", "proxy", cwa.new, {server = "http://127.0.0.1:9", username = "u",
      password = "p", proxy = "http://bob:pw-Xy9@proxy\n:3128"})
    assert.is_nil(err.message:find("pw-Xy9", 1, true))
    raises("InvalidArgument", nil, cwa.new, {server = "http://127.0.0.1:9", username = "u", password = "p",
      proxy = 3128})
  end)
end)

describe("token cache", function()
  local sim, dir
  setup(function()
    sim = simmod.start{"--computers", "10"}
    dir = tmpdir()
  end)
  teardown(function()
    sim:stop()
    os.execute("rm -rf " .. dir)
  end)
  before_each(function() sim:reset() end)

  local function entry(server, username, token)
    return {server = server, username = username, dialect = "apitoken", token = token,
      expires = os.time() + 3600, refresh_at = os.time() + 3000}
  end

  it("never sends a token cached for another server", function()
    local cache = dir .. "/other-server.json"
    write_cache(cache, entry("https://evil.example.com/cwa/api/v1", "integrator", "stolen-token-A"))
    local client = helper.new(sim, {token_cache = cache})
    assert.equal(1, client:computer(1).Id)
    local stats = sim:stats()
    assert.equal(1, stats.logins)
    assert.is_nil(stats.by_status["401"])
    assert.is_nil(read_file(cache):find("stolen-token-A", 1, true))
  end)

  it("never sends a token cached for another user", function()
    local cache = dir .. "/other-user.json"
    write_cache(cache, entry(sim.url .. "/cwa/api/v1", "tech", "stolen-token-B"))
    local client = helper.new(sim, {token_cache = cache})
    assert.equal(1, client:computer(1).Id)
    local stats = sim:stats()
    assert.equal(1, stats.logins)
    assert.is_nil(stats.by_status["401"])
  end)

  it("is refused when only the group may read it", function()
    local cache = dir .. "/group.json"
    write_cache(cache, entry(sim.url .. "/cwa/api/v1", "integrator", "x"))
    os.execute("chmod 640 " .. cache)
    local err = raises("InvalidArgument", "mode 640", helper.new, sim, {token_cache = cache})
    assert.matches("chmod 600", err.message)
  end)

  it("is not read or written through a symlink", function()
    local target = dir .. "/target.json"
    local link = dir .. "/link.json"
    local original = cjson.encode(entry(sim.url .. "/cwa/api/v1", "integrator", "planted-token-C"))
    local f = assert(io.open(target, "w"))
    f:write(original)
    f:close()
    os.execute("chmod 600 " .. target)
    assert(os.execute("ln -s " .. target .. " " .. link))
    local client = helper.new(sim, {token_cache = link})
    assert.equal(1, client:computer(1).Id)
    local stats = sim:stats()
    -- the planted token was not used, and the target was not overwritten
    assert.equal(1, stats.logins)
    assert.is_nil(stats.by_status["401"])
    assert.equal(original, read_file(target))
  end)
end)

describe("condition builder injection", function()
  local sim, client
  local f = cwa.cond.field
  local HOSTILE = {
    "x' or 1=1 or Name = 'y",
    [[x" or "1"="1]],
    "') or (Id > 0",
    "Acme' or Name like '%",
    "a'' or ''='",
    "z\\' or Id > 0 --",
  }

  setup(function()
    sim = simmod.start{"--computers", "10", "--clients", "30"}
    client = helper.new(sim)
    for _, name in ipairs(HOSTILE) do client:post("/Clients", {Name = name}) end
    client:post("/Clients", {Name = "100%_done"})
    client:post("/Clients", {Name = "100abc_done"})
  end)
  teardown(function() sim:stop() end)

  local function received_conditions()
    local out = {}
    for url in pairs(sim:stats().pages) do
      local c = url:match("[?&]condition=(.-)&includefields=") or url:match("[?&]condition=(.*)$")
      if c then out[#out + 1] = c end
    end
    return out
  end

  it("keeps each hostile value one literal: exactly its own record matches", function()
    local total = client:count("/Clients")
    assert.is_true(total >= 36)
    for _, name in ipairs(HOSTILE) do
      for _, cond in ipairs{f("Name"):eq(name), cwa.where{Name = name}, f("Name"):in_(name, "no such name")} do
        sim:reset()
        local recs = client:list("/Clients", {condition = cond, fields = {"Id", "Name"}})
        assert.equal(1, #recs, tostring(cond))
        assert.equal(name, recs[1].Name)
        -- the server received the builder's text unchanged, and it parses
        local got = received_conditions()
        assert.equal(1, #got)
        assert.equal(tostring(cond), got[1])
        assert.is_true(cwa.check_condition(got[1]))
      end
      -- the negation matches every other record: still one comparison
      assert.equal(total - 1, client:count("/Clients", {condition = f("Name"):ne(name)}))
    end
  end)

  it("escapes LIKE wildcards in startswith, endswith and contains", function()
    local function names(cond)
      local out = {}
      for _, r in ipairs(client:list("/Clients", {condition = cond, fields = {"Id", "Name"}})) do
        out[#out + 1] = r.Name
      end
      table.sort(out)
      return out
    end
    assert.same({"100%_done"}, names(f("Name"):startswith("100%")))
    assert.same({"100%_done", "100abc_done"}, names(f("Name"):startswith("100")))
    assert.same({"100%_done"}, names(f("Name"):endswith("%_done")))
    assert.same({"100%_done"}, names(f("Name"):like("100\\%%")))
    assert.same({"100%_done"}, names(f("Name"):contains("%_")))
  end)
end)
