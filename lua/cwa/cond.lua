--- Condition builder for the Automate `condition` query parameter.
--
-- Everything here produces text that BOTH dialects accept (see
-- /work/shared/automate-api.md 3.1): real servers take `= != > >= < <=`,
-- `like`, `contains`, `in`, `not` only in front of `in`/`like`/`contains`,
-- `and`, `or`, parentheses, quoted strings, unquoted numbers, booleans and
-- dates. So starts-with and ends-with are written as `like`, and negation is
-- pushed down to the comparisons instead of emitting a general `not`.
--
-- Values are always quoted by `quote`: user data can never change the shape
-- of the condition (`O'Brien' or 1=1 --` stays one string literal).
--
-- Builder values combine with `&` (and), `|` (or) and `~` (negation). Lua's
-- own precedence (`~` unary > `&` > `|`) matches the condition language's
-- (`not` > `and` > `or`), so `a & b | c` means what it reads as.
--
-- API (a contract): quote, date, where, field, raw, all, any, is_condition,
-- to_text, check.

local errors = require "cwa.errors"

local cond = {}

local function bad(message)
  errors.raise("InvalidArgument", message, 3)
end

-- Dates ---------------------------------------------------------------------

local Date = {}
Date.__index = Date
Date.__name = "cwa.cond.date"
Date.__tostring = function(d) return d.text end

local ISO_DATE = "^%d%d%d%d%-%d%d%-%d%d$"
local ISO_DATETIME = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d$"
local ISO_DATETIME_FRAC = "^%d%d%d%d%-%d%d%-%d%dT%d%d:%d%d:%d%d%.%d+$"

-- Real servers answer 500 to a quoted date, so dates are emitted unquoted in
-- the ISO form PowerShell's `-Format s` gives. Times from os.time() are
-- written in UTC (os.date "!"), as the project brief asks, or shifted by
-- `offset` seconds: servers may compare offset-less dates in their own
-- local time, and the text carries no zone to say which.
local function date_text(v, who, offset)
  if math.type(v) == "integer" or (math.type(v) == "float" and v == v
      and v ~= math.huge and v ~= -math.huge) then
    local ok, s = pcall(os.date, "!%Y-%m-%dT%H:%M:%S", math.floor(v) + (offset or 0))
    if not ok or type(s) ~= "string" then
      bad(who .. ": time value out of range")
    end
    return s
  elseif type(v) == "string" then
    if v:match(ISO_DATE) or v:match(ISO_DATETIME) or v:match(ISO_DATETIME_FRAC) then
      return v
    end
    bad(who .. ": date string must look like YYYY-MM-DD or YYYY-MM-DDThh:mm:ss")
  end
  bad(who .. ": date must be an os.time() value or an ISO date string, got " .. type(v))
end

-- Seconds east of UTC of opts.utc_offset ("+10:00", "-03:30" or minutes),
-- within the zones servers run in (UTC-12 to UTC+14); nil without one.
local function utc_offset(opts, who)
  if opts == nil then return nil end
  if type(opts) ~= "table" then bad(who .. ": options must be a table, got " .. type(opts)) end
  for k in pairs(opts) do
    if k ~= "utc_offset" then bad(who .. ": unknown option '" .. tostring(k) .. "'") end
  end
  local v, minutes = opts.utc_offset, nil
  if v == nil then return nil end
  if math.type(v) == "integer" then
    minutes = v
  elseif type(v) == "string" then
    local sign, h, m = v:match("^([+-])(%d%d):(%d%d)$")
    if not sign or tonumber(m) > 59 then
      bad(who .. ": utc_offset must look like +HH:MM or -HH:MM, got " .. v)
    end
    minutes = (tonumber(h) * 60 + tonumber(m)) * (sign == "-" and -1 or 1)
  else
    bad(who .. ": utc_offset must be a string like +10:00 or whole minutes, got " .. type(v))
  end
  if minutes < -12 * 60 or minutes > 14 * 60 then
    bad(who .. ": utc_offset must be between -12:00 and +14:00, got " .. tostring(v))
  end
  return minutes * 60
end

