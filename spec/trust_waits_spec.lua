-- Issue 14, classes 6 and 7: waits that never end. Tokens shorter than a
-- rate-limit slot must not make the client log in forever; every pause
-- (Retry-After, X-RateLimit-Reset, backoff) is capped by max_wait; and a
-- call has a total time limit, the `deadline` option (seconds, default
-- 300): when the next wait would pass it the call raises Timeout, saying
-- how many attempts were made and what the last answer was. Calls run in
-- a child; the time limits are hang guards, about ten times the figure a
-- correct client needs.
local hostile = require "support.hostile"
local cwa = require "cwa"

local function run(srv, src, extra, timeout)
  return hostile.child(src, {client = hostile.options(srv, extra)}, {timeout = timeout or 30})
end

describe("login livelock #trust", function()
  it("[6] 2 s tokens at 20 requests a minute (burst 1): the call uses its token or fails after a few logins", function()
    local srv = hostile.start("normal", {ttl = 2})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1).ComputerName]], {rate_limit = 20, burst = 1}, 30)
    local logins = srv.logins()
    assert(logins <= 4, ("%d logins and %d data calls for one call (%s)"):format(logins,
      #srv.data_requests(), hostile.outcome(r)))
    hostile.finished(r)
    if r.ok then
      assert.are.equal("pc-1", r.value)
    else
      local m = r.error.message:lower()
      assert(m:find("login", 1, true) or m:find("token", 1, true),
        "the error does not say the logins failed: " .. r.error.text)
    end
    hostile.assert_clean(hostile.texts(r))
  end)
end)

