#!/bin/sh
# LDAP functional tests: a throwaway slapd (scripts/ldap-slapd.sh) and weave-server + nginx
# instances against it, on loopback, in a fresh temporary folder: the HTTP tests, then the
# account back-end contract suite of BUILD_DIR/unit_tests with its LDAP makers on that slapd,
# then the storage suite of tests/functional with LDAP authentication.
# Usage: tests/ldap/run.sh [BUILD_DIR] [FILTER ...]   (BUILD_DIR holds weave-server,
#        unit_tests and their objects; default build). The last line printed is
#        "N passed, N failed"; the contract suite counts one per test case.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}" build
[ $# -gt 0 ] && shift
need_built "$build/weave-server"
need_tools slapd slapadd slappasswd ldapsearch ldapwhoami openssl nginx python3 g++

make_tmp ldap
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { sh "$root/scripts/ldap-slapd.sh" stop "$tmp/slapd" 2>/dev/null; }

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
  $objects -o "$tmp/ldap_probe" $libs || setup_fail "cannot build ldap_probe"

python3 "$here/test_ldap.py" "$build" "$tmp" "$tmp/ldap_probe" "$@"
suite_counts $?
finish
