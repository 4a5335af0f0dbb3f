#!/bin/sh
# Functional tests: real HTTP through a real nginx to a real weave-server, on loopback.
# Usage: tests/functional/run.sh BUILD_DIR   (BUILD_DIR holds weave-server and weave-admin)
#        FUNC_FILTER="substring ..." limits the run to tests whose id contains a substring.
#
# Starts, in a fresh temporary folder:
#   main  - weave-server (3 workers) + nginx; the users below
#   quota - a second weave-server with a tiny quota (+ its own nginx), for the quota tests
#   lockout - a third one with a login lockout, nginx as a trusted proxy
# runs the Python suite (tests/functional/runner.py) against them, stops everything and
# removes the folder. The last line printed is "N passed, N failed"; the exit status is
# non-zero when anything failed. A sanitizer report in a server log counts as a failure.
# shellcheck source-path=SCRIPTDIR
set -u

# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
server_bin="$build/weave-server"
admin_bin="$build/weave-admin"
need_built "$server_bin" "$admin_bin"
need_tools nginx python3
make_tmp func
server_pids=""
nginx_pids=""
stopped=0

stop_all() {
  [ "$stopped" -eq 1 ] && return 0
  stopped=1
  for pid in $nginx_pids; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $server_pids; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $nginx_pids $server_pids; do wait "$pid" 2>/dev/null; done
  return 0
}
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { stop_all; }

# start_instance NAME WORKERS EXTRA_YAML [SERVER_YAML]: sets $conf, $port, $server_pid
start_instance() {
  name=$1 workers=$2 extra=$3 server_extra=${4:-}
  dir="$tmp/$name"
  mkdir -p "$dir/nginx"
  chmod 0711 "$dir"
  conf="$dir/weave.yaml"
  port=$(free_port)
  cat > "$conf" <<YAML
server:
  listen: "unix:$dir/weave.sock"
  socket_mode: "0666"
  workers: $workers
  shutdown_timeout_seconds: 5
  public_url: "http://127.0.0.1:$port/"
$server_extra
database:
  sqlite:
    path: "$dir/weave.db"
auth:
  cache_seconds: 300
log:
  level: info
  access_log: true
security_log:
  target: file
  file: "$dir/security.log"
$extra
YAML
  sh "$root/scripts/nginx-conf.sh" "$dir/nginx" "$port" "unix:$dir/weave.sock" "$root" \
    > "$dir/nginx/nginx.conf" || return 1
  "$server_bin" -c "$conf" 2> "$dir/server.log" &
  server_pid=$!
  server_pids="$server_pids $server_pid"
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2> "$dir/nginx/stderr.log" &
  nginx_pids="$nginx_pids $!"
  # Ready when an unauthenticated request comes back from the server through nginx (401).
  if ! python3 - "$port" "$server_pid" <<'PY'
import http.client, sys, time
port, pid = int(sys.argv[1]), sys.argv[2]
deadline = time.time() + 30
while time.time() < deadline:
    try:
        with open("/proc/%s/stat" % pid) as stat:
            if stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                sys.exit(1)  # the server exited
    except OSError:
        sys.exit(1)
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        c.request("GET", "/1.1/nobody/info/collections")
        if c.getresponse().status == 401:
            sys.exit(0)
    except OSError:
        pass
    time.sleep(0.1)
sys.exit(1)
PY
  then
    echo "run.sh: the $name server did not come up; end of its log:" >&2
    tail -n 15 "$dir/server.log" "$dir/nginx/stderr.log" >&2
    return 1
  fi
}

# add_user CONF NAME PASSWORD
add_user() {
  printf '%s\n' "$3" | "$admin_bin" -c "$1" add "$2" "$2@example.org" > /dev/null ||
    { echo "run.sh: weave-admin add $2 failed" >&2; return 1; }
}

