--- `cwa shell`: a Lua 5.4 prompt with `cwa`, a connected `client` and
-- `format` in scope.
--
-- Each input is tried first as an expression (`return <line>`), then as a
-- statement; an incomplete chunk asks for more lines. Results print through
-- cwa.format: a list of records as an aligned table (truncated with a count
-- past `max_rows`), a single record as indented `Key: value` lines, strings
-- and other scalars escaped (a record's text cannot move the cursor or set
-- the title). An iterator (client:computers{...}) prints its first
-- `max_rows` records and the loop is then closed.
--
-- On a terminal it logs in first (the banner says "connected" only once the
-- server took the login), prints a banner and prompts. `help` lists the
-- functions and methods, `help(client)` the methods of a value, one line
-- each, summarised from the doc comments of the modules. With a Lua readline
-- binding (Debian's lua-readline, module "readline") it edits lines, recalls
-- history and completes globals, methods (`client:<TAB>`) and fields
-- (`rec.<TAB>`); without one it reads plain lines. History goes to
-- $XDG_STATE_HOME/cwa/history (default ~/.local/state/cwa/history), mode
-- 0600, each line once. Ctrl-C cancels the line being typed or the call in
-- progress and the prompt goes on; Ctrl-D quits.
--
-- With piped input it reads plain lines, prints no prompt, and exits with 1
-- when any chunk failed.
-- @module cwa.shell

local core = require "cwa.core"
local format = require "cwa.format"
local progress = require "cwa.progress"

local shell = {}

local MAX_ROWS = 20
local HISTORY_LINES = 1000

local function is_interrupt(e)
  return type(e) == "string" and e:find("interrupted!$") ~= nil
end

local function shell_quote(s)
  return "'" .. s:gsub("'", "'\\''") .. "'"
end

-- History -------------------------------------------------------------------

--- The history file: $XDG_STATE_HOME/cwa/history, else
-- ~/.local/state/cwa/history (nil without a home).
function shell.history_path(getenv)
  getenv = getenv or os.getenv
  local state = getenv("XDG_STATE_HOME")
  -- The XDG spec says a relative value is to be ignored.
  if not state or state:sub(1, 1) ~= "/" then
    local home = getenv("HOME")
    if not home or home == "" then return nil end
    state = home .. "/.local/state"
  end
  return state .. "/cwa/history"
end

-- The file's last lines, the file made (0600, in a 0700 folder) when missing
-- and cut to HISTORY_LINES; nil when it cannot be made.
local function open_history(path)
  local dir = path:match("^(.*)/[^/]*$")
  local made = os.execute("umask 077 && mkdir -p " .. shell_quote(dir) .. " && : >> " .. shell_quote(path)
    .. " && chmod 600 " .. shell_quote(path))
  if not made then return nil end
  local lines = {}
  local f = io.open(path, "r")
  if not f then return nil end
  for line in f:lines() do lines[#lines + 1] = line end
  f:close()
  if #lines > HISTORY_LINES then
    lines = table.move(lines, #lines - HISTORY_LINES + 1, #lines, 1, {})
    -- Truncating keeps the file's mode.
    local w = io.open(path, "w")
    if w then
      w:write(table.concat(lines, "\n"), "\n")
      w:close()
    end
  end
  return {path = path, lines = lines, last = lines[#lines]}
end

-- Appends one line (not twice in a row, not blank) to the file at once, so a
-- shell that is killed keeps what was typed.
local function remember(history, line, rl)
  if not history or not line:match("%S") or line == history.last then return end
  history.last = line
  if rl then rl.add_history(line) end
  local f = io.open(history.path, "a")
  if f then
    f:write(line, "\n")
    f:close()
  end
end

-- Completion ----------------------------------------------------------------

local KEYWORDS = {"and", "break", "do", "else", "elseif", "end", "false", "for", "function", "goto",
  "if", "in", "local", "nil", "not", "or", "repeat", "return", "then", "true", "until", "while"}

-- The tables a value's fields come from: itself, then the __index tables of
-- its metatables. Nothing is called (no __index function, no __pairs), so
-- completing cannot send a request.
local function field_sources(v)
  local out = {}
  for _ = 1, 8 do
    if type(v) == "table" then out[#out + 1] = v end
    local mt = getmetatable(v)
    local idx = type(mt) == "table" and rawget(mt, "__index") or nil
    if type(idx) ~= "table" then break end
    v = idx
  end
  return out
end

local function field_of(v, k)
  for _, t in ipairs(field_sources(v)) do
    local x = rawget(t, k)
    if x ~= nil then return x end
  end
  return nil
end

--- Completions of the word `word` in `env`: globals and keywords; after
-- `a.b.` the fields of a.b, after `a:` its methods.
function shell.complete(env, word)
  local path, sep, partial = word:match("^([%a_][%w_.]*)([.:])([%w_]*)$")
  local names, prefix = {}, ""
  if path then
    local v
    for name in path:gmatch("[^.]+") do
      if v == nil then
        v = rawget(env, name)
        if v == nil then v = rawget(_G, name) end
      else
        v = field_of(v, name)
      end
      if v == nil then return {} end
    end
    prefix = path .. sep
    for _, t in ipairs(field_sources(v)) do
      for k, x in next, t do
        if type(k) == "string" and k:match("^[%a_][%w_]*$") and (sep == "." or type(x) == "function")
            and not (sep == ":" and k:sub(1, 2) == "__") then
          names[k] = true
        end
      end
    end
  else
    partial = word:match("^[%a_][%w_]*$") or (word == "" and "")
    if not partial then return {} end
    for _, t in ipairs{env, _G} do
      for k in next, t do
        if type(k) == "string" and k:match("^[%a_][%w_]*$") then names[k] = true end
      end
    end
    for _, k in ipairs(KEYWORDS) do names[k] = true end
  end
  local out = {}
  for k in pairs(names) do
    -- Private fields only when asked for with a leading "_".
    if k:sub(1, #partial) == partial and (k:sub(1, 1) ~= "_" or partial:sub(1, 1) == "_") then
      out[#out + 1] = prefix .. k
    end
  end
  table.sort(out)
  return out
end

-- Help ----------------------------------------------------------------------

-- Summaries of a module's documented functions from its doc comments: the
-- first sentence of each `---` block, by the name of the function after it
-- (`function Client:get(` gives "get") or of its `@function` tag.
local function doc_summaries(modname)
  local found, path = {}, package.searchpath(modname, package.path)
  local f = path and io.open(path, "r")
  if not f then return found end
  local text, name, open
  local function finish(fname)
    fname = fname and fname:match("([%w_]+)$")
    if text and fname and not found[fname] then
      found[fname] = text:match("^(.-%.)%s") or text:match("^(.-%.)$") or text
    end
    text, name, open = nil, nil, false
  end
  for line in f:lines() do
    local first = line:match("^%-%-%-%s?(.*)$")
    if first and not first:match("^%-") then
      finish(name)
      text, open = first, true
    elseif text and line:match("^%-%-") then
      local body = line:match("^%-%-%s*(.*)$")
      local fname = body:match("^@function%s+([%w_.:]+)")
      if fname then name = fname end
      if body:match("^@") or body == "" then
        open = false
      elseif open and not text:find("%.$") then
        text = text .. " " .. body
      end
    elseif text then
      finish(name or line:match("^function%s+([%w_.:]+)%s*%("))
    end
  end
  f:close()
  finish(name)
  return found
end

-- Name and summary of the functions of `v` (its own fields and the __index
-- tables of its metatables), methods of the resources filled in from
-- cwa.RESOURCES, whose pairs are made in a loop with one doc comment.
local function entries(v, summaries, resources, default_client)
  local list, seen = {}, {}
  for _, t in ipairs(field_sources(v)) do
    for k, x in next, t do
      if type(k) == "string" and type(x) == "function" and k:sub(1, 1) ~= "_" and not seen[k] then
        seen[k] = true
        list[#list + 1] = {name = k, summary = summaries[k]}
      end
    end
  end
  local by = default_client and " with the default client" or ""
  for _, r in ipairs(resources or {}) do
    if seen[r.plural] and not summaries[r.plural] then
      summaries[r.plural] = ("Iterates over the %s (`%s`)%s."):format(r.plural, r.path, by)
    end
    if seen[r.singular] and not summaries[r.singular] then
      summaries[r.singular] = ("One %s by id (`GET %s/{id}`)%s."):format(r.singular, r.path, by)
    end
  end
  for _, e in ipairs(list) do e.summary = summaries[e.name] or "" end
  table.sort(list, function(a, b) return a.name < b.name end)
  return list
end

local function entry_lines(list, lead, width)
  local w = 0
  for _, e in ipairs(list) do w = math.max(w, #e.name) end
  local out = {}
  for _, e in ipairs(list) do
    local line = ("  %s%-" .. w .. "s  %s"):format(lead, e.name, e.summary):gsub("%s+$", "")
    if utf8.len(line) and utf8.len(line) > width then
      line = line:sub(1, utf8.offset(line, width) - 1 - 3) .. "..."
    end
    out[#out + 1] = line
  end
  return table.concat(out, "\n") .. "\n"
end

-- The text of help(x), for x = cwa, a client, format or any table.
local function help_text(env, x, width)
  local cwa = env.cwa
  local docs = {}
  local function summaries(mod)
    docs[mod] = docs[mod] or doc_summaries(mod)
    return docs[mod]
  end
  local function of_cwa() return entries(cwa, summaries("cwa"), cwa.RESOURCES, true) end
  local function of_client() return entries(cwa.Client, summaries("cwa.client"), cwa.RESOURCES) end
  if x == nil then
    return "Functions of cwa:\n" .. entry_lines(of_cwa(), "cwa.", width)
      .. "Methods of client:\n" .. entry_lines(of_client(), "client:", width)
      .. "help(x) lists the functions of x (help(format), help(client)). Results print as tables;\n"
      .. "Tab completes names, client:<Tab> methods, rec.<Tab> fields (with lua-readline).\n"
      .. "Ctrl-C cancels the line or the call in progress; Ctrl-D or os.exit() quits.\n"
  elseif x == cwa then
    return "Functions of cwa:\n" .. entry_lines(of_cwa(), "cwa.", width)
  elseif getmetatable(x) == cwa.Client then
    return "Methods of client:\n" .. entry_lines(of_client(), "client:", width)
  elseif x == format then
    return "Functions of format:\n" .. entry_lines(entries(format, summaries("cwa.format")), "format.", width)
  elseif type(x) == "table" then
    local list = entries(x, {})
    if #list == 0 then return "no functions; fields: " .. table.concat(shell.complete({x = x}, "x."), " "):gsub("x%.", "") .. "\n" end
    return "Functions:\n" .. entry_lines(list, "", width)
  end
  return "help(x) lists the functions of a table: help(cwa), help(client), help(format)\n"
end

-- Readers: function(prompt) -> line, or nil at the end ----------------------

local function plain_reader(interactive)
  return function(prompt)
    if interactive then
      io.stdout:write(prompt)
      io.stdout:flush()
      -- The wait ends on a signal, so a Ctrl-C takes effect (the terminal
      -- drops the line typed so far) instead of waiting for a newline.
      while not core.wait_input(0) do end
    end
    return io.read("L")
  end
end

-- Readline's callback interface, fed only when the terminal has input: a
-- Ctrl-C between two keys ends the wait, lua.c's hook raises "interrupted!"
-- and the line is dropped; the blocking readline() would wait for Enter.
local function readline_reader(rl, env)
  rl.set_options{histfile = "", auto_add = false, completion = true}
  if rl.set_readline_name then rl.set_readline_name("cwa") end
  rl.set_complete_function(function(text, from, to)
    rl.set_completion_append_character("")
    return shell.complete(env, text:sub(from, to))
  end)
  return function(prompt)
    local done, line = false, nil
    rl.handler_install(prompt, function(l)
      done, line = true, l
      rl.handler_remove()
    end)
    local ok, err = pcall(function()
      while not done do
        if core.wait_input(0) then rl.read_char() end
      end
    end)
    if not ok then
      if rl.sigcleanup then pcall(rl.sigcleanup) end
      rl.handler_remove()
      error(err, 0)
    end
    return line and (line .. "\n")
  end
end

local function editing_reader(env)
  local ok, rl = pcall(require, "readline")
  if ok and type(rl) == "table" and rl.handler_install and rl.read_char then
    return readline_reader(rl, env), "readline", rl
  end
  return nil
end

-- Results -------------------------------------------------------------------

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
  elseif type(v) == "number" then
    -- JSON numbers decode as floats: 3, not 3.0
    return format.value_text(v) .. "\n"
  end
  -- A string from a record could hold terminal controls.
  return format.escape(tostring(v), true) .. "\n"
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
  return format.escape((tostring(e):gsub("\n", " ")))
end

-- Running -------------------------------------------------------------------

-- The first line: "connected" only once the server took the login.
local function banner(opts, kind, cwa)
  local head = cwa._VERSION .. " shell (Lua 5.4" .. (kind ~= "plain" and (", " .. kind) or "") .. "). "
  local tail = "`help` lists the functions and methods; Ctrl-D quits.\n"
  local client = opts.client
  if not client then
    return head .. "`client` is not connected: set the connection and restart.\n" .. tail
  end
  local ok, err = pcall(client.token, client)
  if not ok then
    return head .. "`client` is not logged in: " .. message_of(is_interrupt(err) and "interrupted" or err)
      .. "\nclient:token() logs in again. " .. tail
  end
  local who = opts.server and (" to " .. opts.server .. (opts.username and (" as " .. opts.username) or "")) or ""
  return head .. format.escape("`client` is connected" .. who) .. ".\n" .. tail
end

--- Runs the prompt. Options: client (may be nil), server and username (for
-- the banner), execute (list of chunks to run first), width (a number or a
-- function returning the terminal width), interactive (default: stdin is a
-- terminal), reader (function(prompt)), history (path of the history file;
-- default shell.history_path(); false: none).
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
  env.help = setmetatable({}, {
    __name = "help",
    __call = function(_, x) io.stdout:write(help_text(env, x, show_opts.width)) end,
    __tostring = function() return (help_text(env, nil, show_opts.width):gsub("\n$", "")) end,
  })
  if opts.client then cwa.set_default(opts.client) end

  local reader, kind, rl = opts.reader, "plain", nil
  if not reader and interactive then reader, kind, rl = editing_reader(env) end
  reader = reader or plain_reader(interactive)
  kind = kind or "plain"

  local history
  if interactive and opts.history ~= false then
    local path = opts.history or shell.history_path()
    history = path and open_history(path)
    if history and rl then
      for _, line in ipairs(history.lines) do rl.add_history(line) end
    end
  end

  -- lua.c's SIGINT handler puts back SIG_DFL once it has fired: it is put
  -- back after each input, so every Ctrl-C is caught, not only the first.
  local sigint = interactive and core.sigint_handler() or nil
  local function rearm()
    if sigint then core.set_sigint_handler(sigint) end
  end

  if interactive then io.stdout:write(banner(opts, kind, cwa)) end

  local failed = false
  local function report(e)
    failed = true
    io.stderr:write(is_interrupt(e) and "interrupted" or cwa.is_error(e) and ("error: " .. message_of(e))
      or format.escape(tostring(e), true), "\n")
  end

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
      if cwa.is_error(e) or is_interrupt(e) then return e end
      -- The user's frames only: the prompt's own frames would be noise.
      local trace = debug.traceback(tostring(e), 2)
      return (trace:gsub("\n%s*%[C%]: in function 'xpcall'.*$", ""))
    end))
    if not values[1] then
      report(values[2])
      return true
    end
    local ok, perr = pcall(print_results, values.n - 1, table.move(values, 2, values.n, 1, {}), show_opts)
    if not ok then report(perr) end
    return true
  end

  for _, chunk in ipairs(opts.execute or {}) do
    local ok, err = run_chunk(chunk, "=(-e)")
    if not ok then report(err) end
  end

  local buffer = nil
  -- One input: false at the end of the input.
  local function step()
    local line = reader(buffer and ">> " or "cwa> ")
    if line == nil then return false end
    remember(history, (line:gsub("\n$", "")), rl)
    if buffer == nil and line:match("^%s*$") then return true end
    buffer = (buffer or "") .. line
    local ok, err = run_chunk(buffer, "=stdin")
    -- An error at <eof> means the chunk is incomplete: keep reading.
    if ok then
      buffer = nil
    elseif not tostring(err):find("<eof>$") then
      report(err)
      buffer = nil
    end
    return true
  end

  while true do
    local ok, more = pcall(step)
    if not ok then
      if not (interactive and is_interrupt(more)) then error(more, 0) end
      -- Ctrl-C at the prompt: the line (or the unfinished chunk) is dropped.
      io.stdout:write("^C\n")
      buffer = nil
    elseif not more then
      break
    end
    rearm()
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
