-- The error lines of bin/cwa (issue 16, point 7): one style for every line,
-- `cwa: <what failed>: <server's words> (hint)`, the server's details shown,
-- hints that name the CLI's flags, never a Lua option or a Lua type name.
local simulator = require "support.sim"
local proc = require "support.proc"
local report = require "cwa.cli.report"

local q = simulator.shell_quote

local cli_env = require "support.cli_env"

-- Words of the Lua API that must not reach a user of the command line.
local LUA_WORDS = {"set client_id", "allow_http", "ca_file", "two_factor", "totp_secret", "page_size",
  "cwa.new", "cwa.Error", "option '", "userdata", "number expected", "string expected",
  "a string", "a table", "got nil", "got table", "got number", "got string", "each:"}

local function assert_cli_words(err)
  for _, w in ipairs(LUA_WORDS) do
    assert.is_nil(err:find(w, 1, true), ("'%s' in the error line: %s"):format(w, err))
  end
end

-- One line, in the style: "cwa: " first, no newline inside.
local function assert_one_line(err)
  assert.truthy(err:match("^cwa: [^\n]+\n$"), "not one cwa: line: " .. err)
end

describe("cwa error lines", function()
  local sim, tls, env, tmpdir

  setup(function()
    sim = simulator.start{"--computers", "20"}
    tls = simulator.start{"--computers", "5", "--tls"}
    tmpdir = cli_env.temp_dir()
    local f = assert(io.open(tmpdir .. "/config.lua", "w"))
    f:write("return {}\n")
    f:close()
    env = cli_env.integrator(sim.url, tmpdir .. "/config.lua") .. "export PW=tech-pass; "
  end)

  teardown(function()
    if sim then sim:stop() end
    if tls then tls:stop() end
    if tmpdir then os.execute("rm -rf " .. q(tmpdir)) end
  end)

  local function cwa(args)
    local out, err, code = proc.run(env .. "bin/cwa " .. args .. " -q </dev/null")
    return out, err, code
  end

  it("show the server's details of a refused orderBy and name --order-by", function()
    local out, err, code = cwa("computers --order-by 'Bogus asc' -o table")
    assert.are.equal("", out) -- no "(no records)" that would read as the answer
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("cwa: page 1 of /Computers failed: The request is invalid. orderBy: "
      .. "orderBy names an unknown field (BadRequest, HTTP 400; check --order-by)", 1, true), err)
  end)

  it("name --where for a field the server does not know", function()
    local _, err, code = cwa("computers --where 'Bogus = 1'")
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("Invalid field 'Bogus'", 1, true), err)
    assert.truthy(err:find("check --where)", 1, true), err)
  end)

  it("say the method and path that failed, the server's words, the kind and status", function()
    local _, err, code = cwa("get /Computers/999")
    assert.are.equal(1, code)
    assert.are.equal("cwa: GET /Computers/999: Computer 999 was not found. (NotFound, HTTP 404)\n", err)
    _, err = cwa("post /Tickets '{\"ClientId\":1}'")
    assert_one_line(err)
    assert.truthy(err:find("^cwa: POST /Tickets: The request is invalid%. Subject: .*%(BadRequest, HTTP 400%)"), err)
  end)

  it("of a login name --username, --client-id and --2fa, never the Lua options", function()
    local _, err, code = cwa("-u nobody computers")
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("^cwa: login failed: .*check %-%-username and the password%)"), err)
    assert_cli_words(err)
    _, err, code = cwa("--client-id '' computers")
    assert.are.equal(1, code)
    assert.truthy(err:find("--client-id", 1, true), err)
    assert_cli_words(err)
    _, err, code = cwa("-u tech --password-env PW computers")
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("give --2fa CODE", 1, true), err)
    assert_cli_words(err)
  end)

  it("of TLS name --ca-file and --insecure, of the network --server", function()
    local _, err, code = cwa("--server " .. q(tls.url) .. " computers")
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("--ca-file FILE", 1, true), err)
    assert.truthy(err:find("--insecure", 1, true), err)
    assert_cli_words(err)
    local out
    out, err, code = cwa("--server " .. q(tls.url) .. " --ca-file " .. q(tls.ca_file) .. " count computers")
    assert.are.equal(0, code, err)
    assert.are.equal("5\n", out)
    _, err, code = cwa("--server http://127.0.0.1:9 --retries 0 computers")
    assert.are.equal(1, code)
    assert_one_line(err)
    assert.truthy(err:find("(Network; check --server and --proxy)", 1, true), err)
  end)

  it("of bad settings name the flag and exit 2", function()
    local _, err, code = cwa("computers --page-size 5000")
    assert.are.equal(2, code)
    assert.are.equal("cwa: --page-size: must be between 1 and 1000 (got 5000)\n", err)
    _, err, code = cwa("--server http://automate.example.invalid computers")
    assert.are.equal(2, code)
    assert.truthy(err:find("^cwa: %-%-server: plain http .*%(use an https:// %-%-server%)\n$"), err)
    _, err, code = cwa("command 1 ''")
    assert.are.equal(2, code)
    assert.are.equal("cwa: the command text must not be empty\n", err)
  end)

  it("of a config file carry no Lua type names", function()
    local path = tmpdir .. "/bad.lua"
    local f = assert(io.open(path, "w"))
    f:write("return {profiles = 5}\n")
    f:close()
    local _, err, code = proc.run(env .. "CWA_CONFIG=" .. q(path) .. " bin/cwa --profile x computers </dev/null")
    assert.are.equal(2, code)
    assert_one_line(err)
    assert_cli_words(err)
  end)

  it("turn the library's words into the command line's", function()
    assert.are.equal("x must be text in quotes", report.plain_words("x must be a string, got number"))
    assert.are.equal("x must not be empty", report.plain_words("x must be a non-empty string (got nil)"))
    assert.are.equal("(got 5000)", report.plain_words("(got 5000)"))
    assert.are.equal("cwa: --rate-limit: must be positive",
      report.usage_line("cwa.new: option 'rate_limit': must be positive"))
    assert.are.equal("cwa: internal error: attempt to index a nil value (--debug shows where)",
      report.other_line("lua/cwa/x.lua:12: attempt to index a nil value"))
    local errors = require "cwa.errors"
    local e = errors.new{code = "RateLimited", message = "page 2 of /Alerts failed: slow down", status = 429,
      method = "GET", url = "https://h/cwa/api/v1/Alerts?page=2"}
    assert.are.equal("cwa: page 2 of /Alerts failed: slow down (RateLimited, HTTP 429; "
      .. "--rate-limit N sends fewer requests a minute)", report.error_line(e))
  end)

  it("put the server's own code in the one group of parentheses", function()
    local errors = require "cwa.errors"
    local e = errors.new{code = "BadRequest", status = 405, method = "DELETE", url = "https://h/cwa/api/v1/Computers",
      message = "The requested resource does not support http method 'DELETE'. (MethodNotAllowed)"}
    assert.are.equal("cwa: DELETE /Computers: The requested resource does not support http method 'DELETE'. "
      .. "(BadRequest, HTTP 405, MethodNotAllowed)", report.error_line(e))
    -- words of the server's that end in parentheses of their own stay
    e = errors.new{code = "ServerError", status = 500, method = "GET", url = "https://h/cwa/api/v1/Computers",
      message = "Database timeout (after 30 s)"}
    assert.are.equal("cwa: GET /Computers: Database timeout (after 30 s) (ServerError, HTTP 500)",
      report.error_line(e))
  end)
end)
