--- `cwa config list | show [NAME] | use NAME`, modelled on `kubectl config`:
-- the profiles of the config file (see `cwa.cli`). `use` rewrites the
-- file's `default_profile = "..."` line (or adds one after `return {`),
-- checks that the new text loads with that default, and replaces the file
-- through a temporary file and a rename (same mode), so that a failure
-- leaves the old file. A profile that cannot be used is listed with its
-- fault; it does not block the others.
-- @module cwa.cli.profiles
local common = require "cwa.cli.common"
local config = require "cwa.cli.config"
local format = require "cwa.format"

local usage = common.usage

local M = {}

local function write(text)
  io.stdout:write(format.escape(text), "\n")
end

local function the_config()
  local path = config.config_path()
  if not path then usage("no config file (set CWA_CONFIG or HOME)") end
  local cfg = config.load_config(path)
  if not cfg then usage("no config file at " .. path .. " (see cwa --help: Connection)") end
  return cfg, path
end

local function list(a)
  local cfg, path = the_config()
  local names = config.profile_names(cfg)
  if a.format == "json" or a.format == "ndjson" then
    local rows = {}
    for _, name in ipairs(names) do
      local p = cfg.profiles[name] or {}
      rows[#rows + 1] = {name = name, default = name == cfg.default_profile, server = p.server,
        username = p.username, fault = cfg.faults[name]}
    end
    for _, r in ipairs(rows) do io.stdout:write(format.json(r), "\n") end
    return 0
  end
  if #names == 0 then
    write("no profiles in " .. path)
    return 0
  end
  local w = 4
  for _, name in ipairs(names) do w = math.max(w, #name) end
  write(("  %-" .. w .. "s  %s"):format("NAME", "SERVER / USER"))
  for _, name in ipairs(names) do
    local mark = name == cfg.default_profile and "*" or " "
    local p = cfg.profiles[name]
    local what = p and ((p.server or "-") .. "  " .. (p.username or "-"))
      or ("(cannot be used: " .. cfg.faults[name]:gsub("^config file .-, profile '.-'[:]? ?", "") .. ")")
    write(("%s %-" .. w .. "s  %s"):format(mark, name, what))
  end
  if cfg.default_profile and not cfg.profiles[cfg.default_profile] and not cfg.faults[cfg.default_profile] then
    common.say("cwa: note: default_profile '", cfg.default_profile, "' names no profile of ", path)
  end
  return 0
end

local function show(a)
  local cfg, path = the_config()
  local name = a.name or cfg.default_profile
  if not name then usage("no profile named and no default_profile in " .. path .. " (cwa config use NAME)") end
  if cfg.faults[name] then usage(cfg.faults[name]) end
  local p = cfg.profiles[name]
  if not p then usage("no profile '" .. name .. "' in " .. path .. " (see cwa config list)") end
  if a.format == "json" or a.format == "ndjson" then
    io.stdout:write(format.json(p), "\n")
    return 0
  end
  -- A profile never holds a secret (load_config refuses those): every
  -- key may be shown, password_env and password_command included.
  local keys = {}
  for k in pairs(p) do keys[#keys + 1] = k end
  table.sort(keys)
  write(name .. (name == cfg.default_profile and " (default)" or "") .. ":")
  for _, k in ipairs(keys) do write(("  %-16s %s"):format(k, tostring(p[k]))) end
  return 0
end

-- The config text with default_profile set to name, or nil with a reason.
local function with_default(text, name)
  local line = ("default_profile = %q"):format(name)
  local count = 0
  local out = text:gsub("default_profile%s*=%s*([\"'])[^\n]-%1", function()
    count = count + 1
    return line
  end)
  if count > 1 then return nil, "it sets default_profile more than once" end
  if count == 1 then return out end
  if text:find("default_profile", 1, true) then return nil, "its default_profile is not a quoted name" end
  local at = select(2, text:find("^%s*return%s*{")) or select(2, text:find("\n%s*return%s*{"))
  if not at then return nil, "it does not start with return {" end
  return text:sub(1, at) .. " " .. line .. "," .. text:sub(at + 1)
end

local function use(a)
  local cfg, path = the_config()
  local name = a.name
  if not cfg.profiles[name] and not cfg.faults[name] then
    local known = config.profile_names(cfg)
    usage("no profile '" .. name .. "' in " .. path
      .. (#known > 0 and (" (profiles: " .. table.concat(known, ", ") .. ")") or ""))
  end
  local f = assert(io.open(path, "r"))
  local text = f:read("a")
  f:close()
  local new, why = with_default(text, name)
  if not new then usage("cannot rewrite " .. path .. ": " .. why .. " (set default_profile by hand)") end
  local ok, check = pcall(config.parse_config, new, path)
  if not ok or check.default_profile ~= name then
    usage("cannot rewrite " .. path .. " safely (set default_profile = \"" .. name .. "\" by hand)")
  end
  local tmp = path .. ".cwa-new"
  local out = io.open(tmp, "w")
  if not out then usage("cannot write " .. tmp) end
  local written = out:write(new)
  local closed = out:close()
  -- the file keeps its mode (a config may be private)
  local q = "'" .. path:gsub("'", "'\\''") .. "'"
  local tq = "'" .. tmp:gsub("'", "'\\''") .. "'"
  if not (written and closed and os.execute("chmod --reference=" .. q .. " " .. tq .. " && mv -f " .. tq .. " " .. q)) then
    os.remove(tmp)
    usage("cannot replace " .. path)
  end
  write(("Default profile: %s (in %s)."):format(name, path))
  if cfg.faults[name] then common.say("cwa: note: ", cfg.faults[name]) end
  return 0
end

local ACTIONS = {list = list, show = show, use = use}

--- Runs `cwa config ACTION`.
function M.run(a)
  return ACTIONS[a.config_action](a)
end

return M
