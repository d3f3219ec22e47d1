-- bin/cwa run as a process against the simulator: every subcommand, every
-- format (parsed back), exit codes, a bad condition, --profile, the shell.
local simulator = require "support.sim"
local cjson = require "cjson"

local q = simulator.shell_quote
local _ -- placeholder for results a test ignores

local function write_file(path, text)
  local f = assert(io.open(path, "w"))
  f:write(text)
  f:close()
end

-- Variables a developer's shell may have set that would change the answers.
local cli_env = require "support.cli_env"
local UNSET = cli_env.UNSET

local parse_csv = require("support.csv").read

local lines_of = cli_env.lines_of

local function ndjson(text)
  local out = {}
  for i, line in ipairs(lines_of(text)) do out[i] = cjson.decode(line) end
  return out
end

describe("bin/cwa", function()
  local sim, env_prefix, tmpdir

  setup(function()
    sim = simulator.start{"--computers", "300", "--script-ms", "100"}
    tmpdir = cli_env.temp_dir()
    env_prefix = cli_env.integrator(sim.url, tmpdir .. "/none.lua")
  end)

  teardown(function()
    if sim then sim:stop() end
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  -- Runs `bin/cwa <args>` (args is shell text); returns stdout, stderr, exit code.
  -- opts.env: shell text replacing the default environment; opts.input: stdin.
  local function cwa(args, opts)
    opts = opts or {}
    local prefix = opts.env or env_prefix
    local stdin = " </dev/null"
    if opts.input then
      local inp = tmpdir .. "/stdin"
      write_file(inp, opts.input)
      stdin = " <" .. q(inp)
    end
    return require("support.proc").run(prefix .. "bin/cwa " .. args .. stdin)
  end

  describe("basics", function()
    it("prints the version of the module", function()
      local out, _, code = cwa("--version")
      assert.are.equal(0, code)
      local version = require("cwa").VERSION
      assert.are.equal("cwa " .. version .. "\n", out)
    end)

    it("has --help for the tool and for every subcommand, each with an example", function()
      local out, _, code = cwa("--help")
      assert.are.equal(0, code)
      for _, word in ipairs{"computers", "run-script", "check-condition", "--profile", "--format", "Exit codes"} do
        assert.truthy(out:find(word, 1, true), word)
      end
      for _, cmd in ipairs{"computers", "clients", "locations", "contacts", "alerts", "scripts",
          "monitors", "groups", "tickets", "list", "get", "post", "put", "patch", "delete", "count",
          "run-script", "command", "check-condition", "login", "shell"} do
        local help, _, c = cwa(cmd .. " --help")
        assert.are.equal(0, c, cmd)
        assert.truthy(help:find("Example:\n  ", 1, true), cmd)
        assert.truthy(help:find("cwa " .. cmd, 1, true), cmd)
      end
    end)

    it("exits 2 on usage errors, with one line on stderr", function()
      local _, err, code = cwa("frobnicate")
      assert.are.equal(2, code)
      assert.truthy(err:find("unknown command", 1, true))
      assert.are.equal(1, #lines_of(err))
      _, err, code = cwa("computers --limit lots")
      assert.are.equal(2, code)
      assert.truthy(err:find("--limit", 1, true))
      _, _, code = cwa("")
      assert.are.equal(2, code)
      _, err, code = cwa("computers --format xml")
      assert.are.equal(2, code)
      assert.truthy(err:find("format", 1, true))
    end)

    it("exits 2 when no server is configured", function()
      local _, err, code = cwa("computers", {env = UNSET .. "export CWA_CONFIG=/nonexistent; "})
      assert.are.equal(2, code)
      assert.truthy(err:find("no server", 1, true))
      assert.truthy(err:find("CONNECTWISE_AUTOMATE_SERVER", 1, true))
    end)
  end)

  describe("listing", function()
    it("writes ndjson by default when stdout is not a terminal", function()
      local out, err, code = cwa("computers --limit 7 --fields Id,ComputerName,Status")
      assert.are.equal(0, code, err)
      local recs = ndjson(out)
      assert.are.equal(7, #recs)
      for i, r in ipairs(recs) do
        assert.are.equal(i, r.Id)
        assert.is_string(r.ComputerName)
        assert.is_nil(r.OperatingSystemName)
      end
    end)

    it("lists every resource with its options", function()
      local id_fields = {computers = "Id", clients = "Id", locations = "Id", contacts = "Id",
        alerts = "AlertId", scripts = "Id", monitors = "MonitorId", groups = "Id", tickets = "TicketId"}
      for resource, id in pairs(id_fields) do
        local out, err, code = cwa(resource .. " --limit 3 --page-size 2 --order-by " .. q(id .. " desc")
          .. " --format json")
        assert.are.equal(0, code, resource .. ": " .. err)
        local recs = cjson.decode(out)
        assert.are.equal(3, #recs, resource)
        assert.is_true(recs[1][id] > recs[2][id] and recs[2][id] > recs[3][id], resource)
      end
    end)

    it("filters with --where on the server and counts the same records", function()
      local out, err, code = cwa("computers --where \"Status = 'Offline'\" --fields Id,Status --format ndjson")
      assert.are.equal(0, code, err)
      local recs = ndjson(out)
      assert.is_true(#recs > 0)
      for _, r in ipairs(recs) do assert.are.equal("Offline", r.Status) end
      local n, err2, code2 = cwa("count computers --where \"Status = 'Offline'\"")
      assert.are.equal(0, code2, err2)
      assert.are.equal(#recs, tonumber(n))
      local all = cwa("count computers")
      assert.are.equal(300, tonumber(all))
      local by_path = cwa("count /Alerts")
      assert.is_true(tonumber(by_path) > 0)
    end)

    it("writes CSV that parses back, quoting commas and quotes", function()
      local out, err, code = cwa("computers --limit 5 --fields Id,ComputerName,UserAccounts,Client --format csv")
      assert.are.equal(0, code, err)
      local rows = parse_csv(out)
      assert.are.same({"Id", "ComputerName", "UserAccounts", "Client.Id", "Client.Name"}, rows[1])
      assert.are.equal(6, #rows)
      local json = cjson.decode((cwa("computers --limit 5 --fields Id,ComputerName,UserAccounts,Client --format json")))
      for i = 2, 6 do
        local rec = json[i - 1]
        assert.are.equal(string.format("%d", rec.Id), rows[i][1])
        assert.are.equal(rec.ComputerName, rows[i][2])
        assert.are.same(rec.UserAccounts, cjson.decode(rows[i][3]))
        assert.are.equal(rec.Client.Name, rows[i][5])
      end
    end)

    it("writes an aligned table with --format table", function()
      local out, err, code = cwa("clients --limit 3 --fields Id,Name --format table")
      assert.are.equal(0, code, err)
      local lines = lines_of(out)
      assert.are.equal(5, #lines)
      assert.truthy(lines[1]:match("^%s*Id%s+Name$"))
      assert.truthy(lines[2]:match("^%-+%s+%-+$"))
      assert.truthy(lines[3]:match("^%s*1%s+ACME Corporation$"))
    end)

    it("shows one record by id", function()
      local out, err, code = cwa("computers 5 --format json")
      assert.are.equal(0, code, err)
      assert.are.equal(5, cjson.decode(out).Id)
      out = cwa("computers 5 --format table")
      assert.truthy(out:match("^Id:%s+5\n"))
      local _, err2, code2 = cwa("tickets 999999")
      assert.are.equal(1, code2)
      assert.truthy(err2:find("NotFound", 1, true))
    end)

    it("lists any path with list", function()
      local out, err, code = cwa("list /Clients --limit 4 --fields Id")
      assert.are.equal(0, code, err)
      assert.are.equal(4, #ndjson(out))
    end)

    it("rejects a bad condition with exit 2 and its column, before any request", function()
      local before = sim:stats().requests
      local _, err, code = cwa("computers --where \"Status = = 'x'\"")
      assert.are.equal(2, code)
      assert.truthy(err:find("column 10", 1, true), err)
      assert.are.equal(1, #lines_of(err))
      assert.are.equal(before, sim:stats().requests)
      _, err, code = cwa("count alerts --where \"Severity >\"")
      assert.are.equal(2, code)
      assert.truthy(err:find("column", 1, true))
    end)

    it("shows a progress line on request and logs requests with --debug", function()
      local out, err, code = cwa("computers --page-size 50 --limit 200 --fields Id --progress")
      assert.are.equal(0, code, err)
      assert.are.equal(200, #ndjson(out))
      -- counted toward --limit (200), not the server's total
      assert.truthy(err:find("computers: %d+/200 records %(%d+%%%), page %d/4"), err)
      assert.truthy(err:find("\27[K", 1, true))
      _, err = cwa("computers --page-size 50 --limit 200 --fields Id")
      assert.are.equal("", err)
      _, err = cwa("clients --limit 1 --debug")
      assert.truthy(err:find("GET /Clients", 1, true), err)
    end)
  end)

  describe("requests", function()
    it("gets a path with query parameters", function()
      local out, err, code = cwa("get /Computers --query pageSize=3 --query " .. q("orderBy=Id desc") .. " --format json")
      assert.are.equal(0, code, err)
      local recs = cjson.decode(out)
      assert.are.equal(3, #recs)
      assert.are.equal(300, recs[1].Id)
      out = cwa("get /Computers/7 --format ndjson")
      assert.are.equal(7, cjson.decode(out).Id)
    end)

    it("exits 1 on an API error with one line on stderr", function()
      local _, err, code = cwa("get /Nope")
      assert.are.equal(1, code)
      assert.are.equal(1, #lines_of(err))
      assert.truthy(err:find("NotFound", 1, true))
      assert.truthy(err:find("404", 1, true))
    end)

    it("posts, patches and deletes", function()
      local out, err, code = cwa("post /Tickets " .. q('{"Subject":"CLI spec ticket","Status":"New"}') .. " --format json")
      assert.are.equal(0, code, err)
      local ticket = cjson.decode(out)
      assert.are.equal("CLI spec ticket", ticket.Subject)
      local id = math.tointeger(ticket.TicketId or ticket.Id)
      assert.is_not_nil(id)
      _, err, code = cwa("patch /Tickets/" .. id .. " "
        .. q('[{"op":"replace","path":"/Subject","value":"patched"}]') .. " --format json")
      assert.are.equal(0, code, err)
      out = cwa("get /Tickets/" .. id .. " --format json")
      assert.are.equal("patched", cjson.decode(out).Subject)
      _, err, code = cwa("delete /Tickets/" .. id)
      assert.are.equal(0, code, err)
      _, _, code = cwa("get /Tickets/" .. id)
      assert.are.equal(1, code)
    end)

    it("reads the body from stdin and refuses bad JSON with exit 2", function()
      local out, err, code = cwa("post /Tickets - --format json", {input = '{"Subject":"from stdin"}'})
      assert.are.equal(0, code, err)
      assert.are.equal("from stdin", cjson.decode(out).Subject)
      _, err, code = cwa("post /Tickets '{nope'")
      assert.are.equal(2, code)
      assert.truthy(err:find("not valid JSON", 1, true))
    end)

    -- The first n computers of this status, as "id,id".
    local function computers_of(status, n)
      local out, err, code = cwa("computers --where " .. q("Status = '" .. status .. "'")
        .. " --limit " .. n .. " --fields Id --format ndjson")
      assert.are.equal(0, code, err)
      local ids = {}
      for i, rec in ipairs(ndjson(out)) do ids[i] = math.tointeger(rec.Id) end
      assert.are.equal(n, #ids)
      return table.concat(ids, ","), ids
    end

    it("runs a script by name and waits for the results", function()
      local online, ids = computers_of("Online", 2)
      local out, err, code = cwa("run-script " .. online .. " " .. q("Flush DNS Cache")
        .. " note=hi --wait --poll-interval 0.1 --format json")
      assert.are.equal(0, code, err)
      local results = cjson.decode(out)
      assert.are.equal(2, #results)
      assert.are.equal(ids[1], results[1].ComputerId)
      assert.are.equal("Completed", results[1].Status)
      assert.truthy(tostring(results[1].Message):find("note=hi", 1, true))
      _, err, code = cwa("run-script 2 8")
      assert.are.equal(0, code, err)
      -- a name no record has is "not found", as an unknown id (exit 1)
      _, err, code = cwa("run-script 2 " .. q("No Such Script"))
      assert.are.equal(1, code)
      assert.truthy(err:find("no script named", 1, true))
      _, err, code = cwa("run-script 2 8 novalue")
      assert.are.equal(2, code)
      assert.truthy(err:find("name=value", 1, true))
    end)

    it("exits 1 and says so when the server did not launch a script run", function()
      local online = computers_of("Online", 1)
      local offline = computers_of("Offline", 1)
      local out, err, code = cwa("run-script " .. online .. "," .. offline .. " 8"
        .. " --wait --poll-interval 0.1 --wait-timeout 30 --format json")
      assert.are.equal(1, code, err)
      local results = cjson.decode(out)
      assert.are.equal("Completed", results[1].Status)
      assert.are.equal("NotLaunched", results[2].Status)
      assert.truthy(err:find("did not launch 1 of 2", 1, true), err)
      assert.falsy(err:find("did not finish", 1, true), err)
    end)

    it("runs a command and prints its output", function()
      local out, err, code = cwa("command 1 " .. q("ipconfig /all") .. " --poll-interval 0.1")
      assert.are.equal(0, code, err)
      assert.truthy(out:find("ipconfig /all", 1, true), out)
    end)
  end)

  describe("conditions and login", function()
    it("checks a condition", function()
      local out, _, code = cwa("check-condition " .. q("Status = 'Online' and Client.Id in (1, 2)"))
      assert.are.equal(0, code)
      assert.are.equal("ok\n", out)
      local marked, err
      marked, err, code = cwa("check-condition " .. q("Status = = 'x'"))
      assert.are.equal(2, code)
      assert.truthy(err:find("column 10", 1, true))
      assert.are.equal("Status = = 'x'\n         ^\n", marked)
    end)

    it("logs in and prints the expiry, never the token", function()
      local token = require("cwa").new{server = sim.url, username = "integrator",
        password = "integrator-pass", client_id = "spec"}:token()
      local out, err, code = cwa("login")
      assert.are.equal(0, code, err)
      assert.truthy(out:find("Token expires %d%d%d%d%-%d%d%-%d%dT"))
      assert.falsy(out:find(token, 1, true))
      assert.falsy(out:find("[%w%-_%.]%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w%w"))
      out = cwa("login --format json")
      local info = cjson.decode(out)
      assert.are.equal("integrator", info.username)
      assert.are.equal("apitoken", info.dialect)
      assert.is_nil(info.token)
    end)

    it("exits 1 on bad credentials", function()
      local _, err, code = cwa("login --username integrator --password-env WRONG_PW",
        {env = env_prefix .. "export WRONG_PW=nope; "})
      assert.are.equal(1, code)
      assert.truthy(err:find("Unauthorized", 1, true), err)
      assert.are.equal(1, #lines_of(err))
      assert.falsy(err:find("nope", 1, true))
    end)

    it("takes the connection from flags", function()
      local env = UNSET .. "export CWA_CONFIG=/nonexistent MYPW=integrator-pass; "
      local out, err, code = cwa("--server " .. q(sim.url) .. " -u integrator --password-env MYPW "
        .. "--client-id spec count clients", {env = env})
      assert.are.equal(0, code, err)
      assert.is_true(tonumber(out) > 0)
      out, err, code = cwa("--server " .. q(sim.url) .. " -u tech --password-command 'echo tech-pass' "
        .. "--2fa 123456 --client-id spec count scripts", {env = env})
      assert.are.equal(0, code, err)
      assert.is_true(tonumber(out) > 0)
    end)
  end)

  describe("proxies", function()
    -- The simulator is its own HTTP proxy (it answers the absolute form and
    -- counts it); the server address has nothing listening, so an answer
    -- proves the request went through the proxy.
    local dead = "http://127.0.0.1:9"
    local base = UNSET .. "export CWA_CONFIG=/nonexistent MYPW=integrator-pass; "

    -- An http:// server never takes http_proxy from the environment: the
    -- proxy would read the password and the token in the clear (issue 14).
    it("ignores http_proxy for an http:// server, goes through --proxy, and through none with --proxy none", function()
      local flags = "--server " .. q(dead) .. " -u integrator --password-env MYPW --client-id spec "
      local proxied = sim:stats().proxied
      local _, err, code = cwa(flags .. "--retries 0 count clients",
        {env = base .. "export http_proxy=" .. q(sim.url) .. "; "})
      assert.are.equal(1, code)
      assert.truthy(err:find("Network", 1, true), err)
      assert.are.equal(proxied, sim:stats().proxied, "the proxy from the environment was used")
      local out
      out, err, code = cwa(flags .. "--proxy " .. q(sim.url) .. " count clients", {env = base})
      assert.are.equal(0, code, err)
      assert.is_true(tonumber(out) > 0)
      assert.is_true(sim:stats().proxied >= proxied + 2, "login and count went through the proxy")
      _, err, code = cwa(flags .. "--proxy none --retries 0 count clients",
        {env = base .. "export http_proxy=" .. q(sim.url) .. "; "})
      assert.are.equal(1, code)
      assert.truthy(err:find("Network", 1, true), err)
    end)
  end)

  describe("--profile", function()
    local function with_config(text)
      local path = tmpdir .. "/config.lua"
      write_file(path, text)
      return UNSET .. "export CWA_CONFIG=" .. q(path) .. " SPEC_PW=integrator-pass; "
    end

    it("reads server, user and client id from the profile and the password from a variable", function()
      local env = with_config(([[
        return {profiles = {
          sim = {server = %q, username = "integrator", client_id = "spec", password_env = "SPEC_PW"},
          tech = {server = %q, username = "tech", client_id = "spec",
                  password_command = "echo tech-pass", two_factor_env = "SPEC_CODE"},
        }}]]):format(sim.url, sim.url))
      local out, err, code = cwa("--profile sim count computers", {env = env})
      assert.are.equal(0, code, err)
      assert.are.equal(300, tonumber(out))
      out, err, code = cwa("-p tech clients --limit 2", {env = env .. "export SPEC_CODE=123456; "})
      assert.are.equal(0, code, err)
      assert.are.equal(2, #ndjson(out))
      _, err, code = cwa("--profile nope count computers", {env = env})
      assert.are.equal(2, code)
      assert.truthy(err:find("no profile 'nope'", 1, true))
      assert.truthy(err:find("sim, tech", 1, true))
    end)

    it("uses default_profile when no --profile is given", function()
      local env = with_config(([[
        return {default_profile = "sim", profiles = {
          sim = {server = %q, username = "integrator", client_id = "spec", password_env = "SPEC_PW"},
        }}]]):format(sim.url))
      local out, err, code = cwa("count clients", {env = env})
      assert.are.equal(0, code, err)
      assert.is_true(tonumber(out) > 0)
    end)

    it("refuses a profile that stores a password", function()
      local env = with_config(([[
        return {profiles = {sim = {server = %q, username = "integrator", password = "integrator-pass"}}}
      ]]):format(sim.url))
      local _, err, code = cwa("--profile sim count computers", {env = env})
      assert.are.equal(2, code)
      assert.truthy(err:find("in clear", 1, true))
      assert.truthy(err:find("password_env", 1, true))
      assert.falsy(err:find("integrator-pass", 1, true))
    end)

    it("reports a broken config file and a missing password variable", function()
      local _, err, code = cwa("--profile sim login", {env = with_config("return {profiles = ")})
      assert.are.equal(2, code)
      assert.truthy(err:find("config file", 1, true))
      local env = with_config(([[
        return {profiles = {sim = {server = %q, username = "integrator", password_env = "UNSET_PW_VAR"}}}
      ]]):format(sim.url))
      _, err, code = cwa("--profile sim login", {env = env})
      assert.are.equal(2, code)
      assert.truthy(err:find("UNSET_PW_VAR", 1, true))
      _, err, code = cwa("--profile sim login", {env = UNSET .. "export CWA_CONFIG=/nonexistent/cwa.lua; "})
      assert.are.equal(2, code)
      assert.truthy(err:find("no config file", 1, true))
    end)
  end)

  describe("shell", function()
    it("answers piped queries with a connected client", function()
      local out, err, code = cwa("shell", {input = table.concat({
        'print(#client:list("/Computers"))',
        "client:computer(3).Id",
        'client:list("/Clients", {limit = 2, fields = {"Id", "Name"}})',
        "for i = 1, 2 do",
        "  print('loop ' .. i)",
        "end",
        "local n = 0",
        "local function twice(x) return 2 * x end",
        "n = twice(n + 21)",
        "n",
        "cwa.VERSION",
      }, "\n") .. "\n"})
      assert.are.equal(0, code, err)
      local lines = lines_of(out)
      assert.are.equal("300", lines[1])
      assert.are.equal("3", lines[2])
      assert.truthy(lines[3]:match("^%s*Id%s+Name$"))
      assert.truthy(lines[5]:match("^%s*1%s+ACME Corporation$"))
      assert.truthy(out:find("loop 1\nloop 2\n", 1, true))
      assert.are.equal("42", lines[#lines - 1])
      assert.are.equal(require("cwa").VERSION, lines[#lines])
    end)

    it("prompts under a pseudo-terminal and answers", function()
      local input = tmpdir .. "/tty-input"
      write_file(input, 'client:count("/Clients")\n')
      local p = assert(io.popen("sh -c " .. q(env_prefix .. "script -qec 'bin/cwa shell' /dev/null <"
        .. q(input) .. "; echo \"exit=$?\"")))
      local out = p:read("a")
      p:close()
      assert.truthy(out:find("shell (Lua 5.4", 1, true), out)
      -- Without readline the answer follows the prompt; with it, the echoed line.
      assert.truthy(out:find("cwa> 40\r?\n") or out:find("cwa> client:count%(\"/Clients\"%)\r?\n[^\n]-40\r?\n"), out)
      assert.truthy(out:find("exit=0\n$"), out)
    end)

    it("prints a record indented, truncates long lists, reports errors and exits 1 after one", function()
      local out, err, code = cwa("shell", {input = table.concat({
        "client:computer(4)",
        'client:list("/Computers")',
        'client:get("/Nope")',
        "client:computers{limit = 30}",
      }, "\n") .. "\n"})
      assert.are.equal(1, code)
      assert.truthy(out:match("^Id:%s+4\n"))
      assert.truthy(out:find("... and 280 more", 1, true))
      assert.truthy(out:find("first 20 records", 1, true))
      assert.truthy(err:find("NotFound", 1, true))
    end)
  end)
end)

describe("cwa.progress", function()
  local progress = require "cwa.progress"

  it("formats records, pages, rate and ETA", function()
    assert.are.equal("computers: 500 records, page 2 (5 fetched)",
      progress.text("computers", 500, 2, 5, nil, 0, 250))
    assert.are.equal("computers: 500/2000 records (25%), page 2/8 (5 fetched), 250/s, ETA 6s",
      progress.text("computers", 500, 2, 5, 2000, 2, 250))
    assert.are.equal("x: 100/100000 records (0%), page 1/400, 1/s, ETA 27h45m",
      progress.text("x", 100, 1, 1, 100000, 100, 250))
  end)

  it("shows the control characters of its label escaped", function()
    assert.are.equal("/Comp\\x1b[2Juters: 7 records, page 1", progress.text("/Comp\27[2Juters", 7, 1))
  end)

  it("draws only past the first page, once a page, and erases itself", function()
    local written = {}
    local out = {write = function(_, ...) for _, s in ipairs{...} do written[#written + 1] = s end end}
    local now = 100
    local bar = progress.new{label = "c", page_size = 10, out = out, enabled = true,
                             clock = function() return now end}
    local pager = {pages_fetched = function() return 3 end, total = function() return 40 end}
    for _ = 1, 10 do bar:update(pager) end
    assert.are.equal(0, #written)
    for _ = 1, 10 do bar:update(pager) end
    now = 101
    for _ = 1, 10 do bar:update(pager) end
    local text = table.concat(written)
    assert.truthy(text:find("\rc: 11/40 records (27%), page 2/4 (3 fetched)\27[K", 1, true))
    assert.truthy(text:find("\rc: 21/40 records (52%), page 3/4, 21/s, ETA 1s\27[K", 1, true))
    local n = #written
    bar:done()
    assert.are.equal("\r\27[K", table.concat(written, "", n + 1))
    bar:done()
    assert.are.equal(n + 1, #written)
  end)

  it("uses the caller's total when the server announces none", function()
    local written = {}
    local out = {write = function(_, ...) for _, s in ipairs{...} do written[#written + 1] = s end end}
    local bar = progress.new{label = "c", page_size = 10, total = 30, out = out, enabled = true,
                             clock = function() return 0 end}
    for _ = 1, 11 do bar:update({pages_fetched = function() return 2 end, total = function() return nil end}) end
    assert.truthy(table.concat(written):find("c: 11/30 records (36%), page 2/3", 1, true))
  end)

  it("stays silent when disabled", function()
    local written = 0
    local out = {write = function() written = written + 1 end}
    local bar = progress.new{out = out, enabled = false, page_size = 1}
    for _ = 1, 5 do bar:update(nil) end
    bar:done()
    assert.are.equal(0, written)
  end)
end)

describe("cwa.cli.connection", function()
  local cli = require "cwa.cli"

  local function getenv_of(t)
    return function(name) return t[name] end
  end

  it("prefers flags to the environment and keeps the password out of flags", function()
    local env = {CONNECTWISE_AUTOMATE_SERVER = "http://127.0.0.1:1", CONNECTWISE_AUTOMATE_USERNAME = "env-user",
                 CONNECTWISE_AUTOMATE_PASSWORD = "env-pw", CONNECTWISE_AUTOMATE_CLIENT_ID = "env-id",
                 CWA_CONFIG = "/nonexistent/cwa.lua", MY_PW = "flag-pw"}
    local o = cli.connection({username = "flag-user", password_env = "MY_PW", insecure = true,
                              rate_limit = 0, timeout = 5}, getenv_of(env))
    assert.are.equal("http://127.0.0.1:1", o.server)
    assert.are.equal("flag-user", o.username)
    assert.are.equal("flag-pw", o.password)
    assert.are.equal("env-id", o.client_id)
    assert.is_false(o.verify_tls)
    assert.is_false(o.rate_limit)
    assert.are.equal(5, o.timeout)
    o = cli.connection({}, getenv_of(env))
    assert.are.equal("env-user", o.username)
    assert.are.equal("env-pw", o.password)
  end)

  it("raises usage errors naming what is missing", function()
    local ok, err = pcall(cli.connection, {}, getenv_of{CWA_CONFIG = "/nonexistent/cwa.lua"})
    assert.is_false(ok)
    assert.truthy(tostring(err):find("no server", 1, true))
    ok, err = pcall(cli.connection, {server = "x.example.com"}, getenv_of{CWA_CONFIG = "/nonexistent/cwa.lua"})
    assert.is_false(ok)
    assert.truthy(tostring(err):find("no credentials", 1, true))
  end)

  it("loads a config file as data, without the standard library", function()
    local path = os.tmpname()
    local f = assert(io.open(path, "w"))
    f:write("return {profiles = {p = {server = os.getenv('HOME')}}}")
    f:close()
    local ok, err = pcall(cli.load_config, path)
    os.remove(path)
    assert.is_false(ok)
    assert.truthy(tostring(err):find("config file", 1, true))
    assert.is_nil(cli.load_config("/nonexistent/cwa.lua"))
  end)
end)
