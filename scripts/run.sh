#!/bin/sh
# make run: serve the API through a real nginx on 127.0.0.1:PORT, in the foreground.
# Usage: run.sh DATA PORT [CONFIG] [DB] [AUTH]
set -eu
data=$1 port=$2 config=${3:-} db=${4:-sqlite} auth=${5:-sql}
root=$(cd "$(dirname "$0")/.." && pwd)

case "$db" in sqlite|mysql) ;; *) echo "run.sh: DB=$db: expected sqlite or mysql" >&2; exit 2 ;; esac
case "$auth" in
  sql) ;;
  # AUTH=ldap: a throwaway slapd with the sample directory, the server in mozilla mode.
  ldap) exec sh "$root/scripts/ldap-run.sh" "$data" "$port" "$config" "$db" ;;
  *) echo "run.sh: AUTH=$auth: expected sql or ldap" >&2; exit 2 ;;
esac

mkdir -p "$data/nginx"
data=$(cd "$data" && pwd)
socket="$data/weave.sock"

database_yaml="  sqlite:
    path: \"$data/weave.db\""
mariadb_dir=""
stop_mariadb() { [ -z "$mariadb_dir" ] || sh "$root/scripts/mariadb.sh" stop "$mariadb_dir" || true; }
if [ "$db" = mysql ]; then
  # DB=mysql: a throwaway MariaDB in DATA/mariadb on 127.0.0.1:MYSQL_PORT (default 13306),
  # with a database and a password user for the server; stopped when this script ends.
  mariadb_dir="$data/mariadb"
  mysql_port=${MYSQL_PORT:-13306}
  password=$(sh "$root/scripts/mariadb.sh" password "$mariadb_dir")
  trap 'stop_mariadb' EXIT
  sh "$root/scripts/mariadb.sh" start "$mariadb_dir" "$mysql_port" weave weave "$password"
  database_yaml=$(sh "$root/scripts/mariadb.sh" yaml "$mariadb_dir" "$mysql_port")
fi

if [ -z "$config" ]; then
  config="$data/weave.yaml"
  cat > "$config" <<YAML
# Written by make run; pass CONFIG=file to use your own.
server:
  listen: "unix:$socket"
  socket_mode: "0666"
  workers: 4
  public_url: "http://127.0.0.1:$port/"
database:
$database_yaml
YAML
fi

sh "$root/scripts/nginx-conf.sh" "$data/nginx" "$port" "unix:$socket" "$root" > "$data/nginx/nginx.conf"

"$root/build/weave-server" -c "$config" &
server_pid=$!
nginx -p "$data/nginx" -c "$data/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!

stop() {
  trap - INT TERM EXIT
  kill -TERM "$nginx_pid" "$server_pid" 2>/dev/null || true
  wait "$nginx_pid" 2>/dev/null || true
  wait "$server_pid" 2>/dev/null || true
  stop_mariadb
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

echo "Serving Sync on http://127.0.0.1:$port/ (data in $data). Ctrl-C stops."
echo "Add a user:  $root/build/weave-admin -c $config add NAME"
wait "$server_pid"
