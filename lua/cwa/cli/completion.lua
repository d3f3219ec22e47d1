--- Shell completion of `cwa`: `cwa completion bash|zsh|fish` prints a script
-- for the commands, their flags, the values of flags that have a fixed set
-- (formats, dialects, ...), the resources of `cwa count` and the profiles of
-- the config file, which the scripts ask `cwa completion --profiles` for
-- each time (so a profile added later completes at once).
--
-- The scripts are made from the argument parser (`cwa.cli.parser`), so a new
-- command or flag completes without an edit here. lua-argparse's own
-- generators complete every free value as a file name and cannot ask for
-- profiles; these do not. The zsh script is the bash one run by zsh's
-- bashcompinit, so one function serves both shells.
-- @module cwa.cli.completion
local common = require "cwa.cli.common"
local config = require "cwa.cli.config"

local M = {}

M.SHELLS = {"bash", "zsh", "fish"}

-- What a value or a positional argument completes to: {words = {...}},
-- {profiles = true}, {files = true}, or nil (free text: nothing offered).
local function option_value(o)
  if o._choices then return {words = o._choices} end
  for _, alias in ipairs(o._aliases) do
    if alias == "--profile" then return {profiles = true} end
  end
  if o._argname == "<file>" then return {files = true} end
  return nil
end

local function short_text(x)
  local text = x._summary or x._description or ""
  text = text:gsub("\n.*", ""):gsub("%. %u.*", ""):gsub("%.$", "")
  return text
end

