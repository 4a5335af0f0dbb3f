#!/bin/sh
# Browser test of the account pages: headless Chromium (Debian packages chromium and
# chromium-driver) driven by playwright-core (npm, installed here from package.json).
# Usage: tests/browser/run.sh [BUILD_DIR]   (default build; holds weave-server, weave-admin)
#
# Starts, in a fresh temporary folder, an SMTP sink (tests/functional/smtp_sink.py),
# weave-server behind nginx on loopback with path_prefix /sync, and one account with an
# e-mail address; runs reset_and_delete.test.js with node's test runner; stops everything.
# BROWSER_ARTIFACTS=DIR keeps screenshots of each step there. The last line printed is
# "N passed, N failed"; the exit status is non-zero when anything failed.
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=$(cd "${1:-$root/build}" 2>/dev/null && pwd) || { echo "run.sh: no such folder: ${1:-build}" >&2; echo "0 passed, 1 failed"; exit 1; }
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}

fail_setup() {
  echo "run.sh: $*" >&2
  echo "0 passed, 1 failed"
  exit 1
}
for tool in "$build/weave-server" "$build/weave-admin" "$chromium"; do
  [ -x "$tool" ] || fail_setup "$tool is missing (apt-get install chromium chromium-driver; make)"
done
for tool in nginx python3 node npm; do
  command -v "$tool" >/dev/null 2>&1 || fail_setup "$tool not found"
done
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error) >&2 ||
    fail_setup "npm install of playwright-core failed"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/weave-browser.XXXXXX")
chmod 0711 "$tmp"
sink_pid="" server_pid="" nginx_pid=""
stop_all() {
  for pid in $nginx_pid $server_pid $sink_pid; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $nginx_pid $server_pid $sink_pid; do wait "$pid" 2>/dev/null; done
  nginx_pid="" server_pid="" sink_pid=""
}
cleanup() {
  stop_all
  rm -rf "$tmp"
}
trap 'trap - EXIT; cleanup; exit 130' INT
trap 'trap - EXIT; cleanup; exit 143' TERM
trap cleanup EXIT

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

wait_for_file() {
  i=0
  while [ ! -s "$1" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
  [ -s "$1" ]
}

setup() {
  python3 "$root/tests/functional/smtp_sink.py" "$tmp/mail" --port-file "$tmp/smtp.port" \
    > "$tmp/sink.log" 2>&1 &
  sink_pid=$!
  wait_for_file "$tmp/smtp.port" || { echo "run.sh: the SMTP sink did not start" >&2; return 1; }
  smtp_port=$(cat "$tmp/smtp.port")
  port=$(free_port)
  mkdir -p "$tmp/nginx"
  cat > "$tmp/weave.yaml" <<YAML
server:
  listen: "unix:$tmp/weave.sock"
  socket_mode: "0666"
  workers: 2
  shutdown_timeout_seconds: 5
  path_prefix: "/sync"
  public_url: "http://127.0.0.1:$port/sync/"
database:
  sqlite:
    path: "$tmp/weave.db"
registration:
  policy: open
mail:
  smtp_url: "smtp://127.0.0.1:$smtp_port"
  from: "sync@test.invalid"
  timeout_seconds: 10
accounts:
  lockout_max_failures: 100
security_log:
  target: file
  file: "$tmp/security.log"
YAML
  sh "$root/scripts/nginx-conf.sh" "$tmp/nginx" "$port" "unix:$tmp/weave.sock" "$root" \
    > "$tmp/nginx/nginx.conf" || return 1
  "$build/weave-server" -c "$tmp/weave.yaml" 2> "$tmp/server.log" &
  server_pid=$!
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx.log" &
  nginx_pid=$!
  i=0
  until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/sync/__heartbeat__")" = 200 ]; do
    i=$((i + 1))
    if [ $i -ge 300 ]; then
      echo "run.sh: the server did not come up:" >&2
      cat "$tmp/server.log" "$tmp/nginx.log" >&2
      return 1
    fi
    sleep 0.1
  done
  export WEAVE_URL="http://127.0.0.1:$port/sync"
  export WEAVE_USER=browseruser WEAVE_PASSWORD='old-password-1' WEAVE_EMAIL='browser.user@example.org'
  export SINK_DIR="$tmp/mail" PROFILE_DIR="$tmp/profile" CHROMIUM_PATH="$chromium"
  mkdir -p "$PROFILE_DIR"
  if [ -n "${BROWSER_ARTIFACTS:-}" ]; then
    mkdir -p "$BROWSER_ARTIFACTS"
    ARTIFACTS_DIR=$(cd "$BROWSER_ARTIFACTS" && pwd)
    export ARTIFACTS_DIR
  fi
  printf '%s\n' "$WEAVE_PASSWORD" |
    "$build/weave-admin" -c "$tmp/weave.yaml" add "$WEAVE_USER" "$WEAVE_EMAIL" > /dev/null
}

passed=0 failed=0
if setup; then
  # Node's TAP summary carries the counts; the run is bounded in time.
  (cd "$here" && timeout 120 node --test --test-reporter=tap reset_and_delete.test.js) \
    > "$tmp/tap.txt" 2>&1
  status=$?
  cat "$tmp/tap.txt"
  passed=$(sed -n 's/^# pass \([0-9][0-9]*\)$/\1/p' "$tmp/tap.txt" | tail -n 1)
  failed=$(sed -n 's/^# fail \([0-9][0-9]*\)$/\1/p' "$tmp/tap.txt" | tail -n 1)
  passed=${passed:-0} failed=${failed:-0}
  if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    echo "run.sh: node exited with status $status" >&2
    failed=1
  fi
else
  failed=1
fi
# Stop first: leak reports are written when the server exits.
stop_all
if grep -qE 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$tmp/server.log" 2>/dev/null; then
  echo "FAIL: sanitizer report in the server log:"
  grep -E -A 30 'ERROR: (Address|Leak|Undefined)Sanitizer|runtime error:' "$tmp/server.log" | head -n 80
  failed=$((failed + 1))
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
