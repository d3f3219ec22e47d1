-- The defaults with only credentials given (issue 15, point 1): pages of
-- 1000, no client-side cap until the server states a limit or throttles,
-- then a rate learned from the throttling.
local simlib = require "support.sim"
local helper = require "support.client"

-- A client with the library's defaults for everything the spec helper sets
-- to speed tests up (rate_limit above all).
local function default_client(sim, opts)
  local o = {rate_limit = "nil"}
  for k, v in pairs(opts or {}) do o[k] = v end
  return helper.new(sim, o)
end

local function page_sizes(stats)
  local sizes = {}
  for key, n in pairs(stats.pages) do
    local size = key:match("pagesize=(%d+)")
    if size then sizes[size] = (sizes[size] or 0) + n end
  end
  return sizes
end

describe("defaults", function()
  it("are pages of 1000, concurrency 10 and no fixed rate cap", function()
    local d = require("cwa.options").defaults()
    assert.equal(1000, d.page_size)
    assert.equal(10, d.concurrency)
    assert.is_nil(d.rate_limit)
  end)

  it("list 20,000 computers in pages of 1000, several at a time", function()
    local sim = simlib.start{"--computers", "20000", "--latency-ms", "20"}
    local client = default_client(sim)
    sim:reset()
    local n, _, dup = helper.ids(client:computers())
    assert.equal(20000, n)
    assert.equal(0, dup)
    local st = sim:stats()
    local sizes = page_sizes(st)
    assert.truthy((sizes["1000"] or 0) >= 20, require("cjson").encode(sizes))
    for size in pairs(sizes) do assert.equal("1000", size) end
    assert.truthy(st.max_concurrency >= 2, "pages were fetched one at a time")
    assert.equal(0, st.by_status["429"] or 0)
    client:close()
    sim:stop()
  end)

  it("learn a silent limit: every record arrives with at most 15 429s", function()
    local sim = simlib.start{"--computers", "600", "--limit-silent", "120"}
    local client = default_client(sim)
    local n, _, dup = helper.ids(client:computers{page_size = 20})
    assert.equal(600, n)
    assert.equal(0, dup)
    local st = sim:stats()
    local throttled = st.by_status["429"] or 0
    assert.truthy(throttled >= 1, "the listing never met the limit: the spec proves nothing")
    assert.truthy(throttled <= 15, throttled .. " 429s")
    client:close()
    sim:stop()
  end)

  it("follow a stated limit with no 429 at all", function()
    local sim = simlib.start{"--computers", "600", "--rate-limit", "120"}
    local client = default_client(sim)
    local n = helper.ids(client:computers{page_size = 20})
    assert.equal(600, n)
    local st = sim:stats()
    assert.equal(0, st.by_status["429"] or 0)
    assert.truthy(st.requests >= 30)
    client:close()
    sim:stop()
  end)

  it("keep rate_limit = false unpaced even when the server throttles", function()
    local sim = simlib.start{"--computers", "200", "--limit-silent", "6000", "--burst", "3"}
    local client = default_client(sim, {rate_limit = false})
    assert.equal(false, client._core:settings().rate_limit)
    assert.equal(200, (helper.ids(client:computers{page_size = 10})))
    client:close()
    sim:stop()
  end)
end)
