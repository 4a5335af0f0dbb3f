#!/bin/sh
# make bench: seed a Sync server through its API, replay Mozilla's load-test mix against it
# with answer checking, then measure two ceilings (a fixed-body and a one-SELECT FastCGI
# responder) behind the same nginx configuration. Results: a table on stdout and
# bench/runs/<timestamp>.json, plus one line in bench/history.jsonl (kept in git);
# `make bench-report` draws that history's trend across commits.
#
# Environment (all optional):
#   DB=sqlite                   the server's database: sqlite, or mysql: a throwaway MariaDB
#                               (scripts/mariadb.sh, its settings as they are) in the temporary
#                               folder on a free loopback port, holding the records and the
#                               accounts; ceiling (b) then does its SELECT on that MariaDB
#                               (ceiling-mysql_pk, database "ceiling"), and the targets are
#                               the MariaDB ones. mariadbd's CPU is sampled and shown apart
#                               from "other processes" in the summary.
#   BENCH_MYSQL_BUFFER_POOL_MB=1024  with DB=mysql: InnoDB's buffer pool, set at start
#   BENCH_MYSQL_LOG_FILE_MB=512      with DB=mysql: InnoDB's redo log, set at start
#   CACHE=none                  memcached or redis: a throwaway memcached (64 MB) or
#                               redis-server (no persistence) on a free loopback port, named
#                               in the server's cache.servers (with a cache.login_secret, so
#                               verified logins live in it too); the run records it
#   URL=http://127.0.0.1:PORT   use a running server instead of starting one. DB then only
#                               labels the run and picks the targets: no MariaDB is started,
#                               and with DB=mysql ceiling (b) is skipped.
#   CONFIG=weave.yaml           with URL: its configuration, used to create the accounts
#                               (without it the accounts must exist already)
#   SERVER_PID, NGINX_PID       with URL: master pids, for CPU and worker RSS readings
#   BENCH_SECONDS=30            length of the timed mix
#   BENCH_CONNECTIONS=16        concurrent clients
#   BENCH_USERS=100 BENCH_RECORDS=6000   accounts and records per account (make bench
#                               USERS=N OBJECTS=M sets them)
#   BENCH_SEED_TIMEOUT          cap on the seeding, in seconds (default: 300, plus 1 s per
#                               2,000 records and per 5 accounts, each paying a login)
#   BENCH_WORKERS=4             server workers (own stack) and ceiling processes
#   BENCH_CEILING=1             0 skips the ceilings
#   BENCH_KEEP_CONN=0           1: nginx keeps its connections to the server open between
#                               requests (the README's "Kept connections"); 0: one per
#                               request, as for the ceilings
#   BENCH_CEILING_SECONDS=10    length of each ceiling run
#   BENCH_MAX_REQUESTS=5000000  cap on the requests of one timed phase
#   BENCH_SEED=1                random seed of the mix
#   BENCH_RUNS_DIR=bench/runs   where the JSON goes ("" : not saved, and no history line)
#   BENCH_HISTORY=bench/history.jsonl  the history a saved run appends its line to ("":
#                               none, for experiments whose JSON is still wanted)
#   BENCH_PROFILE=0             1 (make bench PROFILE=1): perf record of the server's workers,
#                               nginx and mariadbd during the timed mix; a summary lands next
#                               to the run's JSON as <timestamp>.profile.txt, perf's data as
#                               <timestamp>.perf.data (bench/profile.py summarises)
#   BENCH_PROFILE_CALL_GRAPH=dwarf  perf's --call-graph (fp needs -fno-omit-frame-pointer)
#   BENCH_KEEP=0                1 keeps the temporary data folder
#   BENCH_NICE=                 e.g. -10: run server, nginx, ceilings and load tool at this
#                               priority (and the session's autogroup, as root), to shield
#                               them from other work on the machine
#   BENCH_QUIET_WAIT=0          wait up to this many seconds for the 1-minute load average
#                               to drop below 1 (other processes skew the numbers)
#   BUILD=build                 where weave-server and weave-admin are
#   BENCH_TOOLS=$BUILD/bench    where weave-load and the ceiling responders are
#   BENCH_EXTRA_YAML=           top-level YAML appended to the server's configuration (own stack),
#                               e.g. "upkeep: {enabled: false}", for experiments
#   BENCH_GIT_REV               the commit to record (for a build from an exported tree);
#                               default: the short hash, +dirty with changed tracked files
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
history=${BENCH_HISTORY-$root/bench/history.jsonl}
profile=${BENCH_PROFILE:-0}
seed_timeout=${BENCH_SEED_TIMEOUT:-$((300 + users * records / 2000 + users / 5))}
# The commit as it is when the run starts (the binaries were built from it).
BENCH_GIT_REV=${BENCH_GIT_REV:-$(python3 "$root/bench/history.py" commit)}
export BENCH_GIT_REV
db=${DB:-sqlite}
keep_conn=""  # own stack: whether nginx keeps its connections to the server (BENCH_KEEP_CONN)
cache=${CACHE:-none}
mysql_buffer_pool_mb=${BENCH_MYSQL_BUFFER_POOL_MB:-1024}
mysql_log_file_mb=${BENCH_MYSQL_LOG_FILE_MB:-512}
scratch=$connections

