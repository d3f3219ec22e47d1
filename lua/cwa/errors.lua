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
errors.Error = core.Error

--- Makes an error object from a table of fields (code is required).
-- @tparam table fields
-- @treturn cwa.Error
function errors.new(fields)
  return core.error_new(fields)
end

--- True when v is a cwa.Error.
function errors.is_error(v)
  return core.is_error(v)
end

--- Raises a new error with code and message. Error objects carry no position,
-- so `level` is accepted for symmetry with `error` and ignored.
function errors.raise(code, message, level) -- luacheck: no unused args
  error(core.error_new{code = code, message = message}, 0)
end

--- Raises InvalidArgument; `who` names the function or option at fault.
function errors.invalid(who, message)
  error(core.error_new{code = "InvalidArgument", message = who .. ": " .. message}, 0)
end

return errors
