-- Output formatting: cell text, columns, aligned tables, records, JSON,
-- NDJSON, CSV (parsed back with a small RFC 4180 reader) and the streaming
-- writers.

local cjson = require "cjson"
local format = require "cwa.format"
local raises = require("support.assert").raises

-- A string sink with the :write method of a file.
local function sink()
  local s = {parts = {}}
  function s:write(...)
    for _, x in ipairs{...} do self.parts[#self.parts + 1] = x end
    return self
  end
  function s:text() return table.concat(self.parts) end
  return s
end

local read_csv = require("support.csv").read

local function lines_of(s)
  local t = {}
  for line in s:gmatch("([^\n]*)\n") do t[#t + 1] = line end
  return t
end

local function width(s) return utf8.len(s) or #s end

local function computers(n)
  local t = {}
  for i = 1, n do
    t[i] = {
      Id = i, ComputerName = "PC-" .. i, Status = i % 2 == 0 and "Online" or "Offline",
      Client = {Id = 100 + i % 3, Name = "Client " .. i % 3},
      Tags = {"a", "b"}, Ram = i * 1024, Note = cjson.null,
    }
  end
  return t
end

describe("cwa.format.escape", function()
  it("leaves printable text alone, UTF-8 and backslashes included", function()
    for _, s in ipairs{"", "plain", "Zürich € 😀", "C:\\Windows\\x1b", "\u{A0}nbsp"} do
      assert.are.equal(s, format.escape(s))
    end
  end)

  it("shows C0 controls and DEL as \\n, \\r, \\t or \\xNN", function()
    assert.are.equal("a\\x1b]0;t\\x07\\x1b[31mb\\x08\\r\\n\\t\\x00\\x7f",
      format.escape("a\27]0;t\7\27[31mb\8\r\n\t\0\127"))
  end)

  it("keeps newlines and tabs with keep_lines, nothing else", function()
    assert.are.equal("a\nb\tc\\r\\x1b", format.escape("a\nb\tc\r\27", true))
  end)

  it("shows C1 controls and bytes that are not UTF-8 byte by byte", function()
    assert.are.equal("\\xc2\\x9b2J", format.escape("\xc2\x9b2J"))     -- U+009B, CSI
    assert.are.equal("\\xff\\xfe", format.escape("\xff\xfe"))
    assert.are.equal("\\xc0\\xaf", format.escape("\xc0\xaf"))         -- overlong '/'
    assert.are.equal("\\xed\\xa0\\x80", format.escape("\xed\xa0\x80")) -- a surrogate
    assert.are.equal("ü\\xc3", format.escape("ü\xc3"))                  -- cut at the end
  end)
end)

describe("cwa.format.value_text", function()
  it("writes nil and null as empty", function()
    assert.are.equal("", format.value_text(nil))
    assert.are.equal("", format.value_text(cjson.null))
  end)

  it("writes booleans and strings", function()
    assert.are.equal("true", format.value_text(true))
    assert.are.equal("false", format.value_text(false))
    assert.are.equal("x y", format.value_text("x y"))
  end)

  it("writes integers without .0", function()
    assert.are.equal("3", format.value_text(3))
    assert.are.equal("3", format.value_text(3.0))
    assert.are.equal("-12", format.value_text(-12.0))
    assert.are.equal("1.5", format.value_text(1.5))
    assert.are.equal("0.1", format.value_text(0.1))
  end)

  it("joins arrays of scalars with commas", function()
    assert.are.equal("a, b, 3", format.value_text{"a", "b", 3})
  end)

  it("writes objects and nested arrays as compact JSON", function()
    assert.are.equal('{"Id":1,"Name":"x"}', format.value_text{Name = "x", Id = 1})
    assert.are.equal('[{"a":1}]', format.value_text{{a = 1}})
    assert.are.equal("", format.value_text{})
  end)
end)

describe("cwa.format.columns", function()
  it("uses opts.fields as given", function()
    assert.are.same({"Name", "Id"}, format.columns(computers(2), {fields = {"Name", "Id"}}))
  end)

  it("puts Id first, then id-like, then name-like, then the rest", function()
    local cols = format.columns{{Zeta = 1, Name = "n", ComputerName = "c",
      ClientId = 2, Id = 3, AlertID = 4, alpha = 5}}
    assert.are.same({"Id", "AlertID", "ClientId", "Name", "ComputerName", "Zeta", "alpha"}, cols)
  end)

  it("takes the union of the keys of the first records", function()
    local cols = format.columns{{Id = 1, A = 1}, {Id = 2, B = 2}, {Id = 3, C = 3}}
    assert.are.same({"Id", "A", "B", "C"}, cols)
    assert.are.same({"Id", "A", "B"}, format.columns({{Id = 1, A = 1}, {Id = 2, B = 2}, {C = 1}}, {sample = 2}))
  end)

  it("flattens nested objects one level when asked", function()
    local cols = format.columns(computers(1), {flatten = true})
    assert.are.same({"Id", "ComputerName", "Client.Id", "Client.Name", "Note", "Ram", "Status", "Tags"}, cols)
    local plain = format.columns(computers(1))
    assert.are.same({"Id", "ComputerName", "Client", "Note", "Ram", "Status", "Tags"}, plain)
  end)

  it("reads dotted columns with format.get", function()
    local r = computers(1)[1]
    assert.are.equal("Client 1", format.get(r, "Client.Name"))
    assert.are.equal(1, format.get({["a.b"] = 1}, "a.b"))
    assert.is_nil(format.get(r, "Nope.X"))
  end)
end)

describe("cwa.format.table", function()
  it("aligns columns under a header and a separator", function()
    local out = format.table(computers(3), {fields = {"Id", "ComputerName", "Status"}})
    local ls = lines_of(out)
    assert.are.equal("Id  ComputerName  Status", ls[1])
    assert.are.equal("--  ------------  -------", ls[2])
    assert.are.equal(" 1  PC-1          Offline", ls[3])
    assert.are.equal(" 3  PC-3          Offline", ls[5])
    assert.are.equal(5, #ls)
  end)

  it("right-aligns numeric columns", function()
    local out = format.table({{Id = 5, Ram = 10}, {Id = 10, Ram = 2048}}, {fields = {"Id", "Ram"}})
    local ls = lines_of(out)
    assert.are.equal("Id   Ram", ls[1])
    assert.are.equal(" 5    10", ls[3])
    assert.are.equal("10  2048", ls[4])
  end)

  it("cuts long cells with an ellipsis", function()
    local long = string.rep("x", 100)
    local out = format.table({{Name = long}}, {max_cell = 20})
    local ls = lines_of(out)
    assert.are.equal(string.rep("x", 19) .. "…", ls[3])
  end)

  it("fits every line into opts.width and says how many columns are hidden", function()
    local rec = {}
    for i = 1, 30 do rec[string.format("Column%02d", i)] = string.rep("v", 15) end
    local out = format.table({rec, rec}, {width = 60})
    local ls = lines_of(out)
    for _, l in ipairs(ls) do assert.is_true(width(l) <= 60, l) end
    local hidden = out:match("%((%d+) columns hidden")
    assert.is_truthy(hidden)
    local shown = 0
    for _ in ls[1]:gmatch("Column%d+") do shown = shown + 1 end
    assert.are.equal(30, shown + tonumber(hidden))
  end)

  it("shrinks wide columns before dropping any", function()
    local out = format.table({{A = string.rep("a", 40), B = string.rep("b", 40)}}, {width = 50})
    assert.is_nil(out:find("hidden"))
    for _, l in ipairs(lines_of(out)) do assert.is_true(width(l) <= 50) end
    assert.is_truthy(out:find("…", 1, true))
  end)

  it("truncates to max_rows with a count of the rest", function()
    local out = format.table(computers(10), {max_rows = 4, fields = {"Id"}})
    local ls = lines_of(out)
    assert.are.equal(7, #ls)
    assert.are.equal("... and 6 more", ls[7])
  end)

  it("counts opts.total in the rest", function()
    local out = format.table(computers(2), {max_rows = 2, total = 50, fields = {"Id"}})
    assert.is_truthy(out:find("... and 48 more", 1, true))
  end)

  it("says when there are no records", function()
    assert.are.equal("(no records)\n", format.table({}))
  end)

  it("shows records without keys as one value column", function()
    local ls = lines_of(format.table{"a", 3, {1, 2}})
    assert.are.same({"value", "-----", "a", "3", "1, 2"}, ls)
  end)

  it("stays within very narrow widths", function()
    local out = format.table({{Id = 1, Name = string.rep("n", 30), X = "y"}}, {width = 12})
    for _, l in ipairs(lines_of(out)) do assert.is_true(width(l) <= 12, l) end
    assert.is_truthy(out:find("hidden", 1, true) or out:find("…", 1, true))
  end)

  it("keeps rows on one line when cells hold newlines", function()
    local out = format.table({{Id = 1, Text = "a\nb\tc"}})
    assert.are.equal(3, #lines_of(out))
    assert.is_truthy(out:find("a\\nb\\tc", 1, true))
  end)

  it("shows the control characters of cells and column names escaped", function()
    local out = format.table({{Id = 1, ["Na\27[2Jme"] = "pc\27]0;x\7"}}, {width = 200})
    assert.are.same({"Id  Na\\x1b[2Jme", "--  --------------", " 1  pc\\x1b]0;x\\x07"}, lines_of(out))
  end)

  it("measures UTF-8 text in characters", function()
    local out = format.table({{Name = "Zürich", X = 1}, {Name = "ab", X = 2}}, {fields = {"Name", "X"}})
    local ls = lines_of(out)
    assert.are.equal("Zürich  1", ls[3])
    assert.are.equal("ab      2", ls[4])
  end)

  it("shows nested values flattened or as JSON", function()
    local flat = format.table(computers(1), {flatten = true, fields = nil, width = 200})
    assert.is_truthy(flat:find("Client.Name", 1, true))
    assert.is_truthy(flat:find("Client 1", 1, true))
    local plain = format.table(computers(1), {width = 200})
    assert.is_truthy(plain:find('{"Id":101,"Name":"Client 1"}', 1, true))
    assert.is_truthy(plain:find("a, b", 1, true))
  end)
end)

describe("cwa.format.record", function()
  it("indents nested tables and sorts keys id-like first", function()
    local out = format.record{Name = "PC", Id = 7, Client = {Name = "ACME", Id = 1}}
    assert.are.equal("Id:   7\nName: PC\nClient:\n  Id:   1\n  Name: ACME\n", out)
  end)

  it("keeps arrays of scalars on one line and lists arrays of records", function()
    local out = format.record{Tags = {"a", "b"}, Items = {{Id = 1}, {Id = 2}}}
    assert.are.equal("Items:\n  [1]:\n    Id: 1\n  [2]:\n    Id: 2\nTags: a, b\n", out)
  end)

  it("writes null as empty and survives cycles", function()
    local t = {Id = 1, Note = cjson.null}
    t.Self = t
    local out = format.record(t)
    assert.is_truthy(out:find("Note:", 1, true))
    assert.is_truthy(out:find("<cycle>", 1, true))
  end)

  it("writes scalars and empty tables", function()
    assert.are.equal("42\n", format.record(42))
    assert.are.equal("{}\n", format.record{})
  end)

  it("shows the control characters of keys and values escaped", function()
    local out = format.record{["K\27[2J"] = "v\r\n\27]0;t\7", Sub = {["\8"] = 1}}
    assert.are.equal("K\\x1b[2J: v\\r\\n\\x1b]0;t\\x07\nSub:\n  \\x08: 1\n", out)
  end)
end)

describe("cwa.format.json", function()
  it("writes compact JSON that decodes to the same value", function()
    local v = {Id = 1, Name = "a\"b\n", Tags = {"x", "y"}, Client = {Id = 2}, On = true, R = 1.25}
    local s = format.json(v)
    assert.is_nil(s:find("\n"))
    assert.are.same(v, cjson.decode(s))
  end)

  it("orders keys id-like first for stable output", function()
    assert.are.equal('{"Id":1,"ClientId":2,"Name":"n","a":3}',
      format.json{a = 3, Name = "n", ClientId = 2, Id = 1})
  end)

  it("pretty-prints with two-space indent", function()
    local s = format.json({Id = 1, Tags = {"a"}, Empty = {}}, {pretty = true})
    assert.are.equal('{\n  "Id": 1,\n  "Empty": {},\n  "Tags": [\n    "a"\n  ]\n}', s)
  end)

  it("writes null, integers and floats", function()
    assert.are.equal("null", format.json(cjson.null))
    assert.are.equal("[1,2.5,3,null]", format.json{1, 2.5, 3.0, cjson.null})
    assert.are.equal("null", format.json(0 / 0))
  end)

  it("writes empty tables as {} unless asked for arrays", function()
    assert.are.equal("{}", format.json{})
    assert.are.equal("[]", format.json({}, {empty_table = "array"}))
    if rawget(cjson, "empty_array") then
      assert.are.equal("[]", format.json(cjson.empty_array))
    end
  end)

  it("writes sparse tables as objects", function()
    assert.are.same({["1"] = "a", ["3"] = "c"}, cjson.decode(format.json{[1] = "a", [3] = "c"}))
  end)

  it("rejects cycles and functions", function()
    local t = {}
    t.t = t
    raises("InvalidArgument", "cycle", format.json, t)
    raises("InvalidArgument", "function", format.json, {f = print})
  end)

  it("writes ndjson lines without newlines", function()
    local line = format.ndjson_line{Id = 1, Text = "a\nb\r\nc"}
    assert.is_nil(line:find("[\r\n]"))
    assert.are.same({Id = 1, Text = "a\nb\r\nc"}, cjson.decode(line))
  end)
end)

describe("cwa.format csv", function()
  it("writes a header and plain rows", function()
    assert.are.equal("Id,Name\n", format.csv_header{"Id", "Name"})
    assert.are.equal("1,PC\n", format.csv_row({Id = 1, Name = "PC"}, {"Id", "Name"}))
  end)

  it("quotes commas, quotes and LF, doubles quotes, escapes CR", function()
    local row = format.csv_row({A = "a,b", B = 'say "hi"', C = "l1\nl2", D = "x\ry"}, {"A", "B", "C", "D"})
    -- a CR is a control character like any other: shown, so never quoted
    assert.are.equal('"a,b","say ""hi""","l1\nl2",x\\ry\n', row)
  end)

  it("writes nil and null as empty, booleans and numbers as text", function()
    local row = format.csv_row({B = true, N = 2.0, Z = cjson.null}, {"A", "B", "N", "Z"})
    assert.are.equal(",true,2,\n", row)
  end)

  it("writes nested values as JSON", function()
    local row = format.csv_row({C = {Id = 1, Name = "x,y"}}, {"C"})
    local parsed = read_csv(row)
    assert.are.same({Id = 1, Name = "x,y"}, cjson.decode(parsed[1][1]))
  end)

  it("reads back with an RFC 4180 reader", function()
    local recs = {
      {Id = 1, Name = 'He said "no", then left', Note = "line1\nline2"},
      {Id = 2, Name = "plain", Note = ""},
      {Id = 3, Name = ",,,", Note = '"'},
    }
    local cols = {"Id", "Name", "Note"}
    local text = format.csv_header(cols)
    for _, r in ipairs(recs) do text = text .. format.csv_row(r, cols) end
    local rows = read_csv(text)
    assert.are.same(cols, rows[1])
    for i, r in ipairs(recs) do
      assert.are.same({tostring(r.Id), r.Name, r.Note}, rows[i + 1])
    end
  end)

  it("reads flattened columns", function()
    assert.are.equal("Client 1\n", format.csv_row(computers(1)[1], {"Client.Name"}))
  end)
end)

describe("cwa.format.writer", function()
  it("streams a JSON array that decodes to the records", function()
    local out = sink()
    local w = format.writer("json", out)
    local recs = computers(5)
    for _, r in ipairs(recs) do w:write(r) end
    local before = out:text()
    assert.is_nil(before:find("]", #before, true))
    w:close()
    assert.are.same(recs, cjson.decode(out:text()))
  end)

  it("writes output as records arrive", function()
    local out = sink()
    local w = format.writer("json", out)
    w:write{Id = 1}
    assert.is_truthy(out:text():find('"Id":1', 1, true))
    w:close()
  end)

  it("writes [] for no records", function()
    local out = sink()
    format.writer("json", out):close()
    assert.are.same({}, cjson.decode(out:text()))
    assert.are.equal("[]\n", out:text())
  end)

  it("pretty JSON streams decode too", function()
    local out = sink()
    local w = format.writer("json", out, {pretty = true})
    local recs = computers(3)
    for _, r in ipairs(recs) do w:write(r) end
    w:close()
    assert.are.same(recs, cjson.decode(out:text()))
  end)

  it("streams ndjson one record a line", function()
    local out = sink()
    local w = format.writer("ndjson", out)
    local recs = computers(4)
    for _, r in ipairs(recs) do w:write(r) end
    w:close()
    local ls = lines_of(out:text())
    assert.are.equal(4, #ls)
    for i, l in ipairs(ls) do assert.are.same(recs[i], cjson.decode(l)) end
  end)

  it("streams csv with the header of the first record", function()
    local out = sink()
    local w = format.writer("csv", out)
    w:write{Id = 1, Name = "a,b"}
    w:write{Id = 2, Name = "c", Extra = "ignored"}
    w:close()
    assert.are.same({{"Id", "Name"}, {"1", "a,b"}, {"2", "c"}}, read_csv(out:text()))
  end)

  it("streams csv with opts.fields, header even when empty", function()
    local out = sink()
    local w = format.writer("csv", out, {fields = {"Name", "Id"}})
    w:write{Id = 1, Name = "x"}
    w:close()
    assert.are.same({{"Name", "Id"}, {"x", "1"}}, read_csv(out:text()))
    local empty = sink()
    format.writer("csv", empty, {fields = {"Id"}}):close()
    assert.are.equal("Id\n", empty:text())
  end)

  it("buffers a table up to max_rows and counts the rest", function()
    local out = sink()
    local w = format.writer("table", out, {max_rows = 3, fields = {"Id"}})
    for _, r in ipairs(computers(10)) do w:write(r) end
    assert.are.equal("", out:text())
    assert.are.equal(3, #w.rows)
    w:close()
    local ls = lines_of(out:text())
    assert.are.equal("... and 7 more", ls[#ls])
    assert.are.equal(6, #ls)
  end)

  it("works with <close> and closes once", function()
    local out = sink()
    do
      local w <close> = format.writer("json", out)
      w:write{Id = 1}
      w:close()
    end
    assert.are.same({{Id = 1}}, cjson.decode(out:text()))
  end)

  it("rejects writes after close, bad kinds and bad sinks", function()
    local w = format.writer("ndjson", sink())
    w:close()
    raises("InvalidArgument", "after close", w.write, w, {})
    raises("InvalidArgument", "kind", format.writer, "xml", sink())
    raises("InvalidArgument", "write method", format.writer, "json", {})
  end)

  it("writes to real file handles", function()
    local f = assert(io.tmpfile())
    local w = format.writer("ndjson", f)
    w:write{Id = 1}
    w:close()
    f:seek("set")
    assert.are.same({Id = 1}, cjson.decode(f:read("l")))
    f:close()
  end)
end)

describe("cwa.format.is_record_list", function()
  it("is true for an array of tables only", function()
    assert.is_true(format.is_record_list{{Id = 1}, {Id = 2}})
    assert.is_true(format.is_record_list(cjson.decode("[{}]")))
    assert.is_false(format.is_record_list{{Id = 1}, 2})
    assert.is_false(format.is_record_list{Id = 1})
    assert.is_false(format.is_record_list{})
    assert.is_false(format.is_record_list("x"))
    assert.is_false(format.is_record_list{[1] = {}, [3] = {}})
  end)
end)
