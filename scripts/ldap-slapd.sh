#!/bin/sh
# A throwaway OpenLDAP server for make run AUTH=ldap and tests/ldap: its own folder, its own
# test CA, loopback only. Debian's slapd + ldap-utils + openssl.
#
#   ldap-slapd.sh init DIR [LDIF ...]        build DIR/slapd.d (core, cosine, nis,
#                                            inetorgperson and ldap/weave-schema.ldif), a
#                                            test CA and server certificate in DIR/tls, and
#                                            load the LDIF files (default: the sample)
#   ldap-slapd.sh start DIR PORT [TLS_PORT]  serve ldap://127.0.0.1:PORT (StartTLS) and
#                                            ldaps://127.0.0.1:TLS_PORT; returns once it answers
#   ldap-slapd.sh stop DIR                   stop the slapd started from DIR
#
# Suffix dc=example,dc=org; root DN cn=admin,dc=example,dc=org, password root-password.
# Access: the service account cn=sync-reader,ou=services reads ou=users, cn=sync-admin
# writes it; users read their own entry and the groups.
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
suffix="dc=example,dc=org"
slapd_bin=$(command -v slapd || echo /usr/sbin/slapd)
slapadd_bin=$(command -v slapadd || echo /usr/sbin/slapadd)
slappasswd_bin=$(command -v slappasswd || echo /usr/sbin/slappasswd)

usage() {
  sed -n '5,10p' "$0" >&2
  exit 2
}

make_tls() {
  tls=$1
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -keyout "$tls/ca.key" -out "$tls/ca.pem" \
    -subj "/CN=Weave test CA" -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -keyout "$tls/server.key" -out "$tls/server.csr" \
    -subj "/CN=localhost" 2>/dev/null
  printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "extendedKeyUsage=serverAuth" \
    "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" > "$tls/ext.cnf"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tls/ext.cnf" -out "$tls/server.pem" 2>/dev/null
  rm -f "$tls/server.csr" "$tls/ext.cnf" "$tls/ca.srl"
  chmod 0600 "$tls/ca.key" "$tls/server.key"
}

write_config() {
  dir=$1
  root_pw=$("$slappasswd_bin" -h '{SSHA}' -s root-password)
  reader="cn=sync-reader,ou=services,$suffix"
  admin="cn=sync-admin,ou=services,$suffix"
  cat <<LDIF
dn: cn=config
objectClass: olcGlobal
cn: config
olcArgsFile: $dir/slapd.args
olcTLSCACertificateFile: $dir/tls/ca.pem
olcTLSCertificateFile: $dir/tls/server.pem
olcTLSCertificateKeyFile: $dir/tls/server.key

dn: cn=module{0},cn=config
objectClass: olcModuleList
cn: module{0}
olcModulePath: /usr/lib/ldap
olcModuleLoad: back_mdb

dn: cn=schema,cn=config
objectClass: olcSchemaConfig
cn: schema

include: file:///etc/ldap/schema/core.ldif

include: file:///etc/ldap/schema/cosine.ldif

include: file:///etc/ldap/schema/nis.ldif

include: file:///etc/ldap/schema/inetorgperson.ldif

include: file://$root/ldap/weave-schema.ldif

dn: olcDatabase={-1}frontend,cn=config
objectClass: olcDatabaseConfig
objectClass: olcFrontendConfig
olcDatabase: {-1}frontend
olcAccess: {0}to dn.base="" by * read
olcAccess: {1}to dn.base="cn=subschema" by * read

dn: olcDatabase={0}config,cn=config
objectClass: olcDatabaseConfig
olcDatabase: {0}config
olcAccess: {0}to * by * none

dn: olcDatabase={1}mdb,cn=config
objectClass: olcDatabaseConfig
objectClass: olcMdbConfig
olcDatabase: {1}mdb
olcSuffix: $suffix
olcRootDN: cn=admin,$suffix
olcRootPW: $root_pw
olcDbDirectory: $dir/db
olcDbIndex: objectClass eq
olcDbIndex: uid,mail,cn eq
olcDbIndex: uidNumber eq
olcDbIndex: entryUUID eq
olcDbIndex: member eq
olcAccess: {0}to attrs=userPassword by dn.exact="$admin" write by self write by anonymous auth by * none
olcAccess: {1}to dn.subtree="ou=users,$suffix" by dn.exact="$admin" write by dn.exact="$reader" read by self read by * none
olcAccess: {2}to dn.subtree="ou=groups,$suffix" by dn.exact="$reader" read by users read by * none
olcAccess: {3}to * by users read by * none
LDIF
}

cmd=${1:-}
[ $# -ge 2 ] || usage
dir=$2
case "$cmd" in
  init)
    shift 2
    [ $# -gt 0 ] || set -- "$root/ldap/sample-directory.ldif"
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    rm -rf "$dir/slapd.d" "$dir/db"
    mkdir -p "$dir/slapd.d" "$dir/db"
    [ -f "$dir/tls/server.pem" ] || make_tls "$dir/tls"
    write_config "$dir" > "$dir/config.ldif"
    "$slapadd_bin" -n 0 -F "$dir/slapd.d" -l "$dir/config.ldif" >"$dir/slapadd.log" 2>&1 ||
      { cat "$dir/slapadd.log" >&2; exit 1; }
    for ldif in "$@"; do
      "$slapadd_bin" -n 1 -F "$dir/slapd.d" -l "$ldif" >"$dir/slapadd.log" 2>&1 ||
        { cat "$dir/slapadd.log" >&2; exit 1; }
    done
    ;;
  start)
    [ $# -ge 3 ] || usage
    dir=$(cd "$dir" && pwd)
    port=$3 tls_port=${4:-}
    urls="ldap://127.0.0.1:$port/"
    [ -z "$tls_port" ] || urls="$urls ldaps://127.0.0.1:$tls_port/"
    rm -f "$dir/slapd.pid"
    # In the foreground (-d) so that its errors land in slapd.log rather than in syslog;
    # level "none" (32768) logs only what always gets logged.
    "$slapd_bin" -F "$dir/slapd.d" -h "$urls" -d 32768 </dev/null >>"$dir/slapd.log" 2>&1 &
    echo $! > "$dir/slapd.pid"
    # Ready once the root DSE answers (at most 10 s).
    tries=0
    until ldapsearch -x -LLL -o nettimeout=1 -H "ldap://127.0.0.1:$port" -b "" -s base \
        '(objectClass=*)' 1.1 >/dev/null 2>&1; do
      tries=$((tries + 1))
      if [ "$tries" -ge 100 ] || ! kill -0 "$(cat "$dir/slapd.pid")" 2>/dev/null; then
        echo "ldap-slapd.sh: slapd does not answer on port $port; end of $dir/slapd.log:" >&2
        tail -n 5 "$dir/slapd.log" >&2
        kill "$(cat "$dir/slapd.pid")" 2>/dev/null
        exit 1
      fi
      sleep 0.1
    done
    ;;
  stop)
    [ -f "$dir/slapd.pid" ] || exit 0
    pid=$(cat "$dir/slapd.pid")
    kill -TERM "$pid" 2>/dev/null || exit 0
    tries=0
    while kill -0 "$pid" 2>/dev/null; do
      tries=$((tries + 1))
      if [ "$tries" -ge 100 ]; then
        kill -KILL "$pid" 2>/dev/null || true
        break
      fi
      sleep 0.1
    done
    rm -f "$dir/slapd.pid"
    ;;
  *)
    usage
    ;;
esac
