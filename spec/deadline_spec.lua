-- The `deadline` option (issue 14, class 7) against cwa-sim's latency: a
-- call's total time, attempts in flight included; each page of a listing
-- has its own, so a long listing is not cut by it; `deadline = false`
-- turns it off; client:token() waits for a login within it too. The
-- waits of the trust spec (spec/trust_waits_spec.lua) are the hostile
-- server's; these are the timing of a slow but honest one.
local simmod = require "support.sim"
local helper = require "support.client"
local core = require "cwa.core"

local error_of = helper.error_of

describe("deadline", function()
  it("defaults to 300 s, false turns it off, and settings() reports it", function()
    assert.are.equal(300, core.defaults().deadline)
    local base = {server = "http://127.0.0.1:9", allow_http = true, username = "u", password = "p"}
    assert.are.equal(300, core.new(base):settings().deadline)
    base.deadline = false
    assert.is_false(core.new(base):settings().deadline)
    base.deadline = 2.5
    assert.are.equal(2.5, core.new(base):settings().deadline)
  end)

  it("ends an attempt still running at the deadline with Timeout", function()
    local sim = simmod.start{"--computers", "5", "--latency-ms", "3000"}
    finally(function() sim:stop() end)
    -- the login takes 3 s of the 4, the data call is in flight at the end
    local client = helper.new(sim, {deadline = 4, timeout = 30, retries = 0})
    local e = error_of(client.get, client, "/Computers/1")
    -- the server is still working on the data call (it answers at 6 s):
    -- the call ended at its deadline, not at the answer
    local stats = sim:stats()
    assert.are.equal("Timeout", e.code)
    assert.matches("in flight", e.message)
    assert.matches("deadline of 4 s", e.message)
    assert.are.equal(1, e.attempts)
    assert.are.equal(2, stats.requests)
    assert.are.equal(1, stats.in_flight, "the call waited for the answer")
  end)

  it("with deadline = false a slow call is not cut", function()
    local sim = simmod.start{"--computers", "5", "--latency-ms", "700"}
    finally(function() sim:stop() end)
    local client = helper.new(sim, {deadline = false, timeout = 30})
    assert.are.equal(1, client:computer(1).Id)
  end)

  it("counts per page: a listing longer than the deadline is not cut", function()
    local sim = simmod.start{"--computers", "12", "--latency-ms", "300"}
    finally(function() sim:stop() end)
    local client = helper.new(sim, {deadline = 1, concurrency = 1, timeout = 30})
    local t0 = helper.monotime()
    local n = #client:list("/Computers", {page_size = 2})
    local elapsed = helper.monotime() - t0
    assert.are.equal(12, n)
    -- a login and 7 pages at 0.3 s each: well past one deadline in all
    assert(elapsed > 1.5, ("the listing took only %.1f s: the test proves nothing"):format(elapsed))
  end)

  it("bounds client:token() waiting for a slow login", function()
    local sim = simmod.start{"--computers", "5", "--latency-ms", "3000"}
    finally(function() sim:stop() end)
    local client = helper.new(sim, {deadline = 1, timeout = 30})
    local e = error_of(client.token, client)
    -- the login (3 s) is still on the server: token() did not wait for it
    local stats = sim:stats()
    assert.are.equal("Timeout", e.code)
    assert.matches("%d+ attempt", e.message)
    assert.are.equal(1, stats.requests)
    assert.are.equal(1, stats.in_flight, "token() was not bounded by the deadline")
  end)
end)
