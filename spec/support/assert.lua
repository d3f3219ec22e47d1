-- Assertions on the cwa.Error a call raises, shared by the specs.
--   local raises = require("support.assert").raises
--   local err = raises("NotFound", "no such computer", client.computer, client, 9)
local luassert = require "luassert"
local errors = require "cwa.errors"

local M = {}

-- Runs fn(...) and returns the cwa.Error it raised (fails when it raised
-- none, or raised something else).
function M.error_of(fn, ...)
  local ok, err = pcall(fn, ...)
  luassert(not ok, "expected an error, got success")
  luassert(errors.is_error(err), "expected a cwa.Error, got " .. tostring(err))
  return err
end

-- Asserts that fn(...) raises a cwa.Error with this code whose message holds
-- `needle` as plain text (any message when needle is nil); returns the error.
function M.raises(code, needle, fn, ...)
  local err = M.error_of(fn, ...)
  luassert.are.equal(code, err.code, ("expected a %s error, got %s"):format(code, tostring(err)))
  if needle then
    luassert.is_truthy(err.message:find(needle, 1, true),
      ("message %q lacks %q"):format(err.message, needle))
  end
  return err
end

return M
