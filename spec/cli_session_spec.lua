-- Sessions (issue 16.1): cwa auth login | status | logout against the
-- simulator; later commands and cwa.from_env{session = true} use the session
-- with no password; a TOTP secret renews it; prompts (issue 16.6) typed into a
-- real terminal give the terminal back on Ctrl-C (130) and at the end of input.
local simulator = require "support.sim"
local proc = require "support.proc"
local tty = require "support.tty"
local cjson = require "cjson"

local q = simulator.shell_quote
local TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DP"

local cli_env = require "support.cli_env"
local UNSET = cli_env.UNSET .. "unset XDG_STATE_HOME; "

local temp_dir = cli_env.temp_dir

describe("cwa auth", function()
  local sim, dir, file, base

  setup(function()
    sim = simulator.start{"--computers", "30", "--totp-secret", TOTP_SECRET}
    dir = temp_dir()
    file = dir .. "/state/sessions.json"
    base = UNSET .. "export CWA_CONFIG=" .. q(dir .. "/none.lua") .. " CWA_SESSION_FILE=" .. q(file)
      .. " CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url) .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
  end)
  teardown(function()
    if sim then sim:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)
  before_each(function()
    os.remove(file)
    sim:reset()
  end)

  -- bin/cwa as integrator; `password` false leaves the password unset
  local function cwa(args, password, extra)
    local env = base .. "export CONNECTWISE_AUTOMATE_USERNAME=integrator; "
    if password ~= false then env = env .. "export CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass; " end
    return proc.run(env .. (extra or "") .. "bin/cwa " .. args .. " </dev/null")
  end

  it("logs in once; status, later commands and logout need no password", function()
    local out, err, code = cwa("auth login")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("Logged in to " .. sim.url .. " as integrator", 1, true), out)
    assert.truthy(out:find("Token expires %d%d%d%d%-%d%d%-%d%dT"), out)
    local p = io.popen("stat -c %a " .. q(file))
    assert.are.equal("600", p:read("l"))
    p:close()
    local stored = simulator.read_file(file)
    assert.is_nil(stored:find("integrator-pass", 1, true))
    local entry = cjson.decode(stored).sessions[1]
    assert.are.equal("spec", entry.client_id)
    assert.falsy(out:find(entry.token, 1, true))

    out, err, code = cwa("auth status", false)
    assert.are.equal(0, code, err)
    for _, want in ipairs{"Server:       " .. sim.url, "User:         integrator", "Dialect:      apitoken",
      "Expires:      " .. os.date("!%Y-%m-%dT", math.floor(entry.expires))} do
      assert.truthy(out:find(want, 1, true), out)
    end
    assert.falsy(out:find(entry.token, 1, true))
    local info = cjson.decode((cwa("auth status --format json", false)))
    assert.are.equal("apitoken", info.dialect)
    assert.is_nil(info.token)

    for _ = 1, 3 do
      out, err, code = cwa("count computers", false)
      assert.are.equal(0, code, err)
      assert.are.equal("30\n", out)
    end
    assert.are.equal(1, sim:stats().logins)

    out, err, code = cwa("auth logout", false)
    assert.are.equal(0, code, err)
    assert.truthy(out:find("revoked", 1, true), out)
    assert.are.equal(1, sim:stats().logouts)
    assert.is_nil(simulator.read_file(file))
    local _
    _, err, code = cwa("auth status", false)
    assert.are.equal(1, code)
    assert.truthy(err:find("not logged in", 1, true), err)
    _, err, code = cwa("count computers", false)
    assert.are.equal(2, code)
    assert.truthy(err:find("run cwa auth login", 1, true), err)
  end)

  it("keeps one entry per server, user and ClientId, and `cwa login` / `cwa logout` are aliases", function()
    assert.are.equal(0, select(3, cwa("login")))
    assert.are.equal(0, select(3, cwa("login --client-id other")))
    local env = base .. "export CONNECTWISE_AUTOMATE_USER=tech CONNECTWISE_AUTOMATE_PASS=tech-pass "
      .. "CONNECTWISE_AUTOMATE_2FA=" .. TOTP_SECRET .. "; "
    local _, err, code = proc.run(env .. "bin/cwa auth login </dev/null")
    assert.are.equal(0, code, err)
    assert.are.equal(3, #cjson.decode(simulator.read_file(file)).sessions)
    assert.are.equal(3, sim:stats().logins)
    -- a second login replaces the entry of its account (the old token revoked)
    assert.are.equal(0, select(3, cwa("login")))
    assert.are.equal(3, #cjson.decode(simulator.read_file(file)).sessions)
    assert.are.equal(1, sim:stats().logouts)

    assert.are.equal(0, select(3, cwa("logout --client-id other", false)))
    local left = cjson.decode(simulator.read_file(file)).sessions
    assert.are.equal(2, #left)
    for _, e in ipairs(left) do assert.are_not.equal("other", e.client_id) end
    assert.are.equal(0, select(3, cwa("count computers", false)))
    assert.are.equal(0, select(3, proc.run(env:gsub("tech%-pass", "") .. "bin/cwa count computers </dev/null")))
  end)

  it("never sends a cached token that holds a control character", function()
    assert(os.execute("mkdir -p " .. q(dir .. "/state")))
    local f = assert(io.open(file, "w"))
    f:write(cjson.encode{sessions = {{server = sim.url .. "/cwa/api/v1", username = "integrator", client_id = "spec",
      dialect = "apitoken", token = "abc\r\nX-Evil: 1", expires = os.time() + 3600, refresh_at = os.time() + 3000}}})
    f:close()
    os.execute("chmod 600 " .. q(file))
    local _, err, code = cwa("auth status", false)
    assert.are.equal(1, code)
    assert.truthy(err:find("not logged in", 1, true), err)
    local out = cwa("count computers")
    assert.are.equal("30\n", out)
    assert.are.equal(1, sim:stats().logins)
  end)

  -- A session the server no longer accepts (revoked, or the server forgot
  -- it) and no password to log in with again.
  local function refused_session()
    assert(os.execute("mkdir -p " .. q(dir .. "/state")))
    local f = assert(io.open(file, "w"))
    f:write(cjson.encode{sessions = {{server = sim.url .. "/cwa/api/v1", username = "integrator", client_id = "spec",
      dialect = "apitoken", token = "a-token-this-server-never-issued", expires = os.time() + 3600,
      refresh_at = os.time() + 3000}}})
    f:close()
    os.execute("chmod 600 " .. q(file))
  end

  it("says to log in again when the stored session is refused and no password is set", function()
    refused_session()
    local out, err, code = cwa("count computers", false)
    assert.are.equal(1, code, err)
    assert.are.equal("", out)
    assert.are.equal("cwa: the stored session for integrator is no longer accepted and no password is set "
      .. "(Unauthorized, HTTP 401; run cwa auth login, or give --password-env or --password-command)\n", err)
  end)

  it("logs in with a --password-command given when the stored session is refused", function()
    refused_session()
    local out, err, code = cwa("count computers --password-command 'echo integrator-pass'", false)
    assert.are.equal(0, code, err)
    assert.are.equal("30\n", out)
    local _, status_err, status_code = cwa("auth status", false)
    assert.are.equal(0, status_code, status_err) -- the new login's session was kept
  end)

  it("is the session of cwa.from_env{session = true}", function()
    assert.are.equal(0, select(3, cwa("auth login")))
    local script = dir .. "/count.lua"
    local f = assert(io.open(script, "w"))
    f:write([[
      local cwa = require "cwa"
      local client = cwa.from_env{session = true}
      print(client:session().dialect, client:count("/Computers"))
      local ok, err = pcall(cwa.from_env, {session = "other"})
      print(ok, err.code, (err.message:find("holds no live session", 1, true)))
    ]])
    f:close()
    local out, err, code = proc.run(base .. "export CONNECTWISE_AUTOMATE_USERNAME=integrator; "
      .. "LUA_PATH='lua/?.lua;lua/?/init.lua;;' LUA_CPATH=" .. q((os.getenv("CWA_BUILD") or "build") .. "/?.so;;")
      .. " lua5.4 " .. q(script) .. " </dev/null")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("^apitoken\t30\nfalse\tInvalidArgument\t%d+\n$"), out)
    assert.are.equal(1, sim:stats().logins)
  end)
end)

describe("a session with a TOTP secret", function()
  it("is renewed without a prompt when it ends", function()
    local sim = simulator.start{"--computers", "5", "--totp-secret", TOTP_SECRET,
      "--token-ttl", "61"}
    local dir = temp_dir()
    finally(function()
      sim:stop()
      os.execute("rm -rf " .. q(dir))
    end)
    local env = UNSET .. "export CWA_CONFIG=/nonexistent/cwa-config.lua CWA_SESSION_FILE=" .. q(dir .. "/s.json")
      .. " CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url) .. " CONNECTWISE_AUTOMATE_USER=tech "
      .. "CONNECTWISE_AUTOMATE_PASS=tech-pass CONNECTWISE_AUTOMATE_CLIENT_ID=spec CONNECTWISE_AUTOMATE_2FA=" .. TOTP_SECRET .. "; "
    assert.are.equal(0, select(3, proc.run(env .. "bin/cwa auth login </dev/null")))
    local first = cjson.decode(simulator.read_file(dir .. "/s.json")).sessions[1]
    -- the core takes a cached token only while it has a minute left: a
    -- 61 s token is past that after 2 s
    simulator.sleep(2.2)
    local out, err, code = proc.run(env .. "bin/cwa count computers </dev/null")
    assert.are.equal(0, code, err)
    assert.are.equal("5\n", out)
    assert.are.equal(2, sim:stats().logins)
    local second = cjson.decode(simulator.read_file(dir .. "/s.json")).sessions[1]
    assert.is_true(second.expires > first.expires)
  end)
end)

describe("prompts in a terminal", function()
  local sim
  setup(function() sim = simulator.start{"--computers", "5"} end)
  teardown(function() sim:stop() end)

  local function session(user)
    return tty.start(UNSET .. "export CWA_CONFIG=/nonexistent/cwa-config.lua CWA_SESSION_FILE=/nonexistent/cwa-sessions.json; "
      .. "bin/cwa --server " .. q(sim.url) .. " -u " .. user .. " --client-id spec "
      .. "count computers; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?echo' | sed 's/^/ECHO=/'",
      {width = 120, height = 20})
  end

  -- tech's session at the 2FA prompt, the password typed
  local function at_2fa_prompt()
    local t = session("tech")
    t:wait_for("Password for tech:")
    t:type("tech-pass")
    t:keys("Enter")
    t:wait_for("Two-factor code for tech:")
    return t
  end

  it("turn echo back on and exit 130 on Ctrl-C at the 2FA prompt", function()
    local t = at_2fa_prompt()
    finally(function() t:stop() end)
    t:type("12")
    t:keys("C-c")
    local screen = t:wait_for("ECHO=")
    assert.truthy(screen:find("EXIT=130", 1, true), screen)
    assert.truthy(screen:find("ECHO=echo", 1, true), screen)
    assert.truthy(screen:find("cwa: interrupted", 1, true), screen)
  end)

  it("take a 2FA code and run the command", function()
    local t = at_2fa_prompt()
    finally(function() t:stop() end)
    t:type("123456")
    t:keys("Enter")
    local screen = t:wait_for("ECHO=")
    assert.truthy(screen:find("\n5\n", 1, true), screen)
    assert.truthy(screen:find("EXIT=0", 1, true), screen)
    assert.is_nil(screen:find("tech-pass", 1, true), screen)
  end)

  it("give the terminal back at the end of input (Ctrl-D) with a usage error", function()
    local t = session("integrator")
    finally(function() t:stop() end)
    t:wait_for("Password for integrator:")
    t:keys("C-d")
    local screen = t:wait_for("ECHO=")
    assert.truthy(screen:find("no password was typed", 1, true), screen)
    assert.truthy(screen:find("EXIT=2", 1, true), screen)
    assert.truthy(screen:find("ECHO=echo", 1, true), screen)
  end)

  it("give the terminal back at the end of input (Ctrl-D) at the 2FA prompt with a usage error", function()
    local t = at_2fa_prompt()
    finally(function() t:stop() end)
    t:keys("C-d")
    local screen = t:wait_for("ECHO=")
    assert.truthy(screen:find("cwa: no two-factor code was typed", 1, true), screen)
    assert.truthy(screen:find("EXIT=2", 1, true), screen)
    assert.truthy(screen:find("ECHO=echo", 1, true), screen)
  end)
end)
