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
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}" build
[ $# -gt 0 ] && shift
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 mariadb
[ -e "${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}" ] ||
  setup_fail "the Galera library is missing (install galera-4)"

make_tmp galera
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { sh "$root/scripts/galera.sh" stop "$tmp/cluster" 2>/dev/null; }

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
sh "$root/scripts/galera.sh" start "$tmp/cluster" "$base" || setup_fail "the cluster did not start"

GALERA_DIR="$tmp/cluster" GALERA_TMP="$tmp" WEAVE_ADMIN="$build/weave-admin" \
  WEAVE_COUNTS_FILE="$tmp/counts" timeout -k 10 600 python3 "$here/galera_suite.py" "$@"
suite_counts $?
finish
