-- Starts and stops a cwa-sim process on a free loopback port for a spec.
--   local sim = require("support.sim").start{"--computers", "500"}
--   sim.url, sim.port, sim:stats(), sim:reset(), sim:stop()
local M = {}

local build = os.getenv("CWA_BUILD") or "build"
M.binary = "./" .. build .. "/cwa-sim"

local function shell_quote(s)
  return "'" .. tostring(s):gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

-- The whole file, or nil when it cannot be opened.
local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end
M.read_file = read_file

local function sleep(seconds)
  os.execute("sleep " .. string.format("%.3f", seconds))
end
M.sleep = sleep

-- A process that exited but was not reaped (no init reaping in some
-- containers) still answers `kill -0`: read its state where /proc exists.
local function alive(pid)
  local f = io.open("/proc/" .. pid .. "/stat", "r")
  if f then
    local state = f:read("a"):match("^%d+ %b() (%a)")
    f:close()
    return state ~= nil and state ~= "Z"
  end
  local self_stat = io.open("/proc/self/stat", "r")
  if self_stat then
    self_stat:close()
    return false
  end
  return os.execute("kill -0 " .. pid .. " 2>/dev/null") == true
end
M.alive = alive

local Sim = {}
Sim.__index = Sim

-- Simulators started and not yet stopped. A test that fails before its
-- sim:stop() would leave one running: they are stopped when this module is
-- collected (busted's insulation drops it after each spec file) or when the
-- Lua state closes (busted exits with os.exit(code, true)).
local running = setmetatable({}, {__gc = function(t)
  for sim in pairs(t) do sim:stop() end
end})

-- Runs curl against the simulator; returns status, body.
function Sim:curl(method, path, body, headers)
  local args = {"curl", "-s", "-k", "-o", "-", "-w", "'\\n%{http_code}'", "-X", method}
  for _, h in ipairs(headers or {}) do
    args[#args + 1] = "-H " .. shell_quote(h)
  end
  if body then
    args[#args + 1] = "-H 'Content-Type: application/json' --data-binary " .. shell_quote(body)
  end
  args[#args + 1] = shell_quote(self.url .. path)
  local p = assert(io.popen(table.concat(args, " ")))
  local out = p:read("a")
  p:close()
  local text, code = out:match("^(.*)\n(%d+)$")
  return tonumber(code), text
end

function Sim:stats()
  local code, body = self:curl("GET", "/__stats")
  assert(code == 200, "/__stats answered " .. tostring(code))
  return require("cjson").decode(body)
end

function Sim:reset()
  local code = self:curl("POST", "/__reset")
  assert(code == 200 or code == 204, "/__reset answered " .. tostring(code))
end

function Sim:stop()
  if self.pid then
    os.execute("kill " .. self.pid .. " 2>/dev/null")
    -- wait for the process to go so ports and files are released
    for _ = 1, 100 do
      if not alive(self.pid) then break end
      sleep(0.02)
    end
    self.pid = nil
  end
  running[self] = nil
  if self.log then os.remove(self.log) end
end

-- Starts argv (a list: program and arguments) in the background, its stdout
-- and stderr going to a temporary file, and waits until ready(output)
-- returns true. Returns the process object (pid, log, stop) and the output
-- so far; a process never stopped by its spec is stopped with this module.
-- env: shell text put before the command (e.g. "unset LD_PRELOAD; ").
-- The wait is a guard against a process that hangs, not a speed test: a
-- simulator of 50,000 computers takes 2 s to start, longer under ASan.
function M.spawn(argv, ready, env)
  local log = os.tmpname()
  local cmd = {}
  for i, a in ipairs(argv) do cmd[i] = shell_quote(a) end
  local p = assert(io.popen("sh -c " .. shell_quote((env or "") .. "exec " .. table.concat(cmd, " ")
    .. " >" .. log .. " 2>&1 </dev/null") .. " & echo $!"))
  local pid = p:read("l")
  p:close()
  local proc = setmetatable({pid = pid, log = log}, Sim)
  running[proc] = true
  local name = argv[1]:match("[^/]*$")
  local deadline = os.time() + 60
  while os.time() <= deadline do
    local out = read_file(log) or ""
    if ready(out) then return proc, out end
    if not alive(pid) then
      proc:stop()
      error(name .. " exited: " .. out)
    end
    sleep(0.01)
  end
  proc:stop()
  error(name .. " did not say it was ready")
end

-- args: list of extra command-line arguments for cwa-sim.
function M.start(args)
  local argv = {M.binary, "--port", "0"}
  for _, a in ipairs(args or {}) do argv[#argv + 1] = a end
  local sim, out = M.spawn(argv, function(out) return out:match("URL (%S+)") and out:find("\n") end)
  local url = out:match("URL (%S+)")
  sim.url = url
  sim.port = tonumber(url:match(":(%d+)$"))
  sim.ca_file = out:match("CA (%S+)")
  sim.base = url .. "/cwa/api/v1"
  return sim
end

return M
