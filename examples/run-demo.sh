#!/bin/sh
# `make demo`: starts cwa-sim on a free loopback port with a realistic fleet,
# runs examples/fleet_report.lua against it, and stops the simulator
# afterwards, also when the report fails or on Ctrl-C.
#   sh examples/run-demo.sh [BUILD-DIR]      (default: build)
set -eu

BUILD=${1:-build}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
SIM="$BUILD/cwa-sim"
if [ ! -x "$SIM" ] || [ ! -f "$BUILD/cwa/core.so" ]; then
  echo "run-demo: $SIM or $BUILD/cwa/core.so is missing: run 'make build' first" >&2
  exit 1
fi

LOG=$(mktemp "${TMPDIR:-/tmp}/cwa-demo.XXXXXX")
# 5000 computers behind 80 ms of latency: enough pages for the progress line.
"$SIM" --port 0 --computers 5000 --alerts 3000 --latency-ms 80 \
  --script-ms 1500 >"$LOG" 2>&1 </dev/null &
SIM_PID=$!

cleanup() {
  kill "$SIM_PID" 2>/dev/null || true
  wait "$SIM_PID" 2>/dev/null || true
  rm -f "$LOG"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

URL=
tries=0
while [ -z "$URL" ]; do
  URL=$(sed -n 's/^URL \(http[^ ]*\).*/\1/p' "$LOG")
  [ -n "$URL" ] && break
  if ! kill -0 "$SIM_PID" 2>/dev/null; then
    echo "run-demo: cwa-sim exited:" >&2
    cat "$LOG" >&2
    exit 1
  fi
  tries=$((tries + 1))
  if [ "$tries" -gt 500 ]; then
    echo "run-demo: cwa-sim did not print its URL" >&2
    exit 1
  fi
  sleep 0.02
done

export CONNECTWISE_AUTOMATE_SERVER="$URL"
export CONNECTWISE_AUTOMATE_USERNAME=integrator
export CONNECTWISE_AUTOMATE_PASSWORD=integrator-pass
export CONNECTWISE_AUTOMATE_CLIENT_ID=cwa-demo
export LUA_PATH="$ROOT/lua/?.lua;$ROOT/lua/?/init.lua;;"
export LUA_CPATH="$ROOT/$BUILD/?.so;;"
unset CONNECTWISE_AUTOMATE_USER CONNECTWISE_AUTOMATE_PASS CONNECTWISE_AUTOMATE_2FA 2>/dev/null || true

echo "cwa demo: simulator at $URL (5000 computers, 80 ms latency)"
echo "running examples/fleet_report.lua"
lua5.4 examples/fleet_report.lua
echo
echo "Done; the simulator is stopped. To explore on your own, start build/cwa-sim --port 0,"
echo "set the variables shown in README.md (Examples) and try bin/cwa computers --limit 5,"
echo "bin/cwa shell, or the other scripts in examples/."
