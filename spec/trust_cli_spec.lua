-- Issue 14, class 12: terminal injection. The server's text (cells, column
-- names, one record printed as a block, error messages, the --debug log
-- lines and the progress line) reaches the terminal through bin/cwa; every
-- control character in it must come out escaped. The server of this spec
-- puts OSC, CSI, BEL, BS and CR sequences in values, in a field name and
-- in its error messages; no raw control byte may appear in what the CLI
-- prints (the progress line's own \r and ESC[K are the CLI's).
local hostile = require "support.hostile"
local proc = require "support.proc"
local simmod = require "support.sim"

local q = simmod.shell_quote

-- The first raw control byte (other than newline and tab) and its context.
local function raw_control(text)
  local i = text:find("[%z\1-\8\11-\31\127]")
  if not i then return nil end
  return ("byte %d at %d in %q"):format(text:byte(i), i, text:sub(math.max(1, i - 30), i + 30))
end

local function assert_escaped(text, where)
  local found = raw_control(text)
  assert(not found, "a raw control character in " .. where .. ": " .. tostring(found))
end

describe("terminal injection through bin/cwa #trust", function()
  local srv, env

  setup(function()
    srv = hostile.start("terminal", {records = 12})
    env = "unset http_proxy https_proxy all_proxy HTTP_PROXY HTTPS_PROXY ALL_PROXY no_proxy NO_PROXY "
      .. "CWA_FORMAT COLUMNS CONNECTWISE_AUTOMATE_USER CONNECTWISE_AUTOMATE_PASS CONNECTWISE_AUTOMATE_2FA; "
      .. "export CWA_CONFIG=/nonexistent/cwa-config.lua CONNECTWISE_AUTOMATE_SERVER=" .. q(srv.url)
      .. " CONNECTWISE_AUTOMATE_USERNAME=" .. q(hostile.USERNAME)
      .. " CONNECTWISE_AUTOMATE_PASSWORD=" .. q(hostile.PASSWORD)
      .. " CONNECTWISE_AUTOMATE_CLIENT_ID=" .. q(hostile.CLIENT_ID) .. "; "
  end)
  teardown(function() srv.stop() end)

  -- bin/cwa with args (shell text) under a 30 s hang guard.
  local function cwa(args)
    local out, err, code = proc.run(env .. "timeout 30 lua5.4 bin/cwa " .. args .. " </dev/null")
    assert(code ~= 124, "bin/cwa " .. args .. " did not finish in 30 s")
    hostile.assert_clean({out, err})
    return out, err, code
  end

  it("[12] table cells are printed escaped", function()
    local out, err, code = cwa("computers -o wide")
    assert.are.equal(0, code, err)
    local rows = out:match("^[^\n]*\n(.*)$") or ""
    assert.truthy(rows:find("pc", 1, true), "no rows printed")
    assert_escaped(rows, "the table rows on stdout")
    assert_escaped(err, "stderr")
  end)

  it("[12] table column names are printed escaped", function()
    local out, err, code = cwa("computers -o wide")
    assert.are.equal(0, code, err)
    assert_escaped(out:match("^[^\n]*"), "the table header on stdout")
  end)

  it("[12] one record printed as a block (get -f table) is escaped", function()
    local out, err, code = cwa("get /Computers/1 -f table")
    assert.are.equal(0, code, err)
    assert_escaped(out, "the record block on stdout")
  end)

  it("[12] csv cells and headers are escaped", function()
    local out, err, code = cwa("computers -f csv")
    assert.are.equal(0, code, err)
    assert_escaped(out, "the csv on stdout")
  end)

  it("[12] json and ndjson carry control characters as JSON escapes", function()
    for _, format in ipairs{"json", "ndjson"} do
      local out, err, code = cwa("computers -f " .. format)
      assert.are.equal(0, code, err)
      assert_escaped(out, format .. " on stdout")
    end
  end)

  it("[12] an error message from the server is printed escaped on stderr", function()
    local out, err, code = cwa("get /Fail")
    assert.are.equal(1, code)
    assert.truthy(err:find("bad", 1, true), "the error is not printed: " .. err)
    assert_escaped(err, "the error line on stderr")
    assert_escaped(out, "stdout")
  end)

  it("[12] --debug log lines holding server text are escaped", function()
    local _, err, code = cwa("get /Retry --debug --retries 1")
    assert.are.equal(1, code)
    assert.truthy(err:find("retrying", 1, true), "no retry logged: " .. err)
    assert_escaped(err, "the --debug lines on stderr")
  end)

  it("[12] the progress line holds no control character but its own", function()
    local out, err, code = cwa("computers -f ndjson --progress --page-size 5")
    assert.are.equal(0, code, err)
    assert.truthy(err:find("records", 1, true), "no progress line: " .. err)
    assert_escaped((err:gsub("\r", ""):gsub("\27%[K", "")), "the progress line")
    assert_escaped(out, "ndjson on stdout")
  end)
end)
