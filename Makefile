# cwa: ConnectWise Automate REST API client for Lua 5.4.
# Every knob is overridable (make CC=clang LUA=lua5.4 ...); LuaRocks passes
# CFLAGS, LIBFLAG, LUA_INCDIR and the install directories.

VERSION     := $(shell sed -n 's/^version *= *"\([0-9.]*\)-[0-9]*"/\1/p' cwa-*.rockspec | head -n 1)
LUA         ?= lua5.4
BUSTED      ?= busted
PKG_CONFIG  ?= pkg-config
CC          ?= cc
BUILD       ?= build

DEBIAN_PACKAGES := lua5.4 liblua5.4-dev libcurl4-openssl-dev libssl-dev lua-cjson \
                   lua-busted lua-check lua-argparse luarocks libmicrohttpd-dev \
                   libcjson-dev pkg-config curl cppcheck clang-format \
                   lua5.2 lua-curl lua-socket python3-requests jq time

LUA_INCDIR  ?= $(shell $(PKG_CONFIG) --variable=includedir lua5.4 2>/dev/null)/lua5.4
PKG_CFLAGS  := $(shell $(PKG_CONFIG) --cflags libcurl libcjson 2>/dev/null)
PKG_LIBS    := $(shell $(PKG_CONFIG) --libs libcurl libcjson libcrypto 2>/dev/null)
SIM_CFLAGS  := $(shell $(PKG_CONFIG) --cflags libmicrohttpd libcjson 2>/dev/null)
SIM_LIBS    := $(shell $(PKG_CONFIG) --libs libmicrohttpd libcjson libcrypto 2>/dev/null) -lm -lpthread

WARN        := -Wall -Wextra -Wpedantic -Werror -Wshadow -Wstrict-prototypes -Wmissing-prototypes
OPT         ?= -O2 -g
CFLAGS      ?= $(OPT)
LIBFLAG     ?= -shared
ALL_CFLAGS   = -std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -fPIC $(WARN) \
               -ffile-prefix-map=$(CURDIR)=. \
               -DCWA_VERSION='"$(VERSION)"' $(CFLAGS) $(SAN)

