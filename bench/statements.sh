#!/bin/sh
# make bench-statements: how many SQL statements each request type of the benchmark's mix
# costs, counted by the database itself (SQLite's statement trace; with DB=mysql, the
# Questions counter of a throwaway MariaDB started here), with the mix's weighted
# average. It runs the unit binary's statement_counts suite, which also pins the counts
# (so a change that adds a round trip fails `make check` and tests/mysql/run.sh).
#
# Environment: DB=sqlite|mysql, UNIT_TESTS=path of the sanitizer build's unit_tests.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
unit_tests=${UNIT_TESTS:-$root/build/asan/unit_tests}
db=${DB:-sqlite}
[ -x "$unit_tests" ] || { echo "bench-statements: $unit_tests is missing" >&2; exit 2; }

# The table is the suite's indented lines, under its heading.
show() {
  status=0
  "$@" --log_level=error > "$tmp/out" 2>&1 || status=$?
  grep -E '^(statements per request|rows per request|  )' "$tmp/out" || true
  if [ "$status" -ne 0 ]; then
    echo "bench-statements: the counts differ from the pinned ones:" >&2
    grep -E 'error' "$tmp/out" >&2 || cat "$tmp/out" >&2
  fi
  return "$status"
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-statements.XXXXXX")
mariadb_dir=""
cleanup() {
  [ -z "$mariadb_dir" ] || sh "$root/scripts/mariadb.sh" stop "$mariadb_dir" || true
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

case $db in
  sqlite)
    show "$unit_tests" --run_test=statement_counts/sqlite_statements_per_request_type
    ;;
  mysql)
    mariadb_dir="$tmp/mariadb"
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    password=$(sh "$root/scripts/mariadb.sh" password "$mariadb_dir")
    sh "$root/scripts/mariadb.sh" start "$mariadb_dir" "$port" weave_statements weave "$password" \
      > "$tmp/mariadb.log" 2>&1 || { cat "$tmp/mariadb.log" >&2; exit 2; }
    WEAVE_TEST_MYSQL_HOST=127.0.0.1 WEAVE_TEST_MYSQL_PORT=$port WEAVE_TEST_MYSQL_USER=weave \
      WEAVE_TEST_MYSQL_PASSWORD=$password WEAVE_TEST_MYSQL_DATABASE=weave_statements \
      show "$unit_tests" --run_test=statement_counts/mysql_statements_per_request_type
    ;;
  *) echo "bench-statements: DB=$db: expected sqlite or mysql" >&2; exit 2 ;;
esac
