#!/bin/sh
# The one list of Debian 12 packages that building, running and testing need.
# Called by the Makefile when something is missing: as root it installs them,
# otherwise it prints the apt-get line for the operator to run.
set -e
PACKAGES="g++ make pkg-config libfcgi-dev libyaml-cpp-dev libboost-test-dev rapidjson-dev
libsqlite3-dev libssl-dev libcrypt-dev libcurl4-openssl-dev nginx-light python3 clang
libclang-rt-14-dev wrk libmysqlcppconn-dev mariadb-server mariadb-client chromium
libldap-dev slapd ldap-utils openssl"

# The browser test runs playwright-core on Node.js; use the machine's node if it has one.
command -v node >/dev/null 2>&1 || PACKAGES="$PACKAGES nodejs npm"

missing=""
for p in $PACKAGES; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
  echo "Missing Debian packages. Please run as root:" >&2
  echo "  apt-get install -y$missing" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq || true
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing
