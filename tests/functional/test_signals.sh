#!/bin/sh
# Signals under traffic: weave-server (4 workers, its own Unix socket) behind nginx.
# Usage: tests/functional/test_signals.sh BUILD_DIR
#
#   a. SIGHUP while a load runs (8 clients, GETs and POSTs, ~6 s; two reloads, the second
#      with a changed configuration): every response is 200, the workers are new, and
#      the new configuration is in force.
#   b. SIGHUP with a broken configuration: the running workers stay and keep serving.
#   c. SIGKILL of a worker: the master replaces it.
#   d. SIGHUP while three large POSTs are in flight (their bodies still arriving, through
#      an nginx server with fastcgi_request_buffering off): all three complete with 200.
#   e. SIGTERM in the same situation: all three complete with 200, then the master exits
#      0; a fresh server finds every record of d and e stored.
#   f. max_requests_per_worker: 40 under load (8 clients, ~8 s): workers are replaced one at
#      a time, no two within 900 ms of each other (watched from /proc, every 10 ms), and
#      every request is answered 200.
# The last line is "N passed, N failed".
# shellcheck source-path=SCRIPTDIR
set -u

# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=deploy_lib.sh
. "$here/deploy_lib.sh"
resolve_build "${1:-}"
server_bin="$build/weave-server"
admin_bin="$build/weave-admin"
need_built "$server_bin" "$admin_bin"
need_tools nginx python3

make_tmp signals
server_pid="" nginx_pid=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid" 10
  [ -n "$server_pid" ] && stop_pid "$server_pid" 30
  nginx_pid="" server_pid=""
}

sock="$tmp/weave.sock"
conf="$tmp/weave.yaml"
port=$(free_port)
slow_port=$(free_port)
write_conf() {  # write_conf ALERT [MAX_REQUESTS_PER_WORKER]
  cat > "$conf" <<YAML
server:
  listen: "unix:$sock"
  socket_mode: "0666"
  workers: 4
  shutdown_timeout_seconds: 20
  max_requests_per_worker: ${2:-100000}
database:
  sqlite:
    path: "$tmp/weave.db"
accounts:
  lockout_max_failures: 0
maintenance:
  alert: "$1"
security_log:
  target: file
  file: "$tmp/security.log"
YAML
}
write_conf ""
printf '%s\n' 'alice-password-1' | "$admin_bin" -c "$conf" add alice > /dev/null ||
  setup_fail "weave-admin add failed"

mkdir -p "$tmp/nginx"
# Two servers: the usual one, and one that streams request bodies to the worker as they
# arrive, so a test can hold a request in flight inside a worker.
nginx_conf "$tmp/nginx" "" "  server {
    listen 127.0.0.1:$port;
    location / {
      fastcgi_pass unix:$sock;
      include $root/conf/nginx/fastcgi_weave.conf;
    }
  }
  server {
    listen 127.0.0.1:$slow_port;
    location / {
      fastcgi_pass unix:$sock;
      include $root/conf/nginx/fastcgi_weave.conf;
      fastcgi_request_buffering off;
    }
  }" > "$tmp/nginx/nginx.conf"

"$server_bin" -c "$conf" 2> "$tmp/server.log" &
server_pid=$!
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx/stderr.log" &
nginx_pid=$!
base="http://127.0.0.1:$port"
if ! wait_status "$base/__heartbeat__" 200 30; then
  fail "the server did not come up"
  cat "$tmp/server.log" "$tmp/nginx/stderr.log"
  finish
fi
wait_workers() {  # wait_workers N SECONDS: N workers running
  waited=0
  while [ "$(children "$server_pid" | wc -w)" -ne "$1" ]; do
    [ "$waited" -ge $(($2 * 10)) ] && return 1
    sleep 0.1
    waited=$((waited + 1))
  done
}
wait_workers 4 10

# --- a. SIGHUP under load -----------------------------------------------------------
python3 - "$port" 6 "$tmp/load.ready" > "$tmp/load.out" 2>&1 <<'PY' &
import base64, http.client, json, sys, threading, time
port, seconds, ready = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
auth = "Basic " + base64.b64encode(b"alice:alice-password-1").decode()
statuses, errors, alerts = {}, [], set()
lock = threading.Lock()

