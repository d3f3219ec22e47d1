-- Makes cwa clients for a running simulator (spec/support/sim.lua).
local M = {}

M.PASSWORD = "integrator-pass"

-- opts are merged over working defaults for the integrator user.
function M.new(sim, opts)
  local cwa = require "cwa"
  local o = {
    server = sim.url, username = "integrator", password = M.PASSWORD,
    client_id = "spec-client-id", rate_limit = false, backoff_base = 0.01, backoff_cap = 0.05,
  }
  for k, v in pairs(opts or {}) do
    if v == "nil" then o[k] = nil else o[k] = v end
  end
  return cwa.new(o)
end

-- Kept here too for the specs that already call helper.error_of.
M.error_of = require("support.assert").error_of

-- Every id of an iteration, checking each is seen once.
function M.ids(iter, field)
  field = field or "Id"
  local seen, n, dup = {}, 0, 0
  for rec in iter do
    local id = rec[field]
    if seen[id] then dup = dup + 1 end
    seen[id] = true
    n = n + 1
  end
  return n, seen, dup
end

-- The seconds each request waited in the client's queue before it was sent
-- ("wait 95ms" in its debug line, `lines` collected by a log function):
-- under a limit, the rate limiter's doing. Unlike the wall time of a run, a
-- busy machine only shortens these waits, since tokens accrue while the
-- client is slow.
function M.waits(lines)
  local waits = {}
  for _, line in ipairs(lines) do
    local ms = line:match(" attempt %d+ wait (%d+)ms ")
    if ms then waits[#waits + 1] = tonumber(ms) / 1000 end
  end
  return waits
end

function M.monotime()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

return M
