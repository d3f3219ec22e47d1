-- Issue 14, class 8: answer size. cwa sends Accept-Encoding with no cap on
-- the decoded size. Required: a `max_body` option (bytes, default 64 MiB)
-- counted on decoded bytes; past it the call raises an InvalidResponse
-- that names the limit, and memory stays bounded. A 10 MB token or a 1 MB
-- response header fails with a message that says what was too large, not
-- "Out of memory". Calls run in a child under an RSS watchdog.
local hostile = require "support.hostile"

local RSS_BOUND_KB = 200 * 1024

local function assert_memory(r)
  if hostile.UNDER_ASAN or hostile.UNDER_VALGRIND then return end
  assert(r.hwm_kb < RSS_BOUND_KB, ("peak RSS %d MB, bound 200 MB"):format(r.hwm_kb // 1024))
end

local function run(srv, src, extra)
  return hostile.child(src, {client = hostile.options(srv, extra)}, {timeout = 30})
end

local function names_max_body(e)
  assert(e.message:find("max_body", 1, true), "the message does not name the max_body limit: " .. e.text)
end

describe("answers larger than max_body #trust", function()
  it("[8] a gzip answer of 100 MB decoded, max_body = 1 MiB: InvalidResponse naming max_body", function()
    local srv = hostile.start("gzip_bomb", {decoded_bytes = 100 << 20})
    finally(srv.stop)
    local r = run(srv, [[return client():get("/Computers/1")]], {max_body = 1 << 20})
    names_max_body(hostile.child_error(r, "InvalidResponse"))
    assert_memory(r)
    hostile.assert_clean(hostile.texts(r))
  end)

  it("[8] a gzip answer of 200 MB decoded under the default max_body (64 MiB): InvalidResponse, bounded memory", function()
    local srv = hostile.start("gzip_bomb", {decoded_bytes = 200 << 20})
    finally(srv.stop)
    local r = run(srv, [[return client():get("/Computers/1")]])
    local e = hostile.child_error(r, "InvalidResponse")
    names_max_body(e)
    assert_memory(r)
  end)

  it("[8] a gzip page in a listing, max_body = 1 MiB: InvalidResponse, bounded memory", function()
    local srv = hostile.start("gzip_bomb", {decoded_bytes = 100 << 20, on = "page:2", records = 20})
    finally(srv.stop)
    local r = run(srv, [[return #client():list("/Computers", {page_size = 5})]], {max_body = 1 << 20})
    names_max_body(hostile.child_error(r, "InvalidResponse"))
    assert_memory(r)
  end)

  it("[8] a plain 3 MB body, max_body = 1 MiB: InvalidResponse naming max_body", function()
    local srv = hostile.start("big_body", {bytes = 3 << 20})
    finally(srv.stop)
    local r = run(srv, [[return client():get("/Computers/1")]], {max_body = 1 << 20})
    names_max_body(hostile.child_error(r, "InvalidResponse"))
  end)

  it("[8] a plain body just under max_body is read", function()
    local srv = hostile.start("big_body", {bytes = (1 << 20) - 16})
    finally(srv.stop)
    local r = run(srv, [[return #client():get("/Computers/1")]], {max_body = 1 << 20})
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
  end)
end)

describe("a huge token or header #trust", function()
  local function says_too_large(e, what)
    local m = e.message:lower()
    assert(m:find(what, 1, true) and (m:find("large", 1, true) or m:find("long", 1, true)),
      "the message does not say the " .. what .. " was too large: " .. e.text)
    assert(not m:find("out of memory", 1, true), "'out of memory' for a large " .. what .. ": " .. e.text)
  end

  it("[8] a 10 MB AccessToken fails saying the token is too large", function()
    local srv = hostile.start("normal", {token_bytes = 10 << 20})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]])
    says_too_large(hostile.child_error(r), "token")
    assert_memory(r)
    hostile.assert_clean(hostile.texts(r))
  end)

  it("[8] a 1 MB response header fails saying a header is too large", function()
    local srv = hostile.start("big_header", {bytes = 1 << 20})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]])
    says_too_large(hostile.child_error(r), "header")
  end)
end)