-- The parser as plain data (the one place that reads lua-argparse's fields):
-- {path = "/auth/login", names = {...}, summary, options = {...},
--  args = {{value, many}...}, subs = {...}}. Hidden options and commands are
-- left out; `path` joins the command names with "/", "" for the top.
local function node(cmd, path, resources)
  local n = {path = path, names = cmd._aliases or {cmd._name}, summary = short_text(cmd),
    options = {}, args = {}, subs = {}}
  for _, o in ipairs(cmd._options) do
    if not o._hidden then
      n.options[#n.options + 1] = {aliases = o._aliases, takes = o._maxargs > 0,
        value = o._maxargs > 0 and option_value(o) or nil, summary = short_text(o)}
    end
  end
  for _, a in ipairs(cmd._arguments) do
    local value = a._choices and {words = a._choices}
      or a._name == "resource" and {words = resources} or nil
    n.args[#n.args + 1] = {value = value, count = a._maxargs}
  end
  for _, c in ipairs(cmd._commands) do
    if not c._hidden then n.subs[#n.subs + 1] = node(c, path .. "/" .. c._name, resources) end
  end
  return n
end

--- The commands, flags and values of `parser` as data (see `node`).
function M.model(parser)
  local resources = {}
  for plural in pairs(require("cwa.cli.commands").RESOURCE_HELP) do
    resources[#resources + 1] = plural
  end
  table.sort(resources)
  return node(parser, "", resources)
end

-- Every node, parents first.
local function walk(n, f, parents)
  parents = parents or {}
  f(n, parents)
  local below = {table.unpack(parents)}
  below[#below + 1] = n
  for _, s in ipairs(n.subs) do walk(s, f, below) end
end

-- Options valid at n: its own, then its parents' (lua-argparse keeps a
-- parent's options valid after a command: `cwa computers -o json`).
local function scope(n, parents)
  local list = {}
  for _, o in ipairs(n.options) do list[#list + 1] = o end
  for i = #parents, 1, -1 do
    for _, o in ipairs(parents[i].options) do list[#list + 1] = o end
  end
  return list
end

local function names_of(list, field)
  local out = {}
  for _, x in ipairs(list) do
    for _, name in ipairs(x[field]) do out[#out + 1] = name end
  end
  return table.concat(out, " ")
end

-- ---- bash (and zsh) ----------------------------------------------------

local function bash_kind(value)
  if not value then return "text" end
  if value.profiles then return "profiles" end
  if value.files then return "files" end
  return "words:" .. table.concat(value.words, " ")
end

-- A word in double quotes: the names come from the parser, never from a
-- user, and none needs more quoting than this.
local function dq(s)
  assert(not s:find('["$`\\]'), "cannot quote for the shell: " .. s)
  return '"' .. s .. '"'
end

-- Case patterns "PREFIX ALIAS"; the top's flags match after any command.
local function patterns(n, aliases, sep)
  local out = {}
  for _, a in ipairs(aliases) do
    if sep == "/" then
      out[#out + 1] = dq(n.path .. "/" .. a)
    elseif n.path == "" then
      out[#out + 1] = "*" .. dq(" " .. a)
    else -- below n too: `cwa auth login` takes the flags of `auth`
      out[#out + 1] = dq(n.path .. " " .. a) .. "|" .. dq(n.path .. "/") .. "*" .. dq(" " .. a)
    end
  end
  return table.concat(out, "|")
end

local BASH_MAIN = [[
_cwa() {
    local cur=$2 prev=$3 cmd= kind= opts= subs= next= w i=0 npos=0 skip=
    COMPREPLY=()
    # Which command the words before the cursor name, and how many
    # positional arguments it has so far; values of flags are skipped.
    for w in "${COMP_WORDS[@]}"; do
        [ "$i" -ge "$COMP_CWORD" ] && break
        i=$((i + 1))
        [ "$i" -eq 1 ] && continue
        if [ -n "$skip" ]; then
            skip=
            continue
        fi
        case $w in
            -*=*) ;;
            -*)
                _cwa_kind "$cmd" "$w"
                [ "$kind" != none ] && skip=1
                ;;
            *)
                _cwa_next "$cmd" "$w"
                if [ -n "$next" ] && [ "$npos" -eq 0 ]; then
                    cmd=$next
                else
                    npos=$((npos + 1))
                fi
                ;;
        esac
    done
    if [ -n "$skip" ]; then
        _cwa_kind "$cmd" "$prev"
        _cwa_reply "$1" "$kind"
        return 0
    fi
    case $cur in
        -*)
            _cwa_opts "$cmd"
            COMPREPLY=($(compgen -W "$opts" -- "$cur"))
            return 0
            ;;
    esac
    _cwa_subs "$cmd"
    if [ -n "$subs" ] && [ "$npos" -eq 0 ]; then
        COMPREPLY=($(compgen -W "$subs" -- "$cur"))
        return 0
    fi
    _cwa_arg "$cmd" "$((npos + 1))"
    _cwa_reply "$1" "$kind"
    return 0
}

_cwa_reply() {
    case $2 in
        words:*) COMPREPLY=($(compgen -W "${2#words:}" -- "$cur")) ;;
        files)
            if type compopt >/dev/null 2>&1; then compopt -o filenames 2>/dev/null; fi
            COMPREPLY=($(compgen -f -- "$cur"))
            ;;
        profiles) COMPREPLY=($(compgen -W "$("$1" completion --profiles 2>/dev/null)" -- "$cur")) ;;
    esac
}
]]

-- A function that sets var from a `case` over word.
local function case_function(name, var, word, lines, default)
  return ("%s() {\n    case %s in\n%s        *) %s=%s ;;\n    esac\n}\n"):format(
    name, word, table.concat(lines), var, default)
end

local function bash_functions(model)
  local own, top, nexts, opts, subs, args = {}, {}, {}, {}, {}, {}
  local function add(list, pattern, assignment)
    list[#list + 1] = ("        %s) %s ;;\n"):format(pattern, assignment)
  end
  walk(model, function(n, parents)
    -- a command's flags come before the top's, which match after any command
    for _, o in ipairs(n.options) do
      add(#parents == 0 and top or own, patterns(n, o.aliases, " "),
        "kind=" .. dq(o.takes and bash_kind(o.value) or "none"))
    end
    add(opts, dq(n.path), "opts=" .. dq(names_of(scope(n, parents), "aliases")))
    if #n.subs > 0 then
      add(subs, dq(n.path), "subs=" .. dq(names_of(n.subs, "names")))
      for _, s in ipairs(n.subs) do add(nexts, patterns(n, s.names, "/"), "next=" .. dq(s.path)) end
    end
    local pos = 0
    for _, a in ipairs(n.args) do
      if a.count == math.huge then
        if a.value then add(args, dq(n.path .. " ") .. "*", "kind=" .. dq(bash_kind(a.value))) end
        break
      end
      for _ = 1, a.count do
        pos = pos + 1
        if a.value then add(args, dq(n.path .. " " .. pos), "kind=" .. dq(bash_kind(a.value))) end
      end
    end
  end)
  for _, l in ipairs(top) do own[#own + 1] = l end
  return table.concat({
    case_function("_cwa_kind", "kind", '"$1 $2"', own, "none"),
    case_function("_cwa_next", "next", '"$1/$2"', nexts, ""),
    case_function("_cwa_opts", "opts", '"$1"', opts, ""),
    case_function("_cwa_subs", "subs", '"$1"', subs, ""),
    case_function("_cwa_arg", "kind", '"$1 $2"', args, "text"),
  }, "\n")
end

local function bash(model)
  return "# bash completion for cwa: source <(cwa completion bash)\n"
    .. BASH_MAIN .. "\n" .. bash_functions(model) .. "\ncomplete -F _cwa cwa\n"
end

local function zsh(model)
  return "# zsh completion for cwa (after compinit): source <(cwa completion zsh)\n"
    .. "autoload -U +X bashcompinit && bashcompinit\n"
    .. BASH_MAIN .. "\n" .. bash_functions(model) .. "\ncomplete -F _cwa cwa\n"
end

-- ---- fish ----------------------------------------------------------------

local function fish_quote(s)
  return "'" .. s:gsub("[\\']", "\\%0") .. "'"
end

-- The condition under which n's commands and options apply.
local function fish_condition(n, parents)
  if #parents == 0 then return nil end
  local parts = {}
  local chain = {table.unpack(parents, 2)}
  chain[#chain + 1] = n
  for _, c in ipairs(chain) do
    parts[#parts + 1] = "__fish_seen_subcommand_from " .. table.concat(c.names, " ")
  end
  return table.concat(parts, "; and ")
end

local function fish_value(value)
  if not value then return "-x" end
  if value.profiles then return "-x -a '(cwa completion --profiles 2>/dev/null)'" end
  if value.files then return "-r -F" end
  return "-x -a " .. fish_quote(table.concat(value.words, " "))
end

local function fish(model)
  local out = {"# fish completion for cwa: cwa completion fish > ~/.config/fish/completions/cwa.fish",
    "complete -c cwa -f"}
  walk(model, function(n, parents)
    local cond = fish_condition(n, parents)
    local function line(parts, when)
      if when then table.insert(parts, 2, "-n " .. fish_quote(when)) end
      out[#out + 1] = table.concat(parts, " ")
    end
    for _, o in ipairs(n.options) do
      local parts = {"complete -c cwa"}
      for _, a in ipairs(o.aliases) do
        local long, short = a:match("^%-%-(.+)$"), a:match("^%-(%w)$")
        if long then parts[#parts + 1] = "-l " .. long end
        if short then parts[#parts + 1] = "-s " .. short end
      end
      if o.takes then parts[#parts + 1] = fish_value(o.value) end
      if o.summary ~= "" then parts[#parts + 1] = "-d " .. fish_quote(o.summary) end
      line(parts, cond)
    end
    if #n.subs > 0 then
      local all = names_of(n.subs, "names")
      local when = (cond and cond .. "; and " or "") .. "not __fish_seen_subcommand_from " .. all
      for _, s in ipairs(n.subs) do
        line({"complete -c cwa", "-a " .. fish_quote(table.concat(s.names, " ")),
          "-d " .. fish_quote(s.summary)}, when)
      end
    end
    for _, a in ipairs(n.args) do
      if a.value and a.value.words then
        line({"complete -c cwa", "-a " .. fish_quote(table.concat(a.value.words, " "))}, cond)
      end
    end
  end)
  return table.concat(out, "\n") .. "\n"
end

local GENERATORS = {bash = bash, zsh = zsh, fish = fish}

--- The completion script for `shell` ("bash", "zsh" or "fish").
function M.script(shell, parser)
  return GENERATORS[shell](M.model(parser))
end

--- The profile names of the config file, sorted; none when there is no
-- file or it cannot be read (completion never prints an error).
function M.profiles()
  local path = config.config_path()
  if not path then return {} end
  local ok, conf = pcall(config.load_config, path)
  local names = {}
  if ok and conf then
    for name in pairs(conf.profiles) do
      if type(name) == "string" then names[#names + 1] = name end
    end
  end
  table.sort(names)
  return names
end

--- `cwa completion`: prints the script, or with --profiles the profile
-- names one a line. Returns the exit code.
function M.run(a, parser)
  if a.profiles then
    for _, name in ipairs(M.profiles()) do io.stdout:write(name, "\n") end
    return 0
  end
  if not a.shell then common.usage("completion: name the shell: bash, zsh or fish") end
  io.stdout:write(M.script(a.shell, parser))
  return 0
end

return M
