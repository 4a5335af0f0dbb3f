#!/bin/sh
# weave-admin export and import between back ends, through real servers behind nginx.
# Usage: tests/migrate/run.sh [BUILD_DIR]   (default build/; it holds weave-server and
#        weave-admin)
# Starts a throwaway MariaDB (scripts/mariadb.sh) in a temporary folder, then
# tests/migrate/migrate_suite.py fills a SQLite server through the Storage API, exports it,
# imports it into a MariaDB server and back into SQLite, compares them record by record and
# through info/collections, kills an import midway and runs it again. The last line is
# "N passed, N failed"; the folder is removed at the end.
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

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-migrate.XXXXXX")
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

counts="$tmp/counts"
WEAVE_ADMIN="$build/weave-admin" MYSQL_DIR="$db_dir" MYSQL_PORT="$port" \
  MYSQL_PASSWORD=weave-test-password WEAVE_COUNTS_FILE="$counts" MIGRATE_TMP="$tmp" \
  timeout -k 10 900 python3 "$here/migrate_suite.py"
status=$?
passed=0 failed=0
if [ -s "$counts" ]; then read -r passed failed < "$counts"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run.sh: the suite exited with status $status" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
