#!/bin/sh
# make run NODES=N: the whole service on one machine, in the foreground, behind one nginx: a
# registration server (server.role: user) on 127.0.0.1:PORT and N storage nodes
# (server.role: storage), node k on 127.0.0.1:PORT+k, each with its records in a SQLite
# database of its own in DATA and the accounts in the registration server's. The nodes are
# listed (weave-admin nodes add), so node/weave hands each new account one of them.
# Usage: run-nodes.sh DATA PORT NODES [BUILD]
# Environment: REGISTRATION=open|invite|closed (default closed): registration.policy, so an
# account can be made from a browser with open.
set -eu
data=$1 port=$2 nodes=$3 build=${4:-build}
root=$(cd "$(dirname "$0")/.." && pwd)
registration=${REGISTRATION:-closed}
case $nodes in [1-9]) ;; *) echo "run-nodes.sh: NODES=$nodes: expected 1 to 9" >&2; exit 2 ;; esac
case $registration in open|invite|closed) ;;
  *) echo "run-nodes.sh: REGISTRATION=$registration: expected open, invite or closed" >&2; exit 2 ;;
esac
case $build in /*) ;; *) build="$root/$build" ;; esac

mkdir -p "$data/nginx"
data=$(cd "$data" && pwd)

# server_yaml NAME ROLE_LINES: the keys every server shares, after its own server: lines.
server_yaml() {
  cat <<YAML
# Written by make run NODES=$nodes (scripts/run-nodes.sh); rewritten on each start.
server:
$2
  listen: "unix:$data/$1.sock"
  socket_mode: "0666"
  workers: 2
database:
  sqlite:
    path: "$data/$1.db"
YAML
}

{
  server_yaml reg "  role: user
  public_url: \"http://127.0.0.1:$port/\""
  printf 'registration:\n  policy: %s\n' "$registration"
} > "$data/reg.yaml"
sites="$port / unix:$data/reg.sock"
k=1
while [ "$k" -le "$nodes" ]; do
  {
    server_yaml "node$k" "  role: storage
  node_url: \"http://127.0.0.1:$((port + k))/\""
    printf 'accounts_database:\n  sqlite:\n    path: "%s"\n' "$data/reg.db"
  } > "$data/node$k.yaml"
  sites="$sites
$((port + k)) / unix:$data/node$k.sock"
  k=$((k + 1))
done
echo "$sites" | sh "$root/scripts/nginx-sites-conf.sh" "$data/nginx" "$root" > "$data/nginx/nginx.conf"

pids=""
stop() {
  trap - INT TERM EXIT
  # shellcheck disable=SC2086  # the list of process ids
  kill -TERM $pids 2>/dev/null || true
  for pid in $pids; do wait "$pid" 2>/dev/null || true; done
}
trap 'stop; exit 0' INT TERM
trap stop EXIT

for name in reg $(seq -f 'node%g' 1 "$nodes"); do
  "$build/weave-server" -c "$data/$name.yaml" &
  pids="$pids $!"
done
nginx -p "$data/nginx" -c "$data/nginx/nginx.conf" -g 'daemon off;' &
pids="$! $pids"

# The registration server creates the accounts database's tables; then the nodes are listed
# (once: a rerun keeps the list and who is where).
admin="$build/weave-admin -c $data/reg.yaml"
tries=0
until python3 -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
      "http://127.0.0.1:$port/__heartbeat__" 2> /dev/null; do
  tries=$((tries + 1))
  if [ "$tries" -gt 100 ]; then echo "run-nodes.sh: the servers did not come up" >&2; exit 1; fi
  sleep 0.2
done
listed=$($admin nodes list)
k=1
while [ "$k" -le "$nodes" ]; do
  url="http://127.0.0.1:$((port + k))/"
  case $listed in *"$url"*) ;; *) $admin nodes add "$url" 1000 ;; esac
  k=$((k + 1))
done

echo "Serving Sync on http://127.0.0.1:$port/ (registration, policy $registration) with $nodes"\
  "storage nodes on ports $((port + 1))-$((port + nodes)); data in $data. Ctrl-C stops."
echo "Add a user:  $admin add NAME"
echo "Nodes:       $admin nodes list"
echo "Move a user: $admin $(seq -f "-n $data/node%g.yaml" 1 "$nodes" | tr '\n' ' ')users move NAME URL"
wait
