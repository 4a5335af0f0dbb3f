#!/bin/sh
# MySQL back end tests against a real MariaDB on loopback.
# Usage: tests/mysql/run.sh [BUILD_DIR]   (default build/; it holds weave-server, weave-admin
#        and unit_tests)
#        MYSQL_FILTER="substring ..." runs only the checks whose name contains one of them.
#
# Starts a throwaway MariaDB (scripts/mariadb.sh) in a temporary folder, then
# tests/mysql/mysql_suite.py runs: the functional suite (tests/functional/runner.py) against
# weave-server on MariaDB, the PHP-schema drop-in checks, sharding, an outage test that
# kills and restarts MariaDB under load, a deadlock and a lock wait timeout provoked from a
# second connection (the write is run again and succeeds), a second MariaDB on a small
# file system that fills up (as root: it mounts an ext4 image), and unit_tests' storage
# contract suite with its MySQL cases pointed at this MariaDB (WEAVE_TEST_MYSQL_*). Everything stops by itself and
# the folder is removed. The last line is "N passed, N failed"; the exit status is non-zero
# on failure.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}" build
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 mariadb

make_tmp mysql
db_dir="$tmp/mariadb"
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { sh "$root/scripts/mariadb.sh" stop "$db_dir" 2>/dev/null; }

port=$(free_port)
sh "$root/scripts/mariadb.sh" start "$db_dir" "$port" weave weave weave-test-password ||
  setup_fail "MariaDB did not start"

# The suite is bounded in time: each check has its own deadlines, and this is the backstop.
# shellcheck disable=SC2086  # MYSQL_FILTER: several words
WEAVE_BUILD="$build" MYSQL_DIR="$db_dir" MYSQL_PORT="$port" MYSQL_PASSWORD=weave-test-password \
  WEAVE_COUNTS_FILE="$tmp/counts" MYSQL_TMP="$tmp" \
  timeout -k 10 1500 python3 "$here/mysql_suite.py" ${MYSQL_FILTER:-}
suite_counts $?
finish
