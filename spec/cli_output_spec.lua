-- The output of bin/cwa (issue 16, point 5): the default columns of each
-- resource, -o wide, cells cut only to fit the terminal, --no-headers, rows
-- held back, --fields names no record has, JSON without \/, and colour only
-- on a terminal without NO_COLOR (read through tmux with the escapes).
local simulator = require "support.sim"
local tty = require "support.tty"
local proc = require "support.proc"
local cjson = require "cjson"
local columns = require "cwa.cli.columns"
local format = require "cwa.format"

local q = simulator.shell_quote

local cli_env = require "support.cli_env"

local lines_of = cli_env.lines_of

local function words(line)
  local out = {}
  for w in line:gmatch("%S+") do out[#out + 1] = w end
  return out
end

local function width(s) return utf8.len(s) or #s end

describe("cwa output", function()
  local sim, env, tmpdir

  setup(function()
    sim = simulator.start{"--computers", "1100", "--alerts", "60", "--tickets", "30"}
    tmpdir = cli_env.temp_dir()
    local f = assert(io.open(tmpdir .. "/config.lua", "w"))
    f:write("return {}\n")
    f:close()
    env = cli_env.integrator(sim.url, tmpdir .. "/config.lua")
  end)

  teardown(function()
    if sim then sim:stop() end
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  local function cwa(args)
    return proc.run(env .. "bin/cwa " .. args .. " </dev/null")
  end

  -- bin/cwa in a terminal of `cols` columns; returns the screen (with the
  -- escapes when `escapes`) once the command is done.
  local function on_terminal(args, cols, escapes, prefix)
    local t = tty.start(env .. (prefix or "") .. "bin/cwa " .. args .. "; echo CWA-DONE",
      {width = cols, height = 40})
    local ok, screen = pcall(function()
      t:wait_for("CWA-DONE", 20)
      return t:screen{escapes = escapes}
    end)
    t:stop()
    assert(ok, screen)
    return screen
  end

  describe("default columns", function()
    it("for computers: Id, ComputerName, Client.Name, Status, last contact and OS", function()
      local out, err, code = cwa("computers --limit 5 -o table -q")
      assert.are.equal(0, code, err)
      assert.are.same({"Id", "ComputerName", "Client.Name", "Status", "RemoteAgentLastContact",
        "OperatingSystemName"}, words(lines_of(out)[1]))
      assert.are.equal(7, #lines_of(out))
    end)

    it("for every resource: its id first, every column a field its records have", function()
      local cwa_mod = require "cwa"
      for _, r in ipairs(cwa_mod.RESOURCES) do
        local out, err, code = cwa(r.plural .. " --limit 3 -o table -q")
        assert.are.equal(0, code, r.plural .. ": " .. err)
        local header = words(lines_of(out)[1])
        assert.are.equal(r.id, header[1], r.plural)
        assert.is_true(#header >= 3, r.plural .. ": " .. lines_of(out)[1])
        local recs = {}
        for i, l in ipairs(lines_of((cwa(r.plural .. " --limit 3 -o ndjson")))) do recs[i] = cjson.decode(l) end
        for _, col in ipairs(header) do
          local found = false
          for _, rec in ipairs(recs) do found = found or format.get(rec, col) ~= nil end
          assert.is_true(found, r.plural .. ": no record has the column " .. col)
        end
      end
    end)

    it("for `list` of a resource's path as well, and every field for other paths", function()
      local out = cwa("list /Computers --limit 2 -o table -q")
      assert.are.equal("Id", words(lines_of(out)[1])[1])
      assert.are.equal(6, #words(lines_of(out)[1]))
      out = cwa("list /Computers/1/Software --limit 2 -o table -q")
      assert.is_nil(lines_of(out)[1]:find("ComputerName", 1, true))
    end)

    it("take the first name of a column that the records have", function()
      assert.are.same({"Id", "OS"}, columns.defaults("computers", {{Id = 1, OS = "x"}}))
      assert.are.same({"AlertId", "Severity.Name"},
        columns.defaults("alerts", {{AlertId = 1, Severity = {Id = 3, Name = "Warning"}}}))
      assert.is_nil(columns.defaults("computers", {{Other = 1}}))
    end)

    it("give way to --fields", function()
      local out = cwa("computers --fields Id,Type --limit 2 -o table -q")
      assert.are.same({"Id", "Type"}, words(lines_of(out)[1]))
    end)
  end)

  describe("-o wide", function()
    it("shows every field, none cut, however long the lines", function()
      local wide = cwa("computers --limit 3 -o wide -q")
      local header = words(lines_of(wide)[1])
      local rec = cjson.decode(lines_of((cwa("computers --limit 1 -o ndjson")))[1])
      local expected = format.columns({rec}, {flatten = true})
      assert.are.same(expected, header)
      assert.is_nil(wide:find("…", 1, true))
      assert.is_nil(wide:find("hidden", 1, true))
      assert.truthy(wide:find(rec.SerialNumber, 1, true))
    end)

    it("is the same as --format wide and is a choice in --help", function()
      local a = cwa("groups --limit 2 -o wide -q")
      local b = cwa("groups --limit 2 --format wide -q")
      assert.are.equal(a, b)
      local help = cwa("--help")
      assert.truthy(help:find("wide", 1, true))
    end)
  end)

  describe("cells", function()
    it("are whole when the terminal is wide enough (no cut at 40 characters)", function()
      local long = string.rep("y", 70)
      local text = format.table({{Id = 1, Note = long}}, {width = 160, max_cell = math.huge})
      assert.truthy(text:find(long, 1, true))
      local screen = on_terminal("computers --limit 8 -q", 120)
      local ls = lines_of(screen)
      assert.are.equal("Id", words(ls[1])[1])
      assert.is_nil(screen:find("…", 1, true), screen)
      assert.truthy(screen:find("Microsoft Windows Server 2022 Standard x64", 1, true), screen)
    end)

    it("are cut to fit a narrow terminal, the widest first, with an ellipsis", function()
      local screen = on_terminal("computers --limit 8 -q", 72)
      local ls = lines_of(screen)
      for _, l in ipairs(ls) do assert.is_true(width(l) <= 72, l) end
      assert.truthy(screen:find("…", 1, true), screen)
      -- Id and Status are narrow: never cut
      assert.truthy(screen:find("\n 1  ", 1, true), screen)
      assert.truthy(screen:find("Offline", 1, true), screen)
    end)
  end)

  describe("--no-headers", function()
    it("leaves the header and separator out of the default table and of csv", function()
      local with = lines_of((cwa("computers --limit 3 -o table -q")))
      local without = lines_of((cwa("computers --limit 3 -o table --no-headers -q")))
      assert.are.equal(#with - 2, #without)
      assert.are.equal(with[3], without[1])
      local csv = lines_of((cwa("clients --limit 2 -o csv --no-headers")))
      assert.are.equal(2, #csv)
      assert.truthy(csv[1]:match("^1,"))
    end)
  end)

  describe("rows held back", function()
    it("are counted with the flag that writes them all, and that flag writes them", function()
      local out, err, code = cwa("computers -o table -q")
      assert.are.equal(0, code, err)
      local last = lines_of(out)[#lines_of(out)]
      assert.are.equal("... and 100 more (-o csv or -o ndjson writes every record)", last)
      local all = lines_of((cwa("computers -o ndjson")))
      assert.are.equal(1100, #all)
      local csv = lines_of((cwa("computers -o csv --fields Id")))
      assert.are.equal(1101, #csv)
    end)
  end)

  describe("--fields names no record has", function()
    it("draw a warning on stderr with a did-you-mean, the output as before", function()
      local out, err, code = cwa("computers --fields Id,ComputerNme --limit 2 -o csv")
      assert.are.equal(0, code)
      assert.are.equal("cwa: warning: no record has the field 'ComputerNme' (did you mean 'ComputerName'?)\n", err)
      assert.are.equal(3, #lines_of(out))
    end)

    it("without a guess when nothing is near, in every format, for one record too", function()
      local _, err = cwa("computers --fields Id,Zzzzqqq --limit 2 -o ndjson")
      assert.are.equal("cwa: warning: no record has the field 'Zzzzqqq'\n", err)
      _, err = cwa("clients 1 --fields Id,Nmae -o table")
      assert.truthy(err:find("no record has the field 'Nmae' (did you mean 'Name'?)", 1, true), err)
      _, err = cwa("list /Computers --fields Id,Statu --limit 1 -o json")
      assert.truthy(err:find("'Statu' (did you mean 'Status'?)", 1, true), err)
    end)

    it("draw nothing when every name is found, nor for fields a record has as null", function()
      local _, err, code = cwa("computers --fields Id,ComputerName,Client --limit 3 -o table -q")
      assert.are.equal(0, code)
      assert.are.equal("", err)
      local seen = columns.tracker({"Comment"}, "computers")
      seen:add({Id = 1, Comment = cjson.null})
      assert.are.same({}, seen:missing(1))
    end)

    it("guesses by edit distance, case folded", function()
      assert.are.equal("ComputerName", columns.closest("computername", {"Id", "ComputerName"}))
      assert.are.equal("Status", columns.closest("Stauts", {"Id", "Status", "State"}))
      assert.is_nil(columns.closest("Xyzzy", {"Id", "Status"}))
    end)
  end)

  describe("JSON", function()
    it("does not escape / in json, ndjson and cwa.format.json, and keeps \\\\/ apart", function()
      for _, kind in ipairs{"json", "ndjson"} do
        local out, _, code = cwa("clients --limit 3 -o " .. kind)
        assert.are.equal(0, code)
        assert.truthy(out:find('"https://www.', 1, true), out)
        assert.is_nil(out:find("\\/", 1, true))
      end
      assert.are.equal('{"u":"a/b"}', format.json({u = "a/b"}))
      local tricky = "C:\\/x \\\\/ /"
      assert.are.equal(tricky, cjson.decode(format.json(tricky)))
      assert.are.equal(tricky, cjson.decode(require("cwa.json").string(tricky)))
      assert.are.equal('"a\\\\/b"', require("cwa.json").string("a\\/b"))
    end)
  end)

  describe("colour", function()
    local ESC = "\27%["

    it("marks Online green and Offline red on a terminal", function()
      local screen = on_terminal("computers --limit 6 -q", 120, true)
      assert.truthy(screen:find(ESC .. "32mOnline"), screen)
      assert.truthy(screen:find(ESC .. "31mOffline"), screen)
      -- the padding after a cell is not coloured: the next column stays in place
      local plain = on_terminal("computers --limit 6 -q", 120)
      assert.truthy(plain:find("Offline  20", 1, true), plain)
    end)

    it("is never written with NO_COLOR (even empty) or into a pipe", function()
      local screen = on_terminal("computers --limit 6 -q", 120, true, "NO_COLOR= ")
      assert.truthy(screen:find("Online", 1, true), screen)
      assert.is_nil(screen:find(ESC .. "3%dm"), screen)
      local out = cwa("computers --limit 6 -o table -q")
      assert.is_nil(out:find("\27", 1, true))
    end)

    it("marks severities and failures", function()
      assert.are.equal("31", columns.colour("Severity", 5))
      assert.are.equal("33", columns.colour("Severity", 3))
      assert.is_nil(columns.colour("Severity", 1))
      assert.are.equal("31", columns.colour("Severity.Name", "Critical"))
      assert.are.equal("31", columns.colour("Status", "NotLaunched"))
      assert.are.equal("31", columns.colour("Status", "Failed"))
      assert.are.equal("32", columns.colour("Status", "Completed"))
      assert.is_nil(columns.colour("ComputerName", "Offline"))
      local screen = on_terminal("alerts --where 'Severity = 5' --limit 5 -q", 140, true)
      assert.truthy(screen:find(ESC .. "31m5"), screen)
    end)
  end)
end)
