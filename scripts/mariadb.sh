#!/bin/sh
# A throwaway MariaDB server on loopback, for `make run DB=mysql` and tests/mysql/run.sh.
#
#   mariadb.sh start DIR PORT [DATABASE USER PASSWORD]
#       Creates DIR/data on first use (mariadb-install-db), starts mariadbd in the background
#       on 127.0.0.1:PORT and the socket DIR/mysqld.sock, waits until it answers, and creates
#       DATABASE (default weave) with USER/PASSWORD (default weave/weave-dev-password),
#       reachable over TCP and the socket. The pid is in DIR/mariadbd.pid. TLS is on, with a
#       throwaway CA in DIR/tls/ca.pem.
#   mariadb.sh stop DIR      Stops it (a clean shutdown, then SIGKILL after 30 s).
#   mariadb.sh kill DIR      SIGKILL (a crash, for outage tests).
#   mariadb.sh sql DIR ...   Runs the mariadb client as the administrator on the socket.
#   mariadb.sh password DIR  Prints the server account's password, kept in DIR/weave-password
#                            (a random one, created on first use).
#   mariadb.sh yaml DIR PORT Prints the `database:` section of weave-server's configuration
#                            for that account (database weave, user weave, the password file).
#
# MARIADB_EXTRA_ARGS (optional) is appended to mariadbd's command line at start, e.g.
# "--performance-schema=ON" to measure statements by digest (bench/RESULTS.md).
#
# The administrator is the calling OS user through unix_socket authentication; the server
# never runs with --skip-grant-tables. Run as root, mariadbd runs as root (--user=root).
# shellcheck source-path=SCRIPTDIR
set -eu

# shellcheck disable=SC2034  # read by mariadb-lib.sh
lib_name=mariadb.sh lib_packages="mariadb-server and mariadb-client"
# shellcheck source=mariadb-lib.sh
. "$(dirname "$0")/mariadb-lib.sh"

admin_sql() { socket_sql "$@"; }

# make_test_certificates DIR: a CA (DIR/ca.pem) and a server certificate it signed for
# 127.0.0.1 and localhost (DIR/server-cert.pem, DIR/server-key.pem), P-256 keys.
make_test_certificates() {
  (
    umask 077
    mkdir -p "$1" && cd "$1" || exit 1
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' > san.ext
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 3650 \
      -subj "/CN=weave test CA" -keyout ca-key.pem -out ca.pem &&
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
        -subj "/CN=127.0.0.1" -keyout server-key.pem -out server.csr &&
      openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
        -days 3650 -extfile san.ext -out server-cert.pem
  ) > "$1.log" 2>&1
}

cmd=${1:-}
case "$cmd" in
  start)
    dir=$2 port=$3 database=${4:-weave} user=${5:-weave} password=${6:-weave-dev-password}
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    run_as=$(run_as_flag)
    install_data "$dir"
    # TLS with a throwaway CA (DIR/tls/ca.pem) whose server certificate names 127.0.0.1 and
    # localhost, so clients can connect with database.mysql.tls: on and verify it.
    if [ ! -s "$dir/tls/server-cert.pem" ]; then
      make_test_certificates "$dir/tls" ||
        { echo "mariadb.sh: openssl could not make the TLS certificates" >&2; exit 1; }
    fi
    # Socket paths are limited to ~107 bytes; a long DIR falls back to a short link.
    # shellcheck disable=SC2086
    "$(find_tool mariadbd mysqld)" --no-defaults --datadir="$dir/data" $run_as \
      --bind-address=127.0.0.1 --port="$port" --socket="$dir/mysqld.sock" \
      --pid-file="$dir/mariadbd.pid" --log-error="$dir/error.log" --skip-name-resolve \
      --innodb-buffer-pool-size=64M --innodb-log-file-size=32M --innodb-flush-log-at-trx-commit=1 \
      --character-set-server=utf8mb4 --collation-server=utf8mb4_general_ci \
      --max-connections=200 --ssl-ca="$dir/tls/ca.pem" --ssl-cert="$dir/tls/server-cert.pem" \
      --ssl-key="$dir/tls/server-key.pem" ${MARIADB_EXTRA_ARGS:-} > /dev/null 2>&1 &
    echo $! > "$dir/mariadbd.launcher.pid"
    tries=0
    until admin_sql "$dir" -e 'SELECT 1' > /dev/null 2>&1; do
      tries=$((tries + 1))
      if [ "$tries" -gt 300 ]; then
        echo "mariadb.sh: mariadbd did not come up in 30 s; its log:" >&2
        tail -n 30 "$dir/error.log" >&2 || true
        exit 1
      fi
      sleep 0.1
    done
    # utf8mb4 with a case-insensitive collation is the server default on purpose: the schema
    # must make ids and names compare byte for byte anyway.
    admin_sql "$dir" <<SQL
CREATE DATABASE IF NOT EXISTS \`$database\` CHARACTER SET utf8mb4 COLLATE utf8mb4_general_ci;
CREATE USER IF NOT EXISTS '$user'@'127.0.0.1' IDENTIFIED BY '$password';
CREATE USER IF NOT EXISTS '$user'@'localhost' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'127.0.0.1';
GRANT ALL PRIVILEGES ON \`$database\`.* TO '$user'@'localhost';
SQL
    ;;
  stop|kill)
    signal=TERM
    [ "$cmd" = kill ] && signal=KILL
    stop_pidfile "$2/mariadbd.pid" "$signal"
    ;;
  sql)
    dir=$2; shift 2
    admin_sql "$dir" "$@"
    ;;
  password)
    mkdir -p "$2"
    password_file "$2/weave-password"
    ;;
  yaml)
    dir=$(cd "$2" && pwd) port=$3
    cat <<YAML
  driver: mysql
  mysql:
    host: 127.0.0.1
    port: $port
    user: weave
    password_file: "$dir/weave-password"
    database: weave
YAML
    ;;
  *)
    echo "usage: $0 start DIR PORT [DATABASE USER PASSWORD] | stop DIR | kill DIR | sql DIR ARGS" \
      "| password DIR | yaml DIR PORT" >&2
    exit 2
    ;;
esac
