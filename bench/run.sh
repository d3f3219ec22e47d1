#!/bin/sh
# `make bench` (issue 7): installs what the peers need, then runs
# bench/driver.lua, which writes bench/results/latest.md (quick: quick.md).
#   sh bench/run.sh [--quick] [--only NAME[,NAME]]   (one scenario: results/only.md)
# Debian packages come from apt-get (CI machines start clean); node, npm and
# the npm package connectwise-rest come from .ci/npm-tools (shared with
# make test), into bench/node_modules. A peer whose runtime cannot be
# installed is skipped and named in the results. Every process the driver
# starts is recorded in a pid file and stopped on exit; only 127.0.0.1 is used.
set -u
cd "$(dirname "$0")/.." || exit 1

QUICK="" ONLY=""
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK="--quick" ;;
    --only) [ $# -ge 2 ] || { echo "usage: sh bench/run.sh [--quick] [--only NAME[,NAME]]" >&2; exit 2; }
            ONLY="--only $2"; shift ;;
    *) echo "usage: sh bench/run.sh [--quick] [--only NAME[,NAME]]" >&2; exit 2 ;;
  esac
  shift
done

BUILD="${CWA_BUILD:-build}"
if [ ! -x "$BUILD/cwa-sim" ] || [ ! -f "$BUILD/cwa/core.so" ]; then
  echo "bench: $BUILD/cwa-sim or $BUILD/cwa/core.so missing: run make build" >&2
  exit 1
fi

# --- Debian packages --------------------------------------------------------
PACKAGES="lua5.2 lua-curl lua-socket lua-cjson python3-requests gnuplot-nox time jq curl"
missing=""
for p in $PACKAGES; do
  # a package removed with its config files kept still answers dpkg -s
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -qx 'install ok installed' \
    || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "bench: installing:$missing"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  if ! { $SUDO apt-get update -qq &&
         DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq $missing >/dev/null; }; then
    echo "bench: apt-get failed; the peers that need$missing will be skipped" >&2
  fi
fi

# --- node, npm and connectwise-rest into bench/node_modules -----------------
sh .ci/npm-tools bench || echo "bench: the node peers that cannot run will be skipped" >&2

# --- what can run -----------------------------------------------------------
HAVE=""
command -v curl >/dev/null 2>&1 && command -v jq >/dev/null 2>&1 && HAVE="$HAVE curl_jq"
lua5.2 -e 'require "curl"; require "cjson"' >/dev/null 2>&1 && HAVE="$HAVE lua_curl"
lua5.4 -e 'require "socket.http"; require "cjson"' >/dev/null 2>&1 && HAVE="$HAVE luasocket"
# Debian's python3-requests lives in /usr/bin/python3's path; prefer it.
BENCH_PYTHON=""
for py in /usr/bin/python3 python3; do
  if "$py" -c 'import requests' >/dev/null 2>&1; then BENCH_PYTHON="$py"; break; fi
done
[ -n "$BENCH_PYTHON" ] && HAVE="$HAVE python_requests"
command -v node >/dev/null 2>&1 && HAVE="$HAVE node"
command -v node >/dev/null 2>&1 && [ -f bench/node_modules/connectwise-rest/package.json ] && HAVE="$HAVE cw_rest"
command -v gnuplot >/dev/null 2>&1 && HAVE="$HAVE gnuplot"
if [ ! -x /usr/bin/time ]; then
  echo "bench: /usr/bin/time is missing (Debian package time)" >&2
  exit 1
fi

# --- run, stopping every process we started ---------------------------------
BENCH_PIDFILE=$(mktemp)
BENCH_TMP=$(mktemp -d)
cleanup() {
  if [ -f "$BENCH_PIDFILE" ]; then
    while read -r pid; do
      [ -n "$pid" ] && kill "$pid" 2>/dev/null
    done < "$BENCH_PIDFILE"
    rm -f "$BENCH_PIDFILE"
  fi
  [ -n "${driver_pid:-}" ] && kill "$driver_pid" 2>/dev/null
  rm -rf "$BENCH_TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

mkdir -p bench/results
export BENCH_PIDFILE BENCH_TMP BENCH_PYTHON CWA_BUILD="$BUILD"
export BENCH_HAVE="$HAVE"
# shellcheck disable=SC2086
lua5.4 bench/driver.lua $QUICK $ONLY &
driver_pid=$!
wait "$driver_pid"
status=$?
driver_pid=""
exit $status
