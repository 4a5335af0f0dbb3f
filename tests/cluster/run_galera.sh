#!/bin/sh
# weave-server on a three-node MariaDB Galera cluster on loopback.
# Usage: tests/cluster/run_galera.sh [BUILD_DIR]   (default build/; it holds weave-server and
#        weave-admin). Arguments after it: substrings naming the checks to run.
#
# Starts the cluster (scripts/galera.sh) in a temporary folder, then
# tests/cluster/galera_suite.py runs two servers listing the nodes in different orders:
# registrations on one node and logins on another, a registration whose transaction fails
# certification (run again), a node cut off from the cluster (WSREP not ready: the next node
# serves, or a clean 503), and a node killed and restarted under load (no acknowledged
# account or record lost). Everything stops by itself and the folder is removed. The last
# line is "N passed, N failed"; the exit status is non-zero on failure.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) ||
  { echo "run_galera.sh: no such folder: ${1:-build}" >&2; echo "0 passed, 1 failed"; exit 1; }
[ $# -gt 0 ] && shift
for tool in "$build/weave-server" "$build/weave-admin"; do
  [ -x "$tool" ] || { echo "run_galera.sh: $tool is missing (build it first)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
for tool in nginx python3 mariadb; do
  command -v "$tool" >/dev/null 2>&1 ||
    { echo "run_galera.sh: $tool not found (scripts/install-deps.sh)" >&2; echo "0 passed, 1 failed"; exit 1; }
done
if [ ! -e "${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}" ]; then
  echo "run_galera.sh: the Galera library is missing (install galera-4)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-galera.XXXXXX")
chmod 0711 "$tmp"  # nginx workers may run as another user
cleanup() {
  sh "$root/scripts/galera.sh" stop "$tmp/cluster" 2>/dev/null
  if [ -z "${WEAVE_KEEP_TMP:-}" ]; then rm -rf "$tmp"; else echo "kept $tmp" >&2; fi
}
trap 'trap - EXIT; cleanup; exit 130' INT
trap 'trap - EXIT; cleanup; exit 143' TERM
trap cleanup EXIT

# Twelve consecutive free ports (three per node) above a random base.
base=$(python3 - <<'PY'
import random, socket
for _ in range(200):
    base = random.randrange(20000, 60000, 16)
    try:
        probes = []
        for port in range(base + 4, base + 16):
            probe = socket.socket()
            probe.bind(("127.0.0.1", port))
            probes.append(probe)
        print(base)
        break
    except OSError:
        pass
    finally:
        for probe in probes:
            probe.close()
PY
)
if ! sh "$root/scripts/galera.sh" start "$tmp/cluster" "$base"; then
  echo "0 passed, 1 failed"
  exit 1
fi

counts="$tmp/counts"
GALERA_DIR="$tmp/cluster" GALERA_TMP="$tmp" WEAVE_ADMIN="$build/weave-admin" \
  WEAVE_COUNTS_FILE="$counts" timeout -k 10 600 python3 "$here/galera_suite.py" "$@"
status=$?
passed=0 failed=0
if [ -s "$counts" ]; then read -r passed failed < "$counts"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "run_galera.sh: the suite exited with status $status" >&2
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
