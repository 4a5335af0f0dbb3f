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
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) ||
  { echo "run_syncrepl.sh: no such folder: ${1:-build}" >&2; echo "0 passed, 1 failed"; exit 1; }
[ $# -gt 0 ] && shift
for tool in "$build/weave-server" "$build/weave-admin"; do
  [ -x "$tool" ] || { echo "run_syncrepl.sh: $tool is missing (build it first)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
for tool in nginx python3 ldapsearch slapadd slapcat; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    { echo "run_syncrepl.sh: $tool not found (scripts/install-deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-syncrepl.XXXXXX")
chmod 0711 "$tmp"  # nginx workers may run as another user
cleanup() {
  sh "$root/scripts/ldap-syncrepl.sh" stop "$tmp/ldap" 2>/dev/null
  if [ -z "${WEAVE_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap 'trap - EXIT; cleanup; exit 130' INT
trap 'trap - EXIT; cleanup; exit 143' TERM
trap cleanup EXIT

counts="$tmp/counts"
SYNCREPL_DIR="$tmp/ldap" SYNCREPL_TMP="$tmp" WEAVE_ADMIN="$build/weave-admin" \
  WEAVE_COUNTS_FILE="$counts" timeout -k 10 300 python3 "$here/syncrepl_suite.py" "$@"
status=$?
passed=0 failed=0
if [ -s "$counts" ]; then read -r passed failed < "$counts"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run_syncrepl.sh: the suite exited with status $status" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