CORE_SRC    := $(filter-out src/lcwa%.c,$(wildcard src/cwa_*.c))
BIND_SRC    := $(wildcard src/lcwa*.c)
SIM_SRC     := $(wildcard sim/*.c)
UNIT_SRC    := $(wildcard test/*_test.c)
CORE_OBJ    := $(CORE_SRC:src/%.c=$(BUILD)/obj/%.o)
BIND_OBJ    := $(BIND_SRC:src/%.c=$(BUILD)/obj/%.o)
SIM_OBJ     := $(SIM_SRC:sim/%.c=$(BUILD)/obj/sim/%.o)
HEADERS     := $(wildcard src/*.h) $(wildcard sim/*.h)

CORE_SO     := $(BUILD)/cwa/core.so
SIM_BIN     := $(BUILD)/cwa-sim
UNIT_BIN    := $(BUILD)/cwa-unit

PREFIX      ?= /usr/local
INST_LIBDIR ?= $(PREFIX)/lib/lua/5.4
INST_LUADIR ?= $(PREFIX)/share/lua/5.4
INST_BINDIR ?= $(PREFIX)/bin

.PHONY: all deps build module sim test demo sanitize clean install lint unit bench docs rock-check fuzz valgrind

all: build

deps:
	@missing=""; for p in $(DEBIAN_PACKAGES); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=; [ "$$(id -u)" -eq 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && \
	  DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

build: $(CORE_SO) $(SIM_BIN) $(UNIT_BIN)

module: $(CORE_SO)

sim: $(SIM_BIN)

$(BUILD)/obj/%.o: src/%.c $(HEADERS) | $(BUILD)/obj
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -I$(LUA_INCDIR) -Isrc -c -o $@ $<

$(BUILD)/obj/sim/%.o: sim/%.c $(HEADERS) | $(BUILD)/obj/sim
	$(CC) $(ALL_CFLAGS) $(SIM_CFLAGS) -Isrc -Isim -c -o $@ $<

$(CORE_SO): $(CORE_OBJ) $(BIND_OBJ) | $(BUILD)/cwa
	$(CC) $(LIBFLAG) $(SAN) -o $@ $^ $(PKG_LIBS)

# The simulator shares only the condition language and small utilities with
# the client (DESIGN.md): never the transport, auth or pager.
SIM_SHARED  := $(BUILD)/obj/cwa_cond.o $(BUILD)/obj/cwa_buf.o
$(SIM_BIN): $(SIM_OBJ) $(SIM_SHARED)
	$(CC) $(SAN) -o $@ $^ $(SIM_LIBS)

$(UNIT_BIN): $(UNIT_SRC) $(CORE_OBJ) $(HEADERS)
	$(CC) $(ALL_CFLAGS) $(PKG_CFLAGS) -Isrc -o $@ $(UNIT_SRC) $(CORE_OBJ) $(PKG_LIBS) -lm

$(BUILD)/obj $(BUILD)/obj/sim $(BUILD)/cwa:
	mkdir -p $@

unit: $(UNIT_BIN)
	$(UNIT_BIN)

test: deps build lint
	@CWA_BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) sh .ci/busted-summary

lint:
	luacheck -q lua spec examples bench bin
	cppcheck --enable=warning,style,performance,portability --std=c11 --inline-suppr \
	  --error-exitcode=1 --quiet -I src src sim
	sh .ci/format-check

demo: deps build
	@sh examples/run-demo.sh $(BUILD)

# ASan + UBSan: the module, the simulator and the unit tests are rebuilt in
# build-san/; lua5.4 itself is not instrumented, so the ASan runtime is preloaded.
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
# curl (used by the specs to read the simulator's counters) deadlocks at start
# with libasan preloaded: a wrapper runs it without the preload.
sanitize: deps
	$(MAKE) BUILD=build-san SAN="$(SAN_FLAGS)" OPT="-O1 -g" build
	@mkdir -p build-san/bin && \
	  printf '#!/bin/sh\nunset LD_PRELOAD\nexec %s "$$@"\n' "$$(command -v curl)" >build-san/bin/curl && \
	  chmod +x build-san/bin/curl
	@PATH="$(CURDIR)/build-san/bin:$$PATH" CWA_BUILD=build-san LUA=$(LUA) BUSTED=$(BUSTED) \
	  LD_PRELOAD="$$($(CC) -print-file-name=libasan.so) $$($(CC) -print-file-name=libubsan.so)" \
	  ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	  sh .ci/busted-summary

# Benchmarks against the peers of issue 7 (not part of `make test`).
bench: deps build
	@sh bench/run.sh $(if $(QUICK),--quick,)

docs:
	@sh .ci/docs

# Builds the rock into a fresh tree, packs it, installs the packed rock into
# another tree and loads it from there.
rock-check: deps
	@sh .ci/rock-check

FUZZ_SECONDS ?= 60
fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) sh fuzz/run.sh

valgrind: deps build
	@CWA_BUILD=$(BUILD) LUA=$(LUA) BUSTED=$(BUSTED) sh .ci/valgrind

install: $(CORE_SO)
	install -d $(DESTDIR)$(INST_LIBDIR)/cwa $(DESTDIR)$(INST_LUADIR)/cwa $(DESTDIR)$(INST_BINDIR)
	install -m 0755 $(CORE_SO) $(DESTDIR)$(INST_LIBDIR)/cwa/core.so
	install -m 0644 lua/cwa/*.lua $(DESTDIR)$(INST_LUADIR)/cwa/
	if [ -f bin/cwa ]; then install -m 0755 bin/cwa $(DESTDIR)$(INST_BINDIR)/cwa; fi

clean:
	rm -rf build build-san
