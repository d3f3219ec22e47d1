#!/bin/sh
# Peer: the curl CLI in a shell loop with jq, as a shell user writes it: log
# in once, one curl process per page until a short page, `--retry 5` (which
# waits on 429 and 5xx and honours Retry-After).
#   sh bench/peers/curl.sh URL PAGE_SIZE
# Prints "count N unique N sum S", then "listing SECONDS" (the loop after the
# login, the span cwa.lua reports). Env: BENCH_CONDITION, BENCH_CA, BENCH_FIELDS
# (sent as includeFields on every page request when set, e.g. Id).
set -eu
base="$1/cwa/api/v1"
page_size="${2:-1000}"
condition="${BENCH_CONDITION:-Id > 0}"
ca=""
fields=""
[ -n "${BENCH_FIELDS:-}" ] && fields="includeFields=$BENCH_FIELDS"
[ -n "${BENCH_CA:-}" ] && ca="--cacert $BENCH_CA"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2086
token=$(curl -sS --fail --retry 5 $ca -H 'ClientId: bench' -H 'Content-Type: application/json' \
  -d '{"UserName":"integrator","Password":"integrator-pass"}' "$base/apitoken" | jq -r .AccessToken)

t0=$(date +%s.%N)
page=1
: > "$tmp/ids"
while :; do
  # shellcheck disable=SC2086
  curl -sS --fail --retry 5 $ca -G -H 'ClientId: bench' -H "Authorization: Bearer $token" \
    --data-urlencode "condition=$condition" -d "page=$page" -d "pageSize=$page_size" \
    ${fields:+--data-urlencode "$fields"} \
    "$base/Computers" > "$tmp/page"
  jq -r '.[].Id' "$tmp/page" > "$tmp/page_ids"
  cat "$tmp/page_ids" >> "$tmp/ids"
  n=$(wc -l < "$tmp/page_ids")
  [ "$n" -lt "$page_size" ] && break
  page=$((page + 1))
done
t1=$(date +%s.%N)
count=$(wc -l < "$tmp/ids")
unique=$(sort -un "$tmp/ids" | wc -l)
sum=$(awk '{ s += $1 } END { printf "%.0f", s }' "$tmp/ids")
echo "count $count unique $unique sum $sum"
echo "listing $(echo "$t0 $t1" | awk '{ printf "%.4f", $2 - $1 }')"
