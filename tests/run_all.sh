#!/bin/sh
# make check: unit tests, fuzz-corpus replays and functional tests (sanitizer build),
# ending with one line "N passed, N failed" for all of them.
# WITH_LDAP=0 / WITH_MYSQL=0 (passed by the Makefile): the build has no LDAP back end / no
# MySQL driver, and their suites are skipped; WITH_CACHE=0: no cache clients, no cache suite;
# WITH_SYSTEMD=0: no libsystemd, only the JSON part of the systemd suite.
set -u
build=${ASAN_BUILD:-build/asan}
with_ldap=${WITH_LDAP:-1}
with_mysql=${WITH_MYSQL:-1}
with_cache=${WITH_CACHE:-1}
passed=0 failed=0
report=$(mktemp)
trap 'rm -f "$report"' EXIT

add() { passed=$((passed + $1)); failed=$((failed + $2)); }

echo "== unit tests"
unit_start=$(date +%s)
"$build/unit_tests" --report_format=XML --report_level=detailed --report_sink="$report" \
  --log_level=error
unit_status=$?
counts=$(python3 - "$report" <<'PY'
import sys, xml.etree.ElementTree as ET
try:
    root = ET.parse(sys.argv[1]).getroot()
    suite = root if root.tag == "TestSuite" else root.find("TestSuite")
    print(suite.get("test_cases_passed", "0"), int(suite.get("test_cases_failed", "0")) + int(suite.get("test_cases_aborted", "0")))
except Exception:
    print(0, 1)
PY
)
set -- $counts
if [ "$unit_status" -ne 0 ] && [ "$2" -eq 0 ]; then set -- "$1" 1; fi
echo "unit tests: $1 passed, $2 failed ($(($(date +%s) - unit_start)) s)"
add "$1" "$2"

echo "== fuzz corpus replay"
for replay in "$build"/fuzz_*_replay; do
  [ -x "$replay" ] || continue
  name=$(basename "$replay" _replay)
  if "$replay" "tests/fuzz/corpus/$name"; then add 1 0; else echo "FAILED: $name"; add 0 1; fi
done

# Suites that end with a line "N passed, N failed": name, then the command.
run_suite() {
  title=$1
  shift
  echo "== $title"
  suite_start=$(date +%s)
  suite_log=$(mktemp)
  "$@" 2>&1 | tee "$suite_log"
  last=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$suite_log" | tail -n 1)
  rm -f "$suite_log"
  echo "== $title: $(($(date +%s) - suite_start)) s"
  if [ -n "$last" ]; then
    set -- $last
    add "$1" "$3"
  else
    echo "$title produced no result line"
    add 0 1
  fi
}

run_suite "functional tests (nginx)" sh tests/functional/run.sh "$build"
run_suite "browser tests (headless chromium)" sh tests/browser/run.sh "$build"
run_suite "signals: reload and stop under load" sh tests/functional/test_signals.sh "$build"
run_suite "systemd socket activation" sh tests/functional/test_socket_activation.sh "$build"
# With WITH_SYSTEMD=0 only its JSON log lines part runs.
run_suite "systemd notification, journal fields, JSON log lines" \
  python3 tests/functional/test_systemd.py "$build"
run_suite "durability: sync bound, full disk, read-only, locked" \
  sh tests/functional/test_durability.sh "$build"
run_suite "user and storage servers behind one nginx" sh tests/functional/test_split.sh "$build"
run_suite "a registration server and two storage nodes behind nginx" sh tests/functional/test_nodes.sh "$build"
run_suite "make run NODES=2 (scripts/run-nodes.sh)" sh tests/functional/test_run_nodes.sh "$build"
run_suite "importers: foreign servers' databases through weave-admin import" \
  sh tests/functional/test_import_sources.sh "$build"
if [ "$with_cache" = 1 ]; then
  run_suite "shared cache (memcached, Redis)" python3 tests/functional/test_cache.py "$build"
  run_suite "tabs only in the cache" python3 tests/functional/test_tabs.py "$build"
else
  echo "== shared cache: skipped (built with WITH_CACHE=0)"
fi
run_suite "make install and uninstall (DESTDIR)" sh tests/functional/test_install.sh "$build"
run_suite "Debian package: build, lintian, install, sync, remove, purge" \
  sh tests/functional/test_package.sh "$build"
run_suite "the README's operator procedures: backup, restore, upgrade, TLS" \
  sh tests/ops/run.sh "$build"
run_suite "behind Apache (mod_fcgid, mod_proxy_fcgi)" sh tests/functional/run_apache.sh "$build"
if [ "$with_ldap" = 1 ]; then
  run_suite "LDAP authentication (slapd)" sh tests/ldap/run.sh "$build"
  run_suite "LDAP provider and syncrepl consumer" sh tests/cluster/run_syncrepl.sh "$build"
else
  echo "== LDAP authentication: skipped (built with WITH_LDAP=0)"
fi
if [ "$with_mysql" = 1 ]; then
  run_suite "MySQL storage (MariaDB)" sh tests/mysql/run.sh "$build"
  run_suite "three-node MariaDB Galera cluster" sh tests/cluster/run_galera.sh "$build"
  run_suite "two storage nodes on MariaDB: assignment, moves, evacuation" \
    env DB=mysql sh tests/functional/test_nodes.sh "$build"
  run_suite "export and import: SQLite, MariaDB and back" sh tests/migrate/run.sh "$build"
else
  echo "== MySQL storage: skipped (built with WITH_MYSQL=0)"
fi
run_suite "benchmark history and its report (fixtures)" python3 bench/test_report.py
run_suite "benchmark catches a server that drops writes" sh bench/test_broken.sh "$build"
run_suite "fault campaign under load (40 s soak, SQLite)" sh bench/test_soak.sh "$build"
# The soak over LDAP accounts (slapd paused and stopped) is make soak SOAK_AUTH=ldap, left
# out for CI's time; tests/ldap covers the directory paused and stopped under load within
# make check.
run_suite "live moves between two nodes under the verified load" sh bench/test_move_soak.sh "$build"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
