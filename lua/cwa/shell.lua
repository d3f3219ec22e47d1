--- `cwa shell`: a Lua 5.4 prompt with `cwa`, a connected `client` and
-- `format` in scope.
--
-- Each input is tried first as an expression (`return <line>`), then as a
-- statement; an incomplete chunk asks for more lines. Results print through
-- cwa.format: a list of records as an aligned table (truncated with a count
-- past `max_rows`), a single record as indented `Key: value` lines, anything
-- else as text. An iterator (client:computers{...}) prints its first
-- `max_rows` records and the loop is then closed.
--
-- On a terminal it prints a banner and prompts, and uses line editing when a
-- Lua readline binding ("readline" or "linenoise") is installed. With piped
-- input it reads plain lines, prints no prompt, and exits with 1 when any
-- chunk failed.
-- @module cwa.shell

local format = require "cwa.format"
local progress = require "cwa.progress"

local shell = {}

local MAX_ROWS = 20

-- Reader: a function(prompt) -> line or nil.
local function plain_reader(interactive)
  return function(prompt)
    if interactive then
      io.stdout:write(prompt)
      io.stdout:flush()
    end
    return io.read("L")
  end
end

local function editing_reader()
  local ok, rl = pcall(require, "readline")
  if ok and type(rl) == "table" and rl.readline then
    if rl.set_options then pcall(rl.set_options, {histfile = "~/.cwa_history", keeplines = 500}) end
    return function(prompt)
      local line = rl.readline(prompt)
      if line and line:match("%S") and rl.add_history then rl.add_history(line) end
      return line and (line .. "\n")
    end, "readline"
  end
  local ok2, ln = pcall(require, "linenoise")
  if ok2 and type(ln) == "table" and ln.linenoise then
    return function(prompt)
      local line = ln.linenoise(prompt)
      if line and line:match("%S") and ln.historyadd then ln.historyadd(line) end
      return line and (line .. "\n")
    end, "linenoise"
  end
  return nil
end

local function is_pager(v)
  if type(v) ~= "userdata" then return false end
  local ok, has = pcall(function() return v.pages_fetched ~= nil end)
  return ok and has
end

