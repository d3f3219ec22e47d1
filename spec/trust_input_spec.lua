-- Issue 14, classes 13 and 15: bad input from the caller. A NUL byte in a
-- condition, a query key or value, or a collection option is refused with
-- InvalidArgument before sending, or carried whole to the server (never
-- cut, which would send a broader condition). The condition builder is
-- linear in the number of terms; numbers that are not ids (1e300,
-- math.huge, NaN) raise a cwa.Error InvalidArgument, not a Lua format
-- error; and keyset paging over an id holding both quote kinds says so.
local hostile = require "support.hostile"
local cwa = require "cwa"

-- The request reached the server whole, or the call was refused before
-- sending: `sent(requests)` returns the parameter as the server read it.
local function refused_or_whole(srv, fn, want, sent)
  local ok, res = pcall(fn)
  local data = srv.data_requests()
  if not ok then
    local e = hostile.error_fields(res)
    assert(e, "a Lua error, not a cwa.Error: " .. tostring(res))
    assert.are.equal("InvalidArgument", e.code, e.text)
    assert(#data == 0, ("refused, but only after sending %d requests"):format(#data))
    return
  end
  assert(#data > 0, "no request reached the server")
  for _, r in ipairs(data) do
    local got = sent(r)
    assert(got == want, ("the server received %q instead of %q: the text was cut at the NUL"):format(
      tostring(got), want))
  end
end

local function param(key)
  return function(r)
    for _, kv in ipairs(r.query_list) do
      if kv[1] == key then return kv[2] end
    end
  end
end

local function has_key_with(prefix)
  return function(r)
    for _, kv in ipairs(r.query_list) do
      if kv[1]:sub(1, #prefix) == prefix then return kv[1] end
    end
  end
end

describe("NUL bytes in the caller's input #trust", function()
  local srv, client
  before_each(function()
    srv = hostile.start("normal", {records = 30})
    client = hostile.client(srv)
  end)
  after_each(function() srv.stop() end)

  local CONDITION = "Id > 0\0 and Id < 3"

  it("[13] a condition holding a NUL is refused or reaches the server whole (list)", function()
    refused_or_whole(srv, function() return client:list("/Computers", {condition = CONDITION}) end,
      CONDITION, param("condition"))
  end)

  it("[13] a condition holding a NUL is refused or reaches the server whole (count)", function()
    refused_or_whole(srv, function() return client:count("/Computers", {condition = CONDITION}) end,
      CONDITION, param("condition"))
  end)

  it("[13] a condition holding a NUL with consistent = true is refused or carried whole", function()
    refused_or_whole(srv, function()
      return client:list("/Computers", {condition = CONDITION, consistent = true})
    end, CONDITION, function(r) return (param("condition")(r) or ""):sub(1, #CONDITION) end)
  end)

  it("[13] a query key holding a NUL is refused or reaches the server whole", function()
    local key = "includeFields\0evil"
    refused_or_whole(srv, function() return client:get("/Computers", {[key] = "Id"}) end,
      key, has_key_with("includeFields"))
  end)

  it("[13] a query key holding a NUL in a listing is refused or reaches the server whole", function()
    local key = "expand\0evil"
    refused_or_whole(srv, function() return client:list("/Computers", {query = {[key] = "x"}}) end,
      key, has_key_with("expand"))
  end)

  it("[13] a query value holding a NUL is refused or reaches the server whole", function()
    refused_or_whole(srv, function() return client:get("/Computers", {includeFields = "Id\0,Password"}) end,
      "Id\0,Password", param("includeFields"))
  end)

  it("[13] fields and order_by holding a NUL are refused or reach the server whole", function()
    refused_or_whole(srv, function() return client:list("/Computers", {fields = {"Id\0x"}}) end,
      "Id\0x", param("includeFields"))
    refused_or_whole(srv, function() return client:list("/Computers", {order_by = "Id asc\0x"}) end,
      "Id asc\0x", param("orderBy"))
  end)

  it("[13] a path holding a NUL is refused with InvalidArgument", function()
    local e = hostile.error_of(client.get, client, "/Computers/1\0/../2")
    assert.are.equal("InvalidArgument", e.code, e.text)
    assert.are.equal(0, #srv.data_requests())
  end)
end)

describe("the condition builder's cost #trust", function()
  local f = cwa.cond.field("Id")

  -- The work of building and rendering a condition of n terms, counted in
  -- Lua VM instructions (hundreds of them): a count, not a time, so that a
  -- loaded machine or a sanitizer build cannot make linear work look
  -- quadratic. The builder and to_text are Lua; the clock is only a guard.
  local function cost(n, chain)
    local steps = 0
    local t0 = os.clock()
    debug.sethook(function() steps = steps + 1 end, "", 100)
    local ok, text = pcall(function() return cwa.cond.to_text(chain(n)) end)
    debug.sethook()
    assert(ok, text)
    assert(#text > n)
    assert(os.clock() - t0 < 5, ("%d terms took %.2f s (hang guard 5 s)"):format(n, os.clock() - t0))
    return steps
  end

  local function assert_linear(chain)
    local s4, s8 = cost(4000, chain), cost(8000, chain)
    local ratio = s8 / math.max(s4, 1)
    assert(ratio < 2.2, ("4,000 terms %d00 instructions, 8,000 terms %d00: x%.2f, quadratic"):format(s4, s8, ratio))
  end

  it("[15] chaining c = c | f:eq(i) is linear: doubling the terms about doubles the work", function()
    assert_linear(function(n)
      local c = f:eq(0)
      for i = 1, n do c = c | f:eq(i) end
      return c
    end)
  end)

  it("[15] chaining c = c & f:eq(i) is linear too", function()
    assert_linear(function(n)
      local c = f:ne(0)
      for i = 1, n do c = c & f:ne(i) end
      return c
    end)
  end)
end)


describe("numbers that are not ids #trust", function()
  local srv, client
  setup(function()
    srv = hostile.start("normal")
    client = hostile.client(srv)
  end)
  teardown(function() srv.stop() end)

  local BAD = {{"1e300", 1e300}, {"math.huge", math.huge}, {"-math.huge", -math.huge}, {"NaN", 0 / 0},
    {"2^63", 2.0 ^ 63}, {"-1e300", -1e300}, {"1.5", 1.5}}

  local function invalid(what, fn, ...)
    local ok, res = pcall(fn, ...)
    assert(not ok, what .. " was accepted")
    assert(cwa.is_error(res), what .. " raised a Lua error, not a cwa.Error: " .. tostring(res))
    assert.are.equal("InvalidArgument", res.code, what .. ": " .. tostring(res))
  end

  for _, b in ipairs(BAD) do
    it("[15] client:computer(" .. b[1] .. ") raises InvalidArgument and sends nothing", function()
      local before = #srv.data_requests()
      invalid("computer(" .. b[1] .. ")", client.computer, client, b[2])
      invalid("ticket(" .. b[1] .. ")", client.ticket, client, b[2])
      assert.are.equal(before, #srv.data_requests())
    end)
  end

  it("[15] run_script and command with a 1e300 or math.huge id raise InvalidArgument", function()
    local before = #srv.data_requests()
    for _, b in ipairs{{"1e300", 1e300}, {"math.huge", math.huge}, {"NaN", 0 / 0}} do
      invalid("run_script(" .. b[1] .. ", 1)", client.run_script, client, b[2], 1)
      invalid("run_script(1, " .. b[1] .. ")", client.run_script, client, 1, b[2])
      invalid("command(" .. b[1] .. ")", client.command, client, b[2], "ver", {wait = false})
    end
    assert.are.equal(before, #srv.data_requests())
  end)

  it("[15] collection options with huge or non-finite numbers raise InvalidArgument", function()
    for _, o in ipairs{{limit = math.huge}, {limit = 1e300}, {page_size = 0 / 0}, {start_page = math.huge},
      {ids = {1e300}}, {ids = {math.huge}}} do
      local k = next(o)
      invalid("list{" .. k .. " = ...}", client.list, client, "/Computers", o)
    end
  end)

  it("[15] cwa.quote of math.huge and NaN raises InvalidArgument", function()
    invalid("quote(math.huge)", cwa.quote, math.huge)
    invalid("quote(NaN)", cwa.quote, 0 / 0)
    invalid("where{Id = math.huge}", cwa.where, {Id = math.huge})
  end)
end)

describe("keyset paging over ids holding both quote kinds #trust", function()
  it("[15] the error names the quoting problem, not a missing Id field", function()
    local srv = hostile.start("normal", {records = 12, string_ids = true, odd_ids = {["5"] = [[it's "odd"]]}})
    finally(srv.stop)
    local client = hostile.client(srv)
    local e = hostile.error_of(client.list, client, "/Computers", {consistent = true, page_size = 5})
    assert(not e.message:find("carry no", 1, true), "the message blames a missing field: " .. e.text)
    assert(e.message:lower():find("quote", 1, true), "the message does not name the quotes: " .. e.text)
    assert.are.equal(1, #srv.data_requests())
  end)

  it("[15] string ids with one quote kind page on", function()
    local srv = hostile.start("normal", {records = 12, string_ids = true, odd_ids = {["5"] = [[c-005's]]}})
    finally(srv.stop)
    local client = hostile.client(srv)
    assert.are.equal(12, #client:list("/Computers", {consistent = true, page_size = 5}))
  end)
end)
