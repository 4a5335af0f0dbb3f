#!/bin/sh
# make check's short fault campaign: bench/soak.py for 40 s on SQLite (SOAK_S to change),
# on a small data set, with a fault every 3 s (nearly as many faults as 60 s at one every 5 s
# gave, in less of CI's time); SOAK_AUTH=ldap: the accounts in a throwaway slapd that is
# paused and restarted among the faults (not in make check, for CI's time).
# Three checks from its last line
# "soak: A acknowledged, L lost, F faults, E unexpected errors": records were checked and
# faults injected, nothing acknowledged was lost, and no error was unexpected. Ends with
# "N passed, N failed", like the suites of tests/run_all.sh.
# Usage: sh bench/test_soak.sh [BUILD_DIR]   (server binaries; default $BUILD or build)
#        BENCH_TOOLS=DIR: weave-load (default BUILD_DIR/bench, else build/bench)
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=soak_check.sh
. "$(dirname "$0")/soak_check.sh"
soak_setup "${1:-}" soak-check
auth=${SOAK_AUTH:-sql}
[ "$auth" = sql ] || need_tools slapd slapadd slappasswd ldapsearch openssl

soak_run "$tmp/soak.log" \
  's/^soak: \([0-9]*\) acknowledged, \([0-9]*\) lost, \([0-9]*\) faults, \([0-9]*\) unexpected errors$/\1 \2 \3 \4/p' \
  env BUILD="$build" BENCH_TOOLS="$tools" DB=sqlite SOAK_AUTH="$auth" SOAK_S="${SOAK_S:-40}" \
  SOAK_USERS=16 SOAK_RECORDS=500 SOAK_CONNECTIONS=8 SOAK_FAULT_EVERY="${SOAK_FAULT_EVERY:-3}" \
  SOAK_DISK_MB=1024 SOAK_MAX_REQUESTS=3000 timeout 900 python3 "$root/bench/soak.py"
# shellcheck disable=SC2086  # split on purpose: the four numbers
set -- $numbers
check "records were checked ($1) and faults injected ($3)" test "$1" -gt 0 -a "$3" -gt 0
check "no acknowledged write lost ($2)" test "$2" -eq 0
check "no unexpected error ($4), exit status $status" test "$4" -eq 0 -a "$status" -eq 0
if [ "$auth" = ldap ]; then
  check "the directory was paused under load" grep -q ' s  directory paused ' "$tmp/soak.log"
fi
finish
