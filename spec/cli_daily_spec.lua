-- The `cwa` command as a daily tool (issue 16): what this release does of it.
-- Prompts are typed into a real terminal (tmux); the rest runs bin/cwa as a
-- process against the simulator.
local simulator = require "support.sim"
local tty = require "support.tty"
local proc = require "support.proc"
local format = require "cwa.format"

local q = simulator.shell_quote

local cli_env = require "support.cli_env"
local UNSET = cli_env.UNSET
  .. "export CWA_CONFIG=/nonexistent/cwa-config.lua CWA_SESSION_FILE=/nonexistent/cwa-sessions.json; "

describe("cwa as a daily tool", function()
  local sim, env

  setup(function()
    sim = simulator.start{"--computers", "1100"}
    env = UNSET .. "export CONNECTWISE_AUTOMATE_SERVER=" .. q(sim.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass"
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
  end)

  teardown(function()
    if sim then sim:stop() end
  end)

  local function cwa(args)
    return proc.run(env .. "bin/cwa " .. args .. " </dev/null")
  end

  describe("JSON", function()
    it("writes / as it is and keeps an escaped backslash before a slash", function()
      assert.are.equal('{"a":"https://x/y","b":"a\\\\/b"}', format.json({a = "https://x/y", b = "a\\/b"}))
      assert.are.equal('"\\\\\\"/"', format.json('\\"/'))
    end)

    it("writes URLs unescaped in the CLI's json and ndjson output", function()
      local out, _, code = cwa("get /Computers/1 -o json")
      assert.are.equal(0, code)
      assert.is_nil(out:find("\\/", 1, true))
    end)
  end)

  describe("--no-headers", function()
    it("leaves the header out of csv", function()
      local out, _, code = cwa("computers --fields Id,ComputerName --limit 3 -o csv --no-headers")
      assert.are.equal(0, code)
      local lines = {}
      for l in out:gmatch("[^\n]+") do lines[#lines + 1] = l end
      assert.are.equal(3, #lines)
      assert.truthy(lines[1]:match("^%d+,"))
    end)

    it("leaves the header and separator out of a table", function()
      local out, _, code = cwa("computers --fields Id,ComputerName --limit 3 -o table --no-headers")
      assert.are.equal(0, code)
      assert.is_nil(out:find("ComputerName", 1, true))
      assert.is_nil(out:find("%-%-%-"))
      local n = 0
      for _ in out:gmatch("[^\n]+") do n = n + 1 end
      assert.are.equal(3, n)
    end)
  end)

  describe("tables", function()
    it("announce the rows held back with the flag that writes them all", function()
      local out, _, code = cwa("computers --fields Id -o table")
      assert.are.equal(0, code)
      assert.truthy(out:find("... and 100 more (-o csv or -o ndjson writes every record)", 1, true), out:sub(-200))
    end)

    it("cut cells only to fit the terminal", function()
      local long = string.rep("x", 70)
      local text = format.table({{Id = 1, Note = long}}, {width = 160, max_cell = math.huge})
      assert.truthy(text:find(long, 1, true))
    end)
  end)

  describe("errors", function()
    it("name the flag in their hints", function()
      local _, err, code = proc.run(UNSET .. "export PW=x; bin/cwa --server http://automate.example.invalid "
        .. "-u a --password-env PW computers </dev/null")
      assert.are.equal(2, code)
      assert.truthy(err:find("(use an https:// --server)", 1, true), err)
      assert.is_nil(err:find("allow_http", 1, true))
    end)
  end)

  describe("the password prompt", function()
    local function prompt_session()
      return tty.start(UNSET .. "bin/cwa --server " .. q(sim.url) .. " -u integrator --client-id spec "
        .. "count computers; echo EXIT=$?; stty -a | tr ' ;' '\\n\\n' | grep -x -- '-\\?echo' | sed 's/^/ECHO=/'",
        {width = 120, height = 20})
    end

    it("turns echo back on and exits 130 on Ctrl-C", function()
      local t = prompt_session()
      finally(function() t:stop() end)
      t:wait_for("Password for integrator:")
      t:type("integ")
      t:keys("C-c")
      local screen = t:wait_for("ECHO=")
      assert.truthy(screen:find("EXIT=130", 1, true), screen)
      assert.truthy(screen:find("ECHO=echo", 1, true), screen)
      assert.is_nil(screen:find("integ", 1, true) and screen:find("integ[^r]"), screen)
    end)

    it("reads the password without showing it, then runs the command", function()
      local t = prompt_session()
      finally(function() t:stop() end)
      t:wait_for("Password for integrator:")
      t:type("integrator-pass")
      t:keys("Enter")
      local screen = t:wait_for("ECHO=")
      assert.truthy(screen:find("EXIT=0", 1, true), screen)
      assert.truthy(screen:find("\n1100\n", 1, true), screen)
      assert.is_nil(screen:find("integrator-pass", 1, true), screen)
      assert.truthy(screen:find("ECHO=echo", 1, true), screen)
    end)
  end)
end)
