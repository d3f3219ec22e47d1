-- luacheck configuration (STYLE.md 4.4: the common core of luasocket,
-- Penlight, luasystem and busted).
std = "lua54"
unused_args = false
redefined = false
max_line_length = false
not_globals = {"string.len", "table.getn"}
include_files = {"**/*.lua", "bin/cwa", "*.rockspec", ".busted", ".luacheckrc"}
exclude_files = {"build/", "build-san/", "bench/node_modules/", ".lua", ".luarocks", ".install"}
files["spec/**/*.lua"] = {std = "+busted"}
