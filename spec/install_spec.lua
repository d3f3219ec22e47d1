-- Installed copies of `cwa` run with no environment set up: `make install
-- PREFIX=P` and the README's `luarocks make` into a tree T, each run as
-- `env -i PATH=/usr/bin:/bin P/bin/cwa ...` (no LUA_PATH, no `luarocks path`,
-- no HOME), from another directory, by a relative path and through PATH.
-- The README's rock commands must end without a "Missing dependencies"
-- warning. Each install builds the module again: tagged slow. Last, the
-- LDoc pages (config.ld) show the variable names as written.
local q = require("support.sim").shell_quote
local run = require("support.proc").run

-- Under `make sanitize` the sanitizer runtimes must stay preloaded; they set
-- up no Lua paths, so the environment is still bare for what is tested here.
local function kept(name)
  local v = os.getenv(name)
  return (v and v ~= "") and (name .. "=" .. q(v) .. " ") or ""
end
local function bare(path)
  return "env -i PATH=" .. path .. " " .. kept("LD_PRELOAD") .. kept("ASAN_OPTIONS") .. kept("UBSAN_OPTIONS")
end
local BARE = bare("/usr/bin:/bin")

local function read(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("a")
  f:close()
  return text
end

local function version()
  local env = {}
  local p = assert(io.popen("ls cwa-*.rockspec"))
  local name = p:read("l")
  p:close()
  assert(loadfile(name, "t", env))()
  return env.version:match("^(.*)%-%d+$")
end

-- The README's block of rock commands, comments cut.
local function readme_rock_commands()
  local block
  for b in read("README.md"):gmatch("```sh\n(.-)```") do
    if b:find("rocks_provided", 1, true) then block = b end
  end
  assert(block, "README.md has no sh block with the rock commands")
  local lines = {}
  for line in block:gmatch("[^\n]+") do
    lines[#lines + 1] = (line:gsub("%s*#.*$", ""))
  end
  return lines
end

describe("installed cwa #slow", function()
  local tmp, here

  setup(function()
    tmp = os.tmpname()
    os.remove(tmp)
    assert(os.execute("mkdir -p " .. q(tmp)))
    here = assert(io.popen("pwd")):read("l")
  end)

  teardown(function()
    if tmp then os.execute("rm -rf " .. q(tmp)) end
  end)

  -- The commands every install must pass; bin is the installed bin/ directory.
  local function check_runs(bin)
    local v = version()
    local out, err, code = run("cd / && " .. BARE .. q(bin .. "/cwa") .. " --version")
    assert.are.same({"cwa " .. v .. "\n", "", 0}, {out, err, code})
    out, err, code = run("cd / && " .. BARE .. q(bin .. "/cwa")
      .. " check-condition \"Status = 'Online' and Client.Id in (1, 2)\"")
    assert.are.same({"ok\n", "", 0}, {out, err, code})
    out, err, code = run("cd " .. q(bin) .. " && " .. BARE .. "./cwa --version")
    assert.are.same({"cwa " .. v .. "\n", "", 0}, {out, err, code})
    out, err, code = run("cd / && " .. bare(q(bin) .. ":/usr/bin:/bin") .. "cwa completion --profiles")
    assert.are.same({"", "", 0}, {out, err, code})
  end

  -- A copy of the source tree (what git tracks and does not ignore): the
  -- rock builds in its own directory, never in the shared build/.
  local function source_copy(dir)
    assert(os.execute("mkdir -p " .. q(dir)))
    local files = os.execute("git rev-parse --is-inside-work-tree >/dev/null 2>&1")
      and "git ls-files -z --cached --others --exclude-standard | "
        .. "xargs -0 sh -c 'for f; do [ -e \"$f\" ] && printf \"%s\\0\" \"$f\"; done; true' sh | "
        .. "tar -cf - --no-recursion --null -T -"
      or "tar -cf - --exclude='./build*' --exclude=./docs ."
    local ok = os.execute(files .. " | (cd " .. q(dir) .. " && tar -xf -)")
    assert.is_true(ok == true, "could not copy the source tree")
  end

  it("make install PREFIX=P: P/bin/cwa finds P's modules", function()
    local prefix = tmp .. "/prefix"
    local build = os.getenv("CWA_BUILD") or "build"
    local out, err, code = run(("make -s BUILD=%s install PREFIX=%s"):format(q(build), q(prefix)))
    assert.are.equal(0, code, out .. err)
    check_runs(prefix .. "/bin")
  end)

  it("the README's luarocks commands: T/bin/cwa finds T's modules, no warning at the end", function()
    local src, tree, home = tmp .. "/src", tmp .. "/tree", tmp .. "/home"
    source_copy(src)
    assert(os.execute("mkdir -p " .. q(home)))
    local commands = readme_rock_commands()
    assert.is_true(#commands >= 1)
    local last
    for _, c in ipairs(commands) do
      if c:find(" make") then c = c .. " --tree=" .. q(tree) end
      local out, err, code = run("cd " .. q(src) .. " && export HOME=" .. q(home) .. " && " .. c)
      assert.are.equal(0, code, c .. "\n" .. out .. err)
      last = out .. err
    end
    assert.truthy(last:find("is now installed in", 1, true), last)
    assert.falsy(last:find("Missing dependencies", 1, true), last)
    check_runs(tree .. "/bin")
  end)

  it("luarocks make --deps-mode=none: its wrapper adds no tree paths, T/bin/cwa still runs", function()
    local src, tree, home = tmp .. "/src-none", tmp .. "/tree-none", tmp .. "/home-none"
    source_copy(src)
    assert(os.execute("mkdir -p " .. q(home)))
    local out, err, code = run("cd " .. q(src) .. " && HOME=" .. q(home)
      .. " luarocks --lua-version=5.4 make --deps-mode=none --tree=" .. q(tree))
    assert.are.equal(0, code, out .. err)
    -- what the README says this warning is
    assert.truthy(out:find("Missing dependencies for cwa", 1, true), out)
    assert.truthy(read("README.md"):find("Missing dependencies for cwa", 1, true))
    assert.falsy(read(tree .. "/bin/cwa"):find(tree .. "/share", 1, true))
    check_runs(tree .. "/bin")
    -- no installed file names a source tree (grep exits 1 on no match)
    for _, dir in ipairs{here, src} do
      assert.are.equal("", (run(("grep -r -l -a -F %s %s"):format(q(dir), q(tree)))))
    end
  end)
end)

describe("LDoc pages", function()
  -- the interpreter .ci/docs picks: Debian's markdown.lua is for Lua 5.1
  local function ldoc_lua()
    for _, v in ipairs{"5.1", "5.2", "5.3", "5.4"} do
      if os.execute("lua" .. v .. " -e 'require \"ldoc.markup\"; require \"markdown\"' >/dev/null 2>&1") then
        return "lua" .. v
      end
    end
  end

  it("show the variable names with their underscores, and keep real emphasis", function()
    local lua = ldoc_lua()
    if not lua then
      pending("LDoc or lua-markdown is not installed (make docs installs them)")
      return
    end
    local dir = os.tmpname()
    os.remove(dir)
    finally(function() os.execute("rm -rf " .. q(dir)) end)
    local out, err, code = run(lua .. " \"$(command -v ldoc)\" -d " .. q(dir) .. " .")
    assert.are.equal(0, code, out .. err)
    local page = read(dir .. "/modules/cwa.env.html")
    local names = 0
    for suffix in read("lua/cwa/env.lua"):gmatch('P %.%. "([%u%d_]+)"') do
      names = names + 1
      assert.truthy(page:find("CONNECTWISE_AUTOMATE_" .. suffix, 1, true), "CONNECTWISE_AUTOMATE_" .. suffix)
    end
    assert.is_true(names >= 10, "env.lua names " .. names .. " variables")
    assert.truthy(page:find("CONNECTWISE_AUTOMATE_* environment", 1, true))
    local p = assert(io.popen("cat " .. q(dir) .. "/modules/*.html " .. q(dir) .. "/classes/*.html"))
    local all = p:read("a")
    p:close()
    -- an underscore read as emphasis leaves a tag glued to a name
    assert.falsy(all:match("%w<em>") or all:match("</em>[%w*]"), all:match(".?.?.?.?.?.?.?.?%w<em>.?.?.?.?.?.?.?.?"))
    assert.truthy(all:find("<em>optional</em>", 1, true))
  end)
end)
