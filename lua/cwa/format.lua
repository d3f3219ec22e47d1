--- Output formatting for the CLI and the REPL: aligned tables, indented
-- records, JSON, NDJSON and CSV, plus streaming writers for each.
--
-- Records are what lua-cjson decodes: tables with string keys, arrays as Lua
-- sequences, `cjson.null` for JSON null. An empty table is ambiguous once
-- decoded; it is written as `{}` unless it is `cjson.empty_array` or carries
-- cjson's array metatable (lua-cjson 2.1.0 as shipped by Debian has neither,
-- so opts.empty_table = "array" is offered too).
--
-- CSV follows RFC 4180 quoting (fields holding a comma, a quote or LF are
-- quoted, quotes doubled) but ends lines with "\n", not "\r\n": every CSV
-- reader accepts it and it is what Unix tools downstream expect.
--
-- The text of tables, records and CSV passes through format.escape: a
-- server's control characters are shown, never sent to the terminal as they
-- are (JSON escapes them itself).

local cjson = require "cjson"
local errors = require "cwa.errors"
local json_string = require("cwa.json").string

local format = {}

local NULL = cjson.null
local EMPTY_ARRAY = rawget(cjson, "empty_array")
local ARRAY_MTS = {}
if rawget(cjson, "array_mt") then ARRAY_MTS[cjson.array_mt] = true end
if rawget(cjson, "empty_array_mt") then ARRAY_MTS[cjson.empty_array_mt] = true end

local function bad(message)
  errors.raise("InvalidArgument", message, 3)
end

-- Scalars -------------------------------------------------------------------

local function number_text(x)
  if math.type(x) == "integer" then return string.format("%d", x) end
  if x ~= x or x == math.huge or x == -math.huge then return nil end
  if x == math.floor(x) and x > -2^63 and x < 2^63 then
    return string.format("%d", math.tointeger(x))
  end
  local s
  for prec = 15, 17 do
    s = string.format("%." .. prec .. "g", x)
    if tonumber(s) == x then break end
  end
  return s
end

-- Sequences 1..n (n > 0) are arrays; so are cjson's marked empty arrays.
local function is_array(t)
  if ARRAY_MTS[getmetatable(t)] then return true end
  local n = #t
  if n == 0 then return false end
  local count = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 or k > n then return false end
    count = count + 1
  end
  return count == n
end
format.is_array = is_array

--- True when v is a non-empty array of tables (records to show as rows).
function format.is_record_list(v)
  if type(v) ~= "table" or not is_array(v) then return false end
  for i = 1, #v do if type(v[i]) ~= "table" then return false end end
  return true
end

-- Key order for humans: Id first, then other id-like keys (ComputerID,
-- AlertId, ...), then Name and name-like keys, then the rest alphabetically.
local function key_rank(k)
  if type(k) ~= "string" then return 4 end
  local lower = k:lower()
  if lower == "id" then return 0 end
  if k:match("I[Dd]$") and #k > 2 then return 1 end
  if lower == "name" then return 2 end
  if k:match("Name$") then return 3 end
  return 4
end

local function key_less(a, b)
  local ra, rb = key_rank(a), key_rank(b)
  if ra ~= rb then return ra < rb end
  local ta, tb = type(a), type(b)
  if ta ~= tb then return ta < tb end
  if ta == "number" or ta == "string" then return a < b end
  return tostring(a) < tostring(b)
end
format.key_less = key_less

