-- Profiles (issue 16.2): cwa config list | show | use, the order flags,
-- --profile, environment, default profile (a default never overrides a set
-- CONNECTWISE_AUTOMATE_SERVER), and a bad profile that blocks no other.
local simulator = require "support.sim"
local proc = require "support.proc"
local cjson = require "cjson"

local q = simulator.shell_quote
local _ -- results a test ignores

local cli_env = require "support.cli_env"
local UNSET = cli_env.UNSET

describe("cwa config", function()
  local sim, other, dir, config

  setup(function()
    sim = simulator.start{"--computers", "12"}
    other = simulator.start{"--computers", "7"}
    dir = cli_env.temp_dir()
    config = dir .. "/config.lua"
  end)
  teardown(function()
    if sim then sim:stop() end
    if other then other:stop() end
    if dir then os.execute("rm -rf " .. q(dir)) end
  end)

  local function write_config(default)
    local f = assert(io.open(config, "w"))
    f:write(([[
-- my profiles
return {
  default_profile = %q,
  profiles = {
    lab = {server = %q, username = "integrator", client_id = "spec", password_env = "LAB_PW"},
    other = {server = %q, username = "integrator", client_id = "spec", password_env = "LAB_PW"},
    broken = {server = "x.example.com", password = "in-clear"},
  },
}
]]):format(default, sim.url, other.url))
    f:close()
    os.execute("chmod 640 " .. q(config))
  end

  local function cwa(args, env)
    return proc.run(UNSET .. "export CWA_CONFIG=" .. q(config) .. " CWA_SESSION_FILE=" .. q(dir .. "/s.json")
      .. " LAB_PW=integrator-pass; " .. (env or "") .. "bin/cwa " .. args .. " </dev/null")
  end

  it("lists the profiles with the default marked, a bad one as a line of its own", function()
    write_config("lab")
    local out, err, code = cwa("config list")
    assert.are.equal(0, code, err)
    local lines = {}
    for line in out:gmatch("[^\n]+") do lines[#lines + 1] = line end
    assert.are.equal(4, #lines, out)
    assert.truthy(lines[1]:find("NAME", 1, true))
    assert.truthy(lines[2]:find("^  broken  %(cannot be used: stores 'password' in clear"), out)
    assert.truthy(lines[3]:find("^%* lab +" .. sim.url:gsub("%p", "%%%0") .. "  integrator$"), out)
    assert.truthy(lines[4]:find("^  other "), out)
    assert.is_nil(out:find("in-clear", 1, true))
    local rows = {}
    for line in cwa("config list --format ndjson"):gmatch("[^\n]+") do rows[#rows + 1] = cjson.decode(line) end
    assert.are.equal("broken", rows[1].name)
    assert.truthy(rows[1].fault)
    assert.is_true(rows[2].default)
  end)

  it("shows a profile without secrets, and the bad one's fault only when asked for", function()
    write_config("lab")
    local out, err, code = cwa("config show")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("^lab %(default%):\n"), out)
    assert.truthy(out:find("password_env +LAB_PW\n"), out)
    assert.is_nil(out:find("integrator-pass", 1, true))
    out = cwa("config show other")
    assert.truthy(out:find(other.url, 1, true), out)
    _, err, code = cwa("config show broken")
    assert.are.equal(2, code)
    assert.truthy(err:find("in clear", 1, true), err)
    assert.is_nil(err:find("in-clear", 1, true))
    _, err, code = cwa("config show nope")
    assert.are.equal(2, code)
    assert.truthy(err:find("no profile 'nope'", 1, true), err)
  end)

  it("makes a profile the default by rewriting default_profile, keeping the rest and the mode", function()
    write_config("lab")
    local out, err, code = cwa("config use other")
    assert.are.equal(0, code, err)
    assert.truthy(out:find("Default profile: other", 1, true), out)
    local text = simulator.read_file(config)
    assert.truthy(text:find('default_profile = "other"', 1, true))
    assert.truthy(text:find("-- my profiles", 1, true))
    local p = io.popen("stat -c %a " .. q(config))
    assert.are.equal("640", p:read("l"))
    p:close()
    assert.are.equal("7\n", (cwa("count computers")))
    _, err, code = cwa("config use nope")
    assert.are.equal(2, code)
    assert.truthy(err:find("profiles: broken, lab, other", 1, true), err)
    assert.are.equal(text, simulator.read_file(config))
    -- a file without the line gets one
    local f = assert(io.open(config, "w"))
    f:write(("return {profiles = {lab = {server = %q, username = \"integrator\", client_id = \"spec\", "
      .. "password_env = \"LAB_PW\"}}}"):format(sim.url))
    f:close()
    assert.are.equal(0, select(3, cwa("config use lab")))
    assert.are.equal("12\n", (cwa("count computers")))
  end)

  it("takes flags, then --profile, then the environment, then the default profile", function()
    write_config("lab")
    local env_other = "export CONNECTWISE_AUTOMATE_SERVER=" .. q(other.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass"
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
    -- default profile alone
    assert.are.equal("12\n", (cwa("count computers")))
    -- a set server wins over the default profile, with a note naming it
    local out, err, code = cwa("count computers", env_other)
    assert.are.equal(0, code, err)
    assert.are.equal("7\n", out)
    assert.truthy(err:find("default profile 'lab'", 1, true), err)
    assert.truthy(err:find("--profile lab", 1, true), err)
    -- an explicit --profile wins over the environment
    out, err = cwa("--profile lab count computers", env_other)
    assert.are.equal("12\n", out, err)
    assert.are.equal("", err)
    -- a flag wins over the profile
    out = cwa("--profile lab --server " .. q(other.url) .. " count computers")
    assert.are.equal("7\n", out)
  end)

  it("uses the other profiles when one is bad, and reports the bad one when it is used", function()
    write_config("broken")
    local out, err, code = cwa("--profile lab count computers")
    assert.are.equal(0, code, err)
    assert.are.equal("12\n", out)
    _, err, code = cwa("count computers")
    assert.are.equal(2, code)
    assert.truthy(err:find("profile 'broken' stores 'password' in clear", 1, true), err)
  end)
end)
