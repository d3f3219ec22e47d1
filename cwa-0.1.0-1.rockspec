rockspec_format = "3.0"
package = "cwa"
version = "0.1.0-1"
source = {
  url = "git+https://example.invalid/cwa.git",
  tag = "v0.1.0",
}
description = {
  summary = "ConnectWise Automate REST API client: auth, retries, rate limiting, pagination",
  detailed = [[
A C core on libcurl owns authentication (integrator and user + 2FA, token
refresh), retries with backoff, client-side rate limiting and concurrent
pagination; Lua gets iterators: for c in cwa.computers{condition = "..."} do end.
]],
  license = "MIT",
}
dependencies = {
  "lua >= 5.4, < 5.5",
  "lua-cjson >= 2.1",
  "argparse >= 0.7",
}
external_dependencies = {
  -- Debian keeps curl/curl.h under /usr/include/<triplet>, where LuaRocks
  -- does not look; the Makefile finds it with pkg-config.
  CURL = { library = "curl" },
  CJSON = { header = "cjson/cJSON.h", library = "cjson" },
}
build = {
  type = "make",
  build_target = "module",
  build_variables = {
    CFLAGS = "$(CFLAGS)",
    LIBFLAG = "$(LIBFLAG)",
    LUA_INCDIR = "$(LUA_INCDIR)",
    CURL_INCDIR = "$(CURL_INCDIR)",
    CJSON_INCDIR = "$(CJSON_INCDIR)",
  },
  install_target = "install",
  install_variables = {
    INST_LIBDIR = "$(LIBDIR)",
    INST_LUADIR = "$(LUADIR)",
    INST_BINDIR = "$(BINDIR)",
  },
}
test_dependencies = { "busted" }
test = { type = "busted" }
