-- The benchmark driver (issue 7): starts cwa-sim per scenario, runs every
-- peer under /usr/bin/time, and writes one table per scenario (median of the
-- runs with min and max, ratios to cwa, targets beside the figures) to stdout
-- and bench/results/latest.md, plus PNG charts when gnuplot is installed.
--   lua5.4 bench/driver.lua [--quick]      (run from the repository root by bench/run.sh)
-- Every process it starts is listed in $BENCH_PIDFILE so run.sh's trap can
-- stop it; only 127.0.0.1 is contacted.
local cjson = require "cjson"

-- The driver runs from the root of a source tree (bench/run.sh goes there):
-- the simulator it starts is that tree's build, and spec/ is beside it.
package.path = "./spec/?.lua;" .. package.path
local q = require("support.sim").shell_quote

-- --quick: the quick subset; --only NAME[,NAME]: those scenarios alone
-- (written to only.md), e.g. --only embed while working on one of them.
local QUICK, ONLY = false, nil
for i, a in ipairs(arg) do
  if a == "--quick" then QUICK = true end
  if a == "--only" then
    ONLY = {}
    for name in (arg[i + 1] or ""):gmatch("[^,]+") do ONLY[name] = true end
  end
end

local BUILD = os.getenv("CWA_BUILD") or "build"
local SIM = BUILD .. "/cwa-sim"
local PIDFILE = os.getenv("BENCH_PIDFILE")
local RESULTS = "bench/results"
local TMP = os.getenv("BENCH_TMP") or "/tmp"
local RUNS = QUICK and 1 or 3
local PYTHON = os.getenv("BENCH_PYTHON") or "python3"
local HAVE = {}
for name in (os.getenv("BENCH_HAVE") or ""):gmatch("%S+") do HAVE[name] = true end

-- A child that died of SIGINT or SIGTERM means the run is being stopped.
local function sh(cmd)
  local ok, how, code = os.execute(cmd)
  if how == "exit" and (code == 130 or code == 143) or how == "signal" and (code == 2 or code == 15) then
    io.stderr:write("bench: interrupted\n")
    os.exit(130)
  end
  return ok == true
end

-- The pid file holds the processes alive now (simulators, and the peer in
-- flight, which adds itself): run.sh's trap stops exactly these.
local live = {}
local function write_pids()
  if not PIDFILE then return end
  local f = io.open(PIDFILE, "w")
  if not f then return end
  for pid in pairs(live) do f:write(pid, "\n") end
  f:close()
end

local function read_file(path)
  local f = io.open(path, "rb")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  return s
end

local function sleep(s) sh("sleep " .. s) end

local function now()
  local p = io.popen("date +%s.%N")
  local t = tonumber(p:read("l"))
  p:close()
  return t
end

local function loadavg()
  return ((read_file("/proc/loadavg") or ""):match("^(%S+ %S+ %S+)")) or "?"
end

