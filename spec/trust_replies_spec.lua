-- Issue 14, classes 2 and 3: replies cut inside their headers, 200s with an
-- empty body, and totals that lie. None of them may end a call as a
-- success with fewer records than the server holds: they are a broken
-- connection or an InvalidResponse (retried where the method allows), and
-- a total the pages contradict is an InvalidResponse or no longer trusted.
local hostile = require "support.hostile"

local RECORDS, PAGE = 23, 5

-- Every id from 1 to n exactly once, in any order.
local function assert_all(list, n)
  local seen, dup = {}, {}
  for _, r in ipairs(list) do
    if seen[r.Id] then dup[#dup + 1] = tostring(r.Id) end
    seen[r.Id] = true
  end
  assert(#dup == 0, "records repeated: " .. table.concat(dup, ","))
  local missing = {}
  for i = 1, n do if not seen[i] then missing[#missing + 1] = i end end
  assert(#missing == 0, ("%d of %d records: silent loss (missing %s)"):format(#list, n,
    table.concat(missing, ",", 1, math.min(#missing, 10))))
end

local function pages_asked(srv, page)
  local n = 0
  for _, r in ipairs(srv.data_requests()) do
    if r.path:lower() == "/cwa/api/v1/computers" and tonumber(r.query.page) == page then n = n + 1 end
  end
  return n
end

local function count_path(srv, method, path)
  local n = 0
  for _, r in ipairs(srv.requests()) do
    if r.method == method and r.path:lower() == path:lower() then n = n + 1 end
  end
  return n
end

local BROKEN = {"Network", "InvalidResponse"}

local function assert_code(e, codes)
  for _, c in ipairs(codes) do if e.code == c then return end end
  error(("expected %s, got %s"):format(table.concat(codes, " or "), e.text))
end

-- Page 2 of a listing misbehaves once: it is fetched again and the listing is whole.
local function page_2_once_is_retried(scenario)
  local srv = hostile.start(scenario, {on = "page:2", times = 1, records = RECORDS})
  finally(srv.stop)
  local client = hostile.client(srv, {retries = 2})
  assert_all(client:list("/Computers", {page_size = PAGE}), RECORDS)
  local asked = pages_asked(srv, 2)
  assert(asked == 2, ("page 2 asked for %d times, 2 expected"):format(asked))
end

-- Page 2 always misbehaves: the listing raises one of codes after its retries, never a short list.
local function page_2_always_raises(scenario, codes)
  local srv = hostile.start(scenario, {on = "page:2", records = RECORDS})
  finally(srv.stop)
  local client = hostile.client(srv, {retries = 2})
  local e = hostile.error_of(client.list, client, "/Computers", {page_size = PAGE})
  assert_code(e, codes)
  local asked = pages_asked(srv, 2)
  assert(asked == 3, ("page 2 asked for %d times, 3 expected"):format(asked))
  hostile.assert_clean(hostile.texts(e))
end

describe("replies cut inside their headers #trust", function()
  it("[2] a get whose reply is always cut fails as a broken connection after its retries", function()
    local srv = hostile.start("cut_headers", {on = "get"})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 2})
    local t0 = hostile.now()
    local e = hostile.error_of(client.get, client, "/Computers/1")
    assert.is_true(hostile.now() - t0 < 15, "hang guard")
    assert_code(e, BROKEN)
    local n = count_path(srv, "GET", "/cwa/api/v1/Computers/1")
    assert(n == 3, n .. " attempts of the GET, 3 expected (retries = 2)")
    hostile.assert_clean(hostile.texts(e))
  end)

  it("[2] a listing whose page 2 is cut once is retried and yields every record", function()
    page_2_once_is_retried("cut_headers")
  end)

  it("[2] a listing whose page 2 is always cut raises, never a short list", function()
    page_2_always_raises("cut_headers", BROKEN)
  end)

  it("[2] each raises at a cut page after the records before it", function()
    local srv = hostile.start("cut_headers", {on = "page:3", records = RECORDS})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 1})
    local n = 0
    local ok, err = pcall(function()
      for _ in client:each("/Computers", {page_size = PAGE}) do n = n + 1 end
    end)
    assert(not ok, ("the loop ended silently after %d of %d records"):format(n, RECORDS))
    local e = hostile.error_fields(err)
    assert(e, "a Lua error, not a cwa.Error: " .. tostring(err))
    assert_code(e, BROKEN)
    assert.are.equal(2 * PAGE, n)
  end)

  it("[2] a POST whose reply is cut raises and is not sent again", function()
    local srv = hostile.start("cut_headers", {on = "post"})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 3})
    local e = hostile.error_of(client.post, client, "/Computers/1/CommandExecute", {ComputerId = 1})
    assert_code(e, BROKEN)
    local n = count_path(srv, "POST", "/cwa/api/v1/Computers/1/CommandExecute")
    assert(n == 1, n .. " copies of the POST")
  end)
end)

