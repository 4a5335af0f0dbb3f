#!/bin/sh
# make run AUTH=ldap: a throwaway slapd in DATA/ldap holding the sample directory
# (ldap/sample-directory.ldif) in Mozilla's layout, and the server in mozilla mode against
# it, through scripts/run.sh. The directory is kept between runs; remove DATA/ldap to start
# over. slapd listens on 127.0.0.1:LDAP_PORT (default 13389, StartTLS with a test CA) and
# stops with the server.
# Usage: ldap-run.sh DATA PORT [CONFIG] [DB]
set -eu
data=$1 port=$2 config=${3:-} db=${4:-sqlite}
root=$(cd "$(dirname "$0")/.." && pwd)
ldap_port=${LDAP_PORT:-13389}

if [ -z "$config" ] && [ "$db" != sqlite ]; then
  echo "ldap-run.sh: AUTH=ldap writes a configuration for DB=sqlite; pass CONFIG=file for DB=$db" >&2
  exit 2
fi
mkdir -p "$data/ldap"
data=$(cd "$data" && pwd)
dir="$data/ldap"
if [ ! -d "$dir/slapd.d" ]; then
  sh "$root/scripts/ldap-slapd.sh" init "$dir" "$root/ldap/sample-directory.ldif"
fi
sh "$root/scripts/ldap-slapd.sh" start "$dir" "$ldap_port"
trap 'sh "$root/scripts/ldap-slapd.sh" stop "$dir"' EXIT
trap 'exit 0' INT TERM

if [ -z "$config" ]; then
  config="$data/weave-ldap.yaml"
  cat > "$config" <<YAML
# Written by make run AUTH=ldap; pass CONFIG=file to use your own.
server:
  listen: "unix:$data/weave.sock"
  socket_mode: "0666"
  workers: 4
  public_url: "http://127.0.0.1:$port/"
database:
  sqlite:
    path: "$data/weave-ldap.db"
registration:
  policy: open
auth:
  backend: ldap
  ldap:
    urls: [ "ldap://127.0.0.1:$ldap_port" ]
    ca_file: "$dir/tls/ca.pem"
    base_dn: "ou=users,dc=example,dc=org"
    user_filter: "(&(objectClass=dataStore)(uid={user}))"
    bind_dn: "cn=sync-reader,ou=services,dc=example,dc=org"
    bind_password: reader-password
    mode: mozilla
    admin_dn: "cn=sync-admin,ou=services,dc=example,dc=org"
    admin_password: admin-password
YAML
fi

echo "Directory: ldap://127.0.0.1:$ldap_port (StartTLS, CA $dir/tls/ca.pem), base dc=example,dc=org;"
echo "  users alice, bob, dave (password <name>-password), eve (disabled); root DN"
echo "  cn=admin,dc=example,dc=org / root-password. New accounts: Firefox's sign-up or"
echo "  curl -X PUT -d '{\"password\":\"...\",\"email\":\"...\"}' http://127.0.0.1:$port/user/1.0/NAME"
sh "$root/scripts/run.sh" "$data" "$port" "$config" "$db" sql
