--- The argument parser of `cwa` (lua-argparse): global flags, one command
-- per resource and the other subcommands.
-- @module cwa.cli.parser
local argparse = require "argparse"
local commands = require "cwa.cli.commands"
local options = require "cwa.options"
local output = require "cwa.cli.output"

local M = {}

-- An argparse converter over a text parser of cwa.options.
local function converter(name, parse, ...)
  local extra = table.pack(...)
  return function(s)
    local v, what = parse(s, table.unpack(extra, 1, extra.n))
    if v == nil then return nil, name .. " must be " .. what .. ", got '" .. s .. "'" end
    return v
  end
end

local function count(name) return converter(name, options.parse_integer, 0) end
local function positive(name) return converter(name, options.parse_positive) end

local function add_listing_options(cmd, d)
  cmd:option("-w --where", "Condition the server filters by, e.g. \"Status = 'Online'\".")
    :argname("<condition>")
  cmd:option("--fields", "Comma-separated fields to fetch and show (includeFields).")
    :argname("<list>")
  cmd:option("--exclude-fields", "Comma-separated fields to leave out (excludeFields).")
    :argname("<list>")
  cmd:option("--order-by", "Sort order, e.g. 'Name asc'."):argname("<order>")
  cmd:option("--limit", "Stop after this many records."):argname("<n>"):convert(count("--limit"))
  cmd:option("--page-size", ("Records per request (1-1000, default %d)."):format(d.page_size)):argname("<n>"):convert(count("--page-size"))
  cmd:option("--start-page", "First page to fetch."):argname("<n>"):convert(count("--start-page"))
  cmd:option("--expand", "Comma-separated related records to expand."):argname("<list>")
  cmd:option("--ids", "Comma-separated ids to fetch."):argname("<list>")
  cmd:flag("--consistent", "Page by id (stable while records are added or removed).")
end

local function example(cmd, text)
  cmd:epilog("Example:\n  " .. text)
  return cmd
end

