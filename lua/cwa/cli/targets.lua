--- Which computers (and which records) a command means: ids, exact names,
-- comma lists of both, `-` (ids or names on stdin, one a line), or a
-- condition (--where).
--
-- Names and ids are resolved in as few listings as the server allows: one
-- `Id in (...) or ComputerName in (...)` listing for every BATCH targets, the
-- listings in flight together. Every target is checked before anything runs,
-- so that a typo in a list of sixty does not leave the script run on the
-- other fifty-nine:
-- - a name or id no computer has is NotFound (exit 1, as kubectl's and gh's
--   "not found"), naming every one of them at once;
-- - a name several computers share is a usage error (exit 2) listing their ids.
-- Names match as the server compares them (Automate's database ignores case).
-- @module cwa.cli.targets
local common = require "cwa.cli.common"
local errors = require "cwa.errors"

local usage = common.usage

local targets = {}

-- Targets a listing resolves: its condition stays well within the length of
-- a URL servers accept.
local BATCH = 100

--- The name field of each resource that has one (the lookup of `cwa computers NAME`).
targets.NAME_FIELDS = {
  computers = "ComputerName", clients = "Name", locations = "Name",
  scripts = "Name", monitors = "Name", groups = "Name",
}

-- An integer id from decimal text (servers type some ids as strings).
local function whole(v)
  local n = tonumber(v)
  return n and math.tointeger(n)
end

local function trim(s)
  return (s:gsub("^%s+", ""):gsub("%s+$", ""))
end

--- The targets written in `text`: a comma list of ids and names, or `-` for
-- the lines of `input` (default io.stdin; blank lines and surrounding spaces
-- ignored).
-- @string text
-- @param[opt] input a file with a `lines` method
-- @treturn table the texts, in order
function targets.tokens(text, input)
  local out = {}
  if text == "-" then
    for line in (input or io.stdin):lines() do
      line = trim(line)
      if line ~= "" then out[#out + 1] = line end
    end
    if #out == 0 then usage("no computer on stdin (one id or name a line)") end
    return out
  end
  out = common.split_list(text) or {}
  if #out == 0 then usage("no computer given") end
  return out
end

local function quoted_list(values)
  local cwa = require "cwa"
  local parts = {}
  for i, v in ipairs(values) do parts[i] = cwa.quote(v) end
  return table.concat(parts, ", ")
end

-- The condition selecting one batch of targets.
local function batch_condition(batch)
  local ids, names = {}, {}
  for _, t in ipairs(batch) do
    local id = whole(t)
    if id then ids[#ids + 1] = id else names[#names + 1] = t end
  end
  local parts = {}
  if #ids > 0 then parts[#parts + 1] = "Id in (" .. quoted_list(ids) .. ")" end
  if #names > 0 then parts[#parts + 1] = "ComputerName in (" .. quoted_list(names) .. ")" end
  return table.concat(parts, " or ")
end

local FIELDS = {"Id", "ComputerName"}

-- Every record of the listings, the batches in flight together.
local function fetch(client, conditions)
  if #conditions == 1 then
    return client:list("/Computers", {condition = conditions[1], fields = FIELDS})
  end
  local pages = client:map(conditions, function(c)
    return client:list("/Computers", {condition = c, fields = FIELDS})
  end, {fail_fast = true})
  local all = {}
  for _, list in ipairs(pages) do
    for _, rec in ipairs(list) do all[#all + 1] = rec end
  end
  return all
end

local function target(rec)
  return {Id = whole(rec.Id), ComputerName = rec.ComputerName}
end

-- The ids of records, for a message: "5, 17".
local function id_text(recs)
  local ids = {}
  for i, r in ipairs(recs) do ids[i] = tostring(r.Id) end
  return table.concat(ids, ", ")
end

--- The computers `tokens` name, in their order, each once: `{Id =, ComputerName =}`.
-- @tparam cwa.Client client
-- @tparam table tokens ids and names (from `targets.tokens`)
-- @treturn table
-- @raise cwa.Error NotFound naming every unknown id and name; a usage error
--   for a name several computers share
function targets.resolve(client, tokens)
  local conditions = {}
  for first = 1, #tokens, BATCH do
    conditions[#conditions + 1] = batch_condition(table.move(tokens, first, math.min(#tokens, first + BATCH - 1), 1, {}))
  end
  local by_id, by_name = {}, {}
  for _, rec in ipairs(fetch(client, conditions)) do
    local t = target(rec)
    if t.Id and not by_id[t.Id] then
      by_id[t.Id] = t
      local key = tostring(t.ComputerName or ""):lower()
      local same = by_name[key] or {}
      same[#same + 1] = t
      by_name[key] = same
    end
  end
  local out, seen, missing, shared = {}, {}, {}, {}
  for _, text in ipairs(tokens) do
    local id = whole(text)
    local t
    if id then
      t = by_id[id]
      if not t then missing[#missing + 1] = "id " .. id end
    else
      local same = by_name[text:lower()] or {}
      if #same == 1 then
        t = same[1]
      elseif #same == 0 then
        missing[#missing + 1] = "'" .. text .. "'"
      else
        shared[#shared + 1] = ("more than one computer named '%s' (ids %s)"):format(text, id_text(same))
      end
    end
    if t and not seen[t.Id] then
      seen[t.Id] = true
      out[#out + 1] = t
    end
  end
  if #missing > 0 then
    errors.raise("NotFound", ("computer%s not found: %s"):format(#missing > 1 and "s" or "",
      table.concat(missing, ", ")))
  end
  if #shared > 0 then usage(table.concat(shared, "; ") .. ": give the id") end
  return out
end

--- The computers a condition selects, in id order: `{Id =, ComputerName =}`.
-- @tparam cwa.Client client
-- @string condition (checked by the caller)
-- @treturn table
-- @raise cwa.Error NotFound when none matches
function targets.where(client, condition)
  local out = {}
  for _, rec in ipairs(client:list("/Computers", {condition = condition, fields = FIELDS, order_by = "Id asc"})) do
    out[#out + 1] = target(rec)
  end
  if #out == 0 then errors.raise("NotFound", "no computer matches --where " .. condition) end
  return out
end

--- The one record of the collection at `path` whose `field` is `name`:
-- its id. Numeric text is an id already.
-- @tparam cwa.Client client
-- @string text an id or a name
-- @string path e.g. "/Scripts"
-- @string field e.g. "Name"
-- @string what the record's kind, for messages ("script")
-- @string[opt] id_field the id field ("Id")
-- @treturn integer
-- @raise cwa.Error NotFound when none has the name; a usage error listing the
--   ids when several have it
function targets.record_id(client, text, path, field, what, id_field)
  local n = whole(text)
  if n then return n end
  id_field = id_field or "Id"
  local cwa = require "cwa"
  local found = client:list(path, {condition = field .. " = " .. cwa.quote(text), fields = {id_field}, limit = 20})
  if #found == 0 then errors.raise("NotFound", "no " .. what .. " named '" .. text .. "'") end
  local recs = {}
  for i, rec in ipairs(found) do recs[i] = {Id = rec[id_field]} end
  if #found > 1 then
    usage(("more than one %s named '%s' (ids %s%s): give the id"):format(what, text, id_text(recs),
      #found == 20 and ", ..." or ""))
  end
  return whole(recs[1].Id)
end

return targets
