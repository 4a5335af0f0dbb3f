#!/bin/sh
# Many storage nodes behind one nginx: a registration server and two storage nodes.
# Usage: tests/functional/test_nodes.sh BUILD_DIR   (BUILD_DIR holds weave-server, weave-admin)
#
# In a fresh temporary folder: the registration server (server.role: user, registration
# open) on reg.db, and two storage nodes (server.role: storage, server.node_url set), each
# with its records in a database of its own (node1.db, node2.db) and its accounts in reg.db
# (accounts_database). nginx gives each server a loopback port of its own; a node's URL is
# its port's. tests/functional/nodes_checks.py then adds the nodes with weave-admin and checks
# assignment by capacity (also under concurrent creations), draining, down, backoff, the 401
# of a node that does not hold the user, a client-flow replay across users move, a move
# under continuous writes, and nodes evacuate. The last line is "N passed, N failed".
#
# DB=mysql: the same on MariaDB (scripts/mariadb.sh, one throwaway server): the accounts in
# database reg, each node's records in a database of its own (node1, node2), so moves copy
# between MariaDB databases under InnoDB's locking (REPEATABLE READ, gap locks).
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
server_bin="$build/weave-server"
admin_bin="$build/weave-admin"
# shellcheck source=deploy_lib.sh
. "$here/deploy_lib.sh"
need_built "$server_bin"
need_built "$admin_bin"
need_tools nginx python3 curl

db=${DB:-sqlite}
make_tmp nodes
nginx_pid="" mariadb_dir=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid" 10
  nginx_pid=""
  stop_servers
  [ -z "$mariadb_dir" ] || sh "$root/scripts/mariadb.sh" stop "$mariadb_dir" > /dev/null 2>&1
}

# database_yaml NAME: the keys under database: (or accounts_database:) for NAME's data.
database_yaml() {
  printf '  sqlite:\n    path: "%s"\n' "$tmp/$1.db"
}
if [ "$db" = mysql ]; then
  need_tools mariadb
  mariadb_dir="$tmp/mariadb"
  mysql_port=$(free_port)
  if ! sh "$root/scripts/mariadb.sh" start "$mariadb_dir" "$mysql_port" reg weave \
       "$(sh "$root/scripts/mariadb.sh" password "$mariadb_dir")" > "$tmp/mariadb.log" 2>&1; then
    fail "MariaDB did not start"
    sed 's/^/      /' "$tmp/mariadb.log"
    finish
  fi
  for name in node1 node2; do
    sh "$root/scripts/mariadb.sh" sql "$mariadb_dir" -e "CREATE DATABASE $name;
      GRANT ALL PRIVILEGES ON $name.* TO 'weave'@'127.0.0.1';
      GRANT ALL PRIVILEGES ON $name.* TO 'weave'@'localhost';"
  done
  database_yaml() {
    sh "$root/scripts/mariadb.sh" yaml "$mariadb_dir" "$mysql_port" |
      sed "s/^    database: weave\$/    database: $1/"
  }
fi

reg_port=$(free_port)
node1_port=$(free_port)
node2_port=$(free_port)
mkdir -p "$tmp/nginx"

# common NAME: the keys every server shares.
common() {
  cat <<YAML
  listen: "unix:$tmp/$1.sock"
  socket_mode: "0666"
  workers: 3
database:
$(database_yaml "$1")
registration:
  policy: open
  require_hashed_username: false
accounts:
  lockout_max_failures: 0
security_log:
  target: file
  file: "$tmp/security-$1.log"
YAML
}
{ echo "server:"; echo "  role: user"; common reg; } > "$tmp/reg.yaml"
for n in 1 2; do
  port=$node1_port
  [ "$n" = 2 ] && port=$node2_port
  {
    echo "server:"
    echo "  role: storage"
    echo "  node_url: \"http://127.0.0.1:$port/\""
    common "node$n"
    echo "accounts_database:"
    database_yaml reg
  } > "$tmp/node$n.yaml"
done
check_configs reg node1 node2

sites="$(port_site "$reg_port" "unix:$tmp/reg.sock")
$(port_site "$node1_port" "unix:$tmp/node1.sock")
$(port_site "$node2_port" "unix:$tmp/node2.sock")"
nginx_conf "$tmp/nginx" "" "$sites" > "$tmp/nginx/nginx.conf"

start_servers reg node1 node2
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx/stderr.log" &
nginx_pid=$!

if wait_status "http://127.0.0.1:$reg_port/__heartbeat__" 200 30 &&
   wait_status "http://127.0.0.1:$node1_port/__heartbeat__" 200 30 &&
   wait_status "http://127.0.0.1:$node2_port/__heartbeat__" 200 30; then
  pass "the registration server, both nodes and nginx are up"
  NODES_REG_URL="http://127.0.0.1:$reg_port" \
    NODES_NODE1_URL="http://127.0.0.1:$node1_port/" \
    NODES_NODE2_URL="http://127.0.0.1:$node2_port/" \
    NODES_ADMIN="$admin_bin" NODES_REG_CONFIG="$tmp/reg.yaml" \
    NODES_NODE1_CONFIG="$tmp/node1.yaml" NODES_NODE2_CONFIG="$tmp/node2.yaml" \
    NODES_NODE1_DB="$tmp/node1.db" NODES_NODE2_DB="$tmp/node2.db" NODES_DB="$db" \
    NODES_MYSQL_DIR="$mariadb_dir" \
    NODES_SECURITY_LOG="$tmp/security-reg.log" \
    PYTHONPATH="$here" timeout -k 5 600 python3 "$here/nodes_checks.py" > "$tmp/checks.out" 2>&1
  sed 's/^/      /' "$tmp/checks.out"
  add_counts "$tmp/checks.out" || fail "nodes_checks.py did not finish"
else
  fail "the servers or nginx did not come up"
  tail -n 15 "$tmp"/server-*.log "$tmp/nginx/stderr.log" 2>/dev/null | sed 's/^/      /'
fi

stop_pid "$nginx_pid" 10
nginx_pid=""
stop_servers checked

finish
