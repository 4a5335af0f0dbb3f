#!/bin/sh
# A throwaway three-node MariaDB Galera cluster on loopback, for tests/cluster/.
#
#   galera.sh start DIR BASE      Creates DIR/node1..3 on first use (node 2 and 3 from copies
#                                 of node 1's files, with the database weave and the account
#                                 weave, password in DIR/weave-password), bootstraps node 1,
#                                 joins nodes 2 and 3, and waits until all are Synced. Node N
#                                 listens on 127.0.0.1 ports BASE+4N (SQL), +1 (group
#                                 communication), +2 (incremental state transfer, IST) and
#                                 +3 (full state transfer, SST); so BASE+4 .. BASE+15.
#   galera.sh port DIR N          The SQL port of node N.
#   galera.sh kill DIR N          SIGKILL node N (a crash).
#   galera.sh restart DIR N       Starts node N again (it rejoins; IST from the others' gcache)
#                                 and waits until it is Synced.
#   galera.sh sql DIR N ...       Runs the mariadb client as the administrator on node N.
#   galera.sh stop DIR            Stops every node (clean shutdown, SIGKILL after 30 s).
#
# The settings an operator needs too: binlog_format ROW, innodb_autoinc_lock_mode 2 (the
# default with Galera), log_bin_trust_function_creators 1 (Galera logs like a binary log, and
# the schema has triggers), wsrep_sync_wait 1 (a read waits until the node has applied every
# write committed anywhere before it, so an account registered on one node can log in on
# another at once). The administrator is the calling OS user through unix_socket
# authentication. Run as root, mariadbd runs as root (--user=root).
# shellcheck source-path=SCRIPTDIR
set -eu

provider=${GALERA_PROVIDER:-/usr/lib/galera/libgalera_smm.so}

# shellcheck disable=SC2034  # read by mariadb-lib.sh
lib_name=galera.sh lib_packages="mariadb-server, galera-4 and rsync"
# shellcheck source=mariadb-lib.sh
. "$(dirname "$0")/mariadb-lib.sh"

node_sql() { socket_sql "$@"; }

# wsrep_local_state_comment of the node in DIR ("Synced" once it serves), or nothing.
node_state() {
  node_sql "$1" -N -e "SHOW STATUS LIKE 'wsrep_local_state_comment'" 2>/dev/null |
    awk '{print $2}'
}

wait_synced() {
  node_dir=$1 tries=0
  until [ "$(node_state "$node_dir")" = Synced ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ]; then
      echo "galera.sh: $node_dir is not Synced after 60 s; its log:" >&2
      tail -n 40 "$node_dir/error.log" >&2 || true
      return 1
    fi
    sleep 0.1
  done
}

# start_node DIR N BASE [--wsrep-new-cluster]: mariadbd for node N in the background.
start_node() {
  dir=$1 n=$2 base=$3; shift 3
  node_dir="$dir/node$n"
  sql_port=$((base + 4 * n))
  run_as=$(run_as_flag)
  install_data "$node_dir" || exit 1
  members="127.0.0.1:$((base + 5)),127.0.0.1:$((base + 9)),127.0.0.1:$((base + 13))"
  # shellcheck disable=SC2086
  "$(find_tool mariadbd mysqld)" --no-defaults --datadir="$node_dir/data" $run_as \
    --bind-address=127.0.0.1 --port="$sql_port" --socket="$node_dir/mysqld.sock" \
    --pid-file="$node_dir/mariadbd.pid" --log-error="$node_dir/error.log" --skip-name-resolve \
    --innodb-buffer-pool-size=32M --innodb-log-file-size=16M \
    --innodb-flush-log-at-trx-commit=1 --innodb-autoinc-lock-mode=2 --binlog-format=ROW \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci --max-connections=200 \
    --wsrep-on=ON --wsrep-provider="$provider" --wsrep-cluster-name=weave-test \
    --wsrep-cluster-address="gcomm://$members" --wsrep-node-name="node$n" \
    --wsrep-node-address="127.0.0.1:$((base + 4 * n + 1))" \
    --wsrep-provider-options="gmcast.listen_addr=tcp://127.0.0.1:$((base + 4 * n + 1));ist.recv_addr=127.0.0.1:$((base + 4 * n + 2));gcache.size=64M;evs.suspect_timeout=PT5S;evs.inactive_timeout=PT10S;evs.install_timeout=PT10S;repl.causal_read_timeout=PT5S" \
    --wsrep-sst-method=mariabackup --wsrep-sst-receive-address="127.0.0.1:$((base + 4 * n + 3))" \
    --log-bin-trust-function-creators=1 --wsrep-sync-wait=1 --wsrep-slave-threads=2 "$@" > "$node_dir/stdout.log" 2>&1 &
  echo "$base" > "$dir/base"
}

stop_node() { stop_pidfile "$1/mariadbd.pid" "$2"; }

cmd=${1:-}
case "$cmd" in
  start)
    dir=$2 base=$3
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    password=$(password_file "$dir/weave-password")
    if [ ! -d "$dir/node3/data" ]; then
      # A fresh cluster: node 1 is made and its accounts created, then it stops and nodes 2
      # and 3 start from copies of its files, so no full state transfer is needed.
      start_node "$dir" 1 "$base" --wsrep-new-cluster
      wait_synced "$dir/node1"
      node_sql "$dir/node1" <<SQL
CREATE DATABASE IF NOT EXISTS weave CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS 'weave'@'127.0.0.1' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON weave.* TO 'weave'@'127.0.0.1';
SQL
      stop_node "$dir/node1" TERM
      for n in 2 3; do
        mkdir -p "$dir/node$n"
        cp -a "$dir/node1/data" "$dir/node$n/data"
        rm -f "$dir/node$n/data/gvwstate.dat"
      done
    fi
    start_node "$dir" 1 "$base" --wsrep-new-cluster
    wait_synced "$dir/node1"
    for n in 2 3; do
      start_node "$dir" "$n" "$base"
      wait_synced "$dir/node$n"
    done
    ;;
  port)
    dir=$2 n=$3
    echo $(($(cat "$dir/base") + 4 * n))
    ;;
  kill)
    stop_node "$2/node$3" KILL
    ;;
  restart)
    dir=$(cd "$2" && pwd) n=$3
    # After a crash the node's files do not say how far it got: recover the position from
    # InnoDB first (as Debian's galera_recovery does), so it catches up by IST, not by a
    # full copy.
    start_node "$dir" "$n" "$(cat "$dir/base")" --wsrep-recover \
      --log-error="$dir/node$n/recover.log"
    wait $! || true
    position=$(sed -n 's/.*WSREP: Recovered position: *//p' "$dir/node$n/recover.log" | tail -n 1)
    if [ -n "$position" ]; then
      start_node "$dir" "$n" "$(cat "$dir/base")" --wsrep-start-position="$position"
    else
      start_node "$dir" "$n" "$(cat "$dir/base")"
    fi
    wait_synced "$dir/node$n"
    ;;
  sql)
    dir=$2 n=$3; shift 3
    node_sql "$dir/node$n" "$@"
    ;;
  stop)
    dir=$2
    # The last node to stop is the one to bootstrap from; order does not matter here.
    for n in 3 2 1; do stop_node "$dir/node$n" TERM || true; done
    ;;
  *)
    echo "usage: $0 start DIR BASE | port DIR N | kill DIR N | restart DIR N | sql DIR N ..." \
      "| stop DIR" >&2
    exit 2
    ;;
esac
