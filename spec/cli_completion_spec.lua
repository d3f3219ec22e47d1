-- `cwa completion bash|zsh|fish`: the scripts complete commands, flags,
-- fixed values, resources and profiles. bash is driven twice: through its
-- completion variables (COMP_WORDS, COMP_CWORD) and in a real terminal
-- (tmux, TAB). zsh and fish are checked only where they are installed.
local q = require("support.sim").shell_quote
local run = require("support.proc").run
local completion = require "cwa.cli.completion"
local argparse = require "argparse"

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

local function have(program)
  return os.execute("command -v " .. program .. " >/dev/null 2>&1") == true
end

describe("cwa completion", function()
  local tmpdir, env

  setup(function()
    tmpdir = os.tmpname()
    os.remove(tmpdir)
    assert(os.execute("mkdir -p " .. q(tmpdir)))
    write_file(tmpdir .. "/config.lua", [[
return { default_profile = "prod",
  profiles = { prod = { server = "automate.example.com" }, ["lab-2"] = { server = "127.0.0.1" } } }]])
    -- the scripts call `cwa` by the name typed: bin/ goes first on PATH
    local here = assert(io.popen("pwd")):read("l")
    env = "export PATH=" .. q(here .. "/bin") .. ":\"$PATH\" CWA_CONFIG=" .. q(tmpdir .. "/config.lua") .. "; "
  end)

  teardown(function()
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  local function cwa(args)
    return run(env .. "cwa " .. args .. " </dev/null")
  end

  -- What bash offers for the words (the last one is being completed), as
  -- the completion function sees them: a sorted list.
  local function offers(script_file, words)
    local quoted = {}
    for i, w in ipairs(words) do quoted[i] = q(w) end
    local out, err, code = run(env .. "bash --norc --noprofile -c " .. q(
      ". " .. q(script_file) .. "\n"
      .. "COMP_WORDS=(" .. table.concat(quoted, " ") .. "); COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n"
      .. "_cwa \"${COMP_WORDS[0]}\" \"${COMP_WORDS[COMP_CWORD]}\" \"${COMP_WORDS[COMP_CWORD-1]}\"\n"
      .. "printf '%s\\n' \"${COMPREPLY[@]}\""))
    assert.are.equal(0, code, err)
    local list = {}
    for line in out:gmatch("[^\n]+") do list[#list + 1] = line end
    table.sort(list)
    return list
  end

  describe("bash", function()
    local file

    setup(function()
      local out, err, code = cwa("completion bash")
      assert.are.equal(0, code, err)
      file = tmpdir .. "/cwa.bash"
      write_file(file, out)
    end)

    it("is valid bash that registers _cwa for cwa", function()
      local _, err, code = run("bash -n " .. q(file))
      assert.are.equal(0, code, err)
      local out = run("bash --norc -c " .. q(". " .. q(file) .. "; complete -p cwa"))
      assert.are.equal("complete -F _cwa cwa\n", out)
    end)

    it("completes the commands, with the resources among them", function()
      assert.are.same({"command", "completion", "computers", "config", "contacts", "count"},
        offers(file, {"cwa", "co"}))
      local all = offers(file, {"cwa", ""})
      for _, name in ipairs{"alerts", "computers", "tickets", "run-script", "check-condition", "shell"} do
        assert.truthy(table.concat(all, " "):find(name, 1, true), name)
      end
    end)

    it("completes a command's flags and the global ones after it", function()
      assert.are.same({"--fields"}, offers(file, {"cwa", "computers", "--fi"}))
      assert.are.same({"--profile", "--progress", "--proxy"}, offers(file, {"cwa", "computers", "--pro"}))
      assert.are.same({"--shell"}, offers(file, {"cwa", "command", "--sh"}))
      -- run-script's flags are not offered to computers
      assert.are.same({}, offers(file, {"cwa", "computers", "--wait"}))
    end)

    it("completes fixed values: formats, dialects, shells, the resources of count", function()
      local formats = {table.unpack(require("cwa.cli.output").FORMATS)}
      table.sort(formats)
      assert.are.same(formats, offers(file, {"cwa", "-o", ""}))
      assert.are.same({"json"}, offers(file, {"cwa", "computers", "--format", "j"}))
      assert.are.same({"apicredentials", "apitoken"}, offers(file, {"cwa", "--auth", "api"}))
      assert.are.same({"powershell"}, offers(file, {"cwa", "command", "--shell", "p"}))
      assert.are.same({"bash", "fish", "zsh"}, offers(file, {"cwa", "completion", ""}))
      assert.are.same({"clients", "computers", "contacts"}, offers(file, {"cwa", "count", "c"}))
      -- count takes one resource
      assert.are.same({}, offers(file, {"cwa", "count", "computers", ""}))
    end)

    it("completes the profiles of the config file, asked at each TAB", function()
      assert.are.same({"lab-2", "prod"}, offers(file, {"cwa", "--profile", ""}))
      assert.are.same({"prod"}, offers(file, {"cwa", "computers", "-p", "pr"}))
      write_file(tmpdir .. "/config.lua", [[return { profiles = { staging = {} } }]])
      finally(function()
        write_file(tmpdir .. "/config.lua", [[
return { profiles = { prod = { server = "automate.example.com" }, ["lab-2"] = {} } }]])
      end)
      assert.are.same({"staging"}, offers(file, {"cwa", "--profile", ""}))
    end)

    it("skips flag values when it looks for the command, and offers nothing for free text", function()
      -- "computers" is the server's name here, not the command
      assert.are.same({"command", "completion", "computers", "config", "contacts", "count"},
        offers(file, {"cwa", "--server", "computers", "co"}))
      assert.are.same({"--limit"}, offers(file, {"cwa", "computers", "--where", "x", "--li"}))
      assert.are.same({}, offers(file, {"cwa", "computers", "--where", ""}))
      assert.are.same({}, offers(file, {"cwa", "run-script", ""}))
    end)

    it("completes file names for --ca-file", function()
      write_file(tmpdir .. "/ca-bundle.pem", "")
      assert.are.same({tmpdir .. "/ca-bundle.pem"}, offers(file, {"cwa", "--ca-file", tmpdir .. "/ca-b"}))
    end)

    it("completes on TAB in an interactive bash", function()
      local tty = require("support.tty").start(env .. "exec bash --norc --noprofile -i", {width = 120})
      finally(function() tty:stop() end)
      tty:type("PS1='$ '; source " .. file .. "; echo loaded\n")
      tty:wait_for("loaded")
      tty:type("cwa comp")
      tty:keys("Tab", "Tab")
      tty:wait_for("completion")
      local screen = tty:wait_for("computers")
      assert.truthy(screen:find("completion%s+computers"), screen)
      tty:keys("C-u")
      tty:type("cwa computers --fi")
      tty:keys("Tab")
      tty:wait_for("cwa computers --fields")
      tty:keys("C-u")
      tty:type("cwa --profile la")
      tty:keys("Tab")
      tty:wait_for("cwa --profile lab-2")
    end)
  end)

  describe("subcommands of commands", function()
    -- a parser of the shape `cwa auth login|status` takes
    local function nested()
      local p = argparse("cwa"):command_target("command")
      p:option("-p --profile", "Profile.")
      local auth = p:command("auth", "Sessions.")
      auth:option("--user", "The user's name.")
      auth:command("login", "Log in."):flag("--web", "In a browser.")
      auth:command("status", "Show the session."):option("--show", "What."):choices{"all", "token"}
      p:command("computers", "List.")
      return p
    end

    it("are completed in bash, each with its parents' flags", function()
      local file = tmpdir .. "/nested.bash"
      write_file(file, completion.script("bash", nested()))
      assert.are.same({"login", "status"}, offers(file, {"cwa", "auth", ""}))
      assert.are.same({"--web"}, offers(file, {"cwa", "auth", "login", "--w"}))
      assert.are.same({"--user"}, offers(file, {"cwa", "auth", "login", "--us"}))
      assert.are.same({"all", "token"}, offers(file, {"cwa", "auth", "status", "--show", ""}))
      -- --user takes a value: "login" after it is that value
      assert.are.same({"login", "status"}, offers(file, {"cwa", "auth", "--user", "login", ""}))
    end)

    it("are conditioned on their parents in fish", function()
      local text = completion.script("fish", nested())
      assert.truthy(text:find("complete -c cwa -n '__fish_seen_subcommand_from auth; and not "
        .. "__fish_seen_subcommand_from login status' -a 'login'", 1, true), text)
      assert.truthy(text:find("-n '__fish_seen_subcommand_from auth; and __fish_seen_subcommand_from login' "
        .. "-l web", 1, true), text)
      -- a quote in a description is escaped
      assert.truthy(text:find("-l user -x -d 'The user\\'s name'", 1, true), text)
    end)
  end)

  describe("--profiles", function()
    it("prints the profile names, sorted, one a line", function()
      write_file(tmpdir .. "/config.lua", [[
return { profiles = { prod = {}, ["lab-2"] = {}, acme = {} } }]])
      local out, err, code = cwa("completion --profiles")
      assert.are.equal(0, code, err)
      assert.are.equal("acme\nlab-2\nprod\n", out)
    end)

    it("prints nothing, and no error, when the config is missing or broken", function()
      write_file(tmpdir .. "/config.lua", "return {")
      local out, err, code = cwa("completion --profiles")
      assert.are.same({"", "", 0}, {out, err, code})
      out, err, code = run(env .. "CWA_CONFIG=" .. q(tmpdir .. "/absent.lua") .. " cwa completion --profiles")
      assert.are.same({"", "", 0}, {out, err, code})
    end)

    it("is not shown in the help", function()
      local out = cwa("completion --help")
      assert.falsy(out:find("--profiles", 1, true), out)
      assert.truthy(out:find("source <(cwa completion bash)", 1, true), out)
    end)
  end)

  it("exits 2 without a shell or with one it does not know", function()
    local _, err, code = cwa("completion")
    assert.are.equal(2, code)
    assert.truthy(err:find("bash, zsh or fish", 1, true), err)
    _, err, code = cwa("completion tcsh")
    assert.are.equal(2, code)
    assert.truthy(err:find("'bash', 'zsh', 'fish'", 1, true), err)
  end)

  describe("zsh", function()
    it("runs the bash function through bashcompinit", function()
      local out, err, code = cwa("completion zsh")
      assert.are.equal(0, code, err)
      assert.truthy(out:find("autoload -U +X bashcompinit && bashcompinit\n", 1, true))
      assert.are.equal("\ncomplete -F _cwa cwa\n", out:sub(-#"\ncomplete -F _cwa cwa\n"))
      -- the part after the bashcompinit line is the bash script's function
      local bash_text = cwa("completion bash")
      assert.are.equal(bash_text:match("\n(_cwa%(%).*)$"), out:match("\n(_cwa%(%).*)$"))
      if not have("zsh") then
        pending("zsh is not installed: its syntax was not checked")
        return
      end
      write_file(tmpdir .. "/cwa.zsh", out)
      local _, zerr, zcode = run("zsh -n " .. q(tmpdir .. "/cwa.zsh"))
      assert.are.equal(0, zcode, zerr)
    end)
  end)

  describe("fish", function()
    it("completes commands, flags, values and profiles", function()
      local out, err, code = cwa("completion fish")
      assert.are.equal(0, code, err)
      assert.truthy(out:find("\ncomplete -c cwa -f\n", 1, true))
      assert.truthy(out:find("complete -c cwa -s p -l profile -x -a '(cwa completion --profiles 2>/dev/null)'", 1, true))
      assert.truthy(out:find("-l format -x -a '" .. table.concat(require("cwa.cli.output").FORMATS, " ") .. "'",
        1, true), out)
      assert.truthy(out:find("-l ca-file -r -F", 1, true))
      assert.truthy(out:find("-n '__fish_seen_subcommand_from computers' -l fields -x", 1, true))
      assert.truthy(out:find("-n '__fish_seen_subcommand_from count' -a 'alerts clients computers", 1, true))
      if not have("fish") then
        pending("fish is not installed: its syntax was not checked")
        return
      end
      write_file(tmpdir .. "/cwa.fish", out)
      local _, ferr, fcode = run("fish -n " .. q(tmpdir .. "/cwa.fish"))
      assert.are.equal(0, fcode, ferr)
    end)
  end)
end)
