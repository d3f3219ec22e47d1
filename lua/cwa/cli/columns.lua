--- What a `cwa` table shows: the default columns of each resource, the
-- colours of status and severity cells, and the warning for --fields names
-- that no record has.
-- @module cwa.cli.columns
local format = require "cwa.format"

local columns = {}

-- Per resource (the plural of cwa.RESOURCES), its columns in order. A column
-- given as a list is the first of its names that the records have: the
-- simulator and real servers name a few fields differently (Severity is a
-- number on one and {Id, Name} on the other).
columns.DEFAULTS = {
  computers = {"Id", "ComputerName", "Client.Name", "Status",
    {"RemoteAgentLastContact", "LastContact"}, {"OperatingSystemName", "OS"}},
  clients = {"Id", "Name", "City", "State", "Country", "Phone"},
  locations = {"Id", "Name", "Client.Name", "City"},
  contacts = {"Id", "FullName", "Client.Name", "Email", "Phone"},
  alerts = {"AlertId", {"Severity.Name", "Severity"}, "Status", "ComputerName", "Date", "Message"},
  scripts = {"Id", "Name", {"Folder.Name", "Folder"}, "Description"},
  monitors = {"MonitorId", "Name", "ComputerId", "Client.Name", "AlertStyle", "LastScan"},
  groups = {"Id", "Name", "FullName", "Priority"},
  tickets = {"TicketId", "Status", "Priority", "Client.Name", "ComputerId", "Subject", "DateUpdated"},
}

--- The resource a listing shows: the command's name, or the resource whose
-- path a `list` command was given (nil for any other path).
-- @tparam table a the parsed arguments
-- @treturn ?string the plural, e.g. "computers"
function columns.resource(a)
  if columns.DEFAULTS[a.command or ""] then return a.command end
  if a.command == "list" and a.path then
    local cwa = require "cwa"
    local path = a.path:lower():gsub("/+$", "")
    for _, r in ipairs(cwa.RESOURCES) do
      if r.path:lower() == path then return r.plural end
    end
  end
  return nil
end

--- The default columns of `resource` for these records: for each column the
-- first of its names that one of the records has; nil when none of them
-- matches (records of another shape show every field).
-- @string resource a plural
-- @tparam table records
-- @treturn ?table names
function columns.defaults(resource, records)
  local spec = columns.DEFAULTS[resource]
  if not spec then return nil end
  local out = {}
  for _, col in ipairs(spec) do
    local names = type(col) == "table" and col or {col}
    for _, name in ipairs(names) do
      local found = false
      for _, rec in ipairs(records) do
        if format.get(rec, name) ~= nil then
          found = true
          break
        end
      end
      if found then
        out[#out + 1] = name
        break
      end
    end
  end
  return #out > 0 and out or nil
end

-- Cells that say something went wrong or is down are red, the good ones
-- green, the ones that need a look yellow.
local RED, GREEN, YELLOW = "31", "32", "33"
local STATUS = {
  online = GREEN, completed = GREEN, success = GREEN, launched = GREEN,
  offline = RED, failed = RED, failure = RED, error = RED, notlaunched = RED, timeout = RED,
  running = YELLOW, pending = YELLOW,
}
-- Automate's severities: names on real servers, 1 (low) to 5 on the simulator.
local SEVERITY = {critical = RED, high = RED, error = RED, warning = YELLOW, medium = YELLOW}

local function leaf(column)
  return column:match("([^.]+)%.Name$") or column:match("([^.]+)$")
end

--- The SGR code of a cell, or nil: Status cells by their value, Severity by
-- its name or its number.
-- @string column the column's name
-- @param value the cell's value
-- @treturn ?string
function columns.colour(column, value)
  local field = leaf(column)
  if type(value) == "table" then value = value.Name end
  if field == "Status" and type(value) == "string" then
    return STATUS[value:lower():gsub("%s", "")]
  end
  if field == "Severity" then
    if type(value) == "number" then return value >= 4 and RED or value >= 3 and YELLOW or nil end
    if type(value) == "string" then return SEVERITY[value:lower()] end
  end
  return nil
end

--- True when colour may be written to stdout: a terminal, no $NO_COLOR (of
-- any value, even empty) and a $TERM other than "dumb".
-- @bool tty stdout is a terminal
-- @treturn boolean
function columns.use_colour(tty)
  return tty and os.getenv("NO_COLOR") == nil and os.getenv("TERM") ~= "dumb"
end

-- Levenshtein distance, case folded: "computername" is ComputerName.
local function distance(a, b)
  a, b = a:lower(), b:lower()
  local prev = {}
  for j = 0, #b do prev[j] = j end
  for i = 1, #a do
    local cur = {[0] = i}
    for j = 1, #b do
      local cost = a:byte(i) == b:byte(j) and 0 or 1
      cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
    end
    prev = cur
  end
  return prev[#b]
end

--- The known name closest to `name`, when it is close enough to be a typo.
-- @string name
-- @tparam table known names
-- @treturn ?string
function columns.closest(name, known)
  local best, best_d
  for _, k in ipairs(known) do
    local d = distance(name, k)
    if k ~= name and (not best_d or d < best_d) then best, best_d = k, d end
  end
  if best_d and best_d <= math.max(2, #name // 3) then return best end
  return nil
end

--- Follows the records written to learn which --fields names no record had.
-- `seen:add(rec)` for each record, then `seen:missing()` gives warning lines.
-- @tparam table fields the --fields names
-- @string[opt] resource the plural, whose default columns are known names too
-- (the server sends only the fields asked for, so a typo has no record to
-- be compared with)
function columns.tracker(fields, resource)
  local found, keys, order = {}, {}, {}
  local function know(k)
    if not keys[k] then
      keys[k] = true
      order[#order + 1] = k
    end
  end
  for _, col in ipairs(columns.DEFAULTS[resource] or {}) do
    for _, name in ipairs(type(col) == "table" and col or {col}) do know(name) end
  end
  local self = {}
  function self.add(_, rec)
    if type(rec) ~= "table" then return end
    for k, v in pairs(rec) do
      if type(k) == "string" then
        know(k)
        if type(v) == "table" and not format.is_array(v) then
          for sk in pairs(v) do
            if type(sk) == "string" then know(k .. "." .. sk) end
          end
        end
      end
    end
    for _, f in ipairs(fields) do
      if not found[f] and format.get(rec, f) ~= nil then found[f] = true end
    end
  end
  function self.missing(_, count)
    local lines = {}
    if count == 0 then return lines end
    for _, f in ipairs(fields) do
      if not found[f] then
        local near = columns.closest(f, order)
        lines[#lines + 1] = ("cwa: warning: no record has the field '%s'%s"):format(f,
          near and (" (did you mean '" .. near .. "'?)") or "")
      end
    end
    return lines
  end
  return self
end

return columns