--- Text of one result value as the prompt shows it.
function shell.show(v, opts)
  opts = opts or {}
  local max_rows = opts.max_rows or MAX_ROWS
  local width = opts.width or 100
  if format.is_record_list(v) then
    return format.table(v, {max_rows = max_rows, width = width, flatten = true,
      total = #v}) .. (#v > max_rows and "" or ("(" .. #v .. " record" .. (#v == 1 and "" or "s") .. ")\n"))
  elseif type(v) == "table" and getmetatable(v) == nil then
    if next(v) == nil then return "{}\n" end
    local text = format.record(v)
    local lines, n = {}, 0
    for line in text:gmatch("[^\n]*\n") do
      n = n + 1
      if n <= 200 then lines[n] = line end
    end
    if n > 200 then lines[#lines + 1] = "... and " .. (n - 200) .. " more lines\n" end
    return table.concat(lines)
  elseif type(v) == "string" then
    return v .. "\n"
  elseif type(v) == "number" then
    -- JSON numbers decode as floats: 3, not 3.0
    return format.value_text(v) .. "\n"
  end
  return tostring(v) .. "\n"
end

-- Prints the values a chunk returned; drains an iterator's first records.
local function print_results(n, values, opts)
  if n == 0 then return end
  local f, _, _, closing = values[1], values[2], values[3], values[4]
  if type(f) == "function" and is_pager(closing) then
    local records, more = {}, false
    local max_rows = opts.max_rows or MAX_ROWS
    do
      -- Closing the pager cancels the pages fetched ahead.
      local _ <close> = closing
      while true do
        local rec = f()
        if rec == nil then break end
        if #records >= max_rows then more = true break end
        records[#records + 1] = rec
      end
    end
    io.stdout:write(format.table(records, {width = opts.width or 100, flatten = true}))
    if more then io.stdout:write("... (first ", max_rows, " records; use client:list(...) for all)\n") end
    return
  end
  for i = 1, n do io.stdout:write(shell.show(values[i], opts)) end
end

local function message_of(e)
  return (tostring(e):gsub("\n", " "))
end

--- Runs the prompt. Options: client (may be nil), execute (list of chunks to
-- run first), width (a number or a function returning the terminal width),
-- interactive (default: stdin is a terminal), reader (function(prompt)).
-- Returns the exit code.
function shell.run(opts)
  opts = opts or {}
  local cwa = require "cwa"
  local interactive = opts.interactive
  if interactive == nil then interactive = progress.isatty(0) end
  local width = opts.width
  if type(width) == "function" then width = interactive and width() or 100 end
  local show_opts = {width = width or 100, max_rows = opts.max_rows}

  local env = setmetatable({cwa = cwa, client = opts.client, format = format}, {__index = _G})
  if opts.client then cwa.set_default(opts.client) end

  local reader, kind = opts.reader, "plain"
  if not reader and interactive then reader, kind = editing_reader() end
  reader = reader or plain_reader(interactive)
  kind = kind or "plain"

  if interactive then
    io.stdout:write(cwa._VERSION, " shell (Lua 5.4", kind ~= "plain" and (", " .. kind) or "",
      "). `client` is connected", opts.client and "" or " (not: set the connection and restart)",
      "; try #client:list(\"/Clients\") or client:computer(1). Ctrl-D quits.\n")
  end

  local failed = false
  local function run_chunk(text, name)
    -- Each input is its own chunk, so a `local` would be gone by the next
    -- line: at the top of an input it defines a variable of the shell.
    local stripped = text:match("^%s*local%s+(function%s.*)$")
      or (text:match("^%s*local%s+[%a_][%w_]*%s*[,=]") and not text:match("^%s*local[^=]*<")
          and text:match("^%s*local%s+(.*)$"))
    if stripped then text = stripped end
    local fn, err = load("return " .. text, name, "t", env)
    if not fn then
      fn, err = load(text, name, "t", env)
    end
    if not fn then return nil, err end
    local values = table.pack(xpcall(fn, function(e)
      if cwa.is_error(e) then return e end
      -- The user's frames only: the prompt's own frames would be noise.
      local trace = debug.traceback(tostring(e), 2)
      return (trace:gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
    end))
    if not values[1] then
      failed = true
      local e = values[2]
      io.stderr:write(cwa.is_error(e) and ("error: " .. message_of(e)) or tostring(e), "\n")
      return true
    end
    local ok, perr = pcall(print_results, values.n - 1, table.move(values, 2, values.n, 1, {}), show_opts)
    if not ok then
      failed = true
      io.stderr:write("error: ", message_of(perr), "\n")
    end
    return true
  end

  for _, chunk in ipairs(opts.execute or {}) do
    local ok, err = run_chunk(chunk, "=(-e)")
    if not ok then
      failed = true
      io.stderr:write(tostring(err), "\n")
    end
  end

  local buffer = nil
  while true do
    local line = reader(buffer and ">> " or "cwa> ")
    if line == nil then break end
    if buffer == nil and line:match("^%s*$") then goto continue end
    buffer = (buffer or "") .. line
    do
      local ok, err = run_chunk(buffer, "=stdin")
      -- An error at <eof> means the chunk is incomplete: keep reading.
      if ok then
        buffer = nil
      elseif not tostring(err):find("<eof>$") then
        failed = true
        io.stderr:write(tostring(err), "\n")
        buffer = nil
      end
    end
    ::continue::
  end
  if buffer then
    failed = true
    io.stderr:write("incomplete input at end\n")
  end
  if interactive then io.stdout:write("\n") end
  io.stdout:flush()
  if failed and not interactive then return 1 end
  return 0
end

return shell