local out_lines = {}
local function emit(s)
  s = s or ""
  print(s)
  io.stdout:flush()
  out_lines[#out_lines + 1] = s
end

-- ---------------------------------------------------------------------------
-- The simulator

local Sim = {}
Sim.__index = Sim

local function start_sim(flags)
  local log = os.tmpname()
  local cmd = "exec " .. q(SIM) .. " --port 0 " .. flags .. " >" .. log .. " 2>&1 </dev/null"
  local p = assert(io.popen("sh -c " .. q(cmd) .. " & echo $!"))
  local pid = p:read("l")
  p:close()
  live[pid] = true
  write_pids()
  local sim = setmetatable({pid = pid, log = log, flags = flags}, Sim)
  for _ = 1, 1200 do
    local text = read_file(log) or ""
    local url = text:match("URL (%S+)")
    if url and (not flags:find("--tls", 1, true) or text:match("CA (%S+)")) then
      sim.url, sim.ca = url, text:match("CA (%S+)")
      return sim
    end
    if not sh("kill -0 " .. pid .. " 2>/dev/null") then
      error("cwa-sim " .. flags .. " exited: " .. text)
    end
    sleep(0.05)
  end
  sim:stop()
  error("cwa-sim did not start: " .. flags)
end

function Sim:curl(method, path)
  local p = io.popen("curl -s -k --noproxy '*' -X " .. method .. " " .. q(self.url .. path))
  local body = p:read("a")
  p:close()
  return body
end

function Sim:reset() self:curl("POST", "/__reset") end

function Sim:stats()
  local ok, st = pcall(cjson.decode, self:curl("GET", "/__stats"))
  return ok and st or {}
end

function Sim:stop()
  if not self.pid then return end
  sh("kill " .. self.pid .. " 2>/dev/null")
  for _ = 1, 200 do
    if not sh("kill -0 " .. self.pid .. " 2>/dev/null") then break end
    sleep(0.05)
  end
  sh("kill -9 " .. self.pid .. " 2>/dev/null")
  live[self.pid] = nil
  write_pids()
  self.pid = nil
  os.remove(self.log)
end

-- ---------------------------------------------------------------------------
-- Peers: how to run each one. `page_size` is the largest page the peer uses
-- (node-common always pages by 250: that is its style).

local PEERS = {
  curl = {label = "curl CLI + jq (sh loop)", cmd = "sh bench/peers/curl.sh", needs = "curl_jq"},
  lua_curl = {label = "lua-curl + cjson (lua5.2)", cmd = "lua5.2 bench/peers/lua_curl.lua", needs = "lua_curl"},
  luasocket = {label = "luasocket + cjson", cmd = "lua5.4 bench/peers/luasocket.lua", needs = "luasocket"},
  requests = {label = "python requests.Session", cmd = PYTHON .. " bench/peers/python_requests.py",
    needs = "python_requests"},
  node_common = {label = "node, common style (250/page, 100 ms pause)", cmd = "node bench/peers/node_common.js",
    needs = "node", max_page = 250},
  cw_rest = {label = "npm connectwise-rest (https)", cmd = "node bench/peers/connectwise_rest.js",
    needs = "cw_rest", tls = true},
  floor = {label = "floor: one curl handle + cjson (lua5.2)", cmd = "lua5.2 bench/peers/floor.lua",
    needs = "lua_curl"},
  -- cwa with credentials alone: no page size, rate_limit or concurrency is
  -- given (the peer's PAGE_SIZE is "default"), and no scenario's cwa_args.
  -- The ratios and the targets are this row's.
  cwa_defaults = {label = "cwa defaults (credentials only)", cmd = "lua5.4 bench/peers/cwa.lua", cwa = true,
    defaults = true},
  -- the tuned rows: the scenario's page size given, and its cwa_args
  cwa = {label = "cwa tuned (page_size given)", cmd = "lua5.4 bench/peers/cwa.lua", cwa = true},
  cwa_c1 = {label = "cwa concurrency = 1", cmd = "lua5.4 bench/peers/cwa.lua", args = "concurrency=1", cwa = true},
}

-- The row the ratios ("× cwa") and the targets are taken from.
local BASE = "cwa_defaults"

local function available(id)
  local p = PEERS[id]
  return not p.needs or HAVE[p.needs]
end

-- Runs one peer once; returns a result table.
local function run_peer(sim, id, page_size, extra_args, env, timeout)
  local p = PEERS[id]
  local tag = TMP .. "/cwa-bench-" .. id
  local timefile, outfile, errfile = tag .. ".time", tag .. ".out", tag .. ".err"
  os.remove(timefile)
  local envs = "env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY -u ALL_PROXY -u all_proxy"
    .. " NO_PROXY=127.0.0.1 no_proxy=127.0.0.1"
  if sim.ca then envs = envs .. " BENCH_CA=" .. q(sim.ca) .. " NODE_EXTRA_CA_CERTS=" .. q(sim.ca) end
  for k, v in pairs(env or {}) do envs = envs .. " " .. k .. "=" .. q(v) end
  local args = table.concat({p.args or "", p.defaults and "" or extra_args or ""}, " ")
  local cmd = ("%s exec %s timeout -k 5 %d /usr/bin/time -f '%%e %%U %%S %%M' -o %s %s %s %s %s >%s 2>%s")
    :format(PIDFILE and ("echo $$ >> " .. q(PIDFILE) .. ";") or "", envs, timeout or 300, q(timefile), p.cmd, q(sim.url),
      p.defaults and "default" or tostring(page_size), args, q(outfile), q(errfile))
  sim:reset()
  local t0 = now()
  sh(cmd)
  local elapsed = now() - t0
  write_pids()
  -- Requests a client abandoned (a pager's look-ahead past the end) are
  -- still answered after the simulator's latency and counted then: wait for
  -- them, so they count against this peer and not the next one after reset.
  local st = sim:stats()
  for _ = 1, 40 do
    if (st.in_flight or 0) == 0 then break end
    sleep(0.05)
    st = sim:stats()
  end
  local r = {stats = st}
  local times = read_file(timefile) or ""
  local e, u, s, m = times:match("([%d.]+) ([%d.]+) ([%d.]+) (%d+)%s*$")
  r.wall = tonumber(e) or elapsed
  r.cpu = (tonumber(u) or 0) + (tonumber(s) or 0)
  r.rss = (tonumber(m) or 0) / 1024
  local out = read_file(outfile) or ""
  local c, un, sum = out:match("count (%d+) unique (%d+) sum (%d+)")
  r.count, r.unique, r.sum = tonumber(c), tonumber(un), tonumber(sum)
  r.listing = tonumber(out:match("listing ([%d.]+)"))
  r.exit_ok = times ~= "" and not times:find("exited with non%-zero") and not times:find("terminated")
  r.err = (read_file(errfile) or ""):gsub("%s+$", "")
  if not e then r.err = (r.err ~= "" and r.err or "killed") .. " (no timing: timeout or signal)" end
  return r
end

-- ---------------------------------------------------------------------------
-- Statistics and formatting

local function median_min_max(list)
  local t = {}
  for _, v in ipairs(list) do if v then t[#t + 1] = v end end
  if #t == 0 then return nil end
  table.sort(t)
  local n = #t
  local med = n % 2 == 1 and t[(n + 1) // 2] or (t[n // 2] + t[n // 2 + 1]) / 2
  return med, t[1], t[n]
end

local function collect(results, field)
  local t = {}
  for i, r in ipairs(results) do t[i] = r[field] end
  return median_min_max(t)
end

local function fmt_num(v, digits)
  if v == nil then return "–" end
  return ("%." .. (digits or 2) .. "f"):format(v)
end

local function fmt_mmm(results, field, digits)
  local med, lo, hi = collect(results, field)
  if not med then return "–" end
  if #results == 1 then return fmt_num(med, digits) end
  return ("%s (%s–%s)"):format(fmt_num(med, digits), fmt_num(lo, digits), fmt_num(hi, digits))
end

local function ratio(a, b)
  if not a or not b or b == 0 then return "–" end
  return ("%.2f×"):format(a / b)
end

local function table_md(header, rows)
  emit("| " .. table.concat(header, " | ") .. " |")
  local sep = {}
  for i = 1, #header do sep[i] = (i == 1 or header[i] == "note") and "---" or "---:" end
  emit("| " .. table.concat(sep, " | ") .. " |")
  for _, r in ipairs(rows) do emit("| " .. table.concat(r, " | ") .. " |") end
  emit()
end

local function verdict(ok) return ok and "**met**" or "**MISSED**" end

local function complete(r, n)
  return r.count == n and r.unique == n and r.sum == n * (n + 1) // 2
end

local function completeness(results, n)
  local k = 0
  for _, r in ipairs(results) do if complete(r, n) then k = k + 1 end end
  return k
end

local function failure_note(results, n)
  for _, r in ipairs(results) do
    if not complete(r, n) then
      local why = r.count and ("count %s unique %s"):format(r.count, r.unique) or "no result"
      local err = r.err:find("stack traceback", 1, true) and r.err:match("^([^\n]*)")
        or r.err:match("([^\n]*)$") or ""
      err = err:gsub("|", "/")
      return why .. (err ~= "" and ("; " .. err:sub(1, 110)) or "")
    end
  end
  return ""
end

-- Charts: one data file and one bar per peer; gnuplot only when installed.
local charts = {}
local function add_chart(name, title, ylabel, bars)
  charts[#charts + 1] = {name = name, title = title, ylabel = ylabel, bars = bars}
end

local function draw_charts()
  if not HAVE.gnuplot then return end
  for _, c in ipairs(charts) do
    local dat = TMP .. "/cwa-bench-" .. c.name .. ".dat"
    local f = assert(io.open(dat, "w"))
    for _, b in ipairs(c.bars) do
      if b[2] then f:write(("%q %.4f\n"):format(b[1], b[2])) end
    end
    f:close()
    local gp = TMP .. "/cwa-bench-" .. c.name .. ".gp"
    f = assert(io.open(gp, "w"))
    f:write(([[
set terminal png size 900,480
set output '%s/%s.png'
set title "%s"
set ylabel "%s"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set xtics rotate by -25 scale 0 font ",9"
set key off
set yrange [0:*]
plot '%s' using 2:xtic(1) linecolor rgb "#4472c4"
]]):format(RESULTS, c.name, c.title, c.ylabel, dat))
    f:close()
    if sh("gnuplot " .. q(gp) .. " 2>/dev/null") then
      emit(("Chart: %s/%s.png"):format(RESULTS, c.name))
    end
    os.remove(dat)
    os.remove(gp)
  end
end

-- Runs `ids` (peers) `runs` times each, interleaved, against `sim` (or the
-- TLS sim for TLS peers); returns results[id] = {run1, run2, ...}.
local function run_all(ids, sims, page_size, opts)
  opts = opts or {}
  io.stderr:write("\n")
  local results = {}
  for _, id in ipairs(ids) do results[id] = {} end
  for run = 1, (opts.runs or RUNS) do
    for _, id in ipairs(ids) do
      local p = PEERS[id]
      if (opts.runs_of or {})[id] == nil or run <= opts.runs_of[id] then
        local sim = p.tls and sims.tls or sims.plain
        local ps = math.min(page_size, p.max_page or page_size)
        local r = run_peer(sim, id, ps, p.cwa and opts.cwa_args or nil, opts.env, opts.timeout)
        local rs = results[id]
        rs[#rs + 1] = r
        io.stderr:write(("  %-12s run %d: wall %.2f s, cpu %.2f s, rss %.0f MB, %s\n"):format(
          id, run, r.wall, r.cpu, r.rss, r.count and ("count " .. r.count) or ("FAILED " .. r.err:sub(-80))))
      end
    end
  end
  io.stderr:write("\n")
  return results
end

local function with_sims(flags, need_tls, fn)
  local sims = {plain = start_sim(flags)}
  local ok, err = pcall(function()
    if need_tls then sims.tls = start_sim(flags .. " --tls") end
    fn(sims)
  end)
  for _, s in pairs(sims) do s:stop() end
  if not ok then error(err, 0) end
end

local function filter(ids)
  local out, skipped = {}, {}
  for _, id in ipairs(ids) do
    if available(id) then out[#out + 1] = id else skipped[#skipped + 1] = PEERS[id].label end
  end
  if #skipped > 0 then emit("Not installed, skipped: " .. table.concat(skipped, ", ") .. ".") emit() end
  return out
end

local summary = {}
local function target(name, ok, text)
  summary[#summary + 1] = {name = name, ok = ok, text = text}
  return verdict(ok)
end

-- ---------------------------------------------------------------------------
-- Scenarios

local HAND = {"curl", "lua_curl", "luasocket", "requests", "node_common", "cw_rest"}

-- Peers run once where their time is set by the server or by their own
-- pauses (min and max within a few percent), to keep `make bench` under 10
-- minutes on 2 cores.
local function once(...)
  local t = {}
  for _, id in ipairs({...}) do t[id] = 1 end
  return t
end

local function ids_with(list, ...)
  local out = {}
  for _, id in ipairs(list) do out[#out + 1] = id end
  for _, id in ipairs({...}) do out[#out + 1] = id end
  return out
end

-- Page requests a run made (the simulator's "pages" keys hold the path and
-- the query, names lower-cased) and how many of them carried includeFields=Id.
local function page_requests(r)
  local total, with = 0, 0
  for key, count in pairs(r.stats.pages or {}) do
    total = total + count
    if key:find("[?&]includefields=Id&") or key:find("[?&]includefields=Id$") then with = with + count end
  end
  return total, with
end

-- The latency scenario, twice: full records (each 1000-record page is about
-- 830 KB, some 20 ms of JSON decoding in every client) and ids only
-- (includeFields=Id on every page request), which is the network schedule
-- the targets describe. The targets are judged on the ids-only table.
local function scenario_latency(ids_only)
  local n, ps, lat = QUICK and 5000 or 20000, 1000, 50
  local flags = ("--computers %d --latency-ms %d"):format(n, lat)
  local what = ids_only and "ids only (`includeFields=Id` on every page request)" or "full records"
  emit(("## latency, %s: %d computers, page size %d (node-common: 250), `%s`"):format(what, n, ps, flags))
  emit()
  if ids_only then
    emit("Every peer asks for the id alone (cwa: `fields = \"Id\"`; the others add `includeFields=Id` to each "
      .. "page's query); the last column counts the page requests the simulator saw with it (its `/__stats` "
      .. "\"pages\" keys include the query). The latency targets are judged here.")
  else
    emit("Whole computer records, about 830 KB a 1000-record page: every client spends some 20 ms decoding "
      .. "each page, so this table measures JSON decoding as much as the network schedule. The ratios are "
      .. "reported; the targets are judged on the ids-only table below.")
  end
  emit()
  local ids = filter(ids_with(QUICK and {"curl", "lua_curl", "requests"} or HAND, BASE, "cwa", "cwa_c1"))
  local results
  with_sims(flags, available("cw_rest") and not QUICK, function(sims)
    results = run_all(ids, sims, ps, {runs_of = once("node_common"), env = ids_only and {BENCH_FIELDS = "Id"} or nil})
  end)
  local conc = 10
  local pages = n // ps + 1 -- no totals: the exactly full last page costs one empty request
  local limit = (1 + math.ceil((pages - 1) / conc)) * lat / 1000
  local cwa_wall = collect(results[BASE], "wall")
  local cwa_listing = collect(results[BASE], "listing")
  local rows, slowest_ratio, slowest_wall, fields_ok = {}, math.huge, math.huge, true
  for _, id in ipairs(ids) do
    local med = collect(results[id], "wall")
    local lmed = collect(results[id], "listing")
    local r = results[id]
    local reqs, total, with = {}, 0, 0
    for i, x in ipairs(r) do
      local t, w = page_requests(x)
      reqs[i], total, with = t, total + t, with + w
    end
    local row = {PEERS[id].label, fmt_mmm(r, "wall"), ratio(med, cwa_wall),
      lmed and fmt_mmm(r, "listing", 3) or "–", lmed and ratio(lmed, cwa_listing) or "–",
      ("%d/%d"):format(completeness(r, n), #r), fmt_num((median_min_max(reqs)), 0)}
    if ids_only then
      local all = total > 0 and with == total
      if not all then fields_ok = false end
      row[#row + 1] = all and ("all %d"):format(total) or ("%d of %d"):format(with, total)
    end
    rows[#rows + 1] = row
    if not PEERS[id].cwa and med and cwa_wall then slowest_wall = math.min(slowest_wall, med / cwa_wall) end
    -- the plain loops time their listing after the login; connectwise-rest
    -- logs in inside its first call, so it has the whole-process column only
    if not PEERS[id].cwa and lmed and cwa_listing then
      slowest_ratio = math.min(slowest_ratio, lmed / cwa_listing)
    end
  end
  local header = {"peer", "wall s, median (min–max)", "× cwa", "listing s (after login)", "× cwa listing",
    "complete runs", "page requests (median)"}
  if ids_only then header[#header + 1] = "with includeFields=Id (all runs)" end
  table_md(header, rows)
  local lr = (cwa_listing or 0) / limit
  local tuned = collect(results.cwa, "listing")
  emit(("Schedule limit: (1 + ceil((%d pages − 1) / concurrency %d)) × %d ms = %.3f s. "
    .. "cwa's listing time after login (inside the process), with its defaults: %s s = %.2f× the limit; "
    .. "tuned (page_size = %d given): %s s = %s× the limit."):format(
    pages, conc, lat, limit, fmt_mmm(results[BASE], "listing", 3), lr, ps, fmt_mmm(results.cwa, "listing", 3),
    tuned and ("%.2f"):format(tuned / limit) or "–"))
  emit()
  if ids_only then
    if not fields_ok then
      emit("WARNING: not every page request carried includeFields=Id (see the last column).")
      emit()
    end
    emit(("- target: cwa (defaults) listing within 1.3 of the schedule limit: %.2f → %s"):format(
      lr, target("latency (ids only): within 1.3 of the schedule limit",
        cwa_listing and lr <= 1.3, ("%.2f× the limit"):format(lr))))
    emit(("- target: cwa's listing (defaults) at least 5× faster than every plain sequential loop's listing: "
      .. "slowest ratio %.2f× → %s"):format(slowest_ratio,
      target("latency (ids only): listing ≥ 5× faster than every sequential loop", slowest_ratio >= 5,
        ("least %.2f×"):format(slowest_ratio))))
    emit(("- whole process (start-up and one login round trip on both sides; reported): "
      .. "least ratio of a sequential peer to cwa %.2f×."):format(slowest_wall))
  else
    emit(("- full records (not a target): cwa listing %.2f× the schedule limit; "
      .. "least ratio of a sequential loop's listing to cwa's %.2f× (whole process %.2f×)."):format(lr,
      slowest_ratio, slowest_wall))
    summary[#summary + 1] = {name = "latency (full records, reported, not a target)", info = true,
      text = ("%.2f× the limit; least %.2f×"):format(lr, slowest_ratio)}
  end
  emit()
  local bars = {}
  for _, id in ipairs(ids) do bars[#bars + 1] = {PEERS[id].label, (collect(results[id], "wall"))} end
  add_chart(ids_only and "latency_ids" or "latency", ("latency, %s: %d computers at %d ms, wall seconds (median)")
    :format(ids_only and "ids only" or "full records", n, lat), "seconds", bars)
end

local function scenario_cpu(mem)
  local n, ps = QUICK and 20000 or 100000, 1000
  local flags = ("--computers %d"):format(n)
  emit(("## cpu: %d computers, no latency, page size %d, `%s`"):format(n, ps, flags))
  emit()
  emit("The tuned cwa rows are given `rate_limit = false` and the page size; cwa with its defaults sets "
    .. "no pace of its own either, since the simulator states no limit and never throttles here.")
  emit()
  local hand = {"curl", "lua_curl", "luasocket", "requests", "cw_rest"}
  local ids = filter(ids_with(QUICK and {"lua_curl", "requests"} or hand, "floor", BASE, "cwa", "cwa_c1"))
  local runs_of = {}
  local results
  with_sims(flags, available("cw_rest") and not QUICK, function(sims)
    results = run_all(ids, sims, ps, {cwa_args = "rate_limit=false", runs_of = runs_of})
  end)
  local cwa_cpu, cwa_rss = collect(results[BASE], "cpu"), collect(results[BASE], "rss")
  local rows, below_all = {}, true
  for _, id in ipairs(ids) do
    local r = results[id]
    if #r > 0 then
      local cpu, rss = collect(r, "cpu"), collect(r, "rss")
      rows[#rows + 1] = {PEERS[id].label, fmt_mmm(r, "cpu"), ratio(cpu, cwa_cpu), fmt_mmm(r, "rss", 1),
        ratio(rss, cwa_rss), fmt_mmm(r, "wall"), ("%d/%d"):format(completeness(r, n), #r)}
      if not PEERS[id].cwa and id ~= "floor" and cpu and cwa_cpu and cpu <= cwa_cpu then below_all = false end
    end
  end
  emit("node common style is left out here: its 100 ms pauses make one run about a minute, "
    .. "and its CPU is that of the other sequential loops.")
  emit()
  table_md({"peer", "CPU s (user+sys)", "× cwa", "peak RSS MB", "× cwa", "wall s", "complete runs"}, rows)
  local floor_cpu = collect(results.floor or {}, "cpu")
  local fr = floor_cpu and cwa_cpu and cwa_cpu / floor_cpu
  emit(("- target: cwa (defaults) CPU within 1.3 of the floor: %s → %s"):format(fr and ("%.2f"):format(fr) or "–",
    target("cpu: within 1.3 of the floor", fr and fr <= 1.3, fr and ("%.2f× the floor"):format(fr) or "no floor")))
  emit(("- target: cwa (defaults) CPU below every peer → %s"):format(target("cpu: below every peer", below_all,
    below_all and "below all" or "not below all")))
  emit()
  local bars = {}
  for _, id in ipairs(ids) do
    if #results[id] > 0 then bars[#bars + 1] = {PEERS[id].label, (collect(results[id], "cpu"))} end
  end
  add_chart("cpu", ("cpu: %d computers, CPU seconds user+sys (median)"):format(n), "CPU seconds", bars)
  mem.large = {n = n}
end

-- A server that allows 120 requests a minute (burst 20), stating it in
-- X-RateLimit-* headers or (silent) answering 429 + Retry-After alone. Pages
-- of 1000, the client's default, so that every peer makes the same 32
-- requests (30 full pages, the empty one past them, the login).
local function scenario_rate(silent)
  local n, ps, rate = 30000, 1000, 120
  local burst = math.max(1, rate // 6)
  local flags = ("--computers %d --%s %d"):format(n, silent and "limit-silent" or "rate-limit", rate)
  local name = silent and "rate, silent" or "rate, stated"
  emit(("## %s: %d computers, page size %d, `%s` (burst %d)"):format(
    silent and "rate-limited silently (429 + Retry-After, no X-RateLimit-*)" or "rate-limited, stated",
    n, ps, flags, burst))
  emit()
  PEERS.cwa_told = {label = "cwa rate_limit = 120, burst = 20 (told the server's limit)",
    cmd = "lua5.4 bench/peers/cwa.lua", args = "rate_limit=120 burst=20", cwa = true}
  local hand = {"curl", "lua_curl", "luasocket", "requests", "cw_rest"}
  local ids = filter(QUICK and {BASE} or ids_with(hand, BASE, "cwa_told"))
  local results
  emit("The hand-written peers run once here: the server paces them (their min and max were within 2 %). "
    .. "node common style is left out: its pages of 250 make 121 requests, a minute a run at this rate.")
  emit()
  with_sims(flags, available("cw_rest") and not QUICK, function(sims)
    results = run_all(ids, sims, ps, {runs_of = once(table.unpack(hand))})
  end)
  local requests = n // ps + 1 + 1 -- pages (the full last page costs an empty one) and the login
  local floor = (requests - burst) / (rate / 60)
  local cwa_wall = collect(results[BASE], "wall")
  local rows = {}
  for _, id in ipairs(ids) do
    local r = results[id]
    local r429 = {}
    for i, x in ipairs(r) do r429[i] = x.stats.rate_limited end
    local m429, lo429, hi429 = median_min_max(r429)
    local med = collect(r, "wall")
    rows[#rows + 1] = {PEERS[id].label, fmt_mmm(r, "wall"), ratio(med, cwa_wall), ratio(med, floor),
      m429 and (#r > 1 and ("%d (%d–%d)"):format(m429, lo429, hi429) or ("%d"):format(m429)) or "–",
      ("%d/%d"):format(completeness(r, n), #r), failure_note(r, n)}
  end
  table_md({"peer", "wall s", "× cwa", "× floor", "429s sent", "complete runs", "note"}, rows)
  emit(("Floor (the time the limit allows): (%d requests − burst %d) / %.0f per second = %.2f s."):format(
    requests, burst, rate / 60, floor))
  emit()
  local max429 = 0
  for _, x in ipairs(results[BASE]) do max429 = math.max(max429, x.stats.rate_limited or 0) end
  local max_wall = 0
  for _, x in ipairs(results[BASE]) do max_wall = math.max(max_wall, x.wall) end
  local rl = cwa_wall and cwa_wall / floor
  local k = completeness(results[BASE], n)
  if silent then
    emit(("- target: cwa (defaults) returns every record: %d/%d runs → %s"):format(k, #results[BASE],
      target(name .. ": every record", k == #results[BASE] and k > 0, ("%d/%d runs complete"):format(k, #results[BASE]))))
    emit(("- target: cwa (defaults) gets at most 15 429s: %d at most → %s"):format(max429,
      target(name .. ": at most 15 429s", max429 <= 15, ("%d 429s at most"):format(max429))))
  else
    emit(("- target: cwa (defaults) gets zero 429s: %d → %s"):format(max429,
      target(name .. ": zero 429s", max429 == 0, ("%d 429s at most"):format(max429))))
  end
  local bound = silent and 1.3 or 1.1
  emit(("- target: cwa (defaults) within %.1f of the floor: %s (slowest run %.2f) → %s"):format(bound,
    rl and ("%.2f"):format(rl) or "–", max_wall / floor, target(("%s: within %.1f of the floor"):format(name, bound),
      rl and rl <= bound, rl and ("%.2f× the floor"):format(rl) or "–")))
  emit()
  local bars = {}
  for _, id in ipairs(ids) do bars[#bars + 1] = {PEERS[id].label, (collect(results[id], "wall"))} end
  add_chart(silent and "rate_silent" or "rate", ("%s: %d computers at %d/min, wall seconds (median)"):format(
    name, n, rate), "seconds", bars)
end

local function scenario_faults()
  local n, ps = 5000, 100
  local flags = ("--computers %d --fail-rate 0.1 --token-ttl 3"):format(n)
  emit(("## faults: %d computers, page size %d, `%s`"):format(n, ps, flags))
  emit()
  local ids = filter(ids_with(QUICK and {"requests"} or HAND, BASE, "cwa"))
  local results
  emit("The hand-written peers run once here (none survives the token expiry); cwa with its defaults runs "
    .. "3 times. Its pages of 1000 make this listing 6 requests, over before the token expires; the tuned row "
    .. "(pages of 100, 51 requests) sees the expiry, and runs once.")
  emit()
  with_sims(flags, available("cw_rest") and not QUICK, function(sims)
    results = run_all(ids, sims, ps, {runs_of = once("cwa", table.unpack(HAND))})
  end)
  local rows = {}
  for _, id in ipairs(ids) do
    local r = results[id]
    local fails = {}
    for i, x in ipairs(r) do fails[i] = (x.stats.faults or {}).fail end
    rows[#rows + 1] = {PEERS[id].label, ("%d/%d"):format(completeness(r, n), #r), fmt_mmm(r, "wall"),
      median_min_max(fails) and ("%d"):format(median_min_max(fails)) or "–",
      failure_note(r, n)}
  end
  table_md({"peer", "complete runs (every id exactly once)", "wall s", "5xx sent (median)", "note"}, rows)
  local k, runs = 0, 0
  for _, id in ipairs({BASE, "cwa"}) do
    k, runs = k + completeness(results[id], n), runs + #results[id]
  end
  emit(("- target: cwa (defaults and tuned) complete in every run: %d/%d → %s"):format(k, runs,
    target("faults: cwa complete", k == runs and runs > 0, ("%d/%d runs complete"):format(k, runs))))
  emit()
end

local function scenario_memory(mem)
  local small = QUICK and 2000 or 10000
  emit(("## memory: cwa peak RSS at %d and %d records"):format(small, mem.large.n))
  emit()
  emit("Both runs use `BENCH_STREAMING=1`: the peer checks uniqueness by ascending ids instead of "
    .. "keeping a set, so the figure is the client's memory, not the benchmark's.")
  emit()
  local res = {}
  for _, n in ipairs({small, mem.large.n}) do
    with_sims("--computers " .. n, false, function(sims)
      res[n] = run_all({BASE}, sims, 1000, {env = {BENCH_STREAMING = "1"}})[BASE]
    end)
  end
  local a, b = collect(res[small], "rss"), collect(res[mem.large.n], "rss")
  table_md({"records", "peak RSS MB", "complete runs"}, {
    {tostring(small), fmt_mmm(res[small], "rss", 1), ("%d/%d"):format(completeness(res[small], small), #res[small])},
    {tostring(mem.large.n), fmt_mmm(res[mem.large.n], "rss", 1),
      ("%d/%d"):format(completeness(res[mem.large.n], mem.large.n), #res[mem.large.n])},
  })
  local rr = a and b and b / a
  emit(("- target: RSS at %d within 1.2 of RSS at %d: %s → %s"):format(mem.large.n, small,
    rr and ("%.2f"):format(rr) or "–", target("memory: ratio ≤ 1.2", rr and rr <= 1.2,
      rr and ("%.2f"):format(rr) or "–")))
  emit()
end

local function scenario_map()
  local n, lat = 2000, 20
  emit(("## map (issues 9, 15): %d sub-resource GETs at `--latency-ms %d`, `client:map(ids, fn)` with the "
    .. "client's defaults against a sequential loop with the same client"):format(n, lat))
  emit()
  if QUICK then
    emit("Skipped in the quick run.")
    emit()
    return
  end
  PEERS.cwa_map = {label = "cwa map", cmd = "lua5.4 bench/peers/cwa_map.lua", cwa = true}
  local r
  with_sims(("--computers %d --latency-ms %d"):format(n, lat), false, function(sims)
    r = run_peer(sims.plain, "cwa_map", n, "concurrency=10 rate_limit=false", nil, 240)
  end)
  local out = read_file(TMP .. "/cwa-bench-cwa_map.out") or ""
  if out:match("^skip") then
    emit("SKIPPED: " .. out:match("^skip%s*([^\n]*)") .. " The scenario runs as soon as `client.map` exists.")
    summary[#summary + 1] = {name = "map: ≥ 8× a sequential loop", skipped = true}
    emit()
    return
  end
  local seq, mapped = tonumber(out:match("sequential ([%d.]+)")), tonumber(out:match("\nmap ([%d.]+)"))
  local tuned = tonumber(out:match("\nmap_tuned ([%d.]+)"))
  table_md({"loop", "wall s", "× map (defaults)"}, {
    {"sequential `client:get`, defaults", fmt_num(seq), ratio(seq, mapped)},
    {"`client:map(ids, fn)`, defaults (credentials only)", fmt_num(mapped), ratio(mapped, mapped)},
    {"`client:map`, tuned (`concurrency = 10, rate_limit = false`)", fmt_num(tuned), ratio(tuned, mapped)}})
  local seq_ok, map_ok = out:match("\nok (%d+) (%d+)")
  emit(("Successful GETs: sequential %s, map %s, tuned map %s of %d."):format(seq_ok or "?", map_ok or "?",
    out:match("\nok_tuned (%d+)") or "?", n))
  emit()
  local sp = seq and mapped and seq / mapped
  local all_ok = tonumber(map_ok) == n
  emit(("- target: map (defaults) at least 8× faster than the sequential loop: %s → %s%s"):format(
    sp and ("%.2f×"):format(sp) or "–",
    target("map (defaults): ≥ 8× a sequential loop", sp and sp >= 8 and all_ok,
      sp and ("%.2f×%s"):format(sp, all_ok and "" or (", %s of %d GETs"):format(map_ok or "?", n)) or "failed"),
    r.err ~= "" and (" (" .. r.err:sub(1, 120) .. ")") or ""))
  emit()
end

-- Issue 17: a listing in an event loop next to a 10 ms timer.
local function scenario_embed()
  local n, lat, runs = 2000, 50, QUICK and 1 or 3
  emit(("## event loops (issue 17): %d computers (20 pages of 100, fields Id, ComputerName, Status) at "
    .. "`--latency-ms %d`, one coroutine yielding after each record, a 10 ms timer in the same loop"):format(n, lat))
  emit()
  PEERS.cwa_embed = {label = "cwa in event loops", cmd = "lua5.4 bench/peers/cwa_embed.lua", cwa = true}
  with_sims(("--computers %d --latency-ms %d"):format(n, lat), false, function(sims)
    run_peer(sims.plain, "cwa_embed", runs, "rate_limit=false", nil, 240)
  end)
  local out = read_file(TMP .. "/cwa-bench-cwa_embed.out") or ""
  local walls, gaps, records = {blocking = {}, cqueues = {}, luv = {}}, {cqueues = {}, luv = {}}, {}
  for mode, wall, gap in out:gmatch("\n?(%a+) ([%d.]+) ?([%d.]*)") do
    if walls[mode] then
      walls[mode][#walls[mode] + 1] = tonumber(wall)
      if gaps[mode] and gap ~= "" then gaps[mode][#gaps[mode] + 1] = tonumber(gap) end
    end
  end
  for k in out:gmatch("records (%d+)") do records[#records + 1] = tonumber(k) end
  local complete = 0
  for _, k in ipairs(records) do if k == n then complete = complete + 1 end end
  local blocking = median_min_max(walls.blocking)
  local rows = {}
  local function mmm(list, digits)
    local m, lo, hi = median_min_max(list)
    if not m then return "–" end
    local f = "%." .. digits .. "f"
    return #list > 1 and (f .. " (" .. f .. "–" .. f .. ")"):format(m, lo, hi) or f:format(m)
  end
  rows[1] = {"blocking, no loop", mmm(walls.blocking, 3), "1.00×", "(the timer cannot run)"}
  for _, mode in ipairs{"cqueues", "luv"} do
    local wall = median_min_max(walls[mode])
    local skip = out:match("skip " .. mode .. ": ([^\n]*)")
    if skip then
      rows[#rows + 1] = {mode, "skipped: " .. skip, "–", "–"}
    else
      rows[#rows + 1] = {("`wait = %s`"):format(mode == "cqueues" and "cqueues.poll" or 'require("cwa.luv").wait'),
        mmm(walls[mode], 3), ratio(wall, blocking), mmm(gaps[mode], 1)}
    end
  end
  table_md({"loop", "wall s", "× blocking", "longest timer gap ms"}, rows)
  emit(("Listings that returned all %d records: %d of %d."):format(n, complete, #records))
  emit()
  for _, mode in ipairs{"cqueues", "luv"} do
    if #walls[mode] > 0 then
      local worst = 0
      for _, g in ipairs(gaps[mode]) do worst = math.max(worst, g) end
      local wr = blocking and median_min_max(walls[mode]) / blocking
      emit(("- target: %s timer gap at most 25 ms: %.1f ms at worst → %s"):format(mode, worst,
        target(mode .. ": timer gap ≤ 25 ms", worst <= 25 and complete == #records, ("%.1f ms"):format(worst))))
      emit(("- target: %s wall time within 1.2× the blocking run: %s → %s"):format(mode,
        wr and ("%.2f×"):format(wr) or "–", target(mode .. ": wall ≤ 1.2× blocking", wr and wr <= 1.2,
          wr and ("%.2f×"):format(wr) or "–")))
    end
  end
  emit()
end

-- ---------------------------------------------------------------------------

local function machine()
  local cpu = (read_file("/proc/cpuinfo") or ""):match("model name%s*:%s*([^\n]+)") or "unknown CPU"
  local p = io.popen("nproc; uname -sr; date -u '+%Y-%m-%d %H:%M UTC'; node --version 2>/dev/null || echo -")
  local lines = {}
  for l in p:lines() do lines[#lines + 1] = l end
  p:close()
  return ("%s, %s cores, %s; %s; lua5.4, node %s"):format(cpu, lines[1] or "?", lines[2] or "?",
    lines[3] or "?", lines[4] or "-")
end

local t_start = now()
emit("# cwa benchmarks" .. (QUICK and " (quick subset)" or ""))
emit()
emit("Machine: " .. machine() .. ". Runs per figure: " .. RUNS .. " (median, min–max). "
  .. "Ratios are the peer's figure divided by cwa's (defaults). Condition `Id > 0` (every computer).")
emit()

local mem = {}
local scenarios = {
  {"latency", function() scenario_latency(false) end}, {"latency_ids", function() scenario_latency(true) end},
  {"cpu", function() scenario_cpu(mem) end}, {"rate", function() scenario_rate(false) end},
  {"rate_silent", function() scenario_rate(true) end}, {"faults", scenario_faults},
  {"memory", function() scenario_memory(mem) end}, {"map", scenario_map}, {"embed", scenario_embed}}
for _, scenario in ipairs(scenarios) do
  local name, fn = scenario[1], scenario[2]
  if not ONLY or ONLY[name] then
    local before = loadavg()
    local ok, err = pcall(fn)
    emit(("_Load average before / after this scenario: %s / %s._"):format(before, loadavg()))
    emit()
    if not ok then
      emit("SCENARIO FAILED: " .. tostring(err))
      emit()
    end
  end
end

emit("## targets")
emit()
for _, s in ipairs(summary) do
  local v = s.skipped and "skipped" or s.info and "reported" or verdict(s.ok)
  emit(("- %s: %s%s"):format(s.name, v, s.text and (" (" .. s.text .. ")") or ""))
end
emit()
emit(("Total bench time: %.0f s."):format(now() - t_start))
draw_charts()

local f = assert(io.open(RESULTS .. "/" .. (ONLY and "only.md" or QUICK and "quick.md" or "latest.md"), "w"))
f:write(table.concat(out_lines, "\n"), "\n")
f:close()
