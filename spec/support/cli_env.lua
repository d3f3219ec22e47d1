--- What the specs of the `cwa` command share: a shell prelude that drops
-- the settings a developer's shell may have (they would change the
-- answers), temporary folders, the environment of a simulator's integrator,
-- and the lines of an output.
local simmod = require "support.sim"

local q = simmod.shell_quote

local M = {}

--- Shell text unsetting every variable the CLI reads that a spec does not set.
M.UNSET = "unset CONNECTWISE_AUTOMATE_SERVER CONNECTWISE_AUTOMATE_USERNAME "
  .. "CONNECTWISE_AUTOMATE_PASSWORD CONNECTWISE_AUTOMATE_USER CONNECTWISE_AUTOMATE_PASS "
  .. "CONNECTWISE_AUTOMATE_2FA CONNECTWISE_AUTOMATE_CLIENT_ID CONNECTWISE_AUTOMATE_AUTH "
  .. "CONNECTWISE_AUTOMATE_RATE_LIMIT CWA_FORMAT COLUMNS NO_COLOR XDG_CONFIG_HOME "
  .. "http_proxy https_proxy HTTP_PROXY HTTPS_PROXY all_proxy ALL_PROXY no_proxy NO_PROXY; "

--- A new empty folder (the caller removes it).
function M.temp_dir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. q(dir)))
  return dir
end

--- Shell text for bin/cwa as the simulator's integrator at url, with the
-- config file `config` (which need not exist) and ClientId "spec".
function M.integrator(url, config)
  return M.UNSET .. "export CWA_CONFIG=" .. q(config) .. " CONNECTWISE_AUTOMATE_SERVER=" .. q(url)
    .. " CONNECTWISE_AUTOMATE_USERNAME=integrator CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass"
    .. " CONNECTWISE_AUTOMATE_CLIENT_ID=spec; "
end

--- The non-empty lines of text.
function M.lines_of(text)
  local out = {}
  for line in text:gmatch("[^\n]+") do out[#out + 1] = line end
  return out
end

return M
