#!/bin/sh
# weave-server in Mozilla mode on an OpenLDAP provider and its syncrepl consumer, on loopback.
# Usage: tests/cluster/run_syncrepl.sh [BUILD_DIR]   (default build/; it holds weave-server and
#        weave-admin). Arguments after it: substrings naming the checks to run.
#
# tests/cluster/syncrepl_suite.py builds both directories (scripts/ldap-syncrepl.sh) in a
# temporary folder and runs a server that reads logins from the consumer and writes to the
# provider: a registration and a password change used at once while replication lags, and the
# provider killed (logins go on, writes answer 503 with Retry-After, then succeed once it is
# back). Everything stops by itself and the folder is removed. The last line is
# "N passed, N failed"; the exit status is non-zero on failure.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}" build
[ $# -gt 0 ] && shift
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 ldapsearch slapadd slapcat

make_tmp syncrepl
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { sh "$root/scripts/ldap-syncrepl.sh" stop "$tmp/ldap" 2>/dev/null; }

SYNCREPL_DIR="$tmp/ldap" SYNCREPL_TMP="$tmp" WEAVE_ADMIN="$build/weave-admin" \
  WEAVE_COUNTS_FILE="$tmp/counts" timeout -k 10 300 python3 "$here/syncrepl_suite.py" "$@"
suite_counts $?
finish
