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
-- read), out (default io.stderr), enabled (default: out is a terminal),
-- clock (a function returning seconds, for tests).
function progress.new(opts)
  opts = opts or {}
  local out = opts.out or io.stderr
  local enabled = opts.enabled
  if enabled == nil then enabled = out == io.stderr and progress.isatty(2) end
  local now = opts.clock or clock
  return setmetatable({
    label = opts.label or "records", page_size = opts.page_size or 250,
    out = out, enabled = enabled and true or false, clock = now,
    started = now(), records = 0, shown = false, last_pages = -1, last_time = -1,
  }, Progress)
end

local function human_duration(s)
  s = math.floor(s + 0.5)
  if s < 60 then return s .. "s" end
  if s < 3600 then return ("%dm%02ds"):format(s // 60, s % 60) end
  return ("%dh%02dm"):format(s // 3600, (s % 3600) // 60)
end

--- The text of the line for the given counts (no terminal control codes).
-- @int records read so far
-- @int pages fetched so far
-- @tparam[opt] int total records the server announced
-- @number elapsed seconds since the start
function progress.text(label, records, pages, total, elapsed)
  local parts = {}
  if total and total > 0 then
    parts[#parts + 1] = ("%s: %d/%d records (%d%%)"):format(label, records, total,
      math.min(100, records * 100 // total))
  else
    parts[#parts + 1] = ("%s: %d records"):format(label, records)
  end
  parts[#parts + 1] = pages .. (pages == 1 and " page" or " pages")
  if elapsed and elapsed >= 1 then
    local rate = records / elapsed
    parts[#parts + 1] = ("%.0f/s"):format(rate)
    if total and total > records and rate > 0 then
      parts[#parts + 1] = "ETA " .. human_duration((total - records) / rate)
    end
  end
  return table.concat(parts, ", ")
end

--- Counts one more record and redraws when due. `pager` (the fourth value of
-- an iterator) gives the pages fetched and the total; without it, pages are
-- estimated from the page size.
function Progress:update(pager, n)
  self.records = self.records + (n or 1)
  if not self.enabled or self.records <= self.page_size then return end
  local pages, total
  if pager then
    local ok, p = pcall(pager.pages_fetched, pager)
    if ok then pages = p end
    local ok2, t = pcall(pager.total, pager)
    if ok2 then total = t end
  end
  pages = pages or -(-self.records // self.page_size)
  local t = self.clock()
  if pages == self.last_pages and t == self.last_time then return end
  self.last_pages, self.last_time = pages, t
  self.total = total
  self.out:write("\r", progress.text(self.label, self.records, pages, total, t - self.started), "\27[K")
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
