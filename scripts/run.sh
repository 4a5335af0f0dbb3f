#!/bin/sh
# make run: serve the API through a real nginx on 127.0.0.1:PORT, in the foreground.
# Usage: run.sh DATA PORT [CONFIG] [DB] [AUTH]
set -eu
data=$1 port=$2 config=${3:-} db=${4:-sqlite} auth=${5:-sql}
root=$(cd "$(dirname "$0")/.." && pwd)

if [ "$db" != sqlite ]; then echo "run.sh: DB=$db is not available yet (sqlite only)" >&2; exit 2; fi
if [ "$auth" != sql ]; then echo "run.sh: AUTH=$auth is not available yet (sql only)" >&2; exit 2; fi

mkdir -p "$data/nginx"
data=$(cd "$data" && pwd)
socket="$data/weave.sock"

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
  sqlite:
    path: "$data/weave.db"
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
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

echo "Serving Sync on http://127.0.0.1:$port/ (data in $data). Ctrl-C stops."
echo "Add a user:  $root/build/weave-admin -c $config add NAME"
wait "$server_pid"