--- A date value: `cond.date(os.time())` or `cond.date("2024-02-14T00:00:00")`.
-- An os.time() value is written in UTC, without a zone (`2024-02-14T10:20:30`).
-- A server that compares dates in its own local time wants that time instead:
-- `cond.date(t, {utc_offset = "+10:00"})` (or minutes, `{utc_offset = 600}`)
-- writes `t` as the wall clock of UTC+10. A string is written as given.
-- @param v an os.time() value or an ISO date string
-- @tparam[opt] table opts `utc_offset`: the zone to write an os.time() value in
-- @raise cwa.Error InvalidArgument for a malformed date or offset, or an offset with a string
-- @usage cwa.cond.date(os.time() - 86400, {utc_offset = "-05:00"})
function cond.date(v, opts)
  local who = "cwa.cond.date"
  local offset = utc_offset(opts, who)
  if offset and type(v) == "string" then
    bad(who .. ": utc_offset applies to os.time() values; a date string is written as given")
  end
  return setmetatable({text = date_text(v, who, offset)}, Date)
end

local function is_date(v)
  if getmetatable(v) == Date then return true end
  return type(v) == "table" and getmetatable(v) == nil and v.date ~= nil
    and next(v, next(v)) == nil and next(v) == "date"
end

-- Quoting -------------------------------------------------------------------

