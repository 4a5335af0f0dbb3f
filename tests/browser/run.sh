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
# shellcheck source-path=SCRIPTDIR
set -u

# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}" build
chromium=${CHROMIUM_PATH:-/usr/bin/chromium}
need_built "$build/weave-server" "$build/weave-admin"
need_tools "$chromium" nginx python3 node npm curl
if [ ! -d "$here/node_modules/playwright-core" ]; then
  (cd "$here" && npm install --no-audit --no-fund --loglevel=error) >&2 ||
    setup_fail "npm install of playwright-core failed"
fi

make_tmp browser
sink_pid="" server_pid="" nginx_pid=""
stop_all() {
  for pid in $nginx_pid $server_pid $sink_pid; do kill -TERM "$pid" 2>/dev/null; done
  for pid in $nginx_pid $server_pid $sink_pid; do wait "$pid" 2>/dev/null; done
  nginx_pid="" server_pid="" sink_pid=""
}
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() { stop_all; }

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

if setup; then
  # Node's TAP summary carries the counts; the run is bounded in time.
  (cd "$here" && timeout 180 node --test --test-reporter=tap reset_and_delete.test.js) \
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
if sanitizer_report "$tmp/server.log"; then
  echo "FAIL: sanitizer report in the server log (above)"
  failed=$((failed + 1))
fi
finish