describe("200 answers with an empty body #trust", function()
  it("[2] an empty page 2 (once) is fetched again and the listing is whole", function()
    page_2_once_is_retried("empty_200")
  end)

  it("[2] an empty page 2 (always) raises InvalidResponse, never a short list", function()
    page_2_always_raises("empty_200", {"InvalidResponse"})
  end)

  it("[2] an empty first page of a count (always) raises InvalidResponse", function()
    local srv = hostile.start("empty_200", {on = "page:1", records = RECORDS})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 1})
    local e = hostile.error_of(client.count, client, "/Computers")
    assert.are.equal("InvalidResponse", e.code)
  end)
end)

-- The totals run in a child: an overflow there is undefined behaviour, which
-- UBSan (make sanitize) turns into an abort of that child only.
describe("totals that lie #trust", function()
  -- The whole listing, or an InvalidResponse: never fewer records.
  local function whole_or_invalid(srv, what)
    local r = hostile.child([[return client():list("/Computers", {page_size = ARGS.page})]],
      {client = hostile.options(srv), page = PAGE})
    hostile.finished(r)
    if r.ok then
      assert_all(r.value, RECORDS)
    else
      assert(r.error.code == "InvalidResponse", what .. ": expected the whole listing or InvalidResponse, got "
        .. r.error.text)
    end
  end

  for _, total in ipairs{"9223372036854775807", "99999999999999999999", "-3", "1e308", "12abc"} do
    it("[3] X-Total-Count " .. total .. " neither overflows nor cuts the listing", function()
      local srv = hostile.start("normal", {records = RECORDS, total = total})
      finally(srv.stop)
      whole_or_invalid(srv, "X-Total-Count " .. total)
    end)
  end

  for _, total in ipairs{"9223372036854775807", "1e300"} do
    it("[3] TotalRecordCount " .. total .. " in the body neither overflows nor cuts the listing", function()
      local srv = hostile.start("normal", {records = RECORDS, total = total, totals_in = "body"})
      finally(srv.stop)
      whole_or_invalid(srv, "TotalRecordCount " .. total)
    end)
  end

  it("[3] X-Total-Count 7 with 23 records (page 2 holds records 6 to 10) is not a short list", function()
    local srv = hostile.start("normal", {records = RECORDS, total = "7"})
    finally(srv.stop)
    whole_or_invalid(srv, "X-Total-Count 7")
  end)

  it("[3] TotalRecordCount 7 with 23 records is not a short list", function()
    local srv = hostile.start("normal", {records = RECORDS, total = "7", totals_in = "body"})
    finally(srv.stop)
    whole_or_invalid(srv, "TotalRecordCount 7")
  end)

  it("[3] count does not answer a total its own first page contradicts", function()
    local srv = hostile.start("normal", {records = RECORDS, total = "7"})
    finally(srv.stop)
    local r = hostile.finished(hostile.child([[return client():count("/Computers")]],
      {client = hostile.options(srv)}))
    if r.ok then
      assert(r.value == RECORDS, ("count answered %s for %d records"):format(math.tointeger(r.value) or r.value, RECORDS))
    else
      assert(r.error.code == "InvalidResponse", "expected 23 or InvalidResponse, got " .. r.error.text)
    end
  end)
end)
