# cwa: ConnectWise Automate REST API client for Lua 5.4.
# Every knob is overridable (make CC=clang LUA=lua5.4 ...); LuaRocks passes
# CFLAGS, LIBFLAG, LUA_INCDIR, CURL_INCDIR/CURL_LIBDIR, CJSON_INCDIR/CJSON_LIBDIR
# and the install directories.
#
# The targets a person runs (demo, test, bench, ...) first install the Debian
# packages that are missing, then build in a second make run: pkg-config is
# read by that run, after the install, never before it.

VERSION     := $(shell sed -n 's/^version *= *"\([0-9.]*\)-[0-9]*"/\1/p' cwa-*.rockspec | head -n 1)
LUA         ?= lua5.4
BUSTED      ?= busted
PKG_CONFIG  ?= pkg-config
CC          ?= cc
BUILD       ?= build
SUBMAKE      = $(MAKE) --no-print-directory

# What the build, the tests and the demo need; bench/run.sh installs the
# peers' own packages (lua5.2, lua-curl, python3-requests, node, ...).
DEBIAN_PACKAGES := lua5.4 liblua5.4-dev libcurl4-openssl-dev libssl-dev lua-cjson tmux \
                   lua-busted lua-check lua-argparse lua-socket luarocks libmicrohttpd-dev \
                   libcjson-dev pkg-config curl cppcheck clang-format lua-readline \
                   lua-cqueues lua-luv

LUA_INCDIR  ?= $(shell $(PKG_CONFIG) --variable=includedir lua5.4 2>/dev/null)/lua5.4
# LuaRocks' external_dependencies: used when given, pkg-config otherwise.
EXT_CFLAGS  := $(if $(CURL_INCDIR),-I$(CURL_INCDIR)) $(if $(CJSON_INCDIR),-I$(CJSON_INCDIR))
EXT_LIBS    := $(if $(CURL_LIBDIR),-L$(CURL_LIBDIR)) $(if $(CJSON_LIBDIR),-L$(CJSON_LIBDIR))
PKG_CFLAGS  := $(EXT_CFLAGS) $(shell $(PKG_CONFIG) --cflags libcurl libcjson 2>/dev/null)
PKG_LIBS    := $(EXT_LIBS) $(shell $(PKG_CONFIG) --libs libcurl libcjson libcrypto 2>/dev/null) -lm
SIM_CFLAGS  := $(shell $(PKG_CONFIG) --cflags libmicrohttpd libcjson 2>/dev/null)
SIM_LIBS    := $(shell $(PKG_CONFIG) --libs libmicrohttpd libcjson libcrypto 2>/dev/null) -lm -lpthread

WARN        := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT         ?= -O2 -g
CFLAGS      ?= $(OPT)
LIBFLAG     ?= -shared
ALL_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fPIC -fvisibility=hidden \
               -MMD -MP $(WARN) -ffile-prefix-map=$(CURDIR)=. \
               -DCWA_VERSION='"$(VERSION)"' $(CFLAGS) $(SAN)

