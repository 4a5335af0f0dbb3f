# Process and nginx helpers shared by the deployment tests (run_apache.sh, test_signals.sh,
# test_socket_activation.sh, test_split.sh, test_nodes.sh). Source it after
# tests/lib/harness.sh (counters, free_port, sanitizer_report) and after setting $server_bin;
# it defines functions and the list $servers only.
# shellcheck shell=sh disable=SC2034,SC2154  # stop_status is read by callers; tmp, root, server_bin set by them

# alive PID: running (an exited child not yet reaped is not)
alive() {
  state=$(sed -n 's/^[0-9]* (.*) \([A-Z]\).*/\1/p' "/proc/$1/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ] && [ "$state" != X ]
}

# wait_gone PID SECONDS: 0 once PID has ended
wait_gone() {
  waited=0
  while alive "$1"; do
    [ "$waited" -ge $(($2 * 10)) ] && return 1
    sleep 0.1
    waited=$((waited + 1))
  done
  return 0
}

# stop_pid PID SECONDS: SIGTERM, wait, then SIGKILL; sets $stop_status to the exit
# status, or "killed after Ns". PID must be a child of this shell.
stop_pid() {
  pid=$1
  if ! kill -TERM "$pid" 2>/dev/null; then
    wait "$pid" 2>/dev/null
    stop_status=$?
    return
  fi
  if ! wait_gone "$pid" "$2"; then
    kill -KILL "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
    stop_status="killed after $2s"
    return
  fi
  wait "$pid" 2>/dev/null
  stop_status=$?
}

# children PID: the child process ids of PID, sorted
children() {
  cat /proc/"$1"/task/*/children 2>/dev/null | tr ' ' '\n' | grep . | sort -n | tr '\n' ' '
}

# disjoint "PIDS" "PIDS": the second list is not empty and shares no pid with the first
disjoint() {
  [ -n "$2" ] || return 1
  # shellcheck disable=SC2086
  [ -z "$(printf '%s\n' $1 $2 | sort | uniq -d)" ]
}

# wait_status URL STATUS SECONDS: 0 once GET URL answers STATUS (TLS: $WEAVE_CAFILE)
wait_status() {
  python3 - "$1" "$2" "$3" <<'PY'
import os, ssl, sys, time, urllib.request, urllib.error
url, want, limit = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
context = ssl.create_default_context(cafile=os.environ.get("WEAVE_CAFILE") or None)
deadline = time.time() + limit
while time.time() < deadline:
    try:
        with urllib.request.urlopen(url, timeout=5, context=context) as reply:
            status = reply.status
    except urllib.error.HTTPError as error:
        status = error.code
    except OSError:
        status = None
    if status == want:
        sys.exit(0)
    time.sleep(0.1)
sys.exit(1)
PY
}

# nginx_conf PREFIX_DIR USER BODY: a self-contained nginx.conf whose http block is BODY
nginx_conf() {
  mkdir -p "$1/logs" "$1/tmp"
  [ -n "$2" ] && echo "user $2;"
  cat <<CONF
worker_processes 2;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $1/tmp/body;
  fastcgi_temp_path $1/tmp/fastcgi;
  proxy_temp_path $1/tmp/proxy;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
$3
}
CONF
}

# Several weave-servers of one test (test_split.sh, test_nodes.sh), each named: its
# configuration is $tmp/NAME.yaml, its stderr $tmp/server-NAME.log. $servers lists the ones
# started as "NAME:PID" words, in the order they started.
servers=""

# check_configs NAME...: weave-server -t accepts each configuration (a check each)
check_configs() {
  for name in "$@"; do
    if "$server_bin" -c "$tmp/$name.yaml" -t > "$tmp/t-$name.log" 2>&1; then
      pass "weave-server -t accepts the $name configuration"
    else
      fail "weave-server -t rejects the $name configuration"
      sed 's/^/      /' "$tmp/t-$name.log"
    fi
  done
}

# start_servers NAME...: starts them all at once, in the background
start_servers() {
  for name in "$@"; do
    "$server_bin" -c "$tmp/$name.yaml" 2> "$tmp/server-$name.log" &
    servers="$servers $name:$!"
  done
}

# stop_servers [checked]: SIGTERM to each server started, in turn; with "checked", each
# must exit 0 (a check each) and its log hold no sanitizer report and no error
stop_servers() {
  for entry in $servers; do
    name=${entry%%:*}
    stop_pid "${entry#*:}" 20
    [ "${1:-}" = checked ] || continue
    check "the $name server exits 0 on SIGTERM (status $stop_status)" test "$stop_status" = 0
    if sanitizer_report "$tmp/server-$name.log"; then fail "sanitizer report in the $name server log"; fi
    if grep -qE '\] error: |died' "$tmp/server-$name.log"; then
      fail "errors in the $name server log:"
      grep -E '\] error: |died' "$tmp/server-$name.log" | head -n 10 | sed 's/^/      /'
    fi
  done
  servers=""
}

# port_site PORT FASTCGI_PASS: an nginx server block that sends every path on the loopback
# PORT to one FastCGI upstream (an upstream's name, or unix:SOCKET)
port_site() {
  cat <<CONF
  server {
    listen 127.0.0.1:$1;
    location / {
      fastcgi_pass $2;
      include $root/conf/nginx/fastcgi_weave.conf;
    }
  }
CONF
}
