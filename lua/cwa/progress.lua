--- A one-line progress display on stderr for long listings: records, pages,
-- rate and, when the server gives a total, the percentage and ETA.
--
--     local progress = require "cwa.progress"
--     local bar = progress.new{label = "computers", page_size = 250}
--     local it, _, _, pager = client:computers{page_size = 250}
--     for c in it do bar:update(pager) ... end
--     bar:done()
--
-- The line appears only once the listing spans more than one page (a
-- one-page answer is done before a human could read it) and only when the
-- output is a terminal (checked once, with `test -t 2`, unless opts.enabled
-- decides). It is redrawn at most once per new page or wall-clock second and
-- erased by done(), so it never mixes with the data on stdout.
-- @module cwa.progress
local format = require "cwa.format"

local progress = {}

local Progress = {}
Progress.__index = Progress
Progress.__name = "cwa.progress"

--- True when file descriptor fd (default 2) is a terminal.
function progress.isatty(fd)
  local ok = os.execute("test -t " .. tostring(fd or 2))
  return ok == true
end

local function clock()
  return os.time()
end

--- Makes a progress line. Options: label (text before the counts), page_size
-- (records a page; the line stays hidden until more than one page has been
-- read), total (records expected, when the caller knows it and the server
-- announces none), out (default io.stderr), enabled (default: out is a
-- terminal), clock (a function returning seconds, for tests).
function progress.new(opts)
  opts = opts or {}
  local out = opts.out or io.stderr
  local enabled = opts.enabled
  if enabled == nil then enabled = out == io.stderr and progress.isatty(2) end
  local now = opts.clock or clock
  return setmetatable({
    label = opts.label or "records", page_size = opts.page_size or 250,
    out = out, enabled = enabled and true or false, clock = now,
    expected = opts.total, started = now(), records = 0, shown = false, last_page = -1, last_time = -1,
  }, Progress)
end

local function human_duration(s)
  s = math.floor(s + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  return ("%dh%02dm"):format(s // 3600, (s % 3600) // 60)
end

--- The text of the line for the given counts (no terminal control codes:
-- those of the label are shown escaped).
-- @string label
-- @int records read so far
-- @int page the page being read
-- @tparam[opt] int fetched pages fetched so far (read ahead included)
-- @tparam[opt] int total records the server announced
-- @number elapsed seconds since the start
-- @int page_size records a page (for the number of pages of the total)
function progress.text(label, records, page, fetched, total, elapsed, page_size)
  local parts = {}
  if total and total > 0 then
    parts[#parts + 1] = ("%s: %d/%d records (%d%%)"):format(format.escape(label), records, total,
      math.min(100, records * 100 // total))
  else
    parts[#parts + 1] = ("%s: %d records"):format(format.escape(label), records)
  end
  local pages = "page " .. page
  if total and total > 0 and page_size then pages = pages .. "/" .. -(-total // page_size) end
  if fetched and fetched > page then pages = pages .. " (" .. fetched .. " fetched)" end
  parts[#parts + 1] = pages
  if elapsed and elapsed >= 1 then
    local rate = records / elapsed
    parts[#parts + 1] = ("%.0f/s"):format(rate)
    if total and total > records and rate > 0 then
      parts[#parts + 1] = "ETA " .. human_duration((total - records) / rate)
    end
  end
  return table.concat(parts, ", ")
end

--- Counts n (1) more records and redraws when due: on a new page or a new
-- second. `pager` (the fourth value of an iterator) gives the pages fetched
-- ahead and the total, when the server announces one.
function Progress:update(pager, n)
  self.records = self.records + (n or 1)
  if not self.enabled or self.records <= self.page_size then return end
  local fetched, total
  if pager then
    local ok, p = pcall(pager.pages_fetched, pager)
    if ok then fetched = p end
    local ok2, t = pcall(pager.total, pager)
    if ok2 then total = t end
  end
  total = total or self.expected
  local page = -(-self.records // self.page_size)
  local t = self.clock()
  if page == self.last_page and t == self.last_time then return end
  self.last_page, self.last_time = page, t
  self.total = total
  self.out:write("\r", progress.text(self.label, self.records, page, fetched, total,
    t - self.started, self.page_size), "\27[K")
  if self.out.flush then self.out:flush() end
  self.shown = true
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
