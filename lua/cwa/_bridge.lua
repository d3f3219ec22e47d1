-- TEMPORARY (issue 13), to be deleted when the binding has core.defaults(),
-- client:settings() and page_size in core.new: stands in for them so that
-- the Lua layer, written against that contract, works meanwhile.
local core = require "cwa.core"
if core.defaults then return end

local D = {page_size = 250, retries = 5, rate_limit = 60, burst = 0, concurrency = 10, timeout = 60,
  connect_timeout = 10, backoff_base = 0.5, backoff_cap = 30, max_wait = 120, verify_tls = true, auth = "auto"}
core.defaults = function()
  local t = {}
  for k, v in pairs(D) do t[k] = v end
  return t
end
local settings = setmetatable({}, {__mode = "k"})
local new = core.new
core.new = function(opts)
  if type(opts) ~= "table" then return new(opts) end
  local copy = {}
  for k, v in pairs(opts) do copy[k] = v end
  local ps = copy.page_size
  copy.page_size = nil
  if ps ~= nil then
    local n = math.tointeger(ps)
    if not n then
      error(core.error_new{code = "InvalidArgument",
        message = "cwa.new: option 'page_size': expected an integer, got " .. (type(ps) == "number" and tostring(ps) or type(ps))}, 0)
    end
    if n < 1 or n > 1000 then
      error(core.error_new{code = "InvalidArgument",
        message = ("cwa.new: option 'page_size': must be between 1 and 1000 (got %d)"):format(n)}, 0)
    end
    ps = n
  end
  local c = new(copy)
  settings[c] = {page_size = ps or D.page_size, concurrency = math.tointeger(copy.concurrency) or D.concurrency}
  return c
end
local probe = new{server = "http://127.0.0.1:1", allow_http = true, username = "u", password = "p"}
getmetatable(probe).__index.settings = function(self) return settings[self] end
probe:close()
