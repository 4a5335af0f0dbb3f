#!/bin/sh
# The benchmark must catch a server that answers fast but wrong. Starts weave-server +
# nginx, runs a short bench directly (must pass), then through bench/broken_proxy.py, which
# acknowledges every other upload without storing it (must fail, on the dropped records).
# The good run is saved (in the test's folder) and must append one line to the history it
# is given; the failing one is not saved (BENCH_RUNS_DIR="") and must append none.
# About 20 s. Ends with "N passed, N failed", like the suites of tests/run_all.sh.
# Usage: sh bench/test_broken.sh [BUILD_DIR]   (server binaries; default $BUILD or build)
#        BENCH_TOOLS=DIR: weave-load (default BUILD_DIR/bench, else build/bench)
# shellcheck source-path=SCRIPTDIR
set -eu
# shellcheck source=../tests/lib/harness.sh
. "$(dirname "$0")/../tests/lib/harness.sh"
resolve_build "${1:-}" "${BUILD:-build}"
tools=${BENCH_TOOLS:-$build/bench}
[ -x "$tools/weave-load" ] || tools="$root/build/bench"
case $tools in /*) ;; *) tools="$root/$tools" ;; esac
need_built "$build/weave-server" "$tools/weave-load"
need_tools nginx python3 curl timeout
make_tmp bench-broken
server_pid="" nginx_pid="" proxy_pid=""
stop_pid() {
  if [ -n "$1" ] && kill -0 "$1" 2>/dev/null; then
    kill -TERM "$1" 2>/dev/null || true
    wait "$1" 2>/dev/null || true
  fi
}
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  stop_pid "$proxy_pid"
  stop_pid "$nginx_pid"
  stop_pid "$server_pid"
}
wait_http() {
  i=0
  until curl -s -o /dev/null --max-time 1 "http://127.0.0.1:$1/" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 100 ] || { echo "test_broken: nothing answers on port $1" >&2; exit 2; }
    sleep 0.1
  done
}

port=$(free_port)
cat > "$tmp/weave.yaml" <<YAML
server:
  listen: "unix:$tmp/weave.sock"
  socket_mode: "0666"
  workers: 4
database:
  sqlite:
    path: "$tmp/weave.db"
YAML
"$build/weave-server" -c "$tmp/weave.yaml" 2> "$tmp/server.log" &
server_pid=$!
mkdir -p "$tmp/nginx"
sh "$root/scripts/nginx-conf.sh" "$tmp/nginx" "$port" "unix:$tmp/weave.sock" "$root" > "$tmp/nginx/nginx.conf"
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx.log" &
nginx_pid=$!
wait_http "$port"

proxy_port=$(free_port)
python3 "$root/bench/broken_proxy.py" "$proxy_port" "$port" 2> "$tmp/proxy.log" &
proxy_pid=$!
wait_http "$proxy_port"

short() { # URL LOG RUNS_DIR
  URL=$1 CONFIG="$tmp/weave.yaml" SERVER_PID=$server_pid BUILD="$build" BENCH_TOOLS="$tools" \
    BENCH_USERS=8 \
    BENCH_RECORDS=600 BENCH_CONNECTIONS=4 BENCH_SECONDS=4 BENCH_CEILING=0 BENCH_RUNS_DIR=$3 \
    BENCH_HISTORY="$tmp/history.jsonl" timeout 120 sh "$root/bench/run.sh" > "$2" 2>&1
}

echo "test_broken: short bench against the real server (must pass)"
if short "http://127.0.0.1:$port" "$tmp/good.log" "$tmp/runs"; then
  grep -E '^(seeded|verification)' "$tmp/good.log"
  passed=$((passed + 1))
else
  cat "$tmp/good.log"
  echo "test_broken: FAIL: the bench failed against a correct server"
  failed=$((failed + 1))
fi
# The saved run's line: this commit, the size, the throughput, and the saved run's name.
if python3 - "$tmp/history.jsonl" "$tmp/runs" "$(python3 "$root/bench/history.py" commit)" <<'PY'
import json, os, sys
lines = [json.loads(text) for text in open(sys.argv[1], encoding="utf-8")]
assert len(lines) == 1, lines
line = lines[0]
assert os.path.exists(os.path.join(sys.argv[2], line["run"] + ".json")), line["run"]
assert line["commit"] == sys.argv[3], (line["commit"], sys.argv[3])
assert (line["users"], line["records"], line["external"], line["ok"]) == (8, 600, True, True)
assert line["rps"] > 0 and line["p99_ms"] > 0 and "post_collection" in line["types"], line
PY
then
  echo "test_broken: the saved run appended its line to the history"
  passed=$((passed + 1))
else
  cat "$tmp/good.log"
  echo "test_broken: FAIL: no (right) history line for the saved run"
  failed=$((failed + 1))
fi

echo "test_broken: same bench through a proxy that drops every other upload (must fail)"
if short "http://127.0.0.1:$proxy_port" "$tmp/bad.log" ""; then
  cat "$tmp/bad.log"
  echo "test_broken: FAIL: the bench passed although uploads were dropped"
  failed=$((failed + 1))
elif ! grep -q 'acknowledged by a POST at .* is missing' "$tmp/bad.log"; then
  cat "$tmp/bad.log"
  echo "test_broken: FAIL: the bench failed, but not because of the dropped records"
  failed=$((failed + 1))
else
  grep -m 3 'acknowledged by a POST' "$tmp/bad.log"
  grep -E '^VERIFICATION FAILED' "$tmp/bad.log"
  echo "test_broken: the dropped uploads were detected"
  passed=$((passed + 1))
fi
if [ -f "$tmp/history.jsonl" ] && [ "$(wc -l < "$tmp/history.jsonl")" -eq 1 ]; then
  echo "test_broken: the unsaved run (BENCH_RUNS_DIR=\"\") left the history alone"
  passed=$((passed + 1))
else
  echo "test_broken: FAIL: an unsaved run appended to the history"
  failed=$((failed + 1))
fi
stop_pid "$proxy_pid"; proxy_pid=""
cat "$tmp/proxy.log"
finish
