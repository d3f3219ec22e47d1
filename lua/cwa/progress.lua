--- A one-line progress display on stderr: records, pages, rate and, when
-- the total is known (announced by the server, capped by a limit, or given
-- by the caller), the percentage and ETA.
--
--     local progress = require "cwa.progress"
--     -- a listing: update(pager) once per record
--     local bar <close> = progress.new{label = "computers", page_size = 250, limit = 5000}
--     local it, s, c, pager = client:computers{page_size = 250, limit = 5000}
--     for rec in it, s, c, pager do bar:update(pager) ... end
--     bar:done()
--     -- any other work: update(done, total) with counts
--     local bar <close> = progress.new{label = "run-script", unit = "computers", total = 61}
--     bar:update(12)        -- 12 of 61 done (the total may change: update(12, 60))
--     bar:done()
--
-- API:
-- * `progress.new(opts)`: label (text before the counts), unit ("records"),
--   page_size (records a page; a listing's line stays hidden until more than
--   one page has been read), total (expected count when nobody announces
--   one), limit (a cap on the total: the --limit of a listing), out (default
--   io.stderr), enabled (default: out is a terminal), width (columns, or a
--   function returning them; default `progress.terminal_width`, re-read at
--   most once a second so a resized window is followed), clock (seconds, for
--   tests; default a monotonic clock).
-- * `bar:update(pager [, n])`: n (1) more records of a listing; `pager` (the
--   fourth value of an iterator) gives the pages fetched ahead and the total.
-- * `bar:update(done [, total])`: the count of done items of any work (a
--   number first): no pages, shown from the first call.
-- * `bar:done()` (also `__close`): erases the line.
-- * `progress.text(...)` and `progress.fit(parts, width)`: the pure parts.
--
-- The line never wraps: parts that do not fit the terminal are left out,
-- the least useful first (fetched pages, ETA, rate, pages), and the first is
-- cut. The rate is the recent pace (records a second over the last WINDOW
-- seconds, not since the start), so the ETA follows a server that slows
-- down or speeds up; it is shown only once two pages (or two items) took at
-- least a second. The line is drawn only when
-- the output is a terminal (checked once, with `test -t 2`, unless
-- opts.enabled decides), at most once per new page, new count or
-- wall-clock second, and erased by done(), so it never mixes with the data
-- on stdout.
-- @module cwa.progress
local format = require "cwa.format"

local progress = {}

local Progress = {}
Progress.__index = Progress
Progress.__name = "cwa.progress"

--- Seconds of the recent past the rate is measured over.
progress.WINDOW = 10

--- True when file descriptor fd (default 2) is a terminal.
function progress.isatty(fd)
  local ok = os.execute("test -t " .. tostring(fd or 2))
  return ok == true
end

--- The terminal's width in columns: $COLUMNS, else `stty size`, else 100.
function progress.terminal_width()
  local cols = tonumber(os.getenv("COLUMNS") or "")
  if cols and cols >= 20 then return math.floor(cols) end
  local p = io.popen("stty size 2>/dev/null </dev/tty")
  if p then
    local line = p:read("l")
    p:close()
    local w = line and tonumber(line:match("^%d+%s+(%d+)"))
    if w and w >= 20 then return w end
  end
  return 100
end

local function default_clock()
  local ok, core = pcall(require, "cwa.core")
  if ok and core.monotime then return core.monotime end
  return os.time
end

