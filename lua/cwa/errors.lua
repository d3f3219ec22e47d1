--- cwa.Error objects raised by every part of cwa.
-- An error is a table with the fields `code` ("Unauthorized", "TwoFactorRequired",
-- "Forbidden", "NotFound", "BadRequest", "RateLimited", "ServerError", "Network",
-- "Timeout", "TLS", "InvalidArgument", "InvalidResponse"), `message`, and when
-- they apply `status`, `details`, `method`, `url`, `attempts`. `tostring(e)` is
-- one readable line without secrets. The metatable is the binding's, so errors
-- made here and errors made by the C core are the same kind of object.
-- @module cwa.errors
local core = require "cwa.core"

local errors = {}

--- The metatable of every cwa.Error.
-- Its `__tostring` gives one line without secrets, e.g.
-- `cwa.Error NotFound (HTTP 404): not found [GET https://host/cwa/api/v1/Computers/9]`.
-- @table Error
errors.Error = core.Error

--- Makes an error object from a table of fields (code is required).
-- @tparam table fields code (required), message, status, details, method, url, attempts
-- @treturn cwa.Error
-- @raise a Lua error when `fields.code` is missing
-- @usage local e = errors.new{code = "NotFound", message = "no such computer", status = 404}
function errors.new(fields)
  return core.error_new(fields)
end

--- True when v is a cwa.Error.
-- @param v any value
-- @treturn boolean
-- @usage local ok, e = pcall(client.get, client, "/Computers/0")
-- if not ok and errors.is_error(e) then print(e.code, e.status) end
function errors.is_error(v)
  return core.is_error(v)
end

--- Raises a new error with code and message. Error objects carry no position,
-- so `level` is accepted for symmetry with `error` and ignored.
-- @string code one of the codes above
-- @string message
-- @param[opt] level ignored
-- @raise cwa.Error always
-- @usage errors.raise("InvalidResponse", "CommandExecute answered without a command Id")
function errors.raise(code, message, level) -- luacheck: no unused args
  error(core.error_new{code = code, message = message}, 0)
end

--- Raises InvalidArgument; `who` names the function or option at fault.
-- @string who e.g. "cwa.new: option 'page_size'"
-- @string message
-- @raise cwa.Error InvalidArgument with the message "who: message"
-- @usage errors.invalid("each", "path must be a string, got " .. type(path))
function errors.invalid(who, message)
  error(core.error_new{code = "InvalidArgument", message = who .. ": " .. message}, 0)
end

return errors
