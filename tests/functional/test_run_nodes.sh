#!/bin/sh
# make run NODES=2 (scripts/run-nodes.sh): a registration server on PORT and two storage
# nodes on PORT+1 and PORT+2 behind one nginx, on SQLite in a folder of their own.
# Usage: tests/functional/test_run_nodes.sh BUILD_DIR   (BUILD_DIR holds weave-server, weave-admin)
#
# Starts the script as make run does (REGISTRATION=open), then: both nodes are listed; an
# account made with PUT /user/1.0/NAME (as a browser's sign-up does) gets a node from
# node/weave, on PORT+1 or PORT+2; a record PUT there is read back; the other node refuses
# the user (401); a second start in the same folder keeps the nodes and the account; SIGTERM
# stops every process. The last line is "N passed, N failed".
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
# shellcheck source=deploy_lib.sh
. "$here/deploy_lib.sh"
need_built "$build/weave-server" "$build/weave-admin"
need_tools nginx python3 curl

make_tmp run-nodes
run_pid=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -z "$run_pid" ] || stop_pid "$run_pid" 30
  run_pid=""
}

# Three consecutive free ports.
port=$(python3 -c '
import socket
for _ in range(50):
    probe = socket.socket(); probe.bind(("127.0.0.1", 0)); base = probe.getsockname()[1]
    held = [probe]
    try:
        for k in (1, 2):
            other = socket.socket(); other.bind(("127.0.0.1", base + k)); held.append(other)
        print(base); break
    except OSError:
        pass
    finally:
        for s in held: s.close()
')

start() {
  REGISTRATION=open sh "$root/scripts/run-nodes.sh" "$tmp/data" "$port" 2 "$build" \
    > "$tmp/run-$1.log" 2>&1 &
  run_pid=$!
  # Up once the nodes are listed (the script's last step before it waits).
  tries=0
  until grep -q '^Serving Sync' "$tmp/run-$1.log"; do
    tries=$((tries + 1))
    if [ "$tries" -gt 600 ] || ! alive "$run_pid"; then
      return 1
    fi
    sleep 0.1
  done
}

# request METHOD URL [BODY]: prints "STATUS BODY"; as user sam if AUTH is set
request() {
  python3 - "$@" <<'PY'
import base64, sys, urllib.request, urllib.error, os
method, url = sys.argv[1], sys.argv[2]
body = sys.argv[3].encode() if len(sys.argv) > 3 else None
req = urllib.request.Request(url, data=body, method=method)
if os.environ.get("AUTH"):
    req.add_header("Authorization", "Basic " + base64.b64encode(os.environ["AUTH"].encode()).decode())
try:
    with urllib.request.urlopen(req, timeout=30) as reply:
        print(reply.status, reply.read().decode())
except urllib.error.HTTPError as error:
    print(error.code, error.read().decode())
PY
}

# The user name Firefox derives from the e-mail address (base32 of its SHA-1), as an open
# registration wants it.
name=$(python3 -c 'import base64, hashlib; print(base64.b32encode(hashlib.sha1(b"sam@example.org").digest()).decode().lower())')

admin() {
  "$build/weave-admin" -c "$tmp/data/reg.yaml" "$@"
}

if start first; then
  pass "run-nodes.sh serves (registration on $port, nodes on $((port + 1)) and $((port + 2)))"
else
  fail "run-nodes.sh did not come up"
  sed 's/^/      /' "$tmp/run-first.log"
  finish
fi
listed=$(admin nodes list | cut -f1 | tr '\n' ' ')
check "both nodes are listed ($listed)" \
  test "$listed" = "http://127.0.0.1:$((port + 1))/ http://127.0.0.1:$((port + 2))/ "
reply=$(request PUT "http://127.0.0.1:$port/user/1.0/$name" \
  '{"password": "sam-password-1", "email": "sam@example.org"}')
check "an account is made through the registration server ($reply)" test "${reply%% *}" = 200
node=$(request GET "http://127.0.0.1:$port/user/1.0/$name/node/weave")
node=${node#200 }
case $node in
  "http://127.0.0.1:$((port + 1))/") other="http://127.0.0.1:$((port + 2))/" ;;
  "http://127.0.0.1:$((port + 2))/") other="http://127.0.0.1:$((port + 1))/" ;;
  *) other="" ;;
esac
check "node/weave gives one of the nodes ($node)" test -n "$other"
if [ -n "$other" ]; then
  reply=$(AUTH=$name:sam-password-1 request PUT "${node}1.1/$name/storage/tabs/t1" '{"payload": "hello"}')
  check "a record is stored on the node ($reply)" test "${reply%% *}" = 200
  reply=$(AUTH=$name:sam-password-1 request GET "${node}1.1/$name/storage/tabs/t1")
  payload=$(printf '%s' "${reply#200 }" | python3 -c 'import json, sys; print(json.load(sys.stdin)["payload"])' 2>&1)
  check "and read back ($reply)" test "$payload" = hello
  reply=$(AUTH=$name:sam-password-1 request GET "${other}1.1/$name/info/collections")
  check "the other node refuses the user with 401 ($reply)" test "${reply%% *}" = 401
fi
pids="$run_pid $(children "$run_pid")"
stop_pid "$run_pid" 30
run_pid=""
check "SIGTERM stops run-nodes.sh ($stop_status)" test "$stop_status" = 0
left=""
for pid in $pids; do alive "$pid" && left="$left $pid"; done
check "and every server and nginx with it (left:$left)" test -z "$left"

if start second; then
  check "a second start keeps the two nodes" test "$(admin nodes list | wc -l)" -eq 2
  again=$(request GET "http://127.0.0.1:$port/user/1.0/$name/node/weave")
  check "and the account on its node ($again)" test "$again" = "200 $node"
  stop_pid "$run_pid" 30
  run_pid=""
else
  fail "run-nodes.sh did not come up a second time"
  sed 's/^/      /' "$tmp/run-second.log"
fi
if sanitizer_report "$tmp/run-first.log" || sanitizer_report "$tmp/run-second.log"; then
  fail "sanitizer report in the servers' output"
fi
finish