# Layers (DESIGN.md): src/core knows no Lua and is compiled without its
# headers; src/binding is the module cwa.core, on top of the core.
CORE_ALL    := $(wildcard src/core/*.c)
# The evaluator and formatter of the condition language serve the simulator,
# the fuzzers and the unit tests; the client only parses.
COND_EXTRA  := $(wildcard src/core/cwa_cond_eval.c src/core/cwa_cond_format.c)
CORE_SRC    := $(filter-out $(COND_EXTRA),$(CORE_ALL))
BIND_SRC    := $(wildcard src/binding/*.c)
SIM_SRC     := $(wildcard sim/*.c)
UNIT_SRC    := $(wildcard test/*_test.c)
CORE_OBJ    := $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
CORE_ALL_OBJ:= $(CORE_ALL:src/%.c=$(BUILD)/obj/%.o)
BIND_OBJ    := $(BIND_SRC:src/%.c=$(BUILD)/obj/%.o)
SIM_OBJ     := $(SIM_SRC:sim/%.c=$(BUILD)/obj/sim/%.o)
UNIT_OBJ    := $(UNIT_SRC:test/%.c=$(BUILD)/obj/test/%.o)
# The simulator shares only the condition language and the buffer with the
# client (DESIGN.md): never the transport, auth or pager.
SIM_SHARED  := $(patsubst src/%.c,$(BUILD)/obj/%.o,$(wildcard src/core/cwa_cond*.c) src/core/cwa_buf.c)

CORE_SO     := $(BUILD)/cwa/core.so
SIM_BIN     := $(BUILD)/cwa-sim
UNIT_BIN    := $(BUILD)/cwa-unit
# A program embedding Lua (threads with a lua_State each, fork) for the specs.
HOST_BIN    := $(BUILD)/cwa-host
LUA_LIBS    := $(shell $(PKG_CONFIG) --libs lua5.4 2>/dev/null)

PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/5.4
INST_LUADIR ?= $(PREFIX)/share/lua/5.4
INST_BINDIR ?= $(PREFIX)/bin

.PHONY: all deps test-tools build module sim test check-fast demo sanitize clean install lint \
        unit bench docs rock-check fuzz valgrind run-test run-check-fast run-demo run-sanitize \
        run-bench run-valgrind

all: build

# ---- packages ------------------------------------------------------------
# A package removed with its config files kept still answers `dpkg -s`, so
# only the status "install ok installed" counts as present.
define apt_install
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -qx 'install ok installed' \
	    || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

deps:
	$(call apt_install,$(DEBIAN_PACKAGES))

# The specs also run a client we did not write (npm connectwise-rest) against
# the simulator: node and that package are test tooling, shared with the bench.
test-tools: deps
	@sh .ci/npm-tools bench

# ---- what a person runs: packages first, then a fresh make ---------------
test: test-tools
	@$(SUBMAKE) run-test
check-fast: test-tools
	@$(SUBMAKE) run-check-fast
demo: deps
	@$(SUBMAKE) run-demo
sanitize: test-tools
	@$(SUBMAKE) run-sanitize
bench: deps
	@$(SUBMAKE) run-bench
valgrind: test-tools
	@$(SUBMAKE) run-valgrind

run-test: build lint
	@CWA_BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) sh .ci/busted-summary

# The quick loop: every spec but those tagged slow (packaging, bench peers,
# long fault runs). `make test` runs them all.
run-check-fast: build
	@CWA_BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) sh .ci/busted-summary --exclude-tags=slow

run-demo: build
	@sh examples/run-demo.sh $(BUILD)

# ASan + UBSan: the module, the simulator and the unit tests are rebuilt in
# build-san/; lua5.4 itself is not instrumented, so the ASan runtime is preloaded.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# curl (used by the specs to read the simulator's counters) deadlocks at start
# with libasan preloaded: a wrapper runs it without the preload.
run-sanitize:
	@$(SUBMAKE) BUILD=build-san SAN="$(SAN_FLAGS)" OPT="-O1 -g" build
	@mkdir -p build-san/bin && \
	  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$$@"\n' "$$(command -v curl)" >build-san/bin/curl && \
	  chmod +x build-san/bin/curl
	@PATH="$(CURDIR)/build-san/bin:$$PATH" CWA_BUILD=build-san LUA=$(LUA) BUSTED=$(BUSTED) \
	  LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  sh .ci/busted-summary

# Benchmarks against the peers of issue 7 (not part of `make test`).
run-bench: build
	@sh bench/run.sh $(if $(QUICK),--quick,)

run-valgrind: build
	@CWA_BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) sh .ci/valgrind

docs:
	@sh .ci/docs

# Builds the rock into a fresh tree, packs it, installs the packed rock into
# another tree and loads it from there.
rock-check: deps
	@sh .ci/rock-check

FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh

# ---- build ---------------------------------------------------------------
build: $(CORE_SO) $(SIM_BIN) $(UNIT_BIN) $(HOST_BIN)

module: $(CORE_SO)

sim: $(SIM_BIN)

$(BUILD)/obj/core/%.o: src/core/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Isrc/core -c -o $@ $<

$(BUILD)/obj/binding/%.o: src/binding/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -I$(LUA_INCDIR) -Isrc/core -c -o $@ $<

$(BUILD)/obj/sim/%.o: sim/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -Isrc/core -Isim -c -o $@ $<

$(BUILD)/obj/test/%.o: test/%.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Isrc/core -c -o $@ $<

# A shared object links even when a symbol it needs is nowhere: the link
# below refuses that (only the Lua C API may stay open, the interpreter has
# it), so a module built before its libraries were installed never survives.
$(CORE_SO): $(CORE_OBJ) $(BIND_OBJ)
	@mkdir -p $(@D)
	@[ -n "$(strip $(filter-out -lm,$(PKG_LIBS)))" ] || \
	  { echo "pkg-config found no libcurl/libcjson/libcrypto: run 'make deps'" >&2; exit 1; }
	$(CC) $(LIBFLAG) $(SAN) -o $@.tmp $^ $(PKG_LIBS)
	@sh .ci/check-module $@.tmp
	@mv $@.tmp $@

$(SIM_BIN): $(SIM_OBJ) $(SIM_SHARED)
	$(CC) $(SAN) -o $@ $^ $(SIM_LIBS)

$(UNIT_BIN): $(UNIT_OBJ) $(CORE_ALL_OBJ)
	$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

$(HOST_BIN): test/host.c
	$(CC) $(ALL_CFLAGS) -I$(LUA_INCDIR) -o $@ $< $(LUA_LIBS) -lpthread

unit: $(UNIT_BIN)
	$(UNIT_BIN)

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)

# ---- checks --------------------------------------------------------------
lint:
	luacheck -q lua spec examples bench bin
	cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	  --error-exitcode=1 --quiet -Isrc/core -Isrc/binding src sim
	sh .ci/format-check
	sh .ci/check-layers

install: $(CORE_SO)
	install -d $(DESTDIR)$(INST_LIBDIR)/cwa $(DESTDIR)$(INST_LUADIR)/cwa $(DESTDIR)$(INST_BINDIR)
	install -m 0755 $(CORE_SO) $(DESTDIR)$(INST_LIBDIR)/cwa/core.so
	cd lua/cwa && find . -name '*.lua' | while read -r f; do \
	  install -D -m 0644 "$$f" "$(DESTDIR)$(INST_LUADIR)/cwa/$$f" || exit 1; done
	if [ -f bin/cwa ]; then install -m 0755 bin/cwa $(DESTDIR)$(INST_BINDIR)/cwa; fi

clean:
	rm -rf build build-san
