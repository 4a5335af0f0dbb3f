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
# shellcheck source=soak_check.sh
. "$(dirname "$0")/soak_check.sh"
soak_setup "${1:-}" move-check

soak_run "$tmp/move.log" \
  's/^move: \([0-9]*\) acknowledged, \([0-9]*\) moved users (\([0-9]*\) moves, \([0-9]*\) evacuations), \([0-9]*\) lost, \([0-9]*\) unexpected errors$/\1 \2 \3 \4 \5 \6/p' \
  env BUILD="$build" BENCH_TOOLS="$tools" SOAK_S="${SOAK_S:-12}" SOAK_USERS=8 SOAK_RECORDS=300 \
  SOAK_CONNECTIONS=4 SOAK_WORKERS=2 MOVE_EVERY=1 MOVE_EVACUATE_EVERY=2 \
  timeout 600 python3 "$root/bench/move_soak.py"
# shellcheck disable=SC2086  # split on purpose: the six numbers
set -- $numbers
check "records were checked ($1), users moved ($2 in $3 moves) and a node evacuated ($4)" \
  test "$1" -gt 0 -a "$2" -gt 0 -a "$4" -gt 0
check "no acknowledged write lost ($5)" test "$5" -eq 0
check "no unexpected error ($6), exit status $status" test "$6" -eq 0 -a "$status" -eq 0
finish
