--- Output of the `cwa` command: --format table | json | ndjson | csv, the
-- default (table on a terminal, else ndjson; $CWA_FORMAT changes it), and
-- writers that stream records as pages arrive.
-- @module cwa.cli.output
local common = require "cwa.cli.common"
local format = require "cwa.format"

local isatty, split_list = common.isatty, common.split_list

local output = {}

output.FORMATS = {"table", "json", "ndjson", "csv"}
local FORMATS = {}
for _, f in ipairs(output.FORMATS) do FORMATS[f] = true end

--- The format of the output: --format, else $CWA_FORMAT, else by stdout.
function output.kind(a)
  if a.format then return a.format end
  local dflt = os.getenv("CWA_FORMAT")
  if dflt and FORMATS[dflt] then return dflt end
  return isatty(1) and "table" or "ndjson"
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

--- A format.writer to stdout made at the first record, so that the columns
-- can follow it; a to-be-closed value.
function output.record_writer(a, kind, wopts)
  wopts = wopts or writer_options(a, kind)
  local w
  local self = {}
  function self.write(_, rec)
    if not w then
      if wopts.fields and wopts.flatten then wopts.fields = expand_fields(wopts.fields, rec) end
      w = format.writer(kind, io.stdout, wopts)
    end
    return w:write(rec)
  end
  function self.close()
    if not w then w = format.writer(kind, io.stdout, wopts) end
    return w:close()
  end
  return setmetatable(self, {__close = function() self.close() end})
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
