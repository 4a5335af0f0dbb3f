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
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) ||
  { echo "run.sh: no such folder: ${1:-build}" >&2; echo "0 passed, 1 failed"; exit 1; }
for tool in "$build/weave-server" "$build/weave-admin"; do
  [ -x "$tool" ] || { echo "run.sh: $tool is missing (build it first)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
for tool in nginx python3 mariadb; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "run.sh: $tool not found (scripts/install-deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-mysql.XXXXXX")
chmod 0711 "$tmp"  # nginx workers may run as another user
db_dir="$tmp/mariadb"
cleanup() {
  sh "$root/scripts/mariadb.sh" stop "$db_dir" 2>/dev/null
  if [ -z "${WEAVE_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap 'trap - EXIT; cleanup; exit 130' INT
trap 'trap - EXIT; cleanup; exit 143' TERM
trap cleanup EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
if ! sh "$root/scripts/mariadb.sh" start "$db_dir" "$port" weave weave weave-test-password; then
  echo "0 passed, 1 failed"
  exit 1
fi

# The suite is bounded in time: each check has its own deadlines, and this is the backstop.
counts="$tmp/counts"
WEAVE_BUILD="$build" MYSQL_DIR="$db_dir" MYSQL_PORT="$port" MYSQL_PASSWORD=weave-test-password \
  WEAVE_COUNTS_FILE="$counts" MYSQL_TMP="$tmp" \
  timeout -k 10 1500 python3 "$here/mysql_suite.py" ${MYSQL_FILTER:-}
status=$?
passed=0 failed=0
if [ -s "$counts" ]; then read -r passed failed < "$counts"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run.sh: the suite exited with status $status" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