case $db in
  sqlite | mysql) ;;
  *) echo "bench: DB=$db: expected sqlite or mysql" >&2; exit 2 ;;
esac
case $cache in
  none | memcached | redis) ;;
  *) echo "bench: CACHE=$cache: expected none, memcached or redis" >&2; exit 2 ;;
esac
if [ "$cache" != none ] && [ -n "$url" ]; then
  echo "bench: CACHE=$cache starts a cache for a server started here: not with URL" >&2
  exit 2
fi
if [ "$cache" = memcached ] || [ "$cache" = redis ]; then
  command -v "$([ "$cache" = redis ] && echo redis-server || echo memcached)" >/dev/null ||
    { echo "bench: CACHE=$cache: not installed (scripts/install-deps.sh)" >&2; exit 2; }
fi
# Ceiling (b): one primary-key SELECT on the server's kind of database (none for an external
# server on MariaDB: there is no instance here to compare with).
ceiling_b=""
if [ "$ceiling" = 1 ]; then
  if [ "$db" = sqlite ]; then
    ceiling_b=sqlite_pk
  elif [ -z "$url" ]; then
    ceiling_b=mysql_pk
  fi
fi

needed="$build/weave-server $build/weave-admin $tools/weave-load"
[ "$ceiling" = 1 ] && needed="$needed $tools/ceiling-fixed"
[ -n "$ceiling_b" ] && needed="$needed $tools/ceiling-$ceiling_b"
for binary in $needed; do
  if [ ! -x "$binary" ]; then
    echo "bench: $binary is missing; run make bench (or make bench-tools)" >&2
    exit 2
  fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-bench.XXXXXX")
chmod 755 "$tmp"  # nginx workers (user nobody when started as root) reach the sockets here
server_pid="" nginx_pid="" ceiling_pid="" ceiling_status=0 autogroup_before=""
load_pid="" tail_pid="" perf_pid=""
mariadb_dir="" sampler_pid="" cache_pid="" cache_sampler_pid=""

