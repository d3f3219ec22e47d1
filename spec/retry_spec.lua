-- Retries, timeouts and the rate limiter against cwa-sim's fault flags. The
-- simulator's counters show what was retried and that nothing was lost.
local simmod = require "support.sim"
local helper = require "support.client"

local function all_ids(client, opts)
  local n, seen, dup = helper.ids(client:computers(opts))
  local distinct = 0
  for _ in pairs(seen) do distinct = distinct + 1 end
  return n, distinct, dup
end

-- Lists every computer, then stops the simulator; returns the count, the
-- distinct ids, the seconds the listing took and the simulator's stats.
-- Speed is `make bench`'s business: a spec bounds the time only from below
-- (a wait that must happen) or against a hang, at ten times the usual.
local function timed_listing(sim, client, opts)
  local t0 = helper.monotime()
  local n, distinct = all_ids(client, opts)
  local elapsed = helper.monotime() - t0
  local stats = sim:stats()
  sim:stop()
  return n, distinct, elapsed, stats
end

-- A client whose debug log is collected into `lines`.
local function logged_client(sim, opts, lines)
  local o = {debug = true, log = function(_, line) lines[#lines + 1] = line end}
  for k, v in pairs(opts) do o[k] = v end
  return helper.new(sim, o)
end

local waits_of = helper.waits

-- How many waits were at least `floor` seconds, and their sum.
local function delayed(waits, floor)
  local count, total = 0, 0
  for _, w in ipairs(waits) do
    total = total + w
    if w >= floor then count = count + 1 end
  end
  return count, total
end

describe("retries", function()
  it("lists every computer exactly once through 500/503 answers", function()
    local sim = simmod.start{"--computers", "1500", "--fail-rate", "0.3", "--seed", "7"}
    local client = helper.new(sim, {retries = 8})
    local n, distinct, dup = all_ids(client, {page_size = 50})
    local stats = sim:stats()
    sim:stop()
    assert.equal(1500, n)
    assert.equal(1500, distinct)
    assert.equal(0, dup)
    assert.is_true(stats.faults.fail > 0, "the simulator injected no failure")
  end)

  it("gives up after `retries` extra attempts with ServerError and the count", function()
    local sim = simmod.start{"--computers", "10", "--fail-rate", "1"}
    local client = helper.new(sim, {retries = 2})
    local err = helper.error_of(client.computer, client, 1)
    local stats = sim:stats()
    sim:stop()
    assert.equal("ServerError", err.code)
    assert.equal(3, err.attempts)
    assert.matches("gave up after 3 attempts", err.message)
    assert.equal(3, stats.requests_by_path["GET /cwa/api/v1/computers/1"])
  end)

  it("survives dropped connections, malformed bodies and HTML pages on GETs", function()
    local sim = simmod.start{"--computers", "1200", "--drop-rate", "0.1", "--malformed-rate", "0.1",
      "--html-rate", "0.1", "--seed", "3"}
    local client = helper.new(sim, {retries = 10})
    local n, distinct, dup = all_ids(client, {page_size = 40})
    local stats = sim:stats()
    sim:stop()
    assert.equal(1200, n)
    assert.equal(1200, distinct)
    assert.equal(0, dup)
    assert.is_true(stats.faults.drop > 0 and stats.faults.malformed > 0 and stats.faults.html > 0)
  end)

  it("reports an HTML page (status 200) as InvalidResponse with the start of the page", function()
    local sim = simmod.start{"--computers", "10", "--html-rate", "1"}
    local client = helper.new(sim, {retries = 1})
    local err = helper.error_of(client.computer, client, 1)
    sim:stop()
    assert.equal("InvalidResponse", err.code)
    assert.matches("HTML", err.message)
    assert.equal(2, err.attempts)
  end)

  it("never retries a POST after a malformed answer or a dropped connection", function()
    for _, flag in ipairs{"--malformed-rate", "--drop-rate"} do
      local sim = simmod.start{"--computers", "10", flag, "1"}
      local client = helper.new(sim, {retries = 5})
      local err = helper.error_of(client.post, client, "/Clients", {Name = "Acme"})
      local stats = sim:stats()
      sim:stop()
      assert.equal(1, err.attempts, flag)
      assert.equal(1, stats.faults.malformed + stats.faults.drop, flag)
    end
  end)

  it("ends a stalled body with Timeout within the configured time", function()
    local sim = simmod.start{"--computers", "10", "--stall-rate", "1", "--stall-ms", "60000"}
    local client = helper.new(sim, {retries = 1, timeout = 1})
    local t0 = helper.monotime()
    local err = helper.error_of(client.computer, client, 1)
    local elapsed = helper.monotime() - t0
    sim:stop()
    assert.equal("Timeout", err.code)
    assert.equal(2, err.attempts)
    -- two attempts of 1 s: 2 s; a stall waited out would take 60 s
    assert.is_true(elapsed < 20, "took " .. elapsed .. "s")
  end)

  it("does not retry 404 or 400", function()
    local sim = simmod.start{"--computers", "10"}
    local client = helper.new(sim, {retries = 5})
    local err = helper.error_of(client.computer, client, 999)
    assert.equal("NotFound", err.code)
    assert.equal(1, err.attempts)
    local err2 = helper.error_of(client.list, client, "/Computers", {condition = "Nope = 1"})
    assert.equal("BadRequest", err2.code)
    assert.equal(1, err2.attempts)
    assert.matches("page 1 of /Computers failed", err2.message)
    local stats = sim:stats()
    sim:stop()
    assert.equal(1, stats.requests_by_path["GET /cwa/api/v1/computers/999"])
  end)
end)

describe("rate limiting #slow", function()
  it("keeps under the server's limit: zero 429s, the burst used, no longer waits than it needs", function()
    local sim = simmod.start{"--computers", "10", "--rate-limit", "600"}
    local lines = {}
    local client = logged_client(sim, {rate_limit = 600}, lines)
    client:token() -- the login counts against the limit too
    for i = 1, 150 do client:computer(1 + i % 10) end
    local stats = sim:stats()
    sim:stop()
    assert.is_nil(stats.by_status["429"])
    assert.equal(0, stats.rate_limited)
    -- the server's bucket holds 100 (600/6) and refills 10 a second: the
    -- first 100 requests go at once, each of the other 51 waits for a token
    local waits = waits_of(lines)
    assert.equal(151, #waits, "requests in the debug log")
    local count, total = delayed(waits, 0.05)
    assert.is_true(count <= 51 + 5, count .. " requests waited for a token")
    local allowed = (151 - 100) / 10
    assert.is_true(total <= allowed * 1.1 + 0.3, ("waited %.2fs, the limit asks %.2fs"):format(total, allowed))
  end)

  it("pages ahead under a limit it was not told: zero 429s, the burst used", function()
    -- the server's bucket holds 200 (1200/6) and refills 20 a second; the
    -- client follows X-RateLimit-Limit and Remaining with 10 pages in flight
    local sim = simmod.start{"--computers", "3000", "--rate-limit", "1200"}
    local lines = {}
    local client = logged_client(sim, {rate_limit = "nil"}, lines)
    client:token()
    local n, distinct, _, stats = timed_listing(sim, client, {page_size = 12})
    assert.equal(3000, n)
    assert.equal(3000, distinct)
    assert.equal(0, stats.rate_limited)
    -- only the requests past the bucket's 200 wait for the pace
    local count = delayed(waits_of(lines), 0.025)
    assert.is_true(count <= stats.requests - 200 + 5,
      ("%d of %d requests waited for a token"):format(count, stats.requests))
  end)

  it("pauses the whole client on a 429 even when that call is not retried", function()
    -- a server that takes one request at a time answers the second of two
    -- 429 with Retry-After: 1; with retries = 0 that call raises, and the
    -- next call still waits out the pause
    local sim = simmod.start{"--computers", "10", "--latency-ms", "300", "--max-concurrent", "1"}
    local client = helper.new(sim, {retries = 0, concurrency = 2})
    client:token()
    local out = client:map({1, 2}, function(id) return client:computer(id).Id end)
    local refused = type(out[1]) == "table" and out[1].error or type(out[2]) == "table" and out[2].error
    assert.equal("RateLimited", refused and refused.code)
    local t0 = helper.monotime()
    assert.equal(3, client:computer(3).Id)
    local waited = helper.monotime() - t0
    local stats = sim:stats()
    sim:stop()
    assert.equal(1, stats.concurrency_limited)
    assert.is_true(waited >= 0.8, ("the next call went after %.2fs"):format(waited))
  end)

  it("waits out 429s with Retry-After and loses nothing", function()
    -- a server that takes one request at a time, a client that sends four
    local sim = simmod.start{"--computers", "300", "--latency-ms", "20", "--max-concurrent", "1"}
    local client = helper.new(sim, {concurrency = 4, retries = 10, max_wait = 2})
    local n, distinct, elapsed, stats = timed_listing(sim, client, {page_size = 50})
    assert.equal(300, n)
    assert.equal(300, distinct)
    assert.is_true(stats.concurrency_limited >= 1, "no 429 was sent")
    -- each 429 pauses the whole client for its Retry-After (1 s): few of them
    assert.is_true(stats.concurrency_limited <= 12, "429s: " .. stats.concurrency_limited)
    assert.is_true(elapsed >= 1, "did not wait for Retry-After")
  end)

  it("keeps at most `concurrency` requests in flight", function()
    local sim = simmod.start{"--computers", "3000", "--latency-ms", "30", "--max-concurrent", "4"}
    local client = helper.new(sim, {concurrency = 4})
    local n = all_ids(client, {page_size = 100})
    local stats = sim:stats()
    sim:stop()
    assert.equal(3000, n)
    assert.equal(0, stats.concurrency_limited)
    assert.is_true(stats.max_concurrency <= 4 and stats.max_concurrency >= 2, "max " .. stats.max_concurrency)
  end)
end)