def client(n):
    i = 0
    deadline = time.time() + seconds
    while time.time() < deadline:
        i += 1
        if i % 3 == 0:
            # The same 20 ids each time: records are replaced, the quota is not filled.
            body = json.dumps([{"id": "c%d-%d" % (n, k), "payload": "%d" % i * 500}
                               for k in range(20)])
            request = ("POST", "/1.1/alice/storage/load%d" % n, body)
        elif i % 3 == 1:
            request = ("GET", "/1.1/alice/info/collections", None)
        else:
            request = ("GET", "/1.1/alice/storage/load%d?full=1&limit=10" % n, None)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            headers = {"Authorization": auth}
            if request[2] is not None:
                headers["Content-Type"] = "application/json"
            c.request(request[0], request[1], request[2], headers)
            r = c.getresponse()
            data = r.read()
            c.close()
            with lock:
                statuses[r.status] = statuses.get(r.status, 0) + 1
                if r.status != 200:
                    errors.append("%s %s -> %s %r" % (request[0], request[1], r.status, data[:100]))
                if r.getheader("X-Weave-Alert"):
                    alerts.add(r.getheader("X-Weave-Alert"))
        except Exception as error:  # noqa: BLE001
            with lock:
                statuses["exception"] = statuses.get("exception", 0) + 1
                errors.append("%s %s -> %r" % (request[0], request[1], error))

threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
open(ready, "w").close()
for t in threads:
    t.join()
print("statuses", json.dumps({str(k): v for k, v in statuses.items()}))
print("alerts", json.dumps(sorted(alerts)))
for e in errors[:20]:
    print("error", e)
total = sum(statuses.values())
print("load: %d requests, %d not 200" % (total, total - statuses.get(200, 0)))
sys.exit(0 if total > 100 and statuses.get(200, 0) == total else 1)
PY
load_pid=$!
waited=0
while [ ! -e "$tmp/load.ready" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
workers_0=$(children "$server_pid")
sleep 1.5
kill -HUP "$server_pid"
sleep 1.5
workers_1=$(children "$server_pid")
write_conf "reloaded under load"
kill -HUP "$server_pid"
sleep 1.5
workers_2=$(children "$server_pid")
if wait_gone "$load_pid" 60; then
  wait "$load_pid"
  load_status=$?
else
  kill -TERM "$load_pid"
  load_status=timeout
fi
sed 's/^/      /' "$tmp/load.out"
check "a. SIGHUP x2 under load: every request answered 200" test "$load_status" = 0
check "a. first SIGHUP replaced the workers ($workers_0-> $workers_1)" disjoint "$workers_0" "$workers_1"
check "a. second SIGHUP replaced them again (-> $workers_2)" disjoint "$workers_1" "$workers_2"
check "a. the reloaded configuration is in force (X-Weave-Alert)" python3 - "$port" <<'PY'
import http.client, sys
ok = True
for _ in range(8):  # every worker
    c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
    c.request("GET", "/__heartbeat__")
    r = c.getresponse()
    r.read()
    ok = ok and r.status == 200 and r.getheader("X-Weave-Alert") == "reloaded under load"
sys.exit(0 if ok else 1)
PY
wait_workers 4 10
check "a. 4 workers after the reloads" test "$(children "$server_pid" | wc -w)" -eq 4

# --- b. SIGHUP with a broken configuration ---------------------------------------------
cp "$conf" "$tmp/weave.yaml.good"
printf 'server:\n  workers: many\n' > "$conf"
before=$(children "$server_pid")
kill -HUP "$server_pid"
sleep 1
after=$(children "$server_pid")
check "b. a broken configuration keeps the running workers" test "$before" = "$after"
check "b. and they serve" wait_status "$base/__heartbeat__" 200 5
check "b. the reload error is logged" grep -q "reload failed" "$tmp/server.log"
cp "$tmp/weave.yaml.good" "$conf"

# --- c. SIGKILL of a worker ---------------------------------------------------------------
before=$(children "$server_pid")
victim=${before%% *}
kill -KILL "$victim"
waited=0
while :; do
  now=$(children "$server_pid")
  case " $now " in *" $victim "*) ;; *) [ "$(echo "$now" | wc -w)" -eq 4 ] && break ;; esac
  [ "$waited" -ge 50 ] && break
  sleep 0.1
  waited=$((waited + 1))
