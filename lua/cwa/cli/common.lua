--- What every part of the `cwa` command shares: usage errors (exit code 2)
-- the terminal (is a descriptor a terminal, how wide is it) and lines on
-- stderr.
-- @module cwa.cli.common
local format = require "cwa.format"
local progress = require "cwa.progress"

local common = {}

-- A usage error: reported in one line, exit code 2.
local Usage = {}
Usage.__index = Usage
Usage.__tostring = function(u) return u.message end

--- Raises a usage error.
-- @string message
function common.usage(message)
  error(setmetatable({message = message}, Usage), 0)
end

--- True when e was raised by `usage`.
function common.is_usage(e)
  return getmetatable(e) == Usage
end

--- Writes the texts as one line on stderr: newlines become spaces and other
-- control characters are shown escaped (the text may be the server's).
function common.say(...)
  local text = table.concat({...}):gsub("\n", " ")
  io.stderr:write(format.escape(text), "\n")
end

-- Asked once per descriptor: each question runs `test -t`.
local tty_cache = {}

--- True when the descriptor fd is a terminal.
-- @int fd
function common.isatty(fd)
  if tty_cache[fd] == nil then tty_cache[fd] = progress.isatty(fd) end
  return tty_cache[fd]
end

--- The terminal's width in columns: $COLUMNS, else `stty size`, else 100
-- (the progress line's, which re-reads it as the window changes).
common.terminal_width = progress.terminal_width

--- The items of a comma-separated list, trimmed, empty ones dropped (nil for nil).
-- @string s
-- @treturn ?table
function common.split_list(s)
  if s == nil then return nil end
  local out = {}
  for part in s:gmatch("[^,]+") do
    part = part:gsub("^%s+", ""):gsub("%s+$", "")
    if part ~= "" then out[#out + 1] = part end
  end
  return out
end

return common
