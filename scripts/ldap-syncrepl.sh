#!/bin/sh
# A throwaway OpenLDAP provider and a syncrepl consumer on loopback, for tests/cluster/: two
# folders made by scripts/ldap-slapd.sh (same suffix, accounts, access rules and test CA),
# the provider with the syncprov overlay, the consumer replicating it (refreshAndPersist,
# over StartTLS, as the provider's root DN; retried every second while the provider is away).
#
#   ldap-syncrepl.sh init DIR PROVIDER_PORT [LDIF ...]   DIR/provider (loaded with the LDIF
#                                              files, default the sample) and DIR/consumer
#                                              (empty: it copies the provider when it starts)
#   ldap-syncrepl.sh start DIR PROVIDER_PORT CONSUMER_PORT   both, ldap://127.0.0.1:PORT; returns
#                                              once the consumer has the provider's entries
#   ldap-syncrepl.sh start-provider DIR PROVIDER_PORT   the provider alone (after a stop)
#   ldap-syncrepl.sh stop-provider DIR         the provider alone
#   ldap-syncrepl.sh stop DIR                  both
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
slapd_sh="$root/scripts/ldap-slapd.sh"
slapcat_bin=$(command -v slapcat || echo /usr/sbin/slapcat)
slapadd_bin=$(command -v slapadd || echo /usr/sbin/slapadd)
suffix="dc=example,dc=org"

usage() {
  sed -n '7,15p' "$0" >&2
  exit 2
}

# rewrite_config DIR AWK_PROGRAM: passes DIR's cn=config through the awk program and loads it
# again (slapd stopped).
rewrite_config() {
  config_dir=$1
  "$slapcat_bin" -n 0 -F "$config_dir/slapd.d" -l "$config_dir/config-before.ldif" \
    2>>"$config_dir/slapadd.log"
  awk "$2" "$config_dir/config-before.ldif" > "$config_dir/config-after.ldif"
  rm -rf "$config_dir/slapd.d"
  mkdir -p "$config_dir/slapd.d"
  "$slapadd_bin" -n 0 -F "$config_dir/slapd.d" -l "$config_dir/config-after.ldif" \
    >>"$config_dir/slapadd.log" 2>&1 || { cat "$config_dir/slapadd.log" >&2; exit 1; }
}

cmd=${1:-}
[ $# -ge 2 ] || usage
dir=$2
case "$cmd" in
  init)
    [ $# -ge 3 ] || usage
    provider_port=$3
    shift 3
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    sh "$slapd_sh" init "$dir/provider" "$@"
    # The consumer trusts the same test CA and presents the same certificate.
    mkdir -p "$dir/consumer"
    rm -rf "$dir/consumer/tls"
    cp -a "$dir/provider/tls" "$dir/consumer/tls"
    : > "$dir/empty.ldif"
    sh "$slapd_sh" init "$dir/consumer" "$dir/empty.ldif"
    # Provider: the syncprov module and overlay, with the change stamps indexed.
    rewrite_config "$dir/provider" '
      { print }
      /^olcModuleLoad: .*back_mdb$/ { print "olcModuleLoad: {1}syncprov" }
      /^olcDbIndex: objectClass eq/ { print "olcDbIndex: entryCSN eq" }
      END {
        print ""
        print "dn: olcOverlay={0}syncprov,olcDatabase={1}mdb,cn=config"
        print "objectClass: olcOverlayConfig"
        print "objectClass: olcSyncProvConfig"
        print "olcOverlay: {0}syncprov"
      }'
    # Consumer: replicates the whole suffix from the provider as its root DN (which reads
    # everything, passwords included), over StartTLS checked against the test CA.
    rewrite_config "$dir/consumer" "
      { print }
      /^olcDbIndex: objectClass eq/ {
        print \"olcDbIndex: entryCSN eq\"
        print \"olcSyncrepl: {0}rid=001 provider=ldap://127.0.0.1:$provider_port\" \\
          \" bindmethod=simple binddn=\\\"cn=admin,$suffix\\\" credentials=root-password\" \\
          \" searchbase=\\\"$suffix\\\" type=refreshAndPersist retry=\\\"1 +\\\" timeout=3\" \\
          \" network-timeout=3 starttls=critical tls_reqcert=demand\" \\
          \" tls_cacert=$dir/consumer/tls/ca.pem\"
      }"
    ;;
  start)
    [ $# -ge 4 ] || usage
    dir=$(cd "$dir" && pwd)
    sh "$slapd_sh" start "$dir/provider" "$3"
    sh "$slapd_sh" start "$dir/consumer" "$4"
    # Replicated once the consumer holds every entry the provider has (at most 20 s).
    want=$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$3" -D "cn=admin,$suffix" -w root-password \
      -b "$suffix" '(objectClass=*)' 1.1 | grep -c '^dn:')
    tries=0
    until [ "$(ldapsearch -x -LLL -H "ldap://127.0.0.1:$4" -D "cn=admin,$suffix" \
        -w root-password -b "$suffix" '(objectClass=*)' 1.1 2>/dev/null | grep -c '^dn:')" \
        -ge "$want" ]; do
      tries=$((tries + 1))
      if [ "$tries" -ge 200 ]; then
        echo "ldap-syncrepl.sh: the consumer did not replicate in 20 s; end of its log:" >&2
        tail -n 10 "$dir/consumer/slapd.log" >&2
        exit 1
      fi
      sleep 0.1
    done
    ;;
  start-provider)
    [ $# -ge 3 ] || usage
    sh "$slapd_sh" start "$dir/provider" "$3"
    ;;
  stop-provider)
    sh "$slapd_sh" stop "$dir/provider"
    ;;
  stop)
    sh "$slapd_sh" stop "$dir/consumer"
    sh "$slapd_sh" stop "$dir/provider"
    ;;
  *)
    usage
    ;;
esac