done
check "c. killed worker $victim replaced ($before-> $now)" \
  sh -c "[ \$(echo '$now' | wc -w) -eq 4 ] && ! echo ' $now ' | grep -q ' $victim '"
check "c. still serving" wait_status "$base/__heartbeat__" 200 5

# --- d/e. signals while large POSTs are in flight ------------------------------------------
# slow_uploads TAG SIGNAL: three 100-record POSTs (~900 KB each) send half their body,
# SIGNAL goes to the master, then the rest follows 2.5 s later. Sets $slow_status.
slow_uploads() {
  rm -f "$tmp/slow.ready"
  python3 - "$slow_port" "$tmp/slow.ready" "$1" > "$tmp/slow.out" 2>&1 <<'PY' &
import base64, http.client, json, os, sys, threading, time
port, ready, tag = int(sys.argv[1]), sys.argv[2], sys.argv[3]
auth = "Basic " + base64.b64encode(b"alice:alice-password-1").decode()
results, sent_half = {}, []
lock = threading.Lock()

def upload(n):
    records = [{"id": "s%d-%03d" % (n, i), "payload": ("%d" % n) * 9000} for i in range(100)]
    body = json.dumps(records).encode()
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        c.putrequest("POST", "/1.1/alice/storage/%s%d" % (tag, n))
        c.putheader("Authorization", auth)
        c.putheader("Content-Type", "application/json")
        c.putheader("Content-Length", str(len(body)))
        c.endheaders()
        half = len(body) // 2
        c.send(body[:half])
        with lock:
            sent_half.append(n)
            if len(sent_half) == 3:
                open(ready, "w").close()
        time.sleep(2.5)  # the signal reaches the server meanwhile
        c.send(body[half:])
        r = c.getresponse()
        data = r.read()
        ok = r.status == 200 and len(json.loads(data)["success"]) == 100
        with lock:
            results[n] = (ok, r.status, data[:80])
    except Exception as error:  # noqa: BLE001
        with lock:
            results[n] = (False, "exception", repr(error))

threads = [threading.Thread(target=upload, args=(n,)) for n in range(3)]
for t in threads:
    t.start()
for t in threads:
    t.join()
for n in sorted(results):
    print("upload %d: %s" % (n, results[n]))
sys.exit(0 if len(results) == 3 and all(r[0] for r in results.values()) else 1)
PY
  slow_pid=$!
  waited=0
  while [ ! -e "$tmp/slow.ready" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
  sleep 0.5
  workers_at_signal=$(children "$server_pid")
  kill "-$2" "$server_pid"
  signal_sent=$(date +%s)
  if wait_gone "$slow_pid" 60; then
    wait "$slow_pid"
    slow_status=$?
  else
    kill -TERM "$slow_pid"
    slow_status=timeout
  fi
  sed 's/^/      /' "$tmp/slow.out"
}

slow_uploads reload HUP
check "d. SIGHUP: the three POSTs in flight completed with 200, 100 records each" \
  test "$slow_status" = 0
check "d. serving after that SIGHUP" wait_status "$base/__heartbeat__" 200 5

slow_uploads stop TERM
workers_at_term=$workers_at_signal
term_sent=$signal_sent
check "e. SIGTERM: the three POSTs in flight completed with 200, 100 records each" \
  test "$slow_status" = 0
if wait_gone "$server_pid" 30; then
  wait "$server_pid"
  master_status=$?
else
  master_status="still running"
fi
took=$(($(date +%s) - term_sent))
server_pid_was=$server_pid
server_pid=""
check "e. then the master exits 0 (status $master_status, ${took}s after SIGTERM)" \
  test "$master_status" = 0
none_alive() {
  for pid in "$@"; do alive "$pid" && return 1; done
  return 0
}
# shellcheck disable=SC2086
check "e. no worker of $server_pid_was left ($workers_at_term)" none_alive $workers_at_term

# The records of the in-flight POSTs are stored: read them back from a fresh server.
"$server_bin" -c "$conf" 2>> "$tmp/server.log" &
server_pid=$!
wait_status "$base/__heartbeat__" 200 30
check "e. the in-flight POSTs' records are in the database" python3 - "$port" <<'PY'
import base64, http.client, json, sys
auth = "Basic " + base64.b64encode(b"alice:alice-password-1").decode()
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", "/1.1/alice/info/collection_counts", headers={"Authorization": auth})
counts = json.loads(c.getresponse().read())
sys.exit(0 if all(counts.get("%s%d" % (tag, n)) == 100
                  for tag in ("reload", "stop") for n in range(3)) else 1)
PY

# --- f. recycling under load ------------------------------------------------------------
stop_pid "$server_pid" 30
write_conf "" 40
"$server_bin" -c "$conf" 2>> "$tmp/server.log" &
server_pid=$!
wait_status "$base/__heartbeat__" 200 30
wait_workers 4 10
python3 - "$port" "$server_pid" 8 > "$tmp/recycle.out" 2>&1 <<'PY'
import base64, http.client, json, sys, threading, time
port, master, seconds = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
auth = "Basic " + base64.b64encode(b"alice:alice-password-1").decode()
statuses, errors, lock = {}, [], threading.Lock()
stop = time.time() + seconds

def client(n):
    i = 0
    while time.time() < stop:
        i += 1
        if i % 4 == 0:
            request = ("PUT", "/1.1/alice/storage/recycle/r%d" % n, json.dumps({"payload": str(i)}))
        else:
            request = ("GET", "/1.1/alice/storage/recycle?full=1", None)
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            c.request(request[0], request[1], request[2], {"Authorization": auth})
            r = c.getresponse()
            r.read()
            c.close()
            status = r.status
        except Exception as error:  # noqa: BLE001
            status = repr(error)
        with lock:
            statuses[status] = statuses.get(status, 0) + 1
            if status != 200 and len(errors) < 10:
                errors.append("%s %s -> %s" % (request[0], request[1], status))

def children():
    with open("/proc/%d/task/%d/children" % (master, master)) as f:
        return set(f.read().split())

first = children()
seen, appeared = set(first), []
threads = [threading.Thread(target=client, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
while time.time() < stop:
    for pid in children() - seen:
        seen.add(pid)
        appeared.append(time.time())
    time.sleep(0.01)
for t in threads:
    t.join()
gaps = [round((b - a) * 1000) for a, b in zip(appeared, appeared[1:])]
total = sum(statuses.values())
print("load: %d requests, %s; %d workers replaced, gaps between replacements (ms): %s" % (
    total, json.dumps({str(k): v for k, v in statuses.items()}), len(appeared), gaps))
for e in errors:
    print("error", e)
spread = len(appeared) >= 3 and min(gaps) >= 900
sys.exit(0 if spread and statuses.get(200, 0) == total and total > 200 else 1)
PY
recycle_status=$?
sed 's/^/      /' "$tmp/recycle.out"
check "f. workers recycled one at a time under load, every request 200" test "$recycle_status" = 0
check "f. 4 workers after the load" wait_workers 4 10

stop_pid "$nginx_pid" 10
nginx_pid=""
stop_pid "$server_pid" 30
server_pid=""
if sanitizer_report "$tmp/server.log"; then fail "sanitizer report in the server log"; fi
# The only error expected in the log is the worker killed in c.
unexpected=$(grep -E '\] error: ' "$tmp/server.log" | grep -v "reload failed" | grep -v "worker $victim died")
if [ -n "$unexpected" ]; then
  fail "unexpected errors in the server log:"
  echo "$unexpected" | head -n 10 | sed 's/^/      /'
fi

finish
