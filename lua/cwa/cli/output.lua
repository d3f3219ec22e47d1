--- Output of the `cwa` command: --format table | wide | json | ndjson |
-- csv, the default (table on a terminal, else ndjson; $CWA_FORMAT changes
-- it), and writers that stream records as pages arrive.
--
-- A table of a resource shows its default columns (cwa.cli.columns); `wide`
-- is a table of every field, --fields the fields named. Colour only on a
-- terminal without $NO_COLOR.
-- @module cwa.cli.output
local columns = require "cwa.cli.columns"
local common = require "cwa.cli.common"
local format = require "cwa.format"

local isatty, split_list = common.isatty, common.split_list

local output = {}

output.FORMATS = {"table", "wide", "json", "ndjson", "csv"}
local FORMATS = {}
for _, f in ipairs(output.FORMATS) do FORMATS[f] = true end

-- --format, else $CWA_FORMAT, else nil.
local function chosen(a)
  if a.format then return a.format end
  local dflt = os.getenv("CWA_FORMAT")
  if dflt and FORMATS[dflt] then return dflt end
  return nil
end

--- The format of the output: --format, else $CWA_FORMAT, else by stdout.
-- `wide` is a kind of table: this says "table" for it (see output.wide).
function output.kind(a)
  local f = chosen(a) or (isatty(1) and "table" or "ndjson")
  return f == "wide" and "table" or f
end

--- True when the table is to show every field (-o wide).
function output.wide(a)
  return chosen(a) == "wide"
end

--- The width of a table on stdout: the terminal's, or 200 into a pipe.
function output.table_width()
  return isatty(1) and common.terminal_width() or 200
end

local function writer_options(a, kind)
  local o = {fields = split_list(a.fields), flatten = kind == "table" or kind == "csv",
    no_headers = a.no_headers or nil}
  if kind == "table" then
    -- Cells are cut only to fit the terminal, never to a fixed width.
    o.width, o.max_cell = output.table_width(), math.huge
    o.more_hint = "-o csv or -o ndjson writes every record"
    -- Every field, however wide the lines get: what -o wide is asked for.
    o.keep_columns = output.wide(a) or nil
    if columns.use_colour(isatty(1)) then o.colour = columns.colour end
  end
  if kind == "json" then o.pretty = true end
  return o
end

-- With --fields, a field whose value is an object (Client) is shown as its
-- sub-fields (Client.Id, Client.Name) in tables and CSV, as without --fields.
local function expand_fields(fields, rec)
  local out = {}
  for _, f in ipairs(fields) do
    local v = format.get(rec, f)
    if type(v) == "table" and next(v) ~= nil and not format.is_array(v) then
      local subs = {}
      for k in pairs(v) do
        if type(k) == "string" then subs[#subs + 1] = k end
      end
      table.sort(subs, format.key_less)
      for _, k in ipairs(subs) do out[#out + 1] = f .. "." .. k end
    else
      out[#out + 1] = f
    end
  end
  return out
end

-- The --fields of a listing are the user's (the rows of run-script and
-- command name their own fields, and every row need not have each).
local function user_fields(a)
  if a.command ~= "list" and not columns.DEFAULTS[a.command or ""] then return nil end
  return split_list(a.fields)
end

-- Warns on stderr of the --fields names no record had, once.
local function field_check(a)
  local fields = user_fields(a)
  if not fields then return nil end
  local tracker = columns.tracker(fields, columns.resource(a))
  local count, done = 0, false
  return {
    add = function(_, rec)
      count = count + 1
      tracker:add(rec)
    end,
    finish = function()
      if done then return end
      done = true
      for _, line in ipairs(tracker:missing(count)) do common.say(line) end
    end,
  }
end

--- A format.writer to stdout made at the first record, so that the columns
-- can follow it; a to-be-closed value.
function output.record_writer(a, kind, wopts)
  wopts = wopts or writer_options(a, kind)
  local check = field_check(a)
  -- The resource's default columns, chosen from the rows the table holds.
  local resource = kind == "table" and not wopts.fields and not output.wide(a) and columns.resource(a)
  local w
  local self = {}
  function self.write(_, rec)
    if not w then
      if wopts.fields and wopts.flatten then wopts.fields = expand_fields(wopts.fields, rec) end
      w = format.writer(kind, io.stdout, wopts)
    end
    if check then check:add(rec) end
    return w:write(rec)
  end
  function self.close()
    if not w then w = format.writer(kind, io.stdout, wopts) end
    if resource and not w.closed then wopts.fields = columns.defaults(resource, w.rows) end
    local ok, err = w:close()
    if check then check:finish() end
    return ok, err
  end
  -- Left by an error, the output is not finished: a table of the rows so
  -- far, or "(no records)", would read as the answer.
  return setmetatable(self, {__close = function(_, err)
    if err == nil then self.close() end
  end})
end

-- Writes any decoded answer: a list of records through a writer, one record
-- as an indented block (table), pretty JSON, one line (ndjson) or one row.
function output.emit(a, value)
  local kind = output.kind(a)
  if value == nil then return end
  if format.is_record_list(value) then
    local w <close> = output.record_writer(a, kind)
    for _, rec in ipairs(value) do w:write(rec) end
    return
  end
  if type(value) ~= "table" then
    if kind == "json" or kind == "ndjson" then
      io.stdout:write(format.json(value), "\n")
    else
      io.stdout:write(format.escape(format.value_text(value), true), "\n")
    end
    return
  end
  local check = field_check(a)
  if check then
    check:add(value)
    check:finish()
  end
  if kind == "table" then
    io.stdout:write(format.record(value))
  elseif kind == "json" then
    io.stdout:write(format.json(value, {pretty = true}), "\n")
  elseif kind == "ndjson" then
    io.stdout:write(format.json(value), "\n")
  else
    local w <close> = output.record_writer(a, "csv")
    w:write(value)
  end
end

return output
