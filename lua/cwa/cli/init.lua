--- The `cwa` command: argument parsing (lua-argparse), connection settings
-- from flags, a profile or the environment, output formats and exit codes.
--
-- Exit codes: 0 everything succeeded; 1 an API error (anything the server
-- or the network said), a computer or record named that does not exist
-- (kubectl's and gh's "not found"), or a script or command that failed, was
-- not launched or did not finish; 2 a usage error (bad flags, a bad
-- condition, missing settings, a name several records share, an
-- InvalidArgument raised before any request was sent); 130 interrupted
-- (Ctrl-C, at a prompt as well: the terminal's echo is turned back on).
--
-- Targets of run-script and command (cwa.cli.targets): ids, exact names,
-- comma lists of both, `-` (one a line on stdin) or --where COND; all are
-- resolved and checked before anything runs.
-- Errors are one line on stderr, `cwa: <what failed>: <server's words>
-- (hint)`, hints naming the flags (cwa.cli.report).
--
-- Connection settings, first found wins: flags, then --profile NAME, then
-- the CONNECTWISE_AUTOMATE_* environment variables (see cwa.env), then the
-- config file's `default_profile` (set with `cwa config use NAME`). A set
-- CONNECTWISE_AUTOMATE_SERVER is never overridden by the default profile
-- (a note on stderr says so when the two name different servers); a profile
-- that cannot be used is reported when it is used or listed, and does not
-- block the others. Sessions (`cwa auth login`, see cwa.cli.auth) stand in
-- for the password while they last. The config file
-- ($CWA_CONFIG, else $XDG_CONFIG_HOME/cwa/config.lua, else
-- ~/.config/cwa/config.lua) is Lua returning
--   { default_profile = "prod",
--     profiles = { prod = { server = "automate.example.com", username = "api",
--                           client_id = "GUID", password_env = "CWA_PROD_PASSWORD" } } }
-- Passwords come from password_env (a variable name) or password_command (a
-- shell command whose first output line is the password); a profile holding
-- a `password` in clear is refused.
--
-- Output: --format table | json | ndjson | csv. The default is `table` when
-- stdout is a terminal and `ndjson` otherwise (pipes get one JSON record a
-- line, written as pages arrive); $CWA_FORMAT changes the default.
--
-- The parts: cwa.cli.common (usage errors, the terminal), cwa.cli.config
-- (the config file, profiles and connection settings), cwa.cli.output
-- (formats and writers), cwa.cli.commands (the subcommands) and
-- cwa.cli.parser (the flags); this module runs them.
-- @module cwa.cli

local common = require "cwa.cli.common"
local commands = require "cwa.cli.commands"
local config = require "cwa.cli.config"
local format = require "cwa.format"
local output = require "cwa.cli.output"
local parser = require "cwa.cli.parser"
local report = require "cwa.cli.report"

local cli = {
  usage = common.usage,
  terminal_width = common.terminal_width,
  config_path = config.config_path,
  load_config = config.load_config,
  connection = config.connection,
  emit = output.emit,
  parser = parser.parser,
}

local is_usage, say = common.is_usage, common.say

-- The one line for any error raised by the library or the CLI.
local function error_line(e)
  local cwa = require "cwa"
  if is_usage(e) then return report.usage_line(e.message) end
  if cwa.is_error(e) then return report.error_line(e) end
  return report.other_line(e)
end

local function dispatch(a)
  if a.command == "check-condition" then return commands.check_condition(a) end
  if a.command == "auth" or a.command == "login" or a.command == "logout" then
    return require("cwa.cli.auth").run(a)
  end
  if a.command == "config" then return require("cwa.cli.profiles").run(a) end
  if a.command == "completion" then return require("cwa.cli.completion").run(a, cli.parser()) end
  local cwa = require "cwa"
  if a.command == "shell" then
    local ok, conn = pcall(cli.connection, a)
    local client
    if ok then
      client = cwa.new(conn)
    else
      say("cwa: not connected: ", error_line(conn):gsub("^cwa: ", ""))
      conn = {}
    end
    return require("cwa.shell").run{client = client, execute = a.execute, width = common.terminal_width,
      server = conn.server, username = conn.username}
  end
  local conn, _, session_only = cli.connection(a)
  local client <close> = cwa.new(conn)
  local name = a.command:gsub("%-", "_")
  local handler = commands[name]
  if not session_only then return handler(client, a, conn) or 0 end
  local ok, result = pcall(handler, client, a, conn)
  if ok then return result or 0 end
  -- The stored session was refused and the login after it had no password
  -- to send: the server's "invalid username or password" would mislead.
  if cwa.is_error(result) and (result.code == "Unauthorized" or result.code == "TwoFactorRequired") then
    error(require("cwa.errors").new{code = "Unauthorized", status = result.status,
      message = "the stored session for " .. conn.username .. " is no longer accepted and no password is set"
        .. report.LOGIN_AGAIN}, 0)
  end
  error(result, 0)
end

--- Runs the command line `argv` (a list of strings); returns the exit code.
function cli.main(argv)
  local args = {}
  for i = 1, #(argv or {}) do args[i] = argv[i] end
  local p = cli.parser()
  local ok, a = p:pparse(args)
  if not ok then
    say("cwa: ", tostring(a), " (see cwa --help)")
    return 2
  end
  if a.command == nil then
    io.stderr:write(p:get_usage(), "\n")
    return 2
  end
  local cwa = require "cwa"
  local result
  local done, err = xpcall(function() result = dispatch(a) end, function(e)
    if is_usage(e) or cwa.is_error(e) then return e end
    return setmetatable({message = tostring(e), trace = debug.traceback(tostring(e), 2)}, {
      __tostring = function(x) return x.message end,
    })
  end)
  io.stdout:flush()
  if done then return result or 0 end
  if is_usage(err) then
    say(error_line(err))
    return 2
  end
  if cwa.is_error(err) then
    say(error_line(err))
    return err.code == "InvalidArgument" and 2 or 1
  end
  -- lua5.4 turns Ctrl-C into the error "interrupted!" (the progress line
  -- and open pagers were closed on the way out).
  if tostring(err):find("interrupted!$") then
    io.stderr:write("cwa: interrupted\n")
    return 130
  end
  say(error_line(err))
  if a.debug and type(err) == "table" and err.trace then
    io.stderr:write(format.escape(err.trace, true), "\n")
  end
  return 1
end

return cli
