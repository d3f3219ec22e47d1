-- Condition builder: quoting, where, builder values, negation, precedence,
-- LIKE escaping, injection. Every produced text is also checked with the C
-- parser (cwa.core).

local cond = require "cwa.cond"
local core = require "cwa.core"
local raises = require("support.assert").raises

local F = cond.field

local produced = {}
local function text(c)
  local s = tostring(c)
  produced[#produced + 1] = s
  return s
end

describe("cwa.cond.quote", function()
  it("quotes plain strings in single quotes", function()
    assert.are.equal("'Online'", cond.quote("Online"))
    assert.are.equal("''", cond.quote(""))
  end)

  it("uses double quotes for a string holding a single quote", function()
    assert.are.equal([["O'Brien"]], cond.quote("O'Brien"))
  end)

  it("keeps single quotes for a string holding a double quote", function()
    assert.are.equal([['say "hi"']], cond.quote('say "hi"'))
  end)

  it("doubles single quotes only when both kinds appear", function()
    assert.are.equal([['it''s "x"']], cond.quote([[it's "x"]]))
  end)

  it("keeps UTF-8 text as is", function()
    assert.are.equal("'Zürich ☃'", cond.quote("Zürich ☃"))
  end)

  it("rejects invalid UTF-8", function()
    raises("InvalidArgument", "UTF-8", cond.quote, "a\xff")
  end)

  it("rejects NUL bytes", function()
    raises("InvalidArgument", "NUL", cond.quote, "a\0b")
  end)

  it("writes integers with %d", function()
    assert.are.equal("42", cond.quote(42))
    assert.are.equal("-7", cond.quote(-7))
    assert.are.equal("9223372036854775807", cond.quote(math.maxinteger))
  end)

  it("writes floats as the shortest text that reads back", function()
    assert.are.equal("0.1", cond.quote(0.1))
    assert.are.equal("2.5", cond.quote(2.5))
    assert.are.equal("3", cond.quote(3.0))
    assert.are.equal(1 / 3, tonumber(cond.quote(1 / 3)))
  end)

  it("never uses exponent notation", function()
    assert.are.equal("100000000000000000000", cond.quote(1e20))
    assert.are.equal("0.0000001", cond.quote(1e-7))
    assert.are.equal("-0.00000000025", cond.quote(-2.5e-10))
    for _, x in ipairs{1e300, 5e-300, 1.5e17, 123.456e-20} do
      local s = cond.quote(x)
      assert.is_nil(s:find("[eE]"))
      assert.are.equal(x, tonumber(s))
    end
  end)

  it("writes booleans", function()
    assert.are.equal("true", cond.quote(true))
    assert.are.equal("false", cond.quote(false))
  end)

  it("writes {date = os.time value} unquoted in UTC", function()
    assert.are.equal("1970-01-01T00:00:00", cond.quote{date = 0})
    assert.are.equal("2024-02-14T10:20:30", cond.quote{date = 1707906030})
  end)

  it("writes cond.date values unquoted", function()
    assert.are.equal("2024-02-14T10:20:30", cond.quote(cond.date(1707906030)))
    assert.are.equal("2019-12-18T00:50:19", cond.quote(cond.date("2019-12-18T00:50:19")))
    assert.are.equal("2019-12-18", cond.quote(cond.date("2019-12-18")))
    assert.are.equal("2019-12-18T00:50:19", tostring(cond.date("2019-12-18T00:50:19")))
  end)

  it("rejects malformed date strings", function()
    raises("InvalidArgument", "cwa.cond.date", cond.date, "18/12/2019")
    raises("InvalidArgument", "cwa.cond.date", cond.date, "2019-12-18' or 1=1")
    raises("InvalidArgument", "cwa.cond.date", cond.date, {})
  end)

  it("rejects nil, NaN and infinities", function()
    raises("InvalidArgument", "nil", cond.quote, nil)
    raises("InvalidArgument", "NaN", cond.quote, 0 / 0)
    raises("InvalidArgument", "infinity", cond.quote, math.huge)
    raises("InvalidArgument", "infinity", cond.quote, -math.huge)
  end)

  it("rejects functions and tables, naming cwa.quote", function()
    raises("InvalidArgument", "cwa.quote: unsupported value of type function", cond.quote, print)
    raises("InvalidArgument", "cwa.quote: unsupported value of type table", cond.quote, {1, 2})
    raises("InvalidArgument", "cwa.quote", cond.quote, {date = 1, x = 2})
    raises("InvalidArgument", "condition", cond.quote, F("A"):eq(1))
  end)
end)

describe("cwa.cond.where", function()
  it("joins equality conditions in field-name order", function()
    assert.are.equal("Client.Id = 100 and Status = 'Online'",
      cond.where{Status = "Online", ["Client.Id"] = 100})
  end)

  it("is stable across calls", function()
    local t = {Z = 1, A = 2, M = 3, B = true}
    local first = cond.where(t)
    for _ = 1, 20 do assert.are.equal(first, cond.where(t)) end
    assert.are.equal("A = 2 and B = true and M = 3 and Z = 1", first)
  end)

  it("turns a list into in (...)", function()
    assert.are.equal("Id in (1, 2, 3)", cond.where{Id = {1, 2, 3}})
    assert.are.equal([[Name in ('a', "O'Brien")]], cond.where{Name = {"a", "O'Brien"}})
  end)

  it("writes dates unquoted", function()
    assert.are.equal("LastContact = 1970-01-01T00:00:00", cond.where{LastContact = {date = 0}})
    assert.are.equal("LastContact = 2020-01-01", cond.where{LastContact = cond.date("2020-01-01")})
  end)

  it("rejects an empty list and a non-list table", function()
    raises("InvalidArgument", "empty list", cond.where, {Id = {}})
    raises("InvalidArgument", "list", cond.where, {Id = {a = 1}})
  end)

  it("rejects builder values as values", function()
    raises("InvalidArgument", "condition", cond.where, {Name = F("X"):eq(1)})
  end)

  it("validates field names", function()
    raises("InvalidArgument", "invalid field name", cond.where, {["Name = 1 or x"] = 1})
    raises("InvalidArgument", "invalid field name", cond.where, {["a..b"] = 1})
    raises("InvalidArgument", "invalid field name", cond.where, {[".a"] = 1})
    raises("InvalidArgument", "invalid field name", cond.where, {["1abc"] = 1})
    raises("InvalidArgument", "invalid field name", cond.where, {["and"] = 1})
    raises("InvalidArgument", "field names must be strings", cond.where, {1})
  end)

  it("rejects an empty table and non-tables", function()
    raises("InvalidArgument", "no fields", cond.where, {})
    raises("InvalidArgument", "cwa.where", cond.where, "Status = 'Online'")
  end)

  it("names the field of a bad value", function()
    raises("InvalidArgument", "field Name", cond.where, {Name = print})
  end)
end)

describe("cwa.cond builder", function()
  it("has every comparison method", function()
    assert.are.equal("Id = 5", text(F("Id"):eq(5)))
    assert.are.equal("Id != 5", text(F("Id"):ne(5)))
    assert.are.equal("Id > 5", text(F("Id"):gt(5)))
    assert.are.equal("Id >= 5", text(F("Id"):ge(5)))
    assert.are.equal("Id < 5", text(F("Id"):lt(5)))
    assert.are.equal("Id <= 5", text(F("Id"):le(5)))
  end)

  it("has like and not_like with the caller's pattern", function()
    assert.are.equal("Name like '%web%'", text(F("Name"):like("%web%")))
    assert.are.equal("Name not like '%Mac%'", text(F("Name"):not_like("%Mac%")))
  end)

  it("has contains and not_contains", function()
    assert.are.equal("Name contains 'DC'", text(F("Name"):contains("DC")))
    assert.are.equal("OpenPortsTCP contains 3389", text(F("OpenPortsTCP"):contains(3389)))
    assert.are.equal("Name not contains 'DC'", text(F("Name"):not_contains("DC")))
  end)

  it("has in_ with a list or with arguments, and ['in']", function()
    assert.are.equal("Id in (1, 2)", text(F("Id"):in_{1, 2}))
    assert.are.equal("Id in (1, 2)", text(F("Id"):in_(1, 2)))
    local f = F("Id")
    assert.are.equal("Id in (3)", text(f["in"](f, 3)))
    assert.are.equal("Id not in (1, 2)", text(F("Id"):not_in{1, 2}))
    assert.are.equal("Id not in ('a')", text(F("Id"):not_in("a")))
  end)

  it("does not change the list given to in_", function()
    local list = {1, 2}
    F("Id"):in_(list)
    assert.are.same({1, 2}, list)
  end)

  it("rejects an empty in_", function()
    raises("InvalidArgument", "at least one value", F("Id").in_, F("Id"))
    raises("InvalidArgument", "at least one value", F("Id").in_, F("Id"), {})
  end)

  it("writes startswith and endswith as like", function()
    assert.are.equal("Name like 'ACME%'", text(F("Name"):startswith("ACME")))
    assert.are.equal("Name like '%corp'", text(F("Name"):endswith("corp")))
  end)

  it("escapes LIKE wildcards in startswith and endswith", function()
    assert.are.equal([[Name like '50\%\_off%']], text(F("Name"):startswith("50%_off")))
    assert.are.equal([[Name like '%a\\b']], text(F("Name"):endswith([[a\b]])))
    assert.are.equal([[Name like '\[x]%']], text(F("Name"):startswith("[x]")))
  end)

  it("quotes startswith values that hold a quote", function()
    assert.are.equal([[Name like "O'B%"]], text(F("Name"):startswith("O'B")))
  end)

  it("has is_null", function()
    assert.are.equal("Contact = null", text(F("Contact"):is_null()))
    assert.are.equal("Contact != null", text(F("Contact"):is_null(false)))
  end)

  it("accepts dotted field names and rejects bad ones", function()
    assert.are.equal("Client.Name = 'x'", text(F("Client.Name"):eq("x")))
    raises("InvalidArgument", "invalid field name", cond.field, "Name = 1 or x")
    raises("InvalidArgument", "invalid field name", cond.field, "Name;")
    raises("InvalidArgument", "1 to 200 characters", cond.field, "")
    raises("InvalidArgument", "must be a string", cond.field, 5)
  end)

  it("names the method in value errors", function()
    raises("InvalidArgument", "cwa.cond.field(Id):eq", F("Id").eq, F("Id"), nil)
    raises("InvalidArgument", "cwa.cond.field(Id):gt", F("Id").gt, F("Id"), {})
  end)

  it("marks condition values", function()
    local c = F("A"):eq(1)
    assert.is_true(c.is_condition)
    assert.is_true(cond.is_condition(c))
    assert.is_false(cond.is_condition("A = 1"))
    assert.is_false(cond.is_condition({is_condition = true}))
  end)

  it("concatenates with strings", function()
    assert.are.equal("where A = 1", "where " .. F("A"):eq(1))
    assert.are.equal("A = 1;", F("A"):eq(1) .. ";")
  end)
end)

describe("cwa.cond combination", function()
  local a, b, c, d = F("A"):eq(1), F("B"):eq(2), F("C"):eq(3), F("D"):eq(4)

  it("joins with & and |", function()
    assert.are.equal("A = 1 and B = 2", text(a & b))
    assert.are.equal("A = 1 or B = 2", text(a | b))
  end)

  it("flattens chains of the same operator", function()
    assert.are.equal("A = 1 and B = 2 and C = 3", text(a & b & c))
    assert.are.equal("A = 1 or B = 2 or C = 3", text(a | (b | c)))
  end)

  it("needs no parentheses for and inside or", function()
    assert.are.equal("A = 1 and B = 2 or C = 3 and D = 4", text((a & b) | (c & d)))
  end)

  it("parenthesizes or inside and", function()
    assert.are.equal("(A = 1 or B = 2) and (C = 3 or D = 4)", text((a | b) & (c | d)))
    assert.are.equal("A = 1 and (B = 2 or C = 3)", text(a & (b | c)))
  end)

  it("nests deeper structures correctly", function()
    local e = (a | (b & (c | d))) & d
    assert.are.equal("(A = 1 or B = 2 and (C = 3 or D = 4)) and D = 4", text(e))
  end)

  it("has all and any", function()
    assert.are.equal("A = 1 and B = 2 and C = 3", text(cond.all(a, b, c)))
    assert.are.equal("A = 1 or B = 2", text(cond.any(a, b)))
    assert.are.equal("A = 1", text(cond.all(a)))
    raises("InvalidArgument", "at least one", cond.all)
    raises("InvalidArgument", "at least one", cond.any)
  end)

  it("wraps raw text in parentheses when combined", function()
    local r = cond.raw("X = 1 or Y = 2")
    assert.are.equal("X = 1 or Y = 2", text(r))
    assert.are.equal("A = 1 and (X = 1 or Y = 2)", text(a & r))
    assert.are.equal("(X = 1 or Y = 2) or A = 1", text(r | a))
  end)

  it("accepts plain strings as raw text in & and |", function()
    assert.are.equal("A = 1 and (Status = 'Online')", text(a & "Status = 'Online'"))
    assert.are.equal("(Status = 'Online') or A = 1", text("Status = 'Online'" | a))
  end)

  it("rejects other operands and empty raw text", function()
    raises("InvalidArgument", "expected a condition", function() return a & 5 end)
    raises("InvalidArgument", "empty", cond.raw, "  ")
    raises("InvalidArgument", "must be a string", cond.raw, 5)
  end)
end)

describe("cwa.cond negation", function()
  it("flips comparisons", function()
    assert.are.equal("Id != 5", text(~F("Id"):eq(5)))
    assert.are.equal("Id = 5", text(~F("Id"):ne(5)))
    assert.are.equal("Id >= 5", text(~F("Id"):lt(5)))
    assert.are.equal("Id > 5", text(~F("Id"):le(5)))
    assert.are.equal("Id <= 5", text(~F("Id"):gt(5)))
    assert.are.equal("Id < 5", text(~F("Id"):ge(5)))
    assert.are.equal("X != null", text(~F("X"):is_null()))
  end)

  it("puts not before like, contains and in", function()
    assert.are.equal("N not like 'a%'", text(~F("N"):startswith("a")))
    assert.are.equal("N not contains 'a'", text(~F("N"):contains("a")))
    assert.are.equal("N not in (1)", text(~F("N"):in_(1)))
    assert.are.equal("N like '%a'", text(~F("N"):not_like("%a")))
    assert.are.equal("N contains 'a'", text(~F("N"):not_contains("a")))
    assert.are.equal("N in (1)", text(~F("N"):not_in(1)))
  end)

  it("applies De Morgan to and and or", function()
    local a, b, c = F("A"):eq(1), F("B"):lt(2), F("C"):like("x%")
    assert.are.equal("A != 1 or B >= 2", text(~(a & b)))
    assert.are.equal("A != 1 and B >= 2", text(~(a | b)))
    assert.are.equal("A != 1 and (B >= 2 or C not like 'x%')", text(~(a | (b & c))))
  end)

  it("is its own inverse", function()
    local e = (F("A"):eq(1) | F("B"):contains("x")) & F("C"):in_{1, 2}
    assert.are.equal(tostring(e), text(~~e))
  end)

  it("never emits a general not", function()
    local e = ~((F("A"):eq(1) | F("B"):gt(2)) & ~F("C"):startswith("z"))
    local s = text(e)
    for word in s:gmatch("not (%a+)") do
      assert.is_truthy(word == "like" or word == "contains" or word == "in", s)
    end
    assert.is_nil(s:find("not %("))
  end)

  it("refuses to negate raw text", function()
    raises("InvalidArgument", "cannot be negated", function() return ~cond.raw("A = 1") end)
  end)
end)

describe("cwa.cond injection", function()
  local evil = {
    "O'Brien' or 1=1 --",
    [[x" or "1"="1]],
    [[a' or 'b'='b" or "c"="c]],
    "') or (1=1",
    "%' or Id > 0 or Name like '%",
  }

  it("keeps hostile strings one literal in eq", function()
    for _, s in ipairs(evil) do
      local t = text(F("Name"):eq(s))
      local q = t:match("^Name = (.*)$")
      assert.is_truthy(q)
      local open = q:sub(1, 1)
      assert.are.equal(open, q:sub(-1))
      -- Undo the quoting: the inside, with doubled quotes collapsed, is s.
      local inner = q:sub(2, -2)
      if open == "'" then
        assert.is_nil(inner:gsub("''", ""):find("'"))
        inner = inner:gsub("''", "'")
      else
        assert.is_nil(inner:find('"', 1, true))
      end
      assert.are.equal(s, inner)
    end
  end)

  it("keeps hostile strings one literal in where, like and in", function()
    assert.are.equal([[Name = "O'Brien' or 1=1 --"]], cond.where{Name = evil[1]})
    assert.are.equal([[Name like "O'Brien' or 1=1 --%"]], text(F("Name"):startswith(evil[1])))
    assert.are.equal([[Name in ("O'Brien' or 1=1 --", 'x')]], text(F("Name"):in_(evil[1], "x")))
  end)

  it("parses hostile strings as a single comparison", function()
    for _, s in ipairs(evil) do
      assert.is_true(core.check_condition(text(F("Name"):eq(s))))
    end
  end)
end)

describe("cwa.cond.to_text", function()
  it("accepts strings and condition values", function()
    assert.are.equal("A = 1", cond.to_text("A = 1"))
    assert.are.equal("A = 1 and B = 2", cond.to_text(F("A"):eq(1) & F("B"):eq(2)))
  end)

  it("rejects other types", function()
    raises("InvalidArgument", "cwa.cond.to_text", cond.to_text, 5)
    raises("InvalidArgument", "cwa.cond.to_text", cond.to_text, {})
    raises("InvalidArgument", "cwa.cond.to_text", cond.to_text, nil)
  end)
end)

describe("cwa.cond.check", function()
  it("accepts good text and builder values", function()
    assert.is_true(cond.check("Status = 'Online'"))
    assert.is_true(cond.check(F("Id"):gt(5) & F("Name"):startswith("a")))
  end)

  it("returns nil and a message for bad text", function()
    local ok, msg = cond.check("Status == 'Online'")
    assert.is_nil(ok)
    assert.are.equal("string", type(msg))
  end)

  it("parses every text this spec produced", function()
    -- Sample one of each kind again so the test stands alone too.
    text(cond.where{Status = "Online", Id = {1, 2}, Seen = {date = 0}, Ok = true, X = 1.5})
    text(~((F("A.B"):startswith("x_%") | F("C"):endswith("'")) & F("D"):not_in(1, 2)))
    for _, s in ipairs(produced) do
      local ok, msg = core.check_condition(s)
      assert.is_true(ok, s .. ": " .. tostring(msg))
    end
  end)
end)

describe("cond.date zones (issue 15, point 5)", function()
  it("writes UTC by default and the server's local time with utc_offset", function()
    local t = 1707906030 -- 2024-02-14T10:20:30Z
    assert.are.equal("2024-02-14T10:20:30", tostring(cond.date(t)))
    assert.are.equal("2024-02-14T20:20:30", tostring(cond.date(t, {utc_offset = "+10:00"})))
    assert.are.equal("2024-02-14T20:20:30", tostring(cond.date(t, {utc_offset = 600})))
    assert.are.equal("2024-02-14T06:50:30", tostring(cond.date(t, {utc_offset = "-03:30"})))
    assert.are.equal("2024-02-15T00:20:30", tostring(cond.date(t, {utc_offset = "+14:00"})))
    assert.are.equal("2024-02-13T22:20:30", tostring(cond.date(t, {utc_offset = -720})))
    assert.are.equal("2024-02-14T10:20:30", tostring(cond.date(t, {utc_offset = "+00:00"})))
    assert.are.equal("2024-02-14T10:20:30", tostring(cond.date(t, {})))
    assert.are.equal("LastContact > 2024-02-14T20:20:30",
      text(F("LastContact"):gt(cond.date(t, {utc_offset = "+10:00"}))))
    raises("InvalidArgument", "between -12:00 and +14:00", cond.date, t, {utc_offset = "+15:00"})
    raises("InvalidArgument", "between -12:00 and +14:00", cond.date, t, {utc_offset = -721})
    raises("InvalidArgument", "+HH:MM", cond.date, t, {utc_offset = "10:00"})
    raises("InvalidArgument", "+HH:MM", cond.date, t, {utc_offset = "+10:75"})
    raises("InvalidArgument", "whole minutes", cond.date, t, {utc_offset = 1.5})
    raises("InvalidArgument", "unknown option 'tz'", cond.date, t, {tz = "+10:00"})
    raises("InvalidArgument", "date string is written as given", cond.date, "2024-02-14",
      {utc_offset = "+10:00"})
  end)
end)