--- The parser: `parser():pparse(args)`.
function M.parser()
  local d = options.defaults()
  local p = argparse("cwa", "ConnectWise Automate REST API client.")
    :command_target("command")
    :help_max_width(100)
  p:epilog([[
Connection, first found wins: flags; --profile NAME (config file $CWA_CONFIG
or ~/.config/cwa/config.lua); CONNECTWISE_AUTOMATE_SERVER, _USERNAME, _PASSWORD
(or _USER, _PASS, _2FA), _CLIENT_ID, _AUTH, _CA_FILE, _VERIFY_TLS; then the
default profile (cwa config use NAME), which never overrides a set
CONNECTWISE_AUTOMATE_SERVER. A session of cwa auth login stands in for the
password while it lasts.
Connection and output options may come before or after the command.
Exit codes: 0 everything succeeded; 1 an API error, a computer or record not
found, or a script or command that failed, was not launched or did not finish;
2 a usage error (also a name several records share); 130 interrupted (Ctrl-C).

Examples:
  cwa computers --where "Status = 'Offline'" --fields Id,ComputerName --format csv
  cwa --profile prod count computers --where "Client.Name = 'ACME Corporation'"
  cwa run-script 42 "Flush DNS Cache" --wait]])
  p:flag("--version", "Print the version and exit."):action(function()
    local cwa = require "cwa"
    io.stdout:write("cwa ", cwa.VERSION, "\n")
    os.exit(0)
  end)
  p:option("-s --server", "Automate server: host name, https://host:port or http://127.0.0.1:port.")
    :argname("<host>")
  p:option("-u --username", "User name (the password comes from --password-env, --password-command, the environment or a prompt).")
    :argname("<name>")
  p:option("--password-env", "Name of the environment variable holding the password."):argname("<VAR>")
  p:option("--password-command", "Shell command that prints the password."):argname("<CMD>")
  p:option("--2fa", "Two-factor code (6-8 digits) or base32 TOTP secret."):target("two_factor"):argname("<CODE>")
  p:option("--client-id", "ClientId header (required by current servers)."):argname("<guid>")
  p:option("--auth", "Login dialect."):choices{"auto", "apitoken", "apicredentials"}
  p:option("--ca-file", "PEM file of the CA to trust."):argname("<file>")
  p:flag("-k --insecure", "Do not verify the TLS certificate.")
  p:option("--proxy", "HTTP(S) proxy URL, or none (default: https_proxy / no_proxy from the environment).")
    :argname("<url>")
  p:option("--timeout", ("Seconds a request may take (default %g)."):format(d.timeout)):argname("<seconds>"):convert(positive("--timeout"))
  p:option("--retries", ("Retries of a failing request (default %d)."):format(d.retries)):argname("<n>"):convert(count("--retries"))
  p:option("--rate-limit", ("Requests a minute (default %s; 0 = no limit)."):format(
    d.rate_limit and ("%g"):format(d.rate_limit) or "the server's, learned"))
    :argname("<n>"):convert(converter("--rate-limit", options.parse_rate))
  p:option("-p --profile", "Profile of the config file to use."):argname("<name>")
  p:option("-o -f --format", "Output format (default: table on a terminal, else ndjson); "
    .. "wide: a table of every field.")
    :choices(output.FORMATS)
  p:flag("--no-headers", "No header line in table and csv output.")
  p:flag("-q --quiet", "No progress line.")
  p:flag("--progress", "Show the progress line even when stderr is not a terminal.")
  p:flag("--debug", "Log every request, retry and wait on stderr.")

  local names = {}
  for plural in pairs(commands.RESOURCE_HELP) do names[#names + 1] = plural end
  table.sort(names)
  for _, plural in ipairs(names) do
    local h = commands.RESOURCE_HELP[plural]
    local cmd = p:command(plural):summary("List " .. h[1]:lower() .. ", or show one by id.")
      :description(h[1] .. ": every record matching --where, or the one record ID.")
    cmd:argument("id", "Show only this record."):args("?")
    add_listing_options(cmd, d)
    example(cmd, h[2])
  end

  local list = p:command("list"):summary("List any collection path.")
  list:argument("path", "Collection path, e.g. /Computers/42/Software.")
  add_listing_options(list, d)
  example(list, "cwa list /Computers/42/Software --fields Name,Version")

  local get = p:command("get"):summary("GET a path and print the answer.")
  get:argument("path", "Path below /cwa/api/v1, e.g. /Computers/42.")
  get:option("--query", "Query parameter name=value (repeatable)."):count("*"):argname("<k=v>")
  get:option("--fields", "Fields to show (table and csv).")
  example(get, "cwa get /Computers --query pageSize=5 --query orderBy='Id desc'")

  for _, m in ipairs{"post", "put", "patch"} do
    local c = p:command(m):summary(m:upper() .. " a JSON body to a path.")
    c:argument("path", "Path below /cwa/api/v1.")
    c:argument("body", "JSON text, @FILE, or - for stdin.")
    c:option("--fields", "Fields to show (table and csv).")
    example(c, m == "patch" and "cwa patch /Clients/3 '[{\"op\":\"replace\",\"path\":\"/Name\",\"value\":\"ACME\"}]'"
      or ("cwa " .. m .. " /Tickets '{\"Subject\":\"Printer offline\",\"ClientId\":1}'"))
  end
  local del = p:command("delete"):summary("DELETE a path.")
  del:argument("path", "Path below /cwa/api/v1.")
  example(del, "cwa delete /Tickets/12")

  local count = p:command("count"):summary("Count the records of a resource.")
  count:argument("resource", "computers, alerts, ... or a path.")
  count:option("-w --where", "Condition the server filters by."):argname("<condition>")
  example(count, "cwa count computers --where \"Status = 'Offline'\"")

  local rs = p:command("run-script"):summary("Run a script on computers.")
  rs:usage("Usage: cwa run-script [options] COMPUTERS SCRIPT [name=value ...]\n"
    .. "       cwa run-script [options] --where <condition> SCRIPT [name=value ...]")
  rs:argument("arguments", "COMPUTERS: ids or exact names, comma-separated, or - for stdin (one a"
    .. " line); left out with --where. SCRIPT: id or name. Then the parameters, name=value."):args("+")
    :target("args")
  rs:option("-w --where", "Run on the computers this condition selects."):argname("<condition>")
  rs:flag("--wait", "Wait for the results and print them.")
  rs:option("--wait-timeout", "Seconds to wait (default 300)."):target("timeout_wait")
    :convert(positive("--wait-timeout"))
  rs:option("--poll-interval", "Seconds between polls (default 2)."):convert(positive("--poll-interval"))
  example(rs, "cwa run-script 42,GLOBEX-WS0005 'Flush DNS Cache' --wait\n"
    .. "  cwa run-script --where \"Client.Name = 'ACME Corporation'\" 'Flush DNS Cache' --wait")

  local cmd = p:command("command"):summary("Run a command line on computers.")
  cmd:usage("Usage: cwa command [options] COMPUTERS COMMAND-LINE\n"
    .. "       cwa command [options] --where <condition> COMMAND-LINE")
  cmd:argument("arguments", "COMPUTERS: ids or exact names, comma-separated, or - for stdin (one a"
    .. " line); left out with --where. Then the command line. One computer named alone prints the"
    .. " plain output; several, a row each."):args("+"):target("args")
  cmd:option("-w --where", "Run on the computers this condition selects."):argname("<condition>")
  cmd:option("--shell", "cmd or powershell (default cmd)."):choices{"cmd", "powershell"}
  cmd:flag("--no-wait", "Print the queued command instead of waiting for its output.")
  cmd:option("--wait-timeout", "Seconds to wait (default 300)."):target("timeout_wait")
    :convert(positive("--wait-timeout"))
  cmd:option("--poll-interval", "Seconds between polls (default 2)."):convert(positive("--poll-interval"))
  example(cmd, "cwa command 42,43 'ipconfig /all'")

  local cc = p:command("check-condition"):summary("Check the syntax of a condition.")
  cc:argument("text", "The condition.")
  example(cc, "cwa check-condition \"Status = 'Online' and Client.Id in (1, 2)\"")

  local auth = p:command("auth"):summary("Log in once and keep the session: login, status, logout.")
    :target("auth_cmd"):command_target("auth_action")
    :description("Sessions, as gh auth: the token is kept in $CWA_SESSION_FILE, else "
      .. "$XDG_STATE_HOME/cwa/sessions.json, else ~/.local/state/cwa/sessions.json (mode 0600, "
      .. "one entry per server, user and ClientId, never the password). Later commands use it "
      .. "while it lasts, with no password or 2FA prompt.")
  example(auth:command("login"):summary("Log in and keep the session (prints the expiry, never the token)."),
    "cwa --profile prod auth login")
  example(auth:command("status"):summary("Server, user, dialect and expiry of the stored session."),
    "cwa auth status")
  example(auth:command("logout"):summary("Revoke the token and remove the session."), "cwa auth logout")
  example(p:command("login"):summary("Same as auth login."), "cwa --profile prod login")
  example(p:command("logout"):summary("Same as auth logout."), "cwa logout")

  local cfgcmd = p:command("config"):summary("Profiles of the config file: list, show, use.")
    :target("config_cmd"):command_target("config_action")
  example(cfgcmd:command("list"):summary("List the profiles (* marks the default)."), "cwa config list")
  local show = cfgcmd:command("show"):summary("Show a profile's settings (a profile never holds a secret).")
  show:argument("name", "Profile (default: the default profile)."):args("?")
  example(show, "cwa config show prod")
  local use = cfgcmd:command("use"):summary("Make a profile the default (rewrites default_profile).")
  use:argument("name", "Profile.")
  example(use, "cwa config use prod")

  local shell = p:command("shell"):summary("Interactive Lua prompt with `cwa` and a connected `client`.")
  shell:option("-e --execute", "Run this Lua chunk first."):count("*")
  example(shell, "echo 'print(#client:list(\"/Computers\"))' | cwa shell")

  local comp = p:command("completion"):summary("Print a completion script for bash, zsh or fish.")
  comp:argument("shell", "The shell."):choices(require("cwa.cli.completion").SHELLS):args("?")
  comp:flag("--profiles", "Print the profile names, one a line (the scripts ask for them)."):hidden(true)
  comp:epilog([[
Examples:
  source <(cwa completion bash)    (this shell; zsh too, after compinit)
  cwa completion bash > ~/.local/share/bash-completion/completions/cwa
  cwa completion fish > ~/.config/fish/completions/cwa.fish]])

  return p
end

return M
