--- The option values the Lua layer checks itself, in one place: the options
-- of calls (page sizes, limits, poll intervals) and the text forms of the
-- client's options (environment variables, command-line flags). The client's
-- options as values are checked by the core (`cwa.core.new`), and their
-- defaults are the core's: `defaults()` reads them, nothing here retypes them.
-- @module cwa.options
local core = require "cwa.core"
local errors = require "cwa.errors"

local invalid = errors.invalid

local options = {}

--- The core's defaults for the options of `cwa.new`: page_size, retries,
-- rate_limit, burst, concurrency, timeout, connect_timeout, backoff_base,
-- backoff_cap, max_wait, verify_tls, auth (a new table each call).
-- @function defaults
-- @treturn table
options.defaults = core.defaults

local function describe(v)
  return type(v) == "number" and tostring(v) or type(v)
end

--- An integer (a whole float is converted) in [lo, hi]; raises InvalidArgument.
-- @string who the call and option at fault, e.g. "each: limit"
-- @param v the value
-- @int[opt] lo
-- @int[opt] hi
-- @treturn integer
function options.integer(who, v, lo, hi)
  if math.type(v) ~= "integer" then
    if type(v) == "number" and v == math.floor(v) and v > -2^53 and v < 2^53 then
      v = math.tointeger(v)
    else
      invalid(who, "expected an integer, got " .. describe(v))
    end
  end
  if (lo and v < lo) or (hi and v > hi) then
    invalid(who, ("must be between %d and %d (got %d)"):format(lo or math.mininteger, hi or math.maxinteger, v))
  end
  return v
end

--- An id as the spec types it: an integer (a whole float is converted) or a
-- string of decimal digits ("42"), at least lo; raises InvalidArgument.
-- Everything else (1e300, math.huge, 2^63, 1.5, "4x", " 42") is refused:
-- an id goes into a path or a body, where no text but digits belongs.
-- @string who the call and argument at fault, e.g. "computer"
-- @param v the value
-- @int[opt=0] lo
-- @treturn integer
function options.id(who, v, lo)
  local n
  if math.type(v) == "integer" then
    n = v
  elseif type(v) == "number" then
    if v == math.floor(v) and v > -2^53 and v < 2^53 then n = math.tointeger(v) end
  elseif type(v) == "string" then
    -- 19 digits or fewer fit an integer when their value does; tointeger
    -- refuses the floats that tonumber makes of larger values
    if #v <= 19 and v:match("^%d+$") then n = math.tointeger(tonumber(v)) end
  elseif v == nil then
    invalid(who, "id is required")
  end
  if not n then
    invalid(who, "id must be an integer or a string of decimal digits, got " ..
      (type(v) == "string" and ("%q"):format(v:sub(1, 40)) or describe(v)))
  end
  lo = lo or 0
  if n < lo then
    invalid(who, lo == 0 and "id must not be negative" or ("id must be at least %d (got %d)"):format(lo, n))
  end
  return n
end

--- A positive finite number; raises InvalidArgument naming what it must be.
-- @string who
-- @param v
-- @string what e.g. "a positive number of seconds"
-- @treturn number
function options.positive(who, v, what)
  if type(v) ~= "number" or v ~= v or v <= 0 or v == math.huge then
    invalid(who, "must be " .. (what or "a positive number") .. ", got " .. describe(v))
  end
  return v
end

--- A rate limit as `cwa.new` takes it: 0 (the "no limit" of flags and
-- variables) becomes false.
-- @param v a number, false or nil
-- @return v, or false for 0
function options.rate(v)
  if v == 0 then return false end
  return v
end

-- ---------------------------------------------------------------------------
-- Text forms. Each returns the value, or nil and what the text must be
-- ("a whole number >= 1"), for the caller to name its variable or flag.

local BOOLEAN = {
  ["1"] = true, ["true"] = true, yes = true, on = true,
  ["0"] = false, ["false"] = false, no = false, off = false,
}

--- 0/false/no/off or 1/true/yes/on, in any case.
-- @string s
-- @treturn ?boolean
-- @treturn ?string what the text must be
function options.parse_boolean(s)
  local b = BOOLEAN[s:lower()]
  if b == nil then return nil, "one of 0, false, no, off, 1, true, yes, on" end
  return b
end

--- A whole number >= lo.
-- @string s
-- @int lo
-- @treturn ?integer
-- @treturn ?string
function options.parse_integer(s, lo)
  local n = math.tointeger(tonumber(s))
  if not n or n < lo then return nil, "a whole number >= " .. lo end
  return n
end

--- A positive finite number.
-- @string s
-- @treturn ?number
-- @treturn ?string
function options.parse_positive(s)
  local x = tonumber(s)
  if not x or x ~= x or x <= 0 or x == math.huge then return nil, "a positive number" end
  return math.tointeger(x) or x
end

--- A rate limit: requests a minute, or 0/off/false/no/none for no limit (false).
-- @string s
-- @treturn number|false|nil
-- @treturn ?string
function options.parse_rate(s)
  local word = s:lower()
  if BOOLEAN[word] == false or word == "none" then return false end
  local x = tonumber(s)
  if x == 0 then return false end
  if not x or x ~= x or x <= 0 or x == math.huge then
    return nil, "a positive number (requests a minute) or 0/off"
  end
  return math.tointeger(x) or x
end

return options
