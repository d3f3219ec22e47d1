--- The one error line of `cwa`: `cwa: <what failed>: <server's words> (hint)`.
-- The library's messages are written for Lua callers: they name cwa.new's
-- options (`set client_id`, `allow_http = true`) and Lua types ("must be a
-- string"). Here they are told in the words of the command line: its flags,
-- and no Lua type names.
-- @module cwa.cli.report
local report = {}

-- The flag (or words) that sets each option of cwa.new and each listing
-- option, for messages that name the option.
local FLAGS = {
  server = "--server", username = "--username", password = "the password", client_id = "--client-id",
  two_factor = "--2fa", totp_secret = "--2fa", auth = "--auth", ca_file = "--ca-file",
  verify_tls = "--insecure", proxy = "--proxy", timeout = "--timeout", retries = "--retries",
  rate_limit = "--rate-limit", page_size = "--page-size", limit = "--limit", start_page = "--start-page",
  condition = "--where", order_by = "--order-by", fields = "--fields", exclude_fields = "--exclude-fields",
  expand = "--expand", ids = "--ids", poll_interval = "--poll-interval",
}

-- The Lua functions whose names start the library's messages ("each: ...").
local CALLERS = {
  ["cwa.new"] = true, ["cwa.from_env"] = true, each = true, list = true, pages = true, count = true,
  get = true, post = true, put = true, patch = true, delete = true, command = true, run_script = true,
  map = true, token = true,
}

-- The library's hints, and what to say instead: each is taken out of the
-- message and said in the parentheses at the end.
local HINTS = {
  {"; the server probably needs a ClientId (set client_id)",
    "the server probably needs --client-id GUID or CONNECTWISE_AUTOMATE_CLIENT_ID"},
  {" (set allow_http = true)", "use an https:// --server"},
  {" (check the username and password)", "check --username and the password"},
  {" (a self-signed server needs ca_file)", "--ca-file FILE trusts its certificate, --insecure skips the check"},
  {": set two_factor (a code or a function) or totp_secret", "give --2fa CODE, or a base32 TOTP secret"},
  {" (log in again)", "run cwa auth login, or give --password-env or --password-command"},
}

--- The end of a message that says to log in again (said as its hint).
report.LOGIN_AGAIN = " (log in again)"

-- Lua's words for values, as a reader of the command line would put them.
local TYPE_WORDS = {
  {"must return a table", "must return { ... }"},
  {"must be a table", "must be { ... }"},
  {"must be a non%-empty string", "must not be empty"},
  {"must be a string", "must be text in quotes"},
  {"must be a boolean", "must be true or false"},
}
local LUA_TYPES = {["nil"] = true, table = true, userdata = true, number = true, string = true,
  boolean = true, ["function"] = true, thread = true}

-- A hint by the kind of error, when the message brought none.
local CODE_HINTS = {
  Network = "check --server and --proxy",
  Timeout = "--timeout SECONDS waits longer",
  RateLimited = "--rate-limit N sends fewer requests a minute",
  TLS = "--ca-file FILE trusts the server's certificate, --insecure skips the check",
}

-- The query parameters of a listing and the flags that set them: a 400
-- answer to a request carrying one is most likely about it.
local QUERY_FLAGS = {
  {"orderBy", "--order-by"}, {"condition", "--where"}, {"includeFields", "--fields"},
  {"excludeFields", "--exclude-fields"}, {"expand", "--expand"}, {"ids", "--ids"},
}

local function plain_find(s, text)
  return s:find(text, 1, true)
end

-- Takes the library's hints out of text; returns the text and the hints.
local function take_hints(text, hints)
  for _, h in ipairs(HINTS) do
    local at = plain_find(text, h[1])
    if at then
      text = text:sub(1, at - 1) .. text:sub(at + #h[1])
      hints[#hints + 1] = h[2]
    end
  end
  return text
end

-- "cwa.new: option 'page_size': x", "each: page_size: x" -> "--page-size: x".
local function flag_prefix(text)
  while true do
    local head, rest = text:match("^([%w_.]+): (.*)$")
    if head and CALLERS[head] then
      text = rest
    else
      local opt, after = text:match("^option '([%w_]+)'(.*)$")
      if not opt then opt, after = text:match("^([%w_]+)(: .*)$") end
      if opt and FLAGS[opt] then text = FLAGS[opt] .. after end
      return text
    end
  end
end

--- Text without Lua's type names: "must be a string" and its kin in words,
-- "(got nil)" and ", got table" left out.
-- @string text
-- @treturn string
function report.plain_words(text)
  for _, w in ipairs(TYPE_WORDS) do text = text:gsub(w[1], w[2]) end
  text = text:gsub("%s*%(got (%a+)%)", function(t) if LUA_TYPES[t] then return "" end end)
  text = text:gsub(",? got (%a+)%f[%A]", function(t) if LUA_TYPES[t] then return "" end end)
  text = text:gsub("^expected an? (%a+), ", function(t) if LUA_TYPES[t] then return "" end end)
  return text
end

-- The path of a request below /cwa/api/v1, without its query.
local function short_path(url)
  local path = url:match("^%a+://[^/]*(/[^?#]*)") or url
  return path:gsub("^/cwa/api/v1", "")
end

-- What failed and the server's words, from a message of the library.
local function what_and_words(e, text)
  -- A login that failed while a page was wanted: the login is what failed.
  local login = text:match("^page %d+ of .- failed: (login failed: .*)$")
  if login then text = login end
  local what, words = text:match("^(.- failed): (.*)$")
  if what then return what, words end
  if e.method and e.url then return e.method .. " " .. short_path(e.url), text end
  return nil, text
end

local function query_hint(e, hints)
  if e.code ~= "BadRequest" or not e.url then return end
  local query = e.url:match("%?(.*)$") or ""
  for _, q in ipairs(QUERY_FLAGS) do
    if query:find("%f[%w]" .. q[1] .. "=") then
      hints[#hints + 1] = "check " .. q[2]
      return
    end
  end
end

--- The line for a cwa.Error, without its newline.
-- @tparam cwa.Error e
-- @treturn string
function report.error_line(e)
  local hints = {}
  local text = take_hints(report.plain_words(flag_prefix(tostring(e.message or ""))), hints)
  local what, words = what_and_words(e, text)
  -- the server's own code, which the library writes as " (Code)" after its
  -- words, goes with the kind of error: one group of parentheses
  local server_code
  words = words:gsub(" %((%u%w*)%)$", function(c)
    server_code = c
    return ""
  end)
  query_hint(e, hints)
  if #hints == 0 and CODE_HINTS[e.code] then hints[1] = CODE_HINTS[e.code] end
  -- The kind of error (and the HTTP status) for answers of a server: what
  -- a script that reads stderr can match on.
  local tags = {}
  if e.status or e.method then
    local status = math.tointeger(e.status)
    tags[1] = e.code .. ((status and status >= 300) and (", HTTP " .. status) or "")
  end
  if server_code then tags[1] = (tags[1] and (tags[1] .. ", ") or "") .. server_code end
  local paren = {}
  if #tags > 0 then paren[1] = tags[1] end
  if #hints > 0 then paren[#paren + 1] = table.concat(hints, "; ") end
  local line = "cwa: " .. (what and (what .. ": ") or "") .. words
  if #paren > 0 then line = line .. " (" .. table.concat(paren, "; ") .. ")" end
  return line
end

--- The line for a usage error's message.
-- @string message
-- @treturn string
function report.usage_line(message)
  return "cwa: " .. report.plain_words(flag_prefix(message))
end

--- The line for any other error: a Lua error raised with a position is a
-- fault of cwa, told as such (--debug prints where).
-- @param err
-- @treturn string
function report.other_line(err)
  local text = tostring(err)
  local where, rest = text:match("^([^%s:]+%.lua:%d+): (.*)$")
  if where then return "cwa: internal error: " .. rest .. " (--debug shows where)" end
  return "cwa: " .. report.plain_words(text)
end

return report
