#!/bin/sh
# LDAP functional tests: a throwaway slapd (scripts/ldap-slapd.sh) and weave-server + nginx
# instances against it, on loopback, in a fresh temporary folder: the HTTP tests, then the
# account back-end contract suite of BUILD_DIR/unit_tests with its LDAP makers on that slapd,
# then the storage suite of tests/functional with LDAP authentication.
# Usage: tests/ldap/run.sh [BUILD_DIR] [FILTER ...]   (BUILD_DIR holds weave-server,
#        unit_tests and their objects; default build). The last line printed is
#        "N passed, N failed"; the contract suite counts one per test case.
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) ||
  { echo "run.sh: no such folder: ${1:-build}" >&2; echo "0 passed, 1 failed"; exit 1; }
[ $# -gt 0 ] && shift

fail_setup() {
  echo "run.sh: $1" >&2
  echo "0 passed, 1 failed"
  exit 1
}
[ -x "$build/weave-server" ] || fail_setup "$build/weave-server is missing (build it first)"
for tool in slapd slapadd slappasswd ldapsearch ldapwhoami openssl nginx python3 g++; do
  command -v "$tool" >/dev/null 2>&1 || [ -x "/usr/sbin/$tool" ] ||
    fail_setup "$tool not found (scripts/install-deps.sh lists the packages)"
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-ldap.XXXXXX")
chmod 0711 "$tmp"
cleanup() {
  sh "$root/scripts/ldap-slapd.sh" stop "$tmp/slapd" 2>/dev/null
  rm -rf "$tmp"
}
trap 'trap - EXIT; cleanup; exit 130' INT
trap 'trap - EXIT; cleanup; exit 143' TERM
trap cleanup EXIT

# ldap_probe calls the authenticator directly; link it with the server's own objects.
libs=$(printf 'print-libs:\n\t@echo $(LIBS)\n' | make -s --no-print-directory -C "$root" \
  -f Makefile -f - BUILD="$build" print-libs 2>/dev/null)
[ -n "$libs" ] || libs="-lfcgi++ -lfcgi -lyaml-cpp -lsqlite3 -lcurl -lssl -lcrypto -lcrypt -lldap -llber"
objects=$(find "$build/obj/src" -name '*.o' ! -name main.o ! -name admin_main.o | sort)
sanitize=""
case "$build" in */asan) sanitize="-fsanitize=address,undefined" ;; esac
gen=$(find "$build" -maxdepth 2 -type d -name gen | head -n 1)
# shellcheck disable=SC2086
g++ -std=c++20 -O1 -g $sanitize -I"$root/src" -I"${gen:-$build/gen}" "$here/ldap_probe.cpp" \
  $objects -o "$tmp/ldap_probe" $libs || fail_setup "cannot build ldap_probe"

python3 "$here/test_ldap.py" "$build" "$tmp" "$tmp/ldap_probe" "$@"
status=$?
passed=0 failed=1
if [ -s "$tmp/counts" ]; then
  read -r passed failed < "$tmp/counts"
fi
[ "$status" -ne 0 ] && [ "$failed" -eq 0 ] && failed=1
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