--- Makes a progress line (options: see the module's doc).
function progress.new(opts)
  opts = opts or {}
  local out = opts.out or io.stderr
  local enabled = opts.enabled
  if enabled == nil then enabled = out == io.stderr and progress.isatty(2) end
  local now = opts.clock or default_clock()
  local bar = setmetatable({
    label = opts.label or "records", unit = opts.unit or "records", page_size = opts.page_size or 250,
    out = out, enabled = enabled and true or false, clock = now, width = opts.width or progress.terminal_width,
    expected = opts.total, limit = opts.limit, started = now(), records = 0, shown = false,
    last_page = -1, last_second = -1, last_records = -1,
  }, Progress)
  bar.samples = {{t = bar.started, n = 0}}
  return bar
end

local function human_duration(s)
  s = math.floor(s + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  return ("%dh%02dm"):format(s // 3600, (s % 3600) // 60)
end

--- The parts of the line, most useful first, each with a `drop` rank (the
-- highest goes first when the line is too wide). Arguments as `text`.
function progress.parts(label, records, page, fetched, total, elapsed, page_size, rate, unit)
  unit = unit or "records"
  local parts = {}
  local function add(text, drop) parts[#parts + 1] = {text = text, drop = drop} end
  if total and total > 0 then
    add(("%s: %d/%d %s (%d%%)"):format(format.escape(label), records, total, unit,
      math.min(100, records * 100 // total)), 0)
  else
    add(("%s: %d %s"):format(format.escape(label), records, unit), 0)
  end
  if page then
    local pages = "page " .. page
    if total and total > 0 and page_size then pages = pages .. "/" .. -(-total // page_size) end
    add(pages, 2)
    if fetched and fetched > page then parts[#parts].more = " (" .. fetched .. " fetched)" end
  end
  if rate == nil and elapsed and elapsed >= 1 then rate = records / elapsed end
  if rate then
    add(("%.0f/s"):format(rate), 3)
    if total and total > records and rate > 0 then add("ETA " .. human_duration((total - records) / rate), 1) end
  end
  return parts
end

--- The parts joined into a line of at most `width` - 1 columns (the last
-- column would make some terminals wrap): the parts of highest `drop` rank
-- are left out first, and the first part is cut when even it is too wide.
function progress.fit(parts, width)
  local function join(limit)
    local out = {}
    for _, p in ipairs(parts) do
      if p.drop <= limit then out[#out + 1] = p.text .. ((limit >= 4 and p.more) or "") end
    end
    return table.concat(out, ", ")
  end
  local max = width and (width - 1) or math.huge
  for limit = 4, 0, -1 do
    local line = join(limit)
    if (utf8.len(line) or #line) <= max then return line end
  end
  local line = join(0)
  local cut = utf8.offset(line, math.max(1, max - 3) + 1)
  return (cut and line:sub(1, cut - 1) or line:sub(1, math.max(1, max - 3))) .. "..."
end

--- The text of the line for the given counts, not fitted to a width (no
-- terminal control codes: those of the label are shown escaped).
-- @string label
-- @int records read so far
-- @int page the page being read
-- @tparam[opt] int fetched pages fetched so far (read ahead included)
-- @tparam[opt] int total records expected
-- @number elapsed seconds since the start
-- @int page_size records a page (for the number of pages of the total)
-- @tparam[opt] number rate records a second (default: the average since the start)
function progress.text(label, records, page, fetched, total, elapsed, page_size, rate)
  return progress.fit(progress.parts(label, records, page, fetched, total, elapsed, page_size, rate))
end

-- The pace over the last WINDOW seconds: records now less those of the
-- newest sample at least WINDOW old (or of the start), over the time
-- between. Samples are kept twice a second at most.
function Progress:sample(t)
  local samples = self.samples
  local newest = samples[#samples]
  if t - newest.t >= 0.5 then samples[#samples + 1] = {t = t, n = self.records} end
  local base = 1
  while samples[base + 1] and samples[base + 1].t <= t - progress.WINDOW do base = base + 1 end
  if base > 1 then
    samples = table.move(samples, base, #samples, 1, {})
    self.samples = samples
  end
  local dt = t - samples[1].t
  self.rate = dt >= 1 and (self.records - samples[1].n) / dt or nil
end

function Progress:current_width(t)
  if type(self.width) ~= "function" then return self.width end
  if self.width_at == nil or t - self.width_at >= 1 then
    local ok, w = pcall(self.width)
    self.cached_width = ok and tonumber(w) or self.cached_width or 100
    self.width_at = t
  end
  return self.cached_width
end

function Progress:draw(t, page, fetched, total)
  self:sample(t)
  local min_done = page and 2 * self.page_size or 2
  local rate = (t - self.started >= 1 and self.records >= min_done) and self.rate or nil
  local parts = progress.parts(self.label, self.records, page, fetched, total, nil, self.page_size, rate, self.unit)
  self.out:write("\r", progress.fit(parts, self:current_width(t)), "\27[K")
  if self.out.flush then self.out:flush() end
  self.shown = true
end

local function capped(total, limit)
  if limit and limit > 0 and (total == nil or total > limit) then return limit end
  return total
end

--- A listing's records (update(pager [, n])) or any work's count
-- (update(done [, total])); redraws when due.
function Progress:update(pager, n)
  if type(pager) == "number" then
    self.records = pager
    if n then self.expected = n end
    if not self.enabled then return end
    local t = self.clock()
    local second = math.floor(t - self.started)
    if self.records == self.last_records and second == self.last_second then return end
    self.last_records, self.last_second = self.records, second
    self.total = capped(self.expected, self.limit)
    return self:draw(t, nil, nil, self.total)
  end
  self.records = self.records + (n or 1)
  if not self.enabled or self.records <= self.page_size then return end
  local fetched, total
  if pager then
    local ok, p = pcall(pager.pages_fetched, pager)
    if ok then fetched = p end
    local ok2, tot = pcall(pager.total, pager)
    if ok2 then total = tot end
  end
  total = capped(total or self.expected, self.limit)
  local page = -(-self.records // self.page_size)
  local t = self.clock()
  local second = math.floor(t - self.started)
  if page == self.last_page and second == self.last_second then return end
  self.last_page, self.last_second = page, second
  self.total = total
  self:draw(t, page, fetched, total)
end

--- Erases the line (when it was drawn). Safe to call twice.
function Progress:done()
  if self.shown then
    self.out:write("\r\27[K")
    if self.out.flush then self.out:flush() end
    self.shown = false
  end
end
Progress.__close = Progress.done

return progress