stop_pid() {
  # Stops one process this script started, and waits for it.
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
sample_cpu() { # PID LOG: the process's CPU time every 0.25 s, in the background
  python3 - "$1" "$2" <<'PY' &
import os
import sys
import time
pid, path = sys.argv[1], sys.argv[2]
tick = os.sysconf("SC_CLK_TCK")
with open(path, "w", encoding="utf-8") as out:
    while True:
        try:
            with open(f"/proc/{pid}/stat", encoding="utf-8") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            break
        out.write(f"{time.time():.3f} {(int(fields[11]) + int(fields[12])) / tick:.2f}\n")
        out.flush()
        time.sleep(0.25)
PY
}
cleanup() {
  if [ -n "$autogroup_before" ]; then
    echo "$autogroup_before" > "/proc/$$/autogroup" 2>/dev/null || true
  fi
  stop_pid "$nginx_pid"; nginx_pid=""
  stop_pid "$server_pid"; server_pid=""
  stop_pid "$ceiling_pid"; ceiling_pid=""
  stop_pid "$sampler_pid"; sampler_pid=""
  stop_pid "$cache_sampler_pid"; cache_sampler_pid=""
  stop_pid "$cache_pid"; cache_pid=""
  stop_pid "$perf_pid"; perf_pid=""
  stop_pid "$load_pid"; load_pid=""
  stop_pid "$tail_pid"; tail_pid=""
  if [ -n "$mariadb_dir" ]; then
    sh "$root/scripts/mariadb.sh" stop "$mariadb_dir" || true
    mariadb_dir=""
  fi
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
# KEEP_CONN=0: one connection per request (see scripts/nginx-sites-conf.sh).
start_nginx() { # NAME PORT UPSTREAM [KEEP_CONN]
  mkdir -p "$tmp/$1"
  KEEP_CONN=${4:-1} sh "$root/scripts/nginx-conf.sh" "$tmp/$1" "$2" "$3" "$root" \
    > "$tmp/$1/nginx.conf"
  $nice_cmd nginx -p "$tmp/$1" -c "$tmp/$1/nginx.conf" -g 'daemon off;' 2> "$tmp/$1/stderr.log" &
  nginx_pid=$!
}

now() { python3 -c 'import time; print(f"{time.time():.3f}")'; }

# PROFILE=1 needs perf, allowed to record (kernel.perf_event_paranoid, or root); without
# them the bench runs unprofiled and says why.
call_graph=${BENCH_PROFILE_CALL_GRAPH:-dwarf}
if [ "$profile" = 1 ]; then
  paranoid=$(cat /proc/sys/kernel/perf_event_paranoid 2>/dev/null || echo "?")
  if ! command -v perf >/dev/null 2>&1; then
    echo "bench: PROFILE=1: perf is not installed (Debian: linux-perf); running without a profile" >&2
    profile=0
  elif ! perf record -q -F 499 --call-graph "$call_graph" -o "$tmp/perf-probe.data" -- true \
      > "$tmp/perf-probe.log" 2>&1; then
    echo "bench: PROFILE=1: perf cannot record here (kernel.perf_event_paranoid=$paranoid;" \
      "run as root or lower it, e.g. sysctl kernel.perf_event_paranoid=1):" \
      "$(head -n 2 "$tmp/perf-probe.log" | tr '\n' ' ')- running without a profile" >&2
    profile=0
  elif [ "$(id -u)" != 0 ] && [ "$paranoid" != "?" ] && [ "$paranoid" -gt 1 ]; then
    echo "bench: PROFILE=1: kernel.perf_event_paranoid=$paranoid: user space only (no kernel share)" >&2
  fi
fi

# PROFILE=1: once the load tool says the mix started, records the server's processes (master
# and workers), nginx's and mariadbd for the mix's length; sets perf_pid.
start_profile() {
  while kill -0 "$load_pid" 2>/dev/null && ! grep -q '^mix: started' "$tmp/weave.out"; do
    sleep 0.1
  done
  grep -q '^mix: started' "$tmp/weave.out" || return 0
  pids=""
  for parent in ${server_pid:-${SERVER_PID:-}} ${nginx_pid:-${NGINX_PID:-}} \
      $([ -n "$mariadb_dir" ] && cat "$mariadb_dir/mariadbd.pid"); do
    [ "$parent" != 0 ] || continue
    pids="$pids,$parent$(pgrep -P "$parent" | sed 's/^/,/' | tr -d '\n')"
  done
  if [ -z "$pids" ]; then
    echo "bench: PROFILE=1: no server process to profile (with URL, set SERVER_PID)" >&2
    return 0
  fi
  echo "profile: perf record -F 499 --call-graph $call_graph of processes ${pids#,} for ${seconds}s"
  # SIGINT ends perf record cleanly (it writes its data); the mix lasts $seconds.
  timeout -s INT "$seconds" perf record -q -F 499 --call-graph "$call_graph" -p "${pids#,}" \
    -o "$tmp/perf.data" > "$tmp/perf.log" 2>&1 &
  perf_pid=$!
}

# --- DB=mysql: a throwaway MariaDB for the server and ceiling (b), as scripts/run.sh starts
# one for make run DB=mysql (a random password in a file; the accounts live there too)
if [ "$db" = mysql ] && [ -z "$url" ]; then
  mariadb_dir="$tmp/mariadb"
  mysql_port=$(free_port)
  mysql_password=$(sh "$root/scripts/mariadb.sh" password "$mariadb_dir")
  echo "starting MariaDB on 127.0.0.1:$mysql_port (data in $mariadb_dir)"
  $nice_cmd sh "$root/scripts/mariadb.sh" start "$mariadb_dir" "$mysql_port" weave weave \
    "$mysql_password"
  # A production server sizes InnoDB's buffer pool to its data and its redo log to its
  # write rate (the 64 MB and 32 MB of mariadb.sh are for trying things out): the seeded
  # records, about 700 MB, fit in the default 1 GB here, and with a 32 MB log InnoDB
  # stalls writers for ~200 ms at a time to flush pages before reusing it.
  sh "$root/scripts/mariadb.sh" sql "$mariadb_dir" \
    -e "SET GLOBAL innodb_buffer_pool_size = $mysql_buffer_pool_mb * 1048576;
        SET GLOBAL innodb_log_file_size = $mysql_log_file_mb * 1048576"
  # Ceiling (b) gets a database of its own on the same instance.
  sh "$root/scripts/mariadb.sh" sql "$mariadb_dir" <<'SQL'
CREATE DATABASE IF NOT EXISTS ceiling;
GRANT ALL PRIVILEGES ON ceiling.* TO 'weave'@'127.0.0.1';
GRANT ALL PRIVILEGES ON ceiling.* TO 'weave'@'localhost';
SQL
  mariadb_info=$(sh "$root/scripts/mariadb.sh" sql "$mariadb_dir" -N -B -e \
    'SELECT VERSION(), @@innodb_buffer_pool_size DIV 1048576, @@innodb_flush_log_at_trx_commit,
            @@innodb_log_file_size DIV 1048576')
  mariadb_version=$(echo "$mariadb_info" | cut -f1)
  mariadb_settings="innodb_buffer_pool_size=$(echo "$mariadb_info" | cut -f2)M innodb_log_file_size=$(echo "$mariadb_info" | cut -f4)M innodb_flush_log_at_trx_commit=$(echo "$mariadb_info" | cut -f3)"
  echo "MariaDB $mariadb_version: $mariadb_settings"
  # mariadbd's CPU time every 0.25 s, so the summary can tell it from other processes
  # (weave-load counts it among them).
  sample_cpu "$(cat "$mariadb_dir/mariadbd.pid")" "$tmp/mariadb-cpu.log"
  sampler_pid=$!
fi

quiet_wait=${BENCH_QUIET_WAIT:-0}
waited=0
while [ "$waited" -lt "$quiet_wait" ] && ! awk '{ exit !($1 < 1.0) }' /proc/loadavg; do
  sleep 5
  waited=$((waited + 5))
done
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"

# --- ceilings first, on a quiet machine (the seeding leaves much data to write back):
# same nginx configuration, same number of processes as server workers; never with kept
# connections (a bare libfcgi responder serves one connection at a time until it closes:
# kept ones would pin its processes)
run_ceiling() { # NAME LABEL ARGS...
  name=$1 label=$2
  shift 2
  cport=$(free_port)
  $nice_cmd "$tools/ceiling-$name" "unix:$tmp/$name.sock" "$workers" "$@" 2> "$tmp/$name.log" &
  ceiling_pid=$!
  wait_socket "$tmp/$name.sock"
  start_nginx "nginx-$name" "$cport" "unix:$tmp/$name.sock" 0
  wait_http "$cport"
  timeout $((ceiling_seconds + 120)) $nice_cmd "$tools/weave-load" fixed \
    --url "http://127.0.0.1:$cport/1.1/benchu001/info/collections" --label "$label" \
    --connections "$connections" --seconds "$ceiling_seconds" --max-requests "$max_requests" \
    --server-pid "$ceiling_pid" --nginx-pid "$nginx_pid" --json "$tmp/$name.json" || ceiling_status=1
  now > "$tmp/$name.end"
  stop_pid "$nginx_pid"; nginx_pid=""
  stop_pid "$ceiling_pid"; ceiling_pid=""
}
if [ "$ceiling" = 1 ]; then
  echo "== ceiling (a): fixed-body FastCGI responder, $workers processes"
  run_ceiling fixed ceiling_fixed
  echo
  if [ "$ceiling_b" = sqlite_pk ]; then
    echo "== ceiling (b): one primary-key SELECT per request on SQLite, $workers processes"
    run_ceiling sqlite_pk ceiling_sqlite "$tmp/ceiling.db"
  elif [ "$ceiling_b" = mysql_pk ]; then
    echo "== ceiling (b): one primary-key SELECT per request on MariaDB (TCP), $workers processes"
    run_ceiling mysql_pk ceiling_mysql 127.0.0.1 "$mysql_port" weave \
      "@$mariadb_dir/weave-password" ceiling
  else
    echo "== ceiling (b): skipped (DB=mysql with URL: no MariaDB here to measure)"
  fi
  echo
fi

echo "== weave bench: $users users x $records records, $connections connections, ${seconds}s mix"

# --- the server under test
if [ -z "$url" ]; then
  port=$(free_port)
  config="$tmp/weave.yaml"
  if [ "$db" = mysql ]; then
    database_yaml=$(sh "$root/scripts/mariadb.sh" yaml "$mariadb_dir" "$mysql_port")
  else
    database_yaml="  sqlite:
    path: \"$tmp/weave.db\""
  fi
  cat > "$config" <<YAML
# Written by bench/run.sh: what scripts/run.sh writes, in a temporary folder.
server:
  listen: "unix:$tmp/weave.sock"
  socket_mode: "0666"
  workers: $workers
  public_url: "http://127.0.0.1:$port/"
database:
$database_yaml
YAML
  if [ -n "${BENCH_EXTRA_YAML:-}" ]; then printf '%s\n' "$BENCH_EXTRA_YAML" >> "$config"; fi
  if [ "$cache" != none ]; then
    cache_port=$(free_port)
    mkdir -p "$tmp/cache"
    if [ "$cache" = memcached ]; then
      $nice_cmd memcached -l 127.0.0.1 -p "$cache_port" -U 0 -m 64 \
        $([ "$(id -u)" = 0 ] && echo "-u root") > "$tmp/cache/cache.log" 2>&1 &
    else
      $nice_cmd redis-server --port "$cache_port" --bind 127.0.0.1 --save "" --appendonly no \
        --dir "$tmp/cache" > "$tmp/cache/cache.log" 2>&1 &
    fi
    cache_pid=$!
    # The cache's CPU too: with CACHE=, work moves from the database to it.
    sample_cpu "$cache_pid" "$tmp/cache-cpu.log"
    cache_sampler_pid=$!
    i=0
    until python3 -c 'import socket, sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1)' \
        "$cache_port" 2>/dev/null; do
      i=$((i + 1))
      if [ $i -ge 100 ]; then
        echo "bench: $cache did not start:" >&2
        cat "$tmp/cache/cache.log" >&2
        exit 2
      fi
      sleep 0.1
    done
    (umask 077 && python3 -c 'import secrets; print(secrets.token_hex(32))' > "$tmp/cache/login-secret")
    cat >> "$config" <<YAML
cache:
  servers: ["$cache://127.0.0.1:$cache_port"]
  login_secret_file: "$tmp/cache/login-secret"
YAML
    echo "cache: $cache on 127.0.0.1:$cache_port"
  fi
  $nice_cmd "$build/weave-server" -c "$config" 2> "$tmp/server.log" &
  server_pid=$!
  wait_socket "$tmp/weave.sock"
  keep_conn=${BENCH_KEEP_CONN:-0}
  start_nginx nginx "$port" "unix:$tmp/weave.sock" "$keep_conn"
  url="http://127.0.0.1:$port"
  wait_http "$port"
  echo "server: $build/weave-server ($workers workers, $db, cache $cache) behind nginx at $url, data in $tmp"
else
  server_pid_arg=${SERVER_PID:-}
  echo "server: $url (not started here; DB=$db labels the run)"
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
  if [ -z "${URL:-}" ]; then
    # A fresh database: one weave-admin import of all the accounts (bench/accounts.py
    # hashes the passwords as weave-admin add would, on every CPU), not one process each.
    if ! python3 "$root/bench/accounts.py" "$tmp/accounts" "$tmp/accounts.jsonl" \
        > "$tmp/admin-import.log" 2>&1 ||
      ! "$build/weave-admin" -c "$config" import weave "$tmp/accounts.jsonl" \
        >> "$tmp/admin-import.log" 2>&1; then
      echo "bench: creating accounts failed:" >&2
      cat "$tmp/admin-import.log" >&2
      exit 2
    fi
  else
    # Existing accounts (a rerun against the same server) are fine.
    xargs -P 4 -I NAME sh -c 'printf "%s\n" "NAME-bench-pw" | "$1" -c "$2" add NAME >/dev/null 2>"$3/admin-NAME.log" || grep -q exists "$3/admin-NAME.log"' \
      _ "$build/weave-admin" "$config" "$tmp" < "$tmp/accounts" || {
      echo "bench: creating accounts failed:" >&2
      cat "$tmp"/admin-*.log >&2
      exit 2
    }
  fi
fi
t1=$(now)
accounts_seconds=$(python3 -c "print(round($t1 - $t0, 3))")
echo "accounts: $((users + scratch)) created with weave-admin in ${accounts_seconds}s"

# --- seed + mix + verification
if [ -n "$sampler_pid" ]; then
  echo "(weave-load counts mariadbd's CPU among \"other processes\"; the summary shows it apart)"
fi
# The load tool writes to a file, shown as it grows, so that a profile can start when the
# mix does ("mix: started").
timeout $((seconds + seed_timeout + 1500)) $nice_cmd "$tools/weave-load" weave \
  --url "$url" \
  --connections "$connections" --seconds "$seconds" --users "$users" --records "$records" \
  --scratch "$scratch" --seed "$seed" --max-requests "$max_requests" \
  --seed-timeout "$seed_timeout" \
  --server-pid "${server_pid:-${server_pid_arg:-0}}" --nginx-pid "${nginx_pid:-${NGINX_PID:-0}}" \
  --json "$tmp/weave.json" > "$tmp/weave.out" 2>&1 &
load_pid=$!
tail -n +1 -f --pid="$load_pid" "$tmp/weave.out" &
tail_pid=$!
if [ "$profile" = 1 ]; then
  start_profile
fi
set +e
wait "$load_pid"
status=$?
set -e
load_pid=""
wait "$tail_pid" 2>/dev/null || true
tail_pid=""
if [ -n "$perf_pid" ]; then
  wait "$perf_pid" 2>/dev/null || true
  perf_pid=""
fi
now > "$tmp/weave.end"
[ "$ceiling_status" = 0 ] || status=1
if [ -n "$server_pid" ]; then
  # Anything the server logged at error level, for the record.
  grep -E ' (error|ERROR|warning)' "$tmp/server.log" | head -5 || true
fi
stop_pid "$nginx_pid"; nginx_pid=""
stop_pid "$server_pid"; server_pid=""
stop_pid "$sampler_pid"; sampler_pid=""
stop_pid "$cache_sampler_pid"; cache_sampler_pid=""
stop_pid "$cache_pid"; cache_pid=""

# --- summary and the saved run
set -- --weave "$tmp/weave.json" --accounts-seconds "$accounts_seconds" --workers "$workers" \
  --db "$db" --cache "$cache" --weave-end "$(cat "$tmp/weave.end")"
[ -n "${keep_conn:-}" ] && set -- "$@" --keep-conn "$keep_conn"
[ -f "$tmp/fixed.json" ] && set -- "$@" --fixed "$tmp/fixed.json" --fixed-end "$(cat "$tmp/fixed.end")"
[ -f "$tmp/sqlite_pk.json" ] && set -- "$@" --sqlite "$tmp/sqlite_pk.json"
[ -f "$tmp/mysql_pk.json" ] && set -- "$@" --mysql "$tmp/mysql_pk.json" \
  --mysql-end "$(cat "$tmp/mysql_pk.end")"
if [ -z "${URL:-}" ]; then
  # What the data set occupies on disk (SQLite: the file with its WAL; MariaDB: the
  # database's folder, a .ibd file per table).
  if [ "$db" = mysql ]; then
    data_kb=$(du -sk "$mariadb_dir/data/weave" | cut -f1)
  else
    data_kb=$(du -ck "$tmp"/weave.db* | tail -n 1 | cut -f1)
  fi
  set -- "$@" --data-kb "$data_kb"
fi
if [ -n "$mariadb_dir" ]; then
  mariadb_pid=$(cat "$mariadb_dir/mariadbd.pid")
  set -- "$@" --db-version "$mariadb_version" --db-settings "$mariadb_settings" \
    --db-cpu-log "$tmp/mariadb-cpu.log" \
    --db-peak-rss-kb "$(sed -n 's/^VmHWM:[^0-9]*\([0-9]*\).*/\1/p' "/proc/$mariadb_pid/status")"
fi
[ -s "$tmp/cache-cpu.log" ] && set -- "$@" --cache-cpu-log "$tmp/cache-cpu.log"
[ -n "$runs_dir" ] && set -- "$@" --runs-dir "$runs_dir"
[ -n "${URL:-}" ] && set -- "$@" --external
[ -n "${BENCH_NICE:-}" ] && set -- "$@" --nice "$BENCH_NICE"
stamp=$(date -u +%Y%m%dT%H%M%SZ)
python3 "$root/bench/combine.py" "$@" --stamp "$stamp" || status=1

# --- the history line (saved runs only) and the profile's summary
if [ -n "$runs_dir" ] && [ -f "$runs_dir/$stamp.json" ]; then
  case $history in "" | 0) ;; *)
    set -- --history "$history"
    [ "$profile" = 1 ] && [ -s "$tmp/perf.data" ] && set -- "$@" --profiled
    python3 "$root/bench/history.py" append "$runs_dir/$stamp.json" "$@" || status=1 ;;
  esac
fi
if [ "$profile" = 1 ]; then
  if [ -s "$tmp/perf.data" ]; then
    echo "profile: summarising (perf script) ..."
    profile_out="$tmp/profile.txt"
    if [ -n "$runs_dir" ]; then
      mkdir -p "$runs_dir"
      profile_out="$runs_dir/$stamp.profile.txt"
      mv "$tmp/perf.data" "$runs_dir/$stamp.perf.data"
      perf_data="$runs_dir/$stamp.perf.data"
    else
      perf_data="$tmp/perf.data"
    fi
    if python3 "$root/bench/profile.py" "$perf_data" --frequency 499 > "$profile_out"; then
      cat "$profile_out"
      echo "profile: summary $profile_out; perf data $perf_data (perf report -i ...)"
    else
      echo "bench: PROFILE=1: the profile could not be summarised (perf data $perf_data)" >&2
    fi
  else
    echo "bench: PROFILE=1: perf recorded nothing:" >&2
    cat "$tmp/perf.log" >&2 2>/dev/null || true
  fi
fi
exit $status
