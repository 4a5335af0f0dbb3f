# Sourced by bench/test_soak.sh and bench/test_move_soak.sh (make check's short soaks): the
# test harness, the binaries they need, and running a soak down to its result line.
# shellcheck shell=sh source-path=SCRIPTDIR
# shellcheck source=../tests/lib/harness.sh
. "$(dirname "$0")/../tests/lib/harness.sh"

# soak_setup BUILD_ARG TMP_NAME: $build (the server binaries: BUILD_ARG, else $BUILD, else
# build), $tools (weave-load's folder: BENCH_TOOLS, else $build/bench, else build/bench),
# both checked, nginx and python3 checked, and a temporary folder $tmp.
soak_setup() {
  resolve_build "$1" "${BUILD:-build}"
  tools=${BENCH_TOOLS:-$build/bench}
  [ -x "$tools/weave-load" ] || tools="$root/build/bench"
  case $tools in /*) ;; *) tools="$root/$tools" ;; esac
  need_built "$build/weave-server" "$build/weave-admin" "$tools/weave-load"
  need_tools nginx python3
  make_tmp "$2"
}

# soak_run LOG SED_SCRIPT COMMAND...: runs COMMAND with its output in LOG and its exit status
# in $status, shows that output without the load's own lines, and sets $numbers to what
# SED_SCRIPT (sed -n) prints for the last line: the result line's numbers. When it prints
# nothing, the soak ended without its result line: one failure, and the suite finishes.
soak_run() {
  soak_log=$1 soak_sed=$2
  shift 2
  set +e
  "$@" > "$soak_log" 2>&1
  status=$?
  set -e
  grep -vE '^load: ' "$soak_log" | tail -n 40
  numbers=$(tail -n 1 "$soak_log" | sed -n "$soak_sed")
  if [ -z "$numbers" ]; then
    fail "the soak ended without its result line (status $status, $(basename "$soak_log"))"
    tail -n 30 "$soak_log"
    finish
  fi
}