-- Shortest decimal text that reads back as the same float, never in
-- exponent notation: the condition grammar has integers and decimals only.
local function float_text(x)
  local s
  for prec = 15, 17 do
    s = string.format("%." .. prec .. "g", x)
    if tonumber(s) == x then break end
  end
  if not s:find("e", 1, true) then return s end
  local sign, int, frac, exp = s:match("^(%-?)(%d)%.?(%d*)e([-+]%d+)$")
  local digits = int .. frac
  local point = 1 + tonumber(exp) -- digits before the decimal point
  local out
  if point <= 0 then
    out = "0." .. string.rep("0", -point) .. digits
  elseif point >= #digits then
    out = digits .. string.rep("0", point - #digits)
  else
    out = digits:sub(1, point) .. "." .. digits:sub(point + 1)
  end
  return sign .. out
end
cond._float_text = float_text

local function quote_string(s, who)
  if s:find("\0", 1, true) then
    bad(who .. ": string contains a NUL byte")
  end
  if not utf8.len(s) then
    bad(who .. ": string is not valid UTF-8")
  end
  local has_single = s:find("'", 1, true)
  local has_double = s:find('"', 1, true)
  if not has_single then return "'" .. s .. "'" end
  if not has_double then return '"' .. s .. '"' end
  -- Both kinds: doubling is how the brief's dialect escapes a quote; it is
  -- undocumented on real servers, so it is only used when unavoidable.
  return "'" .. s:gsub("'", "''") .. "'"
end

local function quote(v, who)
  who = who or "cwa.quote"
  local t = type(v)
  if t == "string" then
    return quote_string(v, who)
  elseif t == "number" then
    if math.type(v) == "integer" then return string.format("%d", v) end
    if v ~= v then bad(who .. ": NaN cannot be written in a condition") end
    if v == math.huge or v == -math.huge then
      bad(who .. ": infinity cannot be written in a condition")
    end
    return float_text(v)
  elseif t == "boolean" then
    return v and "true" or "false"
  elseif is_date(v) then
    if getmetatable(v) == Date then return v.text end
    return date_text(v.date, who)
  elseif t == "nil" then
    bad(who .. ": value is nil (use field:is_null() to test for null)")
  elseif t == "table" and rawget(v, "is_condition") then
    bad(who .. ": a condition cannot be used as a value")
  end
  bad(who .. ": unsupported value of type " .. t)
end

--- Quotes one value for a condition: strings, numbers, booleans, dates.
function cond.quote(v)
  return quote(v, "cwa.quote")
end

-- Field names ---------------------------------------------------------------

local KEYWORDS = {
  ["and"] = true, ["or"] = true, ["not"] = true, ["in"] = true,
  ["like"] = true, ["contains"] = true, ["eq"] = true,
  ["startswith"] = true, ["endswith"] = true,
  ["true"] = true, ["false"] = true, ["null"] = true,
}

local function check_field(name, who)
  if type(name) ~= "string" then
    bad(who .. ": field name must be a string, got " .. type(name))
  end
  if #name == 0 or #name > 200 then
    bad(who .. ": field name must be 1 to 200 characters")
  end
  for part in (name .. "."):gmatch("(.-)%.") do
    if not part:match("^[%a_][%w_]*$") or KEYWORDS[part:lower()] then
      bad(who .. ": invalid field name " .. string.format("%q", name)
        .. " (identifiers separated by dots)")
    end
  end
  return name
end

-- Condition values ------------------------------------------------------------
--
-- Node kinds:
--   cmp      {field, rel, value}        rel in = != > >= < <=; value: text
--   like     {field, value, neg}        value: quoted pattern text
--   contains {field, value, neg}
--   in       {field, values, neg}       values: list of quoted texts
--   and, or  {items}                    items: operands, which may be nodes of
--                                       the same kind (flattened when rendered)
--   raw      {text}
--
-- Combining keeps the operands as they are, so `c = c | x` costs the same
-- at every step and a chain of n terms is built in O(n); `flat` lists the
-- terms of a chain once, when it is rendered or negated.

local Cond = {}
Cond.__index = Cond
Cond.__name = "cwa.cond"

local function node(t)
  t.is_condition = true
  return setmetatable(t, Cond)
end

local function is_condition(v)
  return getmetatable(v) == Cond
end
cond.is_condition = is_condition

local function as_cond(v, who)
  if is_condition(v) then return v end
  if type(v) == "string" then
    if v:match("^%s*$") then bad(who .. ": empty condition text") end
    return node{kind = "raw", text = v}
  end
  bad(who .. ": expected a condition or condition text, got " .. type(v))
end

-- The terms of an and/or node: its operands, with those of the same kind
-- replaced by their terms, in order. An explicit stack: a chain built with
-- `c = c | x` is as deep as it is long.
local function flat(n)
  local kind, out, stack = n.kind, {}, {{n.items, 1}}
  while #stack > 0 do
    local top = stack[#stack]
    local items, i = top[1], top[2]
    local item = items[i]
    if item == nil then
      stack[#stack] = nil
    else
      top[2] = i + 1
      if item.kind == kind then
        stack[#stack + 1] = {item.items, 1}
      else
        out[#out + 1] = item
      end
    end
  end
  return out
end

local function render(n)
  local k = n.kind
  if k == "cmp" then
    return n.field .. " " .. n.rel .. " " .. n.value
  elseif k == "like" or k == "contains" then
    return n.field .. (n.neg and " not " or " ") .. k .. " " .. n.value
  elseif k == "in" then
    return n.field .. (n.neg and " not in (" or " in (")
      .. table.concat(n.values, ", ") .. ")"
  elseif k == "raw" then
    return n.text
  end
  -- and / or: `and` binds tighter than `or`, so only an `or` inside an `and`
  -- needs parentheses; raw text is opaque and always gets them.
  local parts = {}
  for i, item in ipairs(flat(n)) do
    local s = render(item)
    if item.kind == "raw" or (k == "and" and item.kind == "or") then
      s = "(" .. s .. ")"
    end
    parts[i] = s
  end
  return table.concat(parts, " " .. k .. " ")
end

local function combine(kind, list, who)
  local items = {}
  for i = 1, list.n do items[i] = as_cond(list[i], who) end
  if #items == 0 then bad(who .. ": needs at least one condition") end
  if #items == 1 then return items[1] end
  return node{kind = kind, items = items}
end

local FLIP = {["="] = "!=", ["!="] = "=", [">"] = "<=", ["<="] = ">",
              ["<"] = ">=", [">="] = "<"}

local function negate(n)
  local k = n.kind
  if k == "cmp" then
    return node{kind = "cmp", field = n.field, rel = FLIP[n.rel], value = n.value}
  elseif k == "like" or k == "contains" then
    return node{kind = k, field = n.field, value = n.value, neg = not n.neg}
  elseif k == "in" then
    return node{kind = "in", field = n.field, values = n.values, neg = not n.neg}
  elseif k == "and" or k == "or" then
    -- De Morgan: real servers have no general `not`.
    local items = {}
    for i, item in ipairs(flat(n)) do items[i] = negate(item) end
    return node{kind = k == "and" and "or" or "and", items = items}
  end
  bad("cwa.cond: raw condition text cannot be negated in syntax real servers "
    .. "accept; write the negated text with cond.raw")
end

Cond.__tostring = render
Cond.__band = function(a, b) return combine("and", table.pack(a, b), "cwa.cond (&)") end
Cond.__bor = function(a, b) return combine("or", table.pack(a, b), "cwa.cond (|)") end
Cond.__bnot = function(a) return negate(a) end
Cond.__concat = function(a, b)
  local function s(v)
    if is_condition(v) then return render(v) end
    return v
  end
  return s(a) .. s(b)
end

--- Hand-written condition text, combined as one opaque unit.
function cond.raw(text)
  if type(text) ~= "string" then
    bad("cwa.cond.raw: text must be a string, got " .. type(text))
  end
  return as_cond(text, "cwa.cond.raw")
end

--- All of the conditions (and).
function cond.all(...)
  return combine("and", table.pack(...), "cwa.cond.all")
end

--- Any of the conditions (or).
function cond.any(...)
  return combine("or", table.pack(...), "cwa.cond.any")
end

--- The text of a condition: accepts a string or a condition value.
function cond.to_text(v)
  if type(v) == "string" then return v end
  if is_condition(v) then return render(v) end
  bad("cwa.cond.to_text: condition must be a string or a condition value, got "
    .. type(v))
end

-- Fields --------------------------------------------------------------------

local Field = {}
Field.__index = Field
Field.__name = "cwa.cond.field"
Field.__tostring = function(f) return f.name end

--- A field to compare: `cond.field("Client.Name"):startswith("ACME")`.
function cond.field(name)
  return setmetatable({name = check_field(name, "cwa.cond.field")}, Field)
end

local function method_name(f, m)
  return "cwa.cond.field(" .. f.name .. "):" .. m
end

local function cmp(rel, m)
  return function(f, v)
    return node{kind = "cmp", field = f.name, rel = rel,
                value = quote(v, method_name(f, m))}
  end
end

Field.eq = cmp("=", "eq")
Field.ne = cmp("!=", "ne")
Field.gt = cmp(">", "gt")
Field.ge = cmp(">=", "ge")
Field.lt = cmp("<", "lt")
Field.le = cmp("<=", "le")

--- `like` with the caller's own pattern (`%` and `_` are wildcards).
function Field:like(pattern)
  local who = method_name(self, "like")
  if type(pattern) ~= "string" then bad(who .. ": pattern must be a string") end
  return node{kind = "like", field = self.name, value = quote(pattern, who)}
end

function Field:not_like(pattern)
  return negate(self:like(pattern))
end

function Field:contains(v)
  return node{kind = "contains", field = self.name,
              value = quote(v, method_name(self, "contains"))}
end

function Field:not_contains(v)
  return negate(self:contains(v))
end

local function in_list(f, m, ...)
  local who = method_name(f, m)
  local list = table.pack(...)
  if list.n == 1 and type(list[1]) == "table" and not is_date(list[1])
      and not is_condition(list[1]) then
    local t = list[1]
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    if n ~= #t then bad(who .. ": values must be a list") end
    list = table.pack(table.unpack(t))
  end
  if list.n == 0 then bad(who .. ": needs at least one value") end
  local values = {}
  for i = 1, list.n do values[i] = quote(list[i], who) end
  return node{kind = "in", field = f.name, values = values}
end

--- `Field in (a, b)`: `f:in_{1, 2}` or `f:in_(1, 2)`; also `f["in"](f, ...)`.
function Field:in_(...)
  return in_list(self, "in_", ...)
end
Field["in"] = Field.in_

function Field:not_in(...)
  return negate(in_list(self, "not_in", ...))
end

-- LIKE escaping. Real servers translate `like` to MySQL LIKE, whose escape
-- character is the backslash: `\%` is a literal percent, `\_` a literal
-- underscore, `\\` a literal backslash. `[` is not special in MySQL but is in
-- SQL Server's LIKE; escaping it (`\[`, which MySQL reads as a plain `[`)
-- keeps the text safe should a server ever hand it to the other engine.
local function like_escape(s, who)
  if type(s) == "number" then s = quote(s, who) end
  if type(s) ~= "string" then bad(who .. ": value must be a string") end
  return (s:gsub("[\\%%_%[]", "\\%0"))
end
cond._like_escape = like_escape

--- Starts-with, written as `like 'x%'` (both dialects accept it).
function Field:startswith(s)
  local who = method_name(self, "startswith")
  return node{kind = "like", field = self.name,
              value = quote(like_escape(s, who) .. "%", who)}
end

--- Ends-with, written as `like '%x'`.
function Field:endswith(s)
  local who = method_name(self, "endswith")
  return node{kind = "like", field = self.name,
              value = quote("%" .. like_escape(s, who), who)}
end

--- `Field = null` (or `!= null` with `f:is_null(false)`).
function Field:is_null(yes)
  return node{kind = "cmp", field = self.name,
              rel = (yes == false) and "!=" or "=", value = "null"}
end

-- where ---------------------------------------------------------------------

local function is_list(t)
  if getmetatable(t) ~= nil then return false end
  local n = 0
  for _ in pairs(t) do n = n + 1 end
  return n == #t
end

--- Equality conditions joined with `and`, sorted by field name; a list value
-- becomes `Field in (...)`. Returns the condition text.
function cond.where(fields)
  local who = "cwa.where"
  if type(fields) ~= "table" or is_condition(fields) then
    bad(who .. ": expected a table of field = value, got " .. type(fields))
  end
  local names = {}
  for k in pairs(fields) do
    if type(k) ~= "string" then
      bad(who .. ": field names must be strings, got " .. type(k))
    end
    names[#names + 1] = check_field(k, who)
  end
  if #names == 0 then bad(who .. ": no fields given") end
  table.sort(names)
  local parts = {}
  for i, name in ipairs(names) do
    local v = fields[name]
    local fwho = who .. ": field " .. name
    if is_condition(v) then
      bad(fwho .. ": a condition cannot be used as a value")
    elseif type(v) == "table" and not is_date(v) then
      if not is_list(v) then bad(fwho .. ": a table value must be a list") end
      if #v == 0 then bad(fwho .. ": empty list") end
      local values = {}
      for j, x in ipairs(v) do values[j] = quote(x, fwho) end
      parts[i] = name .. " in (" .. table.concat(values, ", ") .. ")"
    else
      parts[i] = name .. " = " .. quote(v, fwho)
    end
  end
  return table.concat(parts, " and ")
end

-- check ---------------------------------------------------------------------

local DIALECTS = {apitoken = true, apicredentials = true, any = true}

-- The text of a quoted date: YYYY-MM-DD, optionally with a time
-- (T or a space, HH:MM:SS, a fraction, Z), as the C lexer reads dates.
local function looks_like_date(s)
  local rest = s:match("^%d%d%d%d%-%d%d%-%d%d(.*)$")
  if not rest then return false end
  return rest == "" or rest:match("^[T ]%d%d:%d%d:%d%d%.?%d*Z?$") ~= nil
end

-- The first string literal of a condition that parsed, whose content is a
-- date: its text and byte offset, or nil. Outside literals a quote only ever
-- opens one (fields, numbers and keywords hold none), and inside, the same
-- quote doubled is a quote, so this scan finds the literals the parser read.
local function quoted_date(text)
  local i = 1
  while true do
    local at, q = text:match("()([\"'])", i)
    if not at then return nil end
    local j, parts = at + 1, {}
    while true do
      local close = text:find(q, j, true)
      if not close then return nil end
      parts[#parts + 1] = text:sub(j, close - 1)
      if text:sub(close + 1, close + 1) ~= q then
        i = close + 1
        break
      end
      parts[#parts + 1] = q
      j = close + 2
    end
    local content = table.concat(parts)
    if looks_like_date(content) then return text:sub(at, i - 1), at end
  end
end

--- Checks the syntax of a condition with the C parser, before any request:
-- true, or nil, a message naming the column of the fault, and the column.
-- The dialect is "apitoken" by default: the syntax current servers accept,
-- where `startswith`, `endswith`, a general `not` and quoted dates are
-- refused with a hint (servers answer 400, or 500 for a quoted date);
-- "apicredentials" accepts the brief's extensions; "any" accepts both.
function cond.check(s, dialect)
  local text = cond.to_text(s)
  dialect = dialect or "apitoken"
  if not DIALECTS[dialect] then
    bad("cwa.check_condition: dialect must be \"apitoken\", \"apicredentials\" or \"any\", got "
      .. tostring(dialect))
  end
  local core = require "cwa.core"
  local ok, message, column = core.check_condition(text, dialect)
  if not ok or dialect ~= "apitoken" then return ok, message, column end
  local literal, at = quoted_date(text)
  if literal then
    column = (utf8.len(text, 1, at - 1) or at - 1) + 1
    return nil, ("column %d: a quoted date (%s) is not accepted by this server; write it unquoted: %s"):format(
      column, literal, (literal:sub(2, -2):gsub(" ", "T", 1))), column
  end
  return true
end

return cond
