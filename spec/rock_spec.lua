-- Packaging: one version everywhere, and a rock that installs and loads on
-- its own (.ci/rock-check builds it from a clean copy of the tree, packs it,
-- installs the packed rock into a fresh tree and loads it from there only).

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

-- The rockspec is Lua assigning globals: run it in an empty environment.
local function rockspec()
  local names = {}
  local p = io.popen("ls cwa-*.rockspec 2>/dev/null")
  for line in p:read("a"):gmatch("[^\n]+") do names[#names + 1] = line end
  p:close()
  assert(#names == 1, "expected exactly one cwa-*.rockspec, found " .. #names)
  local env = {}
  assert(loadfile(names[1], "t", env))()
  return env, names[1]
end

describe("version", function()
  local spec, file = rockspec()
  local version = spec.version:match("^(%d+%.%d+%.%d+)%-%d+$")

  it("is a semantic version with a rockspec revision", function()
    assert.is_string(version, "rockspec version " .. tostring(spec.version))
    assert.are.equal("cwa-" .. spec.version .. ".rockspec", file)
    assert.are.equal("cwa", spec.package)
  end)

  it("is the same in the rockspec, cwa.core._VERSION and cwa.VERSION", function()
    local core = require "cwa.core"
    local cwa = require "cwa"
    assert.are.equal(version, core._VERSION)
    assert.are.equal(version, cwa.VERSION)
    assert.are.equal("cwa " .. version, cwa._VERSION)
  end)

  it("is the tag the rockspec fetches", function()
    assert.are.equal("v" .. version, spec.source.tag)
  end)

  it("has an entry in CHANGELOG.md", function()
    local changelog = read("CHANGELOG.md")
    local escaped = version:gsub("%.", "%%.")
    assert.truthy(changelog:match("\n## %[" .. escaped .. "%]"),
      "CHANGELOG.md has no '## [" .. version .. "]' heading")
    -- the newest released entry comes first (after Unreleased)
    local first = changelog:match("\n## %[(%d+%.%d+%.%d+)%]")
    assert.are.equal(version, first)
  end)
end)

describe("rockspec", function()
  local spec = rockspec()

  it("declares a Lua dependency for every module the Lua layer requires", function()
    local declared = {}
    for _, d in ipairs(spec.dependencies or {}) do
      declared[d:match("^%s*([%w_.-]+)")] = true
    end
    -- module required -> the rock that provides it
    local rock_of = {cjson = "lua-cjson", argparse = "argparse"}
    local p = io.popen("ls lua/cwa/*.lua bin/cwa 2>/dev/null")
    for path in p:read("a"):gmatch("[^\n]+") do
      for m in read(path):gmatch("require%s*%(?%s*[\"']([%w_.]+)[\"']") do
        local top = m:match("^[^.]+")
        if top ~= "cwa" and rock_of[top] then
          assert.is_true(declared[rock_of[top]] == true,
            path .. " requires '" .. m .. "' but the rockspec does not depend on " .. rock_of[top])
        end
      end
    end
    p:close()
  end)
end)

describe("make install #slow", function()
  local function sh(cmd)
    local p = io.popen(cmd .. " 2>&1")
    local out = p:read("a")
    local ok = p:close()
    return ok, out
  end

  it("installs into PREFIX, loads from there and names no build directory", function()
    local version = rockspec().version:match("^(.*)%-%d+$")
    local tmp = os.tmpname()
    os.remove(tmp)
    assert.is_true(sh("mkdir -p '" .. tmp .. "'"))
    local prefix, build = tmp .. "/prefix", tmp .. "/build"
    local ok, out = sh(("make -s BUILD='%s' install PREFIX='%s'"):format(build, prefix))
    finally(function() sh("rm -rf '" .. tmp .. "'") end)
    assert.is_true(ok, out)

    local share, lib = prefix .. "/share/lua/5.4", prefix .. "/lib/lua/5.4"
    -- the system's copies of the dependencies, and nothing else of the system
    local paths = ("LUA_PATH='%s/?.lua;%s/?/init.lua;/usr/share/lua/5.4/?.lua' " ..
      "LUA_CPATH='%s/?.so;/usr/lib/x86_64-linux-gnu/lua/5.4/?.so;/usr/lib/lua/5.4/?.so' ")
      :format(share, share, lib)
    ok, out = sh("cd / && " .. paths .. "lua5.4 -e 'print(require\"cwa\".VERSION)'")
    assert.is_true(ok, out)
    assert.are.equal(version, (out:gsub("%s+$", "")))
    local bin = io.open(prefix .. "/bin/cwa")
    if bin then
      bin:close()
      ok, out = sh("cd / && " .. paths .. "'" .. prefix .. "/bin/cwa' --version")
      assert.is_true(ok, out)
      assert.truthy(out:find(version, 1, true), out)
    end

    local here = assert(io.popen("pwd")):read("l")
    -- grep exits 1 when nothing matches: only its output counts
    local _, named = sh(("grep -r -l -a -F '%s' '%s'"):format(here, prefix))
    assert.are.equal("", named, "installed files name the build directory " .. here .. ":\n" .. named)
  end)
end)

describe("rock-check #slow", function()
  it("builds, packs, installs and loads the rock from a fresh tree", function()
    local version = rockspec().version:match("^(.*)%-%d+$")
    local p = io.popen("sh .ci/rock-check 2>&1")
    local out = p:read("a")
    local ok, how, code = p:close()
    assert.is_true(ok == true, ("rock-check failed (%s %s):\n%s"):format(how, code, out))
    assert.truthy(out:find('require"cwa".VERSION = ' .. version, 1, true), out)
    assert.truthy(out:find("rock-check: ok " .. version, 1, true), out)
    local bin = io.open("bin/cwa")
    if bin then
      bin:close()
      assert.truthy(out:find("cwa --version = ", 1, true), out)
    end
  end)
end)