local function sorted_keys(t)
  local keys = {}
  for k in pairs(t) do keys[#keys + 1] = k end
  table.sort(keys, key_less)
  return keys
end

-- JSON ----------------------------------------------------------------------

-- A Lua string as a JSON string, "/" unescaped (see cwa.json.string).
local encode_string = json_string

local function json_encode(v, pretty, indent, seen, opts, out)
  local t = type(v)
  if t == "string" then
    out[#out + 1] = encode_string(v)
  elseif t == "number" then
    out[#out + 1] = number_text(v) or "null"
  elseif t == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif v == nil or v == NULL then
    out[#out + 1] = "null"
  elseif EMPTY_ARRAY ~= nil and v == EMPTY_ARRAY then
    out[#out + 1] = "[]"
  elseif t == "table" then
    if seen[v] then bad("cwa.format.json: value contains a cycle") end
    seen[v] = true
    local inner = pretty and (indent .. "  ") or ""
    local nl = pretty and "\n" or ""
    if is_array(v) or (next(v) == nil and opts.empty_table == "array") then
      if #v == 0 then
        out[#out + 1] = "[]"
      else
        out[#out + 1] = "[" .. nl
        for i = 1, #v do
          out[#out + 1] = inner
          json_encode(v[i], pretty, inner, seen, opts, out)
          out[#out + 1] = (i < #v and "," or "") .. nl
        end
        out[#out + 1] = (pretty and indent or "") .. "]"
      end
    elseif next(v) == nil then
      out[#out + 1] = "{}"
    else
      out[#out + 1] = "{" .. nl
      local keys = sorted_keys(v)
      for i, k in ipairs(keys) do
        local kt = type(k)
        if kt ~= "string" and kt ~= "number" then
          bad("cwa.format.json: table key of type " .. kt .. " cannot be written")
        end
        local ks = kt == "string" and k or (number_text(k) or tostring(k))
        out[#out + 1] = inner .. encode_string(ks) .. (pretty and ": " or ":")
        json_encode(v[k], pretty, inner, seen, opts, out)
        out[#out + 1] = (i < #keys and "," or "") .. nl
      end
      out[#out + 1] = (pretty and indent or "") .. "}"
    end
    seen[v] = nil
  else
    bad("cwa.format.json: value of type " .. t .. " cannot be written")
  end
end

--- JSON text of a value; opts.pretty indents by two spaces. Object keys are
-- sorted (id-like first) so output is stable.
function format.json(value, opts)
  opts = opts or {}
  local out = {}
  json_encode(value, opts.pretty, opts.indent or "", {}, opts, out)
  return table.concat(out)
end

--- One record as one line of JSON, with no newline inside or at the end.
function format.ndjson_line(record)
  return format.json(record)
end

-- Text for a terminal ---------------------------------------------------------

-- Bytes that need a look: C0 controls, DEL and everything past ASCII.
local SUSPECT = "[\0-\31\127-\255]"
local SHORT = {["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t"}

local function byte_escapes(s)
  return (s:gsub(".", function(c) return SHORT[c] or ("\\x%02x"):format(c:byte()) end))
end

--- Text safe to print on a terminal: control characters (C0, DEL, and C1
-- as UTF-8) and bytes that are not valid UTF-8 are shown escaped (`\n`,
-- `\r`, `\t`, else `\xNN` per byte: ESC is `\x1b`), so that a server's text
-- can neither move the cursor, retitle the window nor clear the screen.
-- With keep_lines, newline and tab stay as they are (multi-line text).
-- Backslashes are not doubled: the result is for reading, not for parsing
-- back (Windows paths stay readable).
-- @string s
-- @bool[opt] keep_lines
-- @treturn string
function format.escape(s, keep_lines)
  if not s:find(SUSPECT) then return s end
  local out, i = {}, 1
  while true do
    local j = s:find(SUSPECT, i)
    if not j then break end
    out[#out + 1] = s:sub(i, j - 1)
    local len, printable = 1, false
    if s:byte(j) >= 0x80 and utf8.len(s, j, j) then
      local cp = utf8.codepoint(s, j)
      len = cp < 0x800 and 2 or cp < 0x10000 and 3 or 4
      printable = cp >= 0xA0
    end
    local c = s:sub(j, j + len - 1)
    if printable or (keep_lines and (c == "\n" or c == "\t")) then
      out[#out + 1] = c
    else
      out[#out + 1] = byte_escapes(c)
    end
    i = j + len
  end
  out[#out + 1] = s:sub(i)
  return table.concat(out)
end

-- Text of a cell ------------------------------------------------------------

--- Display text of any value: "" for nil and null, integers without ".0",
-- arrays of scalars comma-joined, other tables as compact JSON.
function format.value_text(v)
  local t = type(v)
  if v == nil or v == NULL then return "" end
  if t == "string" then return v end
  if t == "number" then return number_text(v) or tostring(v) end
  if t == "boolean" then return v and "true" or "false" end
  if t == "table" then
    if is_array(v) then
      local parts = {}
      for i = 1, #v do
        local x = v[i]
        if type(x) == "table" then return format.json(v) end
        parts[i] = format.value_text(x)
      end
      return table.concat(parts, ", ")
    end
    if next(v) == nil then return "" end
    return format.json(v)
  end
  if EMPTY_ARRAY ~= nil and v == EMPTY_ARRAY then return "" end
  return tostring(v)
end

--- The value at a column: the key itself, or a dotted path one level deep
-- (`Client.Name`) as produced by columns{flatten = true}.
function format.get(record, column)
  if type(record) ~= "table" then return nil end
  local v = record[column]
  if v ~= nil then return v end
  local head, rest = column:match("^([^.]+)%.(.+)$")
  if head then
    local sub = record[head]
    if type(sub) == "table" then return format.get(sub, rest) end
  end
  return nil
end

-- Columns -------------------------------------------------------------------

local function is_object(v)
  return type(v) == "table" and next(v) ~= nil and not is_array(v)
end

--- Column names for records: opts.fields, else the union of the keys of the
-- first opts.sample (100) records, id-like first, then name-like, then the
-- rest alphabetically. With opts.flatten, nested objects become `Parent.Key`
-- columns (one level), kept at the parent's place.
function format.columns(records, opts)
  opts = opts or {}
  if opts.fields then
    local cols = {}
    for i, f in ipairs(opts.fields) do cols[i] = tostring(f) end
    return cols
  end
  local sample = opts.sample or 100
  local keys, subkeys = {}, {}
  for i = 1, math.min(#records, sample) do
    local rec = records[i]
    if type(rec) == "table" then
      for k, v in pairs(rec) do
        if type(k) == "string" then
          keys[k] = true
          if opts.flatten and is_object(v) then
            subkeys[k] = subkeys[k] or {}
            for sk in pairs(v) do
              if type(sk) == "string" then subkeys[k][sk] = true end
            end
          end
        end
      end
    end
  end
  local names = {}
  for k in pairs(keys) do names[#names + 1] = k end
  table.sort(names, key_less)
  local cols = {}
  for _, k in ipairs(names) do
    if subkeys[k] then
      local subs = {}
      for sk in pairs(subkeys[k]) do subs[#subs + 1] = sk end
      table.sort(subs, key_less)
      for _, sk in ipairs(subs) do cols[#cols + 1] = k .. "." .. sk end
    else
      cols[#cols + 1] = k
    end
  end
  return cols
end

-- Tables --------------------------------------------------------------------

local ELLIPSIS = "…"

local function width_of(s)
  return utf8.len(s) or #s
end

-- The first n display columns of s (s is cut on character boundaries).
local function prefix(s, n)
  if not utf8.len(s) then return s:sub(1, n) end
  local stop = utf8.offset(s, n + 1)
  if not stop then return s end
  return s:sub(1, stop - 1)
end

local function fit(s, w)
  local sw = width_of(s)
  if sw <= w then return s .. string.rep(" ", w - sw) end
  if w <= 0 then return "" end
  return prefix(s, w - 1) .. ELLIPSIS
end

local function fit_right(s, w)
  local sw = width_of(s)
  if sw <= w then return string.rep(" ", w - sw) .. s end
  return fit(s, w)
end

local function cell_text(v)
  -- Newlines and tabs escaped too: they would break the alignment of the row.
  return format.escape(format.value_text(v))
end

--- Aligned text table with a header and a separator line, fitted to
-- opts.width (100): long cells cut with "…", columns that do not fit dropped
-- (a line says how many), rows past opts.max_rows replaced by
-- "... and N more" (N counts opts.total when given; opts.more_hint follows
-- it in parentheses). opts.no_headers leaves out the header and separator;
-- opts.keep_columns keeps every column: when they cannot fit, the lines are
-- longer than the width and no cell is cut. opts.colour(column, value) may return an SGR code ("31") for a
-- cell: its text, not its padding, is wrapped in it.
function format.table(records, opts)
  opts = opts or {}
  local width = opts.width or 100
  local max_rows = opts.max_rows or math.huge
  local max_cell = opts.max_cell or 40
  local total = opts.total or #records
  if #records == 0 then
    if total > 0 then return "... and " .. total .. " more\n" end
    return "(no records)\n"
  end
  local cols = format.columns(records, opts)
  -- Records without keys (scalars, empty tables) show as one "value" column.
  local scalar = #cols == 0
  if scalar then cols = {"value"} end
  local nrows = math.min(#records, max_rows)
  local cells, natural, numeric, seen_number, titles, sgr = {}, {}, {}, {}, {}, {}
  for c, name in ipairs(cols) do
    titles[c] = format.escape(name)
    natural[c] = width_of(titles[c])
    numeric[c] = true
  end
  for r = 1, nrows do
    local row = {}
    for c, name in ipairs(cols) do
      local v
      if scalar then v = records[r] else v = format.get(records[r], name) end
      local s = cell_text(v)
      row[c] = s
      if opts.colour and s ~= "" then
        sgr[r] = sgr[r] or {}
        sgr[r][c] = opts.colour(name, v)
      end
      if width_of(s) > natural[c] then natural[c] = width_of(s) end
      if type(v) == "number" then seen_number[c] = true
      elseif s ~= "" then numeric[c] = false end
    end
    cells[r] = row
  end
  for c = 1, #cols do numeric[c] = numeric[c] and seen_number[c] or false end

  local widths, floor = {}, {}
  for c = 1, #cols do
    widths[c] = math.min(natural[c], max_cell)
    floor[c] = math.min(widths[c], math.max(width_of(titles[c]), 10))
  end
  local function total_width(n)
    local sum = 2 * (n - 1)
    for c = 1, n do sum = sum + widths[c] end
    return sum
  end
  -- Shrink the widest columns first, down to each column's floor.
  local shown = #cols
  while total_width(shown) > width do
    local widest, wc = 0, nil
    for c = 1, shown do
      if widths[c] > floor[c] and widths[c] > widest then widest, wc = widths[c], c end
    end
    if not wc then break end
    widths[wc] = widths[wc] - 1
  end
  -- Then drop columns from the right; the first one always stays. Lines
  -- that must be longer than the width anyway keep every cell whole.
  if opts.keep_columns then
    if total_width(shown) > width then
      for c = 1, #cols do widths[c] = math.min(natural[c], max_cell) end
    end
  else
    while shown > 1 and total_width(shown) > width do shown = shown - 1 end
    if total_width(shown) > width then widths[1] = math.max(1, width) end
  end

  local lines = {}
  local function emit(parts)
    lines[#lines + 1] = (table.concat(parts, "  "):gsub("%s+$", ""))
  end
  local header, sep = {}, {}
  for c = 1, shown do
    header[c] = numeric[c] and fit_right(titles[c], widths[c]) or fit(titles[c], widths[c])
    sep[c] = string.rep("-", widths[c])
  end
  if not opts.no_headers then
    emit(header)
    emit(sep)
  end
  for r = 1, nrows do
    local parts = {}
    for c = 1, shown do
      local s = cells[r][c]
      local text = numeric[c] and fit_right(s, widths[c]) or fit(s, widths[c])
      local code = sgr[r] and sgr[r][c]
      if code then
        local lead, body, pad = text:match("^( *)(.-)( *)$")
        text = lead .. "\27[" .. code .. "m" .. body .. "\27[0m" .. pad
      end
      parts[c] = text
    end
    emit(parts)
  end
  if total > nrows then
    lines[#lines + 1] = "... and " .. (total - nrows) .. " more"
      .. (opts.more_hint and (" (" .. opts.more_hint .. ")") or "")
  end
  local hidden = #cols - shown
  if hidden > 0 then
    local names = {}
    for c = shown + 1, #cols do names[#names + 1] = titles[c] end
    local line = string.format("(%d column%s hidden: %s)", hidden,
      hidden == 1 and "" or "s", table.concat(names, ", "))
    if width_of(line) > width and width > 1 then
      line = prefix(line, width - 2) .. ELLIPSIS .. ")"
    end
    lines[#lines + 1] = line
  end
  return table.concat(lines, "\n") .. "\n"
end

-- Records -------------------------------------------------------------------

-- A value printed as an indented block under its key rather than inline:
-- non-empty objects and arrays that hold tables.
local function is_block(x)
  if type(x) ~= "table" or next(x) == nil then return false end
  if not is_array(x) then return true end
  for i = 1, #x do if type(x[i]) == "table" then return true end end
  return false
end

local function record_lines(v, indent, depth, opts, lines, seen)
  local keys = sorted_keys(v)
  local arr = is_array(v)
  local function label_of(k)
    return arr and ("[" .. tostring(k) .. "]") or format.escape(tostring(k))
  end
  -- Align the values of the inline entries of this level.
  local kw = 0
  for _, k in ipairs(keys) do
    if not is_block(v[k]) and width_of(label_of(k)) > kw then kw = width_of(label_of(k)) end
  end
  for _, k in ipairs(keys) do
    local x = v[k]
    local ks = label_of(k)
    local label = indent .. ks .. ":"
    if is_block(x) then
      if seen[x] or depth >= (opts.depth or 8) then
        lines[#lines + 1] = label .. " " .. (seen[x] and "<cycle>" or "{...}")
      else
        lines[#lines + 1] = label
        seen[x] = true
        record_lines(x, indent .. "  ", depth + 1, opts, lines, seen)
        seen[x] = nil
      end
    else
      local pad = string.rep(" ", kw - width_of(ks))
      lines[#lines + 1] = (label .. pad .. " " .. format.escape(format.value_text(x))):gsub("%s+$", "")
    end
  end
end

--- One record as indented `Key: value` lines (keys sorted, id-like first;
-- nested tables indented further by two spaces). For the REPL.
function format.record(rec, opts)
  opts = opts or {}
  if type(rec) ~= "table" then return format.escape(format.value_text(rec), true) .. "\n" end
  if next(rec) == nil then return "{}\n" end
  local lines = {}
  record_lines(rec, opts.indent or "", 0, opts, lines, {[rec] = true})
  return table.concat(lines, "\n") .. "\n"
end

-- CSV -----------------------------------------------------------------------

-- Escaped like any text for a terminal, but multi-line values stay
-- multi-line (quoted), as RFC 4180 allows.
local function csv_field(s)
  s = format.escape(s, true)
  if s:find('[,"\n]') then
    return '"' .. s:gsub('"', '""') .. '"'
  end
  return s
end

local function csv_value(v)
  if type(v) == "table" then return format.json(v) end
  return format.value_text(v)
end

--- The header line (with "\n").
function format.csv_header(columns)
  local parts = {}
  for i, c in ipairs(columns) do parts[i] = csv_field(tostring(c)) end
  return table.concat(parts, ",") .. "\n"
end

--- One record as a CSV line (with "\n"); nested values as JSON, nil empty.
function format.csv_row(record, columns)
  local parts = {}
  for i, c in ipairs(columns) do parts[i] = csv_field(csv_value(format.get(record, c))) end
  return table.concat(parts, ",") .. "\n"
end

-- Streaming writers ---------------------------------------------------------

local Writer = {}
Writer.__index = Writer
Writer.__name = "cwa.format.writer"

local function put(self, s)
  return self.out:write(s)
end

--- Writes one record; returns what out:write returned (nil, err on failure).
function Writer:write(record)
  if self.closed then bad("cwa.format.writer: write after close") end
  self.count = self.count + 1
  local kind = self.kind
  if kind == "ndjson" then
    return put(self, format.ndjson_line(record) .. "\n")
  elseif kind == "json" then
    local text = format.json(record, {pretty = self.opts.pretty, indent = "  "})
    return put(self, (self.count == 1 and "[\n  " or ",\n  ") .. text)
  elseif kind == "csv" then
    if not self.columns then
      self.columns = format.columns({record}, self.opts)
      if not self.opts.no_headers then
        local ok, err = put(self, format.csv_header(self.columns))
        if not ok then return ok, err end
      end
    end
    return put(self, format.csv_row(record, self.columns))
  else -- table
    if #self.rows < self.max_rows then self.rows[#self.rows + 1] = record end
    return true
  end
end

--- Finishes the output (closing bracket, table text). Safe to call twice.
function Writer:close()
  if self.closed then return true end
  self.closed = true
  local kind = self.kind
  local ok, err = true, nil
  if kind == "json" then
    ok, err = put(self, self.count == 0 and "[]\n" or "\n]\n")
  elseif kind == "csv" then
    if not self.columns and self.opts.fields and not self.opts.no_headers then
      ok, err = put(self, format.csv_header(format.columns({}, self.opts)))
    end
  elseif kind == "table" then
    local o = {}
    for k, v in pairs(self.opts) do o[k] = v end
    o.max_rows, o.total = self.max_rows, self.count
    ok, err = put(self, format.table(self.rows, o))
  end
  if ok and self.out.flush and (self.opts.flush ~= false) then self.out:flush() end
  return ok, err
end
Writer.__close = function(self) self:close() end

local KINDS = {json = true, ndjson = true, csv = true, table = true}

--- A streaming writer of kind "json" (a JSON array, one record a line),
-- "ndjson", "csv" (header from opts.fields or the first record's keys; keys
-- that first appear later are not written) or "table" (keeps opts.max_rows
-- (1000) records and counts the rest). `out` is anything with :write.
function format.writer(kind, out, opts)
  if not KINDS[kind] then
    bad("cwa.format.writer: kind must be json, ndjson, csv or table, got "
      .. tostring(kind))
  end
  if (type(out) ~= "table" and type(out) ~= "userdata") or not out.write then
    bad("cwa.format.writer: out must have a write method")
  end
  opts = opts or {}
  return setmetatable({kind = kind, out = out, opts = opts, count = 0,
    rows = {}, max_rows = opts.max_rows or 1000, closed = false}, Writer)
end

return format