setup() {
  # Lockouts are off here: the auth tests fail many logins from 127.0.0.1 on purpose.
  start_instance main 3 "limits:
  quota_kib: 102400
  max_body_bytes: 8388608
accounts:
  lockout_max_failures: 0" || return 1
  main_conf=$conf main_port=$port main_pid=$server_pid
  start_instance quota 2 "limits:
  quota_kib: 100
  max_body_bytes: 1048576
accounts:
  lockout_max_failures: 0" || return 1
  quota_conf=$conf quota_port=$port
  # Lockout tests: nginx (127.0.0.1) is a trusted proxy, so X-Forwarded-For picks the
  # client address and the tests can play several clients.
  start_instance lockout 2 "accounts:
  lockout_max_failures: 3
  lockout_max_failures_per_address: 3
  lockout_window_seconds: 600
  lockout_seconds: 2" '  trusted_proxies: ["127.0.0.1"]' || return 1
  lockout_conf=$conf lockout_port=$port
  export WEAVE_URL="http://127.0.0.1:$main_port"
  export WEAVE_USER=alice WEAVE_PASSWORD='alice-password-1'
  export WEAVE_USER2=bob WEAVE_PASSWORD2='bob-password-22'
  # A password with colons, a space and non-ASCII characters (sent as UTF-8).
  export WEAVE_USER_SPECIAL=carol WEAVE_PASSWORD_SPECIAL='co:lon pässwörd:✓'
  export WEAVE_USER_CLIENT=erin WEAVE_PASSWORD_CLIENT='erin-password-4'
  export WEAVE_USER_ADMIN=dave WEAVE_PASSWORD_ADMIN='dave-password-3'
  export WEAVE_USER_CRASH=frank WEAVE_PASSWORD_CRASH='frank-password-5'
  export WEAVE_ADMIN="$admin_bin" WEAVE_CONFIG="$main_conf"
  export WEAVE_MASTER_PID="$main_pid" WEAVE_WORKERS=3
  export WEAVE_QUOTA_KIB=102400 WEAVE_MAX_BODY_BYTES=8388608
  export WEAVE_MAX_PAYLOAD_BYTES=262144 WEAVE_BATCH_MAX_COUNT=100 WEAVE_BATCH_MAX_BYTES=1048576
  export WEAVE_QUOTA_URL="http://127.0.0.1:$quota_port"
  export WEAVE_QUOTA_USER=quinn WEAVE_QUOTA_PASSWORD='quinn-password-6'
  export WEAVE_QUOTA_QUOTA_KIB=100 WEAVE_QUOTA_MAX_BODY_BYTES=1048576
  export WEAVE_LOCKOUT_URL="http://127.0.0.1:$lockout_port"
  export WEAVE_LOCKOUT_MAX_FAILURES=3 WEAVE_LOCKOUT_SECONDS=2
  export WEAVE_LOCKOUT_USER=lola WEAVE_LOCKOUT_PASSWORD='lola-password-7'
  export WEAVE_LOCKOUT_USER2=lenny WEAVE_LOCKOUT_PASSWORD2='lenny-password-8'

  add_user "$main_conf" "$WEAVE_USER" "$WEAVE_PASSWORD" &&
    add_user "$main_conf" "$WEAVE_USER2" "$WEAVE_PASSWORD2" &&
    add_user "$main_conf" "$WEAVE_USER_SPECIAL" "$WEAVE_PASSWORD_SPECIAL" &&
    add_user "$main_conf" "$WEAVE_USER_CLIENT" "$WEAVE_PASSWORD_CLIENT" &&
    add_user "$main_conf" "$WEAVE_USER_ADMIN" "$WEAVE_PASSWORD_ADMIN" &&
    add_user "$main_conf" "$WEAVE_USER_CRASH" "$WEAVE_PASSWORD_CRASH" &&
    add_user "$quota_conf" "$WEAVE_QUOTA_USER" "$WEAVE_QUOTA_PASSWORD" &&
    add_user "$lockout_conf" "$WEAVE_LOCKOUT_USER" "$WEAVE_LOCKOUT_PASSWORD" &&
    add_user "$lockout_conf" "$WEAVE_LOCKOUT_USER2" "$WEAVE_LOCKOUT_PASSWORD2"
}

if setup; then
  counts="$tmp/counts"
  # shellcheck disable=SC2086
  WEAVE_COUNTS_FILE="$counts" python3 "$here/runner.py" ${FUNC_FILTER:-}
  suite_status=$?
  if [ -s "$counts" ]; then
    read -r passed failed < "$counts"
  fi
  if [ "$suite_status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "run.sh: the Python suite exited with status $suite_status" >&2
    failed=$((failed + 1))
  fi
else
  failed=$((failed + 1))
fi

# The files the server made hold accounts and data: no other local user may read them.
if [ -d "$tmp/main" ]; then
  readable=$(find "$tmp/main" -maxdepth 1 -name 'weave.db*' -perm /o=rwx)
  check "the database and its WAL and lock files are not readable by other users" \
    test -z "$readable" -a -f "$tmp/main/weave.db"
  [ -n "$readable" ] && ls -l $readable | sed 's/^/      /'
fi

# Stop the servers (leak checks run at exit), then look for sanitizer reports.
stop_all
for log in "$tmp"/*/server.log; do
  if sanitizer_report "$log"; then
    echo "FAIL: sanitizer report in $(basename "$(dirname "$log")") server log (above)"
    failed=$((failed + 1))
  fi
done
finish
