#!/bin/sh
# make check's short run of bench/move_soak.py: live moves between two storage nodes under
# the benchmark's verified load, for 12 s of mix (SOAK_S to change) on a small data set, a
# move every second or so and every second action an evacuation. Checks from its last line
# "move: A acknowledged, U moved users (M moves, V evacuations), L lost, E unexpected errors":
# records were checked and users moved (by both commands), nothing acknowledged was lost,
# and no answer or log line was unexpected. Ends with "N passed, N failed".
# Usage: sh bench/test_move_soak.sh [BUILD_DIR]   (server binaries; default $BUILD or build)
#        BENCH_TOOLS=DIR: weave-load (default BUILD_DIR/bench, else build/bench)
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../tests/lib/harness.sh
. "$(dirname "$0")/../tests/lib/harness.sh"
resolve_build "${1:-}" "${BUILD:-build}"
tools=${BENCH_TOOLS:-$build/bench}
[ -x "$tools/weave-load" ] || tools="$root/build/bench"
case $tools in /*) ;; *) tools="$root/$tools" ;; esac
need_built "$build/weave-server" "$build/weave-admin" "$tools/weave-load"
need_tools nginx python3
make_tmp move-check

set +e
BUILD="$build" BENCH_TOOLS="$tools" SOAK_S="${SOAK_S:-12}" SOAK_USERS=8 SOAK_RECORDS=300 \
  SOAK_CONNECTIONS=4 SOAK_WORKERS=2 MOVE_EVERY=1 MOVE_EVACUATE_EVERY=2 \
  timeout 600 python3 "$root/bench/move_soak.py" > "$tmp/move.log" 2>&1
status=$?
set -e
grep -vE '^load: ' "$tmp/move.log" | tail -n 40
last=$(tail -n 1 "$tmp/move.log")
# shellcheck disable=SC2046  # split on purpose: the six numbers
set -- $(echo "$last" | sed -n 's/^move: \([0-9]*\) acknowledged, \([0-9]*\) moved users (\([0-9]*\) moves, \([0-9]*\) evacuations), \([0-9]*\) lost, \([0-9]*\) unexpected errors$/\1 \2 \3 \4 \5 \6/p')
if [ $# -ne 6 ]; then
  fail "the move soak ended without its result line (status $status)"
  tail -n 30 "$tmp/move.log"
  finish
fi
check "records were checked ($1), users moved ($2 in $3 moves) and a node evacuated ($4)" \
  test "$1" -gt 0 -a "$2" -gt 0 -a "$4" -gt 0
check "no acknowledged write lost ($5)" test "$5" -eq 0
check "no unexpected error ($6), exit status $status" test "$6" -eq 0 -a "$status" -eq 0
finish
