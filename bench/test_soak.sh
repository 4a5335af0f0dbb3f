#!/bin/sh
# make check's short fault campaign: bench/soak.py for 60 s on SQLite (SOAK_S to change),
# on a small data set, with a fault every 5 s; SOAK_AUTH=ldap: the accounts in a throwaway
# slapd that is paused and restarted among the faults (make check runs that one for 25 s,
# with a fault every 4 s). Three checks from its last line
# "soak: A acknowledged, L lost, F faults, E unexpected errors": records were checked and
# faults injected, nothing acknowledged was lost, and no error was unexpected. Ends with
# "N passed, N failed", like the suites of tests/run_all.sh.
# Usage: sh bench/test_soak.sh [BUILD_DIR]   (server binaries; default $BUILD or build)
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
auth=${SOAK_AUTH:-sql}
[ "$auth" = sql ] || need_tools slapd slapadd slappasswd ldapsearch openssl
make_tmp soak-check

set +e
BUILD="$build" BENCH_TOOLS="$tools" DB=sqlite SOAK_AUTH="$auth" SOAK_S="${SOAK_S:-60}" \
  SOAK_USERS=16 SOAK_RECORDS=500 SOAK_CONNECTIONS=8 SOAK_FAULT_EVERY="${SOAK_FAULT_EVERY:-5}" \
  SOAK_DISK_MB=1024 \
  SOAK_MAX_REQUESTS=3000 timeout 900 python3 "$root/bench/soak.py" > "$tmp/soak.log" 2>&1
status=$?
set -e
grep -vE '^load: ' "$tmp/soak.log" | tail -n 40
last=$(tail -n 1 "$tmp/soak.log")
set -- $(echo "$last" | sed -n 's/^soak: \([0-9]*\) acknowledged, \([0-9]*\) lost, \([0-9]*\) faults, \([0-9]*\) unexpected errors$/\1 \2 \3 \4/p')
if [ $# -ne 4 ]; then
  fail "the soak ended without its result line (status $status)"
  tail -n 30 "$tmp/soak.log"
  finish
fi
check "records were checked ($1) and faults injected ($3)" test "$1" -gt 0 -a "$3" -gt 0
check "no acknowledged write lost ($2)" test "$2" -eq 0
check "no unexpected error ($4), exit status $status" test "$4" -eq 0 -a "$status" -eq 0
if [ "$auth" = ldap ]; then
  check "the directory was paused under load" grep -q ' s  directory paused ' "$tmp/soak.log"
fi
finish
