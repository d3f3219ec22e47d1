#!/bin/sh
# Builds the libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined)
# into build/fuzz/ and runs each for FUZZ_SECONDS seconds (default 60),
# starting from the committed seeds in fuzz/corpus/<target>/.
#   sh fuzz/run.sh                  every target
#   sh fuzz/run.sh fuzz_url         one target
#   sh fuzz/run.sh fuzz_url CRASH   replay one input (a finding) and stop
# New inputs go to build/fuzz/corpus/<target>/, never into the committed
# seeds; a finding is written to build/fuzz/artifacts/ and the script exits 1.
# Once fixed, copy the finding into fuzz/corpus/<target>/: every run replays
# the committed corpus first, so it stays a regression test.
set -eu
cd "$(dirname "$0")/.."

SECONDS_EACH=${FUZZ_SECONDS:-60}
OUT=${FUZZ_BUILD:-build/fuzz}
TARGETS="fuzz_cond fuzz_headers fuzz_response fuzz_url"

pick_cc() {
  for c in ${FUZZ_CC:-} clang-14 clang; do
    if command -v "$c" >/dev/null 2>&1; then echo "$c"; return 0; fi
  done
  return 1
}

# libFuzzer's runtime lives in libclang-rt-14-dev on Debian 12.
have_runtime() {
  c=$1
  cat >"$OUT/probe.c" <<'END'
int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n);
int LLVMFuzzerTestOneInput(const unsigned char *d, unsigned long n) { (void)d; (void)n; return 0; }
END
  "$c" -fsanitize=fuzzer -o "$OUT/probe" "$OUT/probe.c" >/dev/null 2>&1
}

mkdir -p "$OUT"
CC=$(pick_cc || true)
if [ -z "$CC" ] || ! have_runtime "$CC"; then
  echo "fuzz: installing clang and libclang-rt-14-dev"
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq clang-14 libclang-rt-14-dev >/dev/null
  CC=$(pick_cc)
  have_runtime "$CC" || { echo "fuzz: $CC cannot link -fsanitize=fuzzer" >&2; exit 2; }
fi

CFLAGS="-std=c11 -D_POSIX_C_SOURCE=200809L -D_DEFAULT_SOURCE -g -O1 -Wall -Wextra -Werror
  -Wshadow -Wstrict-prototypes -Wmissing-prototypes
  -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  -Isrc/core $(pkg-config --cflags libcjson)"

sources() {
  case $1 in
    fuzz_cond) echo "$(ls src/core/cwa_cond*.c) src/core/cwa_buf.c" ;;
    fuzz_headers) echo "src/core/cwa_hdr.c src/core/cwa_retry.c src/core/cwa_time.c" ;;
    fuzz_url) echo "src/core/cwa_url.c src/core/cwa_buf.c" ;;
    # the whole core: the response path reaches the engine, auth and the pager
    fuzz_response) ls src/core/*.c ;;
    *) echo "fuzz: unknown target $1 (one of: $TARGETS)" >&2; exit 2 ;;
  esac
}

build() {
  t=$1
  libs="$(pkg-config --libs libcjson) -lm"
  [ "$t" = fuzz_response ] && libs="$libs $(pkg-config --libs libcurl libcrypto) -lpthread"
  # shellcheck disable=SC2046,SC2086
  "$CC" $CFLAGS -o "$OUT/$t" "fuzz/$t.c" $(sources "$t") $libs
}

if [ $# -ge 1 ]; then
  TARGETS=$1
fi
for t in $TARGETS; do
  build "$t"
done

if [ $# -ge 2 ]; then
  exec "$OUT/$1" "$2"
fi

export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
status=0
ok=0
found=0
for t in $TARGETS; do
  mkdir -p "$OUT/corpus/$t" "$OUT/artifacts"
  dict=
  [ -f "fuzz/$t.dict" ] && dict="-dict=fuzz/$t.dict"
  echo "fuzz: $t for ${SECONDS_EACH}s"
  # shellcheck disable=SC2086
  if ! "$OUT/$t" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
      -max_len=4096 -print_final_stats=1 $dict \
      -artifact_prefix="$OUT/artifacts/$t-" "$OUT/corpus/$t" "fuzz/corpus/$t" \
      >"$OUT/$t.log" 2>&1; then
    echo "fuzz: $t FOUND A PROBLEM (log: $OUT/$t.log, input: $OUT/artifacts/$t-*)"
    grep -E 'ERROR|broken rule|SUMMARY|Test unit written' "$OUT/$t.log" | head -n 20
    status=1
    found=$((found + 1))
  else
    ok=$((ok + 1))
    grep -E '^stat::number_of_executed_units|^stat::new_units_added' "$OUT/$t.log" |
      tr '\n' ' ' | sed "s/^/fuzz: $t ok: /"
    echo
  fi
done
echo "$ok passed, $found failed"
exit $status