describe("pauses capped by max_wait #trust", function()
  local RESET_DAY = {{"X-RateLimit-Limit", "60"}, {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "86400"}}

  it("[7] Remaining 0 with Reset 86400 and rate_limit = false: the next calls wait at most max_wait", function()
    local srv = hostile.start("normal", {extra_headers = RESET_DAY})
    finally(srv.stop)
    local r = run(srv, [[
      local c = client()
      for i = 1, 3 do c:computer(i) end
      return true
    ]], {rate_limit = false, max_wait = 1}, 20)
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.are.equal(3, #srv.data_requests())
  end)

  it("[7] Remaining 0 with Reset 86400 under the default rate limit: capped by max_wait too", function()
    local srv = hostile.start("normal", {extra_headers = RESET_DAY})
    finally(srv.stop)
    local r = run(srv, [[
      local c = client()
      for i = 1, 3 do c:computer(i) end
      return true
    ]], {rate_limit = "nil", max_wait = 1}, 20)
    assert(r.ok, hostile.outcome(r))
  end)

  it("[7] Retry-After 120 on every 429 is capped by max_wait (retries = 3)", function()
    local srv = hostile.start("status", {status = 429, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]], {max_wait = 0.2, retries = 3}, 15)
    local e = hostile.child_error(r, "RateLimited")
    assert.are.equal(4, #srv.data_requests())
    assert.are.equal(4, e.attempts)
  end)

  it("[7] backoff without Retry-After is capped by max_wait", function()
    local srv = hostile.start("status", {status = 503, headers = {}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]],
      {max_wait = 0.2, retries = 3, backoff_base = 20, backoff_cap = 60}, 15)
    hostile.child_error(r, "ServerError")
    assert.are.equal(4, #srv.data_requests())
  end)

  it("[7] a login answered 429 Retry-After 120 is capped by max_wait", function()
    local srv = hostile.start("status", {on = "login", status = 429, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]], {max_wait = 0.2, retries = 2}, 15)
    hostile.child_error(r)
    assert.are.equal(0, #srv.data_requests())
  end)
end)

describe("the deadline of a call #trust", function()
  it("[7] accepts deadline and max_body, and refuses bad values with InvalidArgument", function()
    local base = {server = "http://127.0.0.1:9", allow_http = true, username = "u", password = "p"}
    local function with(k, v)
      local o = {}
      for kk, vv in pairs(base) do o[kk] = vv end
      o[k] = v
      return o
    end
    assert.is_truthy(cwa.new(with("deadline", 10)))
    assert.is_truthy(cwa.new(with("deadline", 0.5)))
    assert.is_truthy(cwa.new(with("max_body", 1 << 20)))
    for _, bad in ipairs{{"deadline", -1}, {"deadline", 0}, {"deadline", 0 / 0}, {"deadline", math.huge},
      {"deadline", "10"}, {"max_body", 0}, {"max_body", -5}, {"max_body", 1.5}, {"max_body", "1M"}} do
      local e = hostile.error_of(cwa.new, with(bad[1], bad[2]))
      assert.are.equal("InvalidArgument", e.code, bad[1] .. " = " .. tostring(bad[2]))
      assert(e.message:find(bad[1], 1, true), "the message does not name " .. bad[1] .. ": " .. e.text)
    end
  end)

  it("[7] 429 Retry-After 120 forever: deadline = 3 raises Timeout naming the attempts and the last answer", function()
    local srv = hostile.start("status", {status = 429, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]], {deadline = 3, retries = 5}, 30)
    local e = hostile.child_error(r, "Timeout")
    assert(e.message:find("%d+ attempt"), "the message does not say how many attempts: " .. e.text)
    assert(e.message:find("429", 1, true), "the message does not give the last answer (429): " .. e.text)
    assert(e.attempts and e.attempts >= 1, "attempts: " .. tostring(e.attempts))
    assert(#srv.data_requests() <= 2, #srv.data_requests() .. " attempts within a 3 s deadline")
  end)

  it("[7] 503 Retry-After 120 on a GET: deadline = 3 raises Timeout", function()
    local srv = hostile.start("status", {status = 503, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]], {deadline = 3, retries = 5}, 30)
    local e = hostile.child_error(r, "Timeout")
    assert(e.message:find("503", 1, true), "the message does not give the last answer (503): " .. e.text)
  end)

  -- rate_limit = 20: with no pacing (rate_limit = false) Remaining 0 orders
  -- no pause at all; at 20 a minute the next call waits a slot's 3 s
  it("[7] Reset 86400 with the default max_wait at 20 a minute: deadline = 2 ends the waiting call with Timeout", function()
    local srv = hostile.start("normal", {extra_headers = {{"X-RateLimit-Limit", "60"},
      {"X-RateLimit-Remaining", "0"}, {"X-RateLimit-Reset", "86400"}}})
    finally(srv.stop)
    local r = run(srv, [[
      local c = client()
      c:computer(1)
      PARTIAL = {first = true}
      return c:computer(2)
    ]], {deadline = 2, rate_limit = 20}, 30)
    hostile.child_error(r, "Timeout")
    assert.is_truthy(r.partial and r.partial.first, "the first call did not succeed")
  end)

  it("[7] a login answered 429 Retry-After 120 forever: deadline = 3 raises Timeout", function()
    local srv = hostile.start("status", {on = "login", status = 429, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return client():computer(1)]], {deadline = 3, retries = 5}, 30)
    hostile.child_error(r, "Timeout")
  end)

  it("[7] a listing whose page 2 answers 429 Retry-After 120: deadline = 3 raises Timeout", function()
    local srv = hostile.start("status", {on = "page:2", status = 429, headers = {{"Retry-After", "120"}}})
    finally(srv.stop)
    local r = run(srv, [[return #client():list("/Computers", {page_size = 5})]], {deadline = 3, retries = 5}, 30)
    hostile.child_error(r, "Timeout")
  end)
end)

-- The other side of class 6: a short token is refused only when the rate
-- limit could not let a call carry it. A token that ran out unused for any
-- other reason (its caller took it with client:token() and paused longer
-- than it lives, no call was waiting) proves nothing: the next call logs in
-- and goes on.
describe("login livelock: usable short tokens #trust", function()
  -- three tokens taken and left to expire, then `last`
  local function pauses(last)
    return ([[
      local socket = require "socket"
      local c = client()
      for _ = 1, 3 do
        assert(c:token())
        socket.sleep(2.3)
      end
      return %s
    ]]):format(last)
  end

  it("[6] 2 s tokens at 60 a minute (burst 10) that expire between calls are not refused", function()
    local srv = hostile.start("normal", {ttl = 2})
    finally(srv.stop)
    local r = run(srv, pauses("c:computer(1).ComputerName"), {rate_limit = 60, burst = 10}, 40)
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.are.equal("pc-1", r.value)
    assert.are.equal(4, srv.logins())
  end)

  it("[6] at 20 a minute (burst 1) a token handed to client:token() counts as used", function()
    local srv = hostile.start("normal", {ttl = 2})
    finally(srv.stop)
    local r = run(srv, pauses("c:token() ~= nil"), {rate_limit = 20, burst = 1}, 60)
    hostile.finished(r)
    assert(r.ok, hostile.outcome(r))
    assert.is_true(r.value)
    assert.are.equal(4, srv.logins())
  end)
end)
