-- `cwa shell` in a real terminal (tmux): help, Tab completion (lua-readline),
-- history under XDG_STATE_HOME, Ctrl-C at the prompt and during a call, the
-- banner; and piped: escaped scalars. shell.complete on its own.
local simulator = require "support.sim"
local tty = require "support.tty"
local shell = require "cwa.shell"

local q = simulator.shell_quote

local function has_readline()
  return (pcall(require, "readline"))
end

describe("cwa shell", function()
  local sim, tmpdir

  setup(function()
    sim = simulator.start{"--computers", "3000", "--latency-ms", "100"}
    tmpdir = os.tmpname()
    os.remove(tmpdir)
    assert(os.execute("mkdir -p " .. q(tmpdir)))
  end)

  teardown(function()
    if sim then sim:stop() end
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  local function env(password)
    local build = os.getenv("CWA_BUILD") or "build"
    return "unset COLUMNS CWA_FORMAT CONNECTWISE_AUTOMATE_USER CONNECTWISE_AUTOMATE_PASS; export CWA_BUILD="
      .. q(build) .. " CWA_CONFIG=/nonexistent/cwa.lua XDG_STATE_HOME=" .. q(tmpdir .. "/state")
      .. " CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=" .. q(password or "integrator-pass")
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
  end

  -- Runs body(t) with `cwa shell` in a terminal; the terminal is stopped after.
  local function in_shell(body, password, width)
    local t = tty.start(env(password) .. "bin/cwa shell; echo EXIT=$?", {width = width or 120, height = 90})
    local ok, err = pcall(body, t)
    t:stop()
    assert(ok, err)
  end

  -- Clears the screen between steps, so each wait sees only new text.
  local function clear(t)
    t:keys("C-l")
    os.execute("sleep 0.2")
  end

  it("says connected once logged in, and lists functions and methods with help", function()
    in_shell(function(t)
      t:wait_for("`client` is connected to " .. sim.url .. " as integrator")
      t:type("help")
      t:keys("Enter")
      local screen = t:wait_for("Ctrl-D")
      assert.truthy(screen:find("\n  cwa.new +Makes a client%."), screen)
      assert.truthy(screen:find("\n  client:computers +Iterates over the computers"), screen)
      assert.truthy(screen:find("\n  client:get +GET path"), screen)
      assert.truthy(screen:find("Ctrl-C cancels the line or the call in progress", 1, true), screen)
      clear(t)
      t:type("help(client)")
      t:keys("Enter")
      screen = t:wait_for("client:token")
      assert.truthy(screen:find("Methods of client:", 1, true), screen)
      assert.is_nil(screen:find("cwa.new", 1, true))
      -- one line each: no row is a continuation
      for row in screen:gmatch("[^\n]+") do
        assert.truthy(row:match("^  client:[%w_]+ ") or row:match("^cwa>") or row:match("^Methods"), row)
      end
    end)
  end)

  it("says not logged in when the login failed, and goes on", function()
    in_shell(function(t)
      local screen = t:wait_for("cwa>")
      assert.truthy(screen:find("`client` is not logged in: ", 1, true), screen)
      assert.is_nil(screen:find("is connected", 1, true))
      t:type("1 + 1")
      t:keys("Enter")
      t:wait_for("\n2\n")
    end, "wrong-password")
  end)

  it("completes globals, methods and record fields with Tab", function()
    if not has_readline() then
      pending("lua-readline is not installed")
      return
    end
    in_shell(function(t)
      t:wait_for("cwa>")
      t:type("rec = client:computer(1)")
      t:keys("Enter")
      clear(t)
      t:type("rec.Compu")
      t:keys("Tab")
      t:wait_for("cwa> rec.ComputerName")
      t:keys("Enter")
      t:wait_for("\nACME-WS0001")
      clear(t)
      t:type("client:coun")
      t:keys("Tab")
      t:type('("/Clients")')
      t:keys("Enter")
      t:wait_for('cwa> client:count("/Clients")\n40')
      clear(t)
      t:type("form")
      t:keys("Tab")
      t:type(".escape('x')")
      t:keys("Enter")
      t:wait_for("cwa> format.escape('x')\nx")
    end)
  end)

  it("cancels the line or the call on Ctrl-C and goes on; Ctrl-D quits; history once a line, 0600", function()
    local path = tmpdir .. "/state/cwa/history"
    os.remove(path)
    in_shell(function(t)
      t:wait_for("cwa>")
      t:type("this is not lua")
      t:keys("C-c")
      t:wait_for("^C\ncwa>")
      t:type("6 * 7")
      t:keys("Enter")
      t:wait_for("\n42\n")
      -- 150 pages at 100 ms: a call long enough to interrupt, twice (lua.c's
      -- handler resets itself after one Ctrl-C)
      for _ = 1, 2 do
        clear(t)
        t:type('#client:list("/Computers", {page_size = 20})')
        t:keys("Enter")
        os.execute("sleep 1")
        t:keys("C-c")
        t:wait_for("interrupted\ncwa>")
      end
      clear(t)
      t:type('client:count("/Clients")')
      t:keys("Enter")
      t:wait_for("\n40\n")
      t:keys("C-d")
      t:wait_for("EXIT=0")
    end)
    local f = assert(io.open(path, "r"))
    local lines = {}
    for line in f:lines() do lines[#lines + 1] = line end
    f:close()
    assert.are.same({"6 * 7", '#client:list("/Computers", {page_size = 20})', 'client:count("/Clients")'}, lines)
    local p = assert(io.popen("stat -c %a " .. q(path)))
    assert.are.equal("600", p:read("l"))
    p:close()
  end)

  it("prints strings with their control characters escaped", function()
    local out, err, code = require("support.proc").run(env() .. "printf '%s\\n' "
      .. q([["a\27[2Jb"]]) .. " " .. q([[client:computer(1).ComputerName .. "\7"]]) .. " | bin/cwa shell")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("^a\\x1b%[2Jb\n"), out)
    assert.truthy(out:find("\n%u+%-WS%d+\\x07\n"), out)
  end)
end)

describe("cwa.shell.complete", function()
  local Thing = {__index = {run = function() end, size = 3}}
  local env = setmetatable({client = setmetatable({_core = {}, page_size = 5}, Thing),
    rec = {ComputerName = "A", Client = {Name = "B"}}}, {__index = _G})

  it("completes globals and keywords", function()
    local names = shell.complete(env, "cli")
    assert.are.same({"client"}, names)
    assert.truthy(table.concat(shell.complete(env, "fun"), " "):find("function", 1, true))
    assert.are.same({"string"}, shell.complete(env, "strin"))
  end)

  it("completes methods after : and fields after ., through __index tables, without private ones", function()
    assert.are.same({"client:run"}, shell.complete(env, "client:"))
    assert.are.same({"client.page_size", "client.run", "client.size"}, shell.complete(env, "client."))
    assert.are.same({"client._core"}, shell.complete(env, "client._"))
    assert.are.same({"rec.Client.Name"}, shell.complete(env, "rec.Client.N"))
    assert.are.same({}, shell.complete(env, "nothing.here"))
  end)

  it("puts the history under XDG_STATE_HOME, else ~/.local/state", function()
    local function getenv(t) return function(k) return t[k] end end
    assert.are.equal("/s/cwa/history", shell.history_path(getenv{XDG_STATE_HOME = "/s", HOME = "/h"}))
    assert.are.equal("/h/.local/state/cwa/history", shell.history_path(getenv{HOME = "/h"}))
    assert.are.equal("/h/.local/state/cwa/history", shell.history_path(getenv{XDG_STATE_HOME = "rel", HOME = "/h"}))
    assert.is_nil(shell.history_path(getenv{}))
  end)
end)
