-- Runs a shell command line for a spec; returns its stdout, stderr and exit code.
local quote = require("support.sim").shell_quote

local M = {}

function M.run(command)
  local errfile = os.tmpname()
  local p = assert(io.popen("sh -c " .. quote(command .. " 2>" .. quote(errfile) .. "; echo \"exit=$?\"")))
  local out = p:read("a")
  p:close()
  local f = io.open(errfile, "rb")
  local err = f and f:read("a") or ""
  if f then f:close() end
  os.remove(errfile)
  local body, code = out:match("^(.-)exit=(%d+)\n?$")
  return body, err, tonumber(code)
end

return M
