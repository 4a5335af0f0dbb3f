#!/bin/sh
# The README's operator procedures, run as written: backup and restore (SQLite, MariaDB),
# upgrade from the first schema, TLS with a private CA (nginx, Apache).
# Usage: tests/ops/run.sh BUILD_DIR [CHECK...]   (BUILD_DIR holds weave-server, weave-admin)
#
# tests/ops/ops_suite.py reads each procedure from README.md (the blocks marked
# "tested: NAME", see doc_steps.py) and runs it with the machine's paths moved into a
# temporary folder and tests/ops/shims standing for systemctl, apt-get and runuser, against
# weave-server behind nginx (tests/functional/weave_instance.py). With WITH_MYSQL=1 (the
# default) a throwaway MariaDB (scripts/mariadb.sh) serves the MariaDB checks. The last line
# is "N passed, N failed"; non-zero exit on failure.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
[ $# -gt 0 ] && shift
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 sqlite3 openssl curl

make_tmp ops
db_dir=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { [ -n "$db_dir" ] && sh "$root/scripts/mariadb.sh" stop "$db_dir" 2> /dev/null; }

if [ "${WITH_MYSQL:-1}" = 1 ]; then
  need_tools mariadb mariadb-dump
  db_dir="$tmp/mariadb"
  db_port=$(free_port)
  sh "$root/scripts/mariadb.sh" start "$db_dir" "$db_port" weave weave weave-test-password \
    > "$tmp/mariadb.log" 2>&1 || { cat "$tmp/mariadb.log"; setup_fail "MariaDB did not start"; }
  export OPS_MYSQL_DIR="$db_dir" OPS_MYSQL_PORT="$db_port" OPS_MYSQL_PASSWORD=weave-test-password
fi

WEAVE_ADMIN="$build/weave-admin" OPS_TMP="$tmp" WEAVE_COUNTS_FILE="$tmp/counts" \
  timeout -k 10 600 python3 "$here/ops_suite.py" "$@"
suite_counts $?
finish
