-- The benchmark peers (bench/peers/*) each run once on a small listing and
-- print the expected line, and once more with BENCH_FIELDS=Id (the ids-only
-- latency table), where every page request must carry includeFields=Id. Timings are `make bench`'s business, not this
-- spec's. A peer whose runtime is not installed is pending, not failed
-- (bench/run.sh installs them; `make deps` does not).
local simlib = require "support.sim"

local q = simlib.shell_quote
local N, PAGE = 250, 100
local EXPECTED = ("count %d unique %d sum %d"):format(N, N, N * (N + 1) // 2)

local function succeeds(cmd)
  return os.execute(cmd .. " >/dev/null 2>&1") == true
end

local function has(cmd) return succeeds("command -v " .. cmd) end

-- The interpreter that can import requests (Debian's is /usr/bin/python3).
local function python_with_requests()
  for _, py in ipairs({"/usr/bin/python3", "python3"}) do
    if succeeds(q(py) .. " -c 'import requests'") then return py end
  end
  return nil
end

local function node_module(name)
  local f = io.open("bench/node_modules/" .. name .. "/package.json")
  if f then f:close() return true end
  return false
end

-- Runs a peer; returns its stdout and stderr.
local function run(cmd, url, env, extra)
  local err = os.tmpname()
  local envs = "env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY NO_PROXY=127.0.0.1"
  for k, v in pairs(env or {}) do envs = envs .. " " .. k .. "=" .. q(v) end
  local p = assert(io.popen(("%s timeout 60 %s %s %d %s 2>%s"):format(envs, cmd, q(url), PAGE, extra or "", err)))
  local out = p:read("a")
  p:close()
  local f = io.open(err)
  local errtext = f and f:read("a") or ""
  if f then f:close() end
  os.remove(err)
  return out, errtext
end

local function first_line(out)
  return (out:match("^([^\n]*)"))
end

local function with_fields(env)
  local t = {BENCH_FIELDS = "Id"}
  for k, v in pairs(env or {}) do t[k] = v end
  return t
end

-- The simulator's "pages" keys are the path and the query (names
-- lower-cased): every one must carry includeFields=Id.
local function assert_ids_only(sim)
  local pages, n = sim:stats().pages or {}, 0
  for key in pairs(pages) do
    n = n + 1
    assert.is_truthy(key:find("[?&]includefields=Id&") or key:find("[?&]includefields=Id$"), key)
  end
  assert.is_true(n > 0, "no page requests counted")
end

describe("bench peers #slow", function()
  local sim

  setup(function()
    sim = simlib.start{"--computers", tostring(N)}
  end)

  teardown(function()
    if sim then sim:stop() end
  end)

  -- timed: the peer also prints "listing SECONDS" (its loop after the login)
  local function check(cmd, env, extra, timed)
    local out, err = run(cmd, sim.url, env, extra)
    assert.are.equal(EXPECTED, first_line(out), err)
    if timed then
      local listing = tonumber(out:match("\nlisting ([%d.]+)\n"))
      assert.is_truthy(listing and listing > 0, out)
    end
    sim:reset()
    out, err = run(cmd, sim.url, with_fields(env), extra)
    assert.are.equal(EXPECTED, first_line(out), err)
    assert_ids_only(sim)
  end

  it("curl CLI with jq in a shell loop", function()
    if not (has("curl") and has("jq")) then return pending("curl or jq is not installed") end
    check("sh bench/peers/curl.sh", nil, nil, true)
  end)

  it("lua-curl with cjson under lua5.2", function()
    if not succeeds("lua5.2 -e 'require \"curl\"; require \"cjson\"'") then
      return pending("lua5.2 with lua-curl and lua-cjson is not installed")
    end
    check("lua5.2 bench/peers/lua_curl.lua", nil, nil, true)
  end)

  it("the cpu floor: one curl handle and cjson under lua5.2", function()
    if not succeeds("lua5.2 -e 'require \"curl\"; require \"cjson\"'") then
      return pending("lua5.2 with lua-curl and lua-cjson is not installed")
    end
    check("lua5.2 bench/peers/floor.lua")
  end)

  it("luasocket with cjson", function()
    if not succeeds("lua5.4 -e 'require \"socket.http\"; require \"cjson\"'") then
      return pending("lua-socket for Lua 5.4 is not installed")
    end
    check("lua5.4 bench/peers/luasocket.lua", nil, nil, true)
  end)

  it("python requests.Session", function()
    local py = python_with_requests()
    if not py then return pending("python3 with requests is not installed") end
    check(q(py) .. " bench/peers/python_requests.py", nil, nil, true)
  end)

  it("node in the common style of Automate integrations", function()
    if not has("node") then return pending("node is not installed") end
    check("node bench/peers/node_common.js", nil, nil, true)
  end)

  it("cwa with its defaults, with options, and in streaming mode", function()
    local out, err = run("lua5.4 bench/peers/cwa.lua", sim.url)
    assert.are.equal(EXPECTED, first_line(out), err)
    assert.is_truthy(out:match("\nlisting [%d.]+\n"), out)
    check("lua5.4 bench/peers/cwa.lua", nil, "concurrency=1 rate_limit=false", true)
    check("lua5.4 bench/peers/cwa.lua", {BENCH_STREAMING = "1"})
  end)

  it("the client:map scenario fetches every item, in the loop and through map", function()
    sim:reset()
    local out, err = run("lua5.4 bench/peers/cwa_map.lua", sim.url)
    -- PAGE is passed as N: ids 1..100, each fetched once by the loop, once by map
    assert.is_truthy(out:match("^sequential [%d.]+\nmap [%d.]+\n"), out .. err)
    assert.are.equal(("ok %d %d"):format(PAGE, PAGE), out:match("\n(ok %d+ %d+)\n"), out .. err)
    local pages = sim:stats().pages
    for id = 1, PAGE do
      assert.are.equal(2, pages["/cwa/api/v1/computers/" .. id .. "/software"], "GETs of computer " .. id)
    end
  end)
end)

describe("bench peer over https #slow", function()
  it("npm connectwise-rest", function()
    if not has("node") then return pending("node is not installed") end
    if not (node_module("connectwise-rest") and node_module("axios")) then
      return pending("bench/node_modules/connectwise-rest is not installed (make bench installs it)")
    end
    local sim = simlib.start{"--computers", tostring(N), "--tls"}
    local ok, out, err = pcall(run, "node bench/peers/connectwise_rest.js", sim.url,
      {NODE_EXTRA_CA_CERTS = sim.ca_file})
    local ok2, out2, err2, ok3, st = false, nil, nil, false, nil
    if ok then
      sim:reset()
      ok2, out2, err2 = pcall(run, "node bench/peers/connectwise_rest.js", sim.url,
        {NODE_EXTRA_CA_CERTS = sim.ca_file, BENCH_FIELDS = "Id"})
      ok3, st = pcall(sim.stats, sim)
    end
    sim:stop()
    assert(ok, out)
    assert.are.equal(EXPECTED, first_line(out), err)
    assert(ok2, out2)
    assert.are.equal(EXPECTED, first_line(out2), err2)
    assert(ok3, st)
    assert_ids_only({stats = function() return st end})
  end)
end)
