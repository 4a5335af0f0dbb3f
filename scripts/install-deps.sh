#!/bin/sh
# The Debian 12 packages that building, running and testing need, in three steps:
#   build  compiler and libraries (libldap-dev only with WITH_LDAP=1, libmysqlcppconn-dev
#          only with WITH_MYSQL=1, libmemcached-dev and libhiredis-dev only with
#          WITH_CACHE=1, libsystemd-dev only with WITH_SYSTEMD=1; all default to 1, as in
#          the Makefile)
#   run    build + nginx (make run); DB=mysql adds MariaDB, AUTH=ldap slapd
#   test   build + every program the tests and harnesses call (make check)
# Usage: install-deps.sh [build|run|test] [--list]
# As root it installs what is missing; otherwise it prints the apt-get line to run and
# exits 1. --list prints the step's packages, one a line, and installs nothing
# (scripts/check-test-deps.py compares that list with what the tests call).
set -e
step=build list=0
for arg in "$@"; do
  case $arg in
    build | run | test) step=$arg ;;
    --list) list=1 ;;
    *) echo "usage: $0 [build|run|test] [--list]" >&2; exit 2 ;;
  esac
done

BUILD_PACKAGES="g++ make pkg-config libfcgi-dev libyaml-cpp-dev libboost-test-dev rapidjson-dev
libsqlite3-dev libssl-dev libcrypt-dev libcurl4-openssl-dev libctemplate-dev scdoc python3"
[ "${WITH_LDAP:-1}" = 1 ] && BUILD_PACKAGES="$BUILD_PACKAGES libldap-dev"
[ "${WITH_MYSQL:-1}" = 1 ] && BUILD_PACKAGES="$BUILD_PACKAGES libmysqlcppconn-dev"
[ "${WITH_CACHE:-1}" = 1 ] && BUILD_PACKAGES="$BUILD_PACKAGES libmemcached-dev libhiredis-dev"
[ "${WITH_SYSTEMD:-1}" = 1 ] && BUILD_PACKAGES="$BUILD_PACKAGES libsystemd-dev"

MARIADB_PACKAGES="mariadb-server mariadb-client"
LDAP_PACKAGES="slapd ldap-utils openssl"
RUN_PACKAGES="nginx-light"
[ "${DB:-sqlite}" = mysql ] && RUN_PACKAGES="$RUN_PACKAGES $MARIADB_PACKAGES"
[ "${AUTH:-sql}" = ldap ] && RUN_PACKAGES="$RUN_PACKAGES $LDAP_PACKAGES"

# What tests/, bench/test_broken.sh and the checks of .ci/run call (see
# scripts/check-test-deps.py): web servers, databases, directory, browser, fuzzing and
# style tools. systemd provides systemd-socket-activate (the socket activation test); the
# durability test traces syncs (strace) and makes small file systems (e2fsprogs, mount);
# the package test builds and checks the .deb (dpkg-dev, debhelper, lintian); the fault
# tests move a running server's clock (libfaketime). The Galera suite runs a cluster
# (galera-4; a rejoining node's transfer script needs socat and mariadb-backup). CI compiles
# through ccache, so that its second build (without MySQL and LDAP) reuses the first's objects.
# The metrics test parses /__metrics__ with the Prometheus client's own parser
# (python3-prometheus-client). tests/ops runs the README's backups with the sqlite3 shell.
# The benchmark's history names the commit (git).
TEST_PACKAGES="nginx-light apache2 libapache2-mod-fcgid $MARIADB_PACKAGES $LDAP_PACKAGES
chromium python3 curl wrk clang libclang-rt-14-dev clang-format clang-tidy systemd
strace e2fsprogs mount groff-base dpkg-dev debhelper lintian libfaketime galera-4 socat
mariadb-backup memcached redis-server ccache
python3-prometheus-client sqlite3 git"
# The browser test runs playwright-core on Node.js; use the machine's node if it has one.
node_packages="nodejs npm"

case $step in
  build) PACKAGES=$BUILD_PACKAGES ;;
  run) PACKAGES="$BUILD_PACKAGES $RUN_PACKAGES" ;;
  test) PACKAGES="$BUILD_PACKAGES $TEST_PACKAGES $node_packages" ;;
esac

if [ "$list" = 1 ]; then
  # shellcheck disable=SC2086
  printf '%s\n' $PACKAGES
  exit 0
fi
if [ "$step" = test ] && command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
  PACKAGES="$BUILD_PACKAGES $TEST_PACKAGES"
fi

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages ($step step). Please run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
echo "install-deps.sh ($step):$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
