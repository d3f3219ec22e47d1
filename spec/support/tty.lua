-- Runs a command in a real terminal (a detached tmux session on its own
-- server socket) so that specs can type into it and read the screen.
--   local t = require("support.tty").start("bin/cwa shell", {width = 100})
--   t:wait_for("Password"); t:keys("C-c"); t:screen(); t:stop()
local quote = require("support.sim").shell_quote

local Tty = {}
Tty.__index = Tty

local M = {}

local counter = 0

local function tmux(self, args)
  return os.execute("tmux -L " .. quote(self.socket) .. " " .. args .. " >/dev/null 2>&1")
end

--- Starts `command` (shell text) in a terminal of opts.width x opts.height.
function M.start(command, opts)
  opts = opts or {}
  counter = counter + 1
  local self = setmetatable({
    socket = ("cwa-spec-%d-%d-%d"):format(os.time(), counter, math.random(1e6)),
  }, Tty)
  assert(tmux(self, ("-f /dev/null new-session -d -x %d -y %d %s"):format(
    opts.width or 100, opts.height or 30, quote(command .. "; sleep 60"))), "tmux did not start")
  return self
end

--- Sends tmux key names or text (each argument one send-keys word).
function Tty:keys(...)
  local words = {}
  for i, k in ipairs{...} do words[i] = quote(k) end
  assert(tmux(self, "send-keys -t 0 " .. table.concat(words, " ")))
end

--- Types text literally (no key names).
function Tty:type(text)
  assert(tmux(self, "send-keys -t 0 -l " .. quote(text)))
end

--- The visible screen as text (lines joined with "\n"); with opts.escapes,
-- the colours and attributes as escape sequences too (capture-pane -e).
function Tty:screen(opts)
  local e = opts and opts.escapes and " -e" or ""
  local p = assert(io.popen("tmux -L " .. quote(self.socket) .. " capture-pane -p" .. e .. " -t 0 2>/dev/null"))
  local text = p:read("a")
  p:close()
  return text
end

--- Waits until the screen contains `text` (plain); returns the screen, or
-- fails the spec with the screen after `seconds` (10).
function Tty:wait_for(text, seconds)
  local deadline = os.time() + (seconds or 10)
  repeat
    local s = self:screen()
    if s:find(text, 1, true) then return s end
    os.execute("sleep 0.1")
  until os.time() > deadline
  error(("timed out waiting for %q; the screen:\n%s"):format(text, self:screen()), 2)
end

function Tty:stop()
  tmux(self, "kill-server")
end

return M
