--- JSON text of request bodies, with `cwa.array` marks.
-- lua-cjson cannot tell an empty array from an empty object: `{}` always
-- encodes as `{}`, and Debian's lua-cjson 2.1.0 has neither `empty_array`
-- nor `array_mt` to ask for `[]`. Bodies are therefore written here, with
-- lua-cjson for the scalars (string escapes, floats, `cjson.null`) and the
-- table shapes decided as lua-cjson decides them, except that a table marked
-- by `array` is always an array, and integers are written exactly (lua-cjson
-- writes every number with 14 significant digits).
-- @module cwa.json
local cjson = require("cjson").new()
local errors = require "cwa.errors"

local invalid = errors.invalid

cjson.encode_invalid_numbers(false)

local json = {}

-- Same depth as lua-cjson's default: a cycle ends here instead of in a
-- stack overflow.
local MAX_DEPTH = 1000

local ARRAY = {__name = "cwa.array"}

--- Marks a table to be encoded as a JSON array, empty or not.
-- @tparam[opt] table t a list (a new empty one when nil); it is marked, not copied
-- @treturn table t
-- @raise cwa.Error InvalidArgument for a value that is not a plain table
-- @usage client:post("/Batch/ScriptExecute", {EntityIds = cwa.array(ids), ...})
function json.array(t)
  if t == nil then t = {} end
  if type(t) ~= "table" then invalid("cwa.array", "expected a table, got " .. type(t)) end
  local mt = getmetatable(t)
  if mt ~= nil and mt ~= ARRAY then invalid("cwa.array", "the table already has a metatable") end
  return setmetatable(t, ARRAY)
end

--- True when t was marked by `array`.
-- @param t
-- @treturn boolean
function json.is_array(t)
  return getmetatable(t) == ARRAY
end

--- The JSON text of a Lua string, `/` written as it is: lua-cjson 2.1.0
-- (Debian's) escapes it as `\/` and has no option to stop, so that a URL
-- in the output could not be grepped. Every backslash of lua-cjson's text
-- starts a two-character escape, so walking the escapes pair by pair finds
-- exactly the escaped slashes (in `\\\/` a backslash, then a slash).
-- @string s
-- @treturn string
function json.string(s)
  local text = cjson.encode(s)
  if not text:find("\\/", 1, true) then return text end
  return (text:gsub("\\(.)", function(c) if c == "/" then return "/" end end))
end
local encode_string = json.string

local function fail(message)
  error({json_error = message}, 0)
end

local function key_text(k)
  if type(k) == "string" then return encode_string(k) end
  if math.type(k) == "integer" then return ('"%d"'):format(k) end
  if type(k) == "number" then return '"' .. cjson.encode(k) .. '"' end
  fail("table key must be a number or string, got " .. type(k))
end

local encode

-- Writes the items 1..n of t, holes as null.
local function array_text(t, n, depth, out)
  out[#out + 1] = "["
  for i = 1, n do
    if i > 1 then out[#out + 1] = "," end
    local v = t[i]
    if v == nil then out[#out + 1] = "null" else encode(v, depth, out) end
  end
  out[#out + 1] = "]"
end

function encode(v, depth, out)
  if math.type(v) == "integer" then
    out[#out + 1] = ("%d"):format(v)
    return
  end
  local t = type(v)
  if t == "string" then
    out[#out + 1] = encode_string(v)
    return
  elseif t == "boolean" then
    out[#out + 1] = v and "true" or "false"
    return
  elseif t ~= "table" then
    local ok, text = pcall(cjson.encode, v)
    if not ok then fail(text) end
    out[#out + 1] = text
    return
  end
  if depth >= MAX_DEPTH then fail("nested deeper than " .. MAX_DEPTH .. " levels (a cycle?)") end
  depth = depth + 1
  local marked = getmetatable(v) == ARRAY
  -- lua-cjson's rule: only positive integer keys make an array, and one
  -- whose largest key is more than twice its count (past 10) is refused
  local max, count, plain = 0, 0, true
  for k in pairs(v) do
    count = count + 1
    if math.type(k) == "integer" and k > 0 then
      if k > max then max = k end
    elseif marked then
      fail("a cwa.array has the key " .. tostring(k) .. "; only 1, 2, ... are allowed")
    else
      plain = false
    end
  end
  if marked or (plain and count > 0) then
    if not marked and max > 10 and max > 2 * count then fail("excessively sparse array") end
    array_text(v, max, depth, out)
    return
  end
  out[#out + 1] = "{"
  local first = true
  for k, x in pairs(v) do
    if not first then out[#out + 1] = "," end
    first = false
    out[#out + 1] = key_text(k)
    out[#out + 1] = ":"
    encode(x, depth, out)
  end
  out[#out + 1] = "}"
end

--- The JSON text of a body; raises InvalidArgument naming `who` for a value
-- that has no JSON form (functions, NaN, sparse arrays, cycles).
-- @string who the call, e.g. "post"
-- @param body a table or scalar
-- @treturn string
function json.encode(who, body)
  local out = {}
  local ok, err = pcall(encode, body, 0, out)
  if not ok then
    if type(err) == "table" and err.json_error then
      invalid(who, "body cannot be encoded as JSON: " .. err.json_error)
    end
    error(err, 0)
  end
  return table.concat(out)
end

return json
