#!/bin/sh
# make bench: seed a Sync server through its API, replay Mozilla's load-test mix against it
# with answer checking, then measure two ceilings (a fixed-body and a one-SELECT FastCGI
# responder) behind the same nginx configuration. Results: a table on stdout and
# bench/runs/<timestamp>.json; `make bench-report` renders them.
#
# Environment (all optional):
#   URL=http://127.0.0.1:PORT   use a running server instead of starting one
#   CONFIG=weave.yaml           with URL: its configuration, used to create the accounts
#                               (without it the accounts must exist already)
#   SERVER_PID, NGINX_PID       with URL: master pids, for CPU and worker RSS readings
#   BENCH_SECONDS=30            length of the timed mix
#   BENCH_CONNECTIONS=16        concurrent clients
#   BENCH_USERS=100 BENCH_RECORDS=6000   accounts and records per account
#   BENCH_WORKERS=4             server workers (own stack) and ceiling processes
#   BENCH_CEILING=1             0 skips the ceilings
#   BENCH_CEILING_SECONDS=10    length of each ceiling run
#   BENCH_MAX_REQUESTS=5000000  cap on the requests of one timed phase
#   BENCH_SEED=1                random seed of the mix
#   BENCH_RUNS_DIR=bench/runs   where the JSON goes ("" : not saved)
#   BENCH_KEEP=0                1 keeps the temporary data folder
#   BENCH_NICE=                 e.g. -10: run server, nginx, ceilings and load tool at this
#                               priority (and the session's autogroup, as root), to shield
#                               them from other work on the machine
#   BENCH_QUIET_WAIT=0          wait up to this many seconds for the 1-minute load average
#                               to drop below 1 (other processes skew the numbers)
#   BUILD=build                 where weave-server and weave-admin are
#   BENCH_TOOLS=$BUILD/bench    where weave-load and the ceiling responders are
#   BENCH_GIT_REV               the commit to record (for a build from an exported tree)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-build}
case $build in /*) ;; *) build="$root/$build" ;; esac
tools=${BENCH_TOOLS:-$build/bench}
case $tools in /*) ;; *) tools="$root/$tools" ;; esac
url=${URL:-}
config=${CONFIG:-}
seconds=${BENCH_SECONDS:-30}
connections=${BENCH_CONNECTIONS:-16}
users=${BENCH_USERS:-100}
records=${BENCH_RECORDS:-6000}
workers=${BENCH_WORKERS:-4}
ceiling=${BENCH_CEILING:-1}
ceiling_seconds=${BENCH_CEILING_SECONDS:-10}
max_requests=${BENCH_MAX_REQUESTS:-5000000}
seed=${BENCH_SEED:-1}
runs_dir=${BENCH_RUNS_DIR-$root/bench/runs}
scratch=$connections

needed="$build/weave-server $build/weave-admin $tools/weave-load"
[ "$ceiling" = 1 ] && needed="$needed $tools/ceiling-fixed $tools/ceiling-sqlite_pk"
for binary in $needed; do
  if [ ! -x "$binary" ]; then
    echo "bench: $binary is missing; run make bench (or make bench-tools)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-bench.XXXXXX")
chmod 755 "$tmp"  # nginx workers (user nobody when started as root) reach the sockets here
server_pid="" nginx_pid="" ceiling_pid="" ceiling_status=0 autogroup_before=""

stop_pid() {
  # Stops one process this script started, and waits for it.
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
cleanup() {
  if [ -n "$autogroup_before" ]; then
    echo "$autogroup_before" > "/proc/$$/autogroup" 2>/dev/null || true
  fi
  stop_pid "$nginx_pid"; nginx_pid=""
  stop_pid "$server_pid"; server_pid=""
  stop_pid "$ceiling_pid"; ceiling_pid=""
  if [ "${BENCH_KEEP:-0}" = 1 ]; then
    echo "bench: data kept in $tmp"
  else
    rm -rf "$tmp"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

nice_cmd="" autogroup_before=""
if [ -n "${BENCH_NICE:-}" ]; then
  nice_cmd="nice -n $BENCH_NICE"
  # With autogroup scheduling, nice only ranks processes within a session; the session's
  # own weight is set here (and restored on exit).
  if [ -w "/proc/$$/autogroup" ]; then
    autogroup_before=$(sed -n 's/.* nice //p' "/proc/$$/autogroup")
    echo "$BENCH_NICE" > "/proc/$$/autogroup" 2>/dev/null || autogroup_before=""
  fi
fi

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Waits (at most 10 s) until something answers HTTP on the port.
wait_http() {
  i=0
  while [ $i -lt 100 ]; do
    if curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null; then
      return 0
    fi
    i=$((i + 1))
    sleep 0.1
  done
  echo "bench: nothing answers on 127.0.0.1:$1" >&2
  return 1
}

# Waits (at most 60 s) for a FastCGI responder to create its socket.
wait_socket() {
  i=0
  while [ ! -S "$1" ]; do
    i=$((i + 1))
    if [ $i -ge 600 ]; then
      echo "bench: $1 did not appear" >&2
      return 1
    fi
    sleep 0.1
  done
}

# Starts nginx with the project's configuration in front of UPSTREAM; sets nginx_pid.
start_nginx() { # NAME PORT UPSTREAM
  mkdir -p "$tmp/$1"
  sh "$root/scripts/nginx-conf.sh" "$tmp/$1" "$2" "$3" "$root" > "$tmp/$1/nginx.conf"
  $nice_cmd nginx -p "$tmp/$1" -c "$tmp/$1/nginx.conf" -g 'daemon off;' 2> "$tmp/$1/stderr.log" &
  nginx_pid=$!
}

now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }

quiet_wait=${BENCH_QUIET_WAIT:-0}
waited=0
while [ "$waited" -lt "$quiet_wait" ] && ! awk '{ exit !($1 < 1.0) }' /proc/loadavg; do
  sleep 5
  waited=$((waited + 5))
done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- ceilings first, on a quiet machine (the seeding leaves much data to write back):
# same nginx configuration, same number of processes as server workers
run_ceiling() { # NAME LABEL ARGS...
  name=$1 label=$2
  shift 2
  cport=$(free_port)
  $nice_cmd "$tools/ceiling-$name" "unix:$tmp/$name.sock" "$workers" "$@" 2> "$tmp/$name.log" &
  ceiling_pid=$!
  wait_socket "$tmp/$name.sock"
  start_nginx "nginx-$name" "$cport" "unix:$tmp/$name.sock"
  wait_http "$cport"
  timeout $((ceiling_seconds + 120)) $nice_cmd "$tools/weave-load" fixed \
    --url "http://127.0.0.1:$cport/1.1/benchu001/info/collections" --label "$label" \
    --connections "$connections" --seconds "$ceiling_seconds" --max-requests "$max_requests" \
    --server-pid "$ceiling_pid" --nginx-pid "$nginx_pid" --json "$tmp/$name.json" || ceiling_status=1
  stop_pid "$nginx_pid"; nginx_pid=""
  stop_pid "$ceiling_pid"; ceiling_pid=""
}
if [ "$ceiling" = 1 ]; then
  echo "== ceiling (a): fixed-body FastCGI responder, $workers processes"
  run_ceiling fixed ceiling_fixed
  echo
  echo "== ceiling (b): one primary-key SELECT per request, $workers processes"
  run_ceiling sqlite_pk ceiling_sqlite "$tmp/ceiling.db"
  echo
fi

echo "== weave bench: $users users x $records records, $connections connections, ${seconds}s mix"

# --- the server under test
if [ -z "$url" ]; then
  port=$(free_port)
  config="$tmp/weave.yaml"
  cat > "$config" <<YAML
# Written by bench/run.sh: what scripts/run.sh writes, in a temporary folder.
server:
  listen: "unix:$tmp/weave.sock"
  socket_mode: "0666"
  workers: $workers
  public_url: "http://127.0.0.1:$port/"
database:
  sqlite:
    path: "$tmp/weave.db"
YAML
  $nice_cmd "$build/weave-server" -c "$config" 2> "$tmp/server.log" &
  server_pid=$!
  wait_socket "$tmp/weave.sock"
  start_nginx nginx "$port" "unix:$tmp/weave.sock"
  url="http://127.0.0.1:$port"
  wait_http "$port"
  echo "server: $build/weave-server ($workers workers) behind nginx at $url, data in $tmp"
else
  server_pid_arg=${SERVER_PID:-}
  echo "server: $url (not started here)"
fi

# --- accounts
t0=$(now)
if [ -n "$config" ]; then
  i=1
  while [ $i -le $((users + scratch)) ]; do
    if [ $i -le "$users" ]; then name=$(printf 'benchu%03d' $i); else name=$(printf 'benchscratch%03d' $((i - users))); fi
    printf '%s\n' "$name"
    i=$((i + 1))
  done > "$tmp/accounts"
  # Existing accounts (a rerun against the same server) are fine.
  xargs -P 4 -I NAME sh -c 'printf "%s\n" "NAME-bench-pw" | "$1" -c "$2" add NAME >/dev/null 2>"$3/admin-NAME.log" || grep -q exists "$3/admin-NAME.log"' \
    _ "$build/weave-admin" "$config" "$tmp" < "$tmp/accounts" || {
    echo "bench: creating accounts failed:" >&2
    cat "$tmp"/admin-*.log >&2
    exit 2
  }
fi
t1=$(now)
accounts_seconds=$(python3 -c "print(round($t1 - $t0, 3))")
echo "accounts: $((users + scratch)) created with weave-admin in ${accounts_seconds}s"

# --- seed + mix + verification
set +e
timeout $((seconds + 900)) $nice_cmd "$tools/weave-load" weave --url "$url" \
  --connections "$connections" --seconds "$seconds" --users "$users" --records "$records" \
  --scratch "$scratch" --seed "$seed" --max-requests "$max_requests" \
  --server-pid "${server_pid:-${server_pid_arg:-0}}" --nginx-pid "${nginx_pid:-${NGINX_PID:-0}}" \
  --json "$tmp/weave.json"
status=$?
set -e
[ "$ceiling_status" = 0 ] || status=1
if [ -n "$server_pid" ]; then
  # Anything the server logged at error level, for the record.
  grep -E ' (error|ERROR|warning)' "$tmp/server.log" | head -5 || true
fi
stop_pid "$nginx_pid"; nginx_pid=""
stop_pid "$server_pid"; server_pid=""

# --- summary and the saved run
set -- --weave "$tmp/weave.json" --accounts-seconds "$accounts_seconds" --workers "$workers"
[ -f "$tmp/fixed.json" ] && set -- "$@" --fixed "$tmp/fixed.json"
[ -f "$tmp/sqlite_pk.json" ] && set -- "$@" --sqlite "$tmp/sqlite_pk.json"
[ -n "$runs_dir" ] && set -- "$@" --runs-dir "$runs_dir"
[ -n "${URL:-}" ] && set -- "$@" --external
[ -n "${BENCH_NICE:-}" ] && set -- "$@" --nice "$BENCH_NICE"
python3 "$root/bench/combine.py" "$@" || status=1
exit $status
