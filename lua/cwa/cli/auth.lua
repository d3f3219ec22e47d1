--- `cwa auth login | status | logout` (and the aliases `cwa login`, `cwa
-- logout`), modelled on `gh auth`: the session is the token kept in the
-- sessions file (see `cwa.env.session_path`: mode 0600, one entry per
-- server, user and ClientId, never the password). Later commands use it
-- while it lasts, with no password or 2FA prompt, and it is refreshed where
-- the server allows; with a base32 TOTP secret configured an ended session
-- is renewed without a prompt.
-- @module cwa.cli.auth
local cjson = require "cjson"
local common = require "cwa.cli.common"
local config = require "cwa.cli.config"
local format = require "cwa.format"

local M = {}

local function iso_utc(t)
  return os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(t))
end

local function minutes(t)
  return math.max(0, math.floor((t - os.time()) / 60 + 0.5))
end

local function json_wanted(a)
  return a.format == "json" or a.format == "ndjson"
end

local function who(conn)
  return conn.server .. " as " .. conn.username .. (conn.client_id and (", ClientId " .. conn.client_id) or "")
end

local function write(text)
  io.stdout:write(format.escape(text), "\n")
end

local function info_of(conn, s, pname)
  return {server = conn.server, username = conn.username, client_id = conn.client_id or cjson.null,
    profile = pname or cjson.null, dialect = s.dialect, expires = iso_utc(s.expires),
    session_ends = s.absolute and iso_utc(s.absolute) or cjson.null, session_file = conn.token_cache}
end

-- Logs in (a live session of the same account is revoked first: a login
-- always brings a new token) and keeps the session.
local function login(a)
  local cwa = require "cwa"
  local conn, pname = config.connection(a, nil, "login")
  local client <close> = cwa.new(conn)
  client:logout()
  client:token()
  local s = client:session()
  if json_wanted(a) then
    io.stdout:write(format.json(info_of(conn, s, pname)), "\n")
    return 0
  end
  write(("Logged in to %s (%s dialect)."):format(who(conn), s.dialect))
  write(("Token expires %s (in %d min); the session is kept in %s."):format(iso_utc(s.expires),
    minutes(s.expires), conn.token_cache))
  return 0
end

local function not_logged_in(conn)
  common.say("cwa: not logged in to ", who(conn), " (run cwa auth login)")
  return 1
end

local function status(a)
  local cwa = require "cwa"
  local conn, pname = config.connection(a, nil, "session")
  local client <close> = cwa.new(conn)
  local s = client:session()
  if not s then return not_logged_in(conn) end
  if json_wanted(a) then
    io.stdout:write(format.json(info_of(conn, s, pname)), "\n")
    return 0
  end
  local rows = {
    {"Server", conn.server}, {"User", conn.username}, {"ClientId", conn.client_id},
    {"Profile", pname}, {"Dialect", s.dialect},
    {"Expires", ("%s (in %d min; refreshed while you work)"):format(iso_utc(s.expires), minutes(s.expires))},
    {"Session ends", s.absolute and ("%s (then a new login)"):format(iso_utc(s.absolute))},
    {"Session file", conn.token_cache},
  }
  for _, r in ipairs(rows) do
    if r[2] then write(("%-13s %s"):format(r[1] .. ":", r[2])) end
  end
  return 0
end

local function logout(a)
  local cwa = require "cwa"
  local conn = config.connection(a, nil, "session")
  local client <close> = cwa.new(conn)
  local s = client:session()
  if not s then return not_logged_in(conn) end
  client:logout()
  write(("Logged out of %s: the token is %s and the session removed."):format(who(conn),
    s.dialect == "apitoken" and "revoked" or "forgotten (the server has no revocation)"))
  return 0
end

local ACTIONS = {login = login, status = status, logout = logout}

--- Runs `cwa auth ACTION` (or the alias `cwa login` / `cwa logout`).
function M.run(a)
  local action = a.command == "auth" and a.auth_action or a.command
  return ACTIONS[action](a)
end

return M
