#!/bin/sh
# Two processes behind one nginx: a user server and a storage server on one SQLite database.
# Usage: tests/functional/test_split.sh BUILD_DIR   (BUILD_DIR holds weave-server, weave-admin)
#
# In a fresh temporary folder: conf/weave-user.yaml and conf/weave-storage.yaml (paths,
# socket mode and public URL substituted; registration opened), the two servers on Unix
# sockets, and nginx serving conf/nginx/weave-split.conf (ports, sockets, certificate and
# paths substituted; a fresh self-signed certificate) plus two plain ports that send every
# path to one socket each. tests/functional/split_checks.py then checks that an account made
# through the user server syncs through the storage server, and that each server on its own
# socket answers only its role's paths (and /__heartbeat__). Everything is stopped and the
# folder removed. The last line is "N passed, N failed"; non-zero exit on failure.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
server_bin="$build/weave-server"
# shellcheck source=deploy_lib.sh
. "$here/deploy_lib.sh"
need_built "$server_bin"
need_tools nginx python3 openssl curl

make_tmp split
nginx_pid=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid" 10
  nginx_pid=""
  stop_servers
}

https_port=$(free_port)
http_port=$(free_port)
user_port=$(free_port)
storage_port=$(free_port)
mkdir -p "$tmp/db" "$tmp/nginx"

# A certificate for 127.0.0.1, trusted by the client through WEAVE_CAFILE.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; setup_fail "openssl failed"; }
chmod 644 "$tmp/key.pem"
export WEAVE_CAFILE="$tmp/cert.pem"

# The shipped configurations, made local. The sockets are open to every local user here
# (nginx's workers may run as nobody); the database is one file for both.
for role in user storage; do
  sed -e "s|/run/weave/|$tmp/|" \
      -e "s|/var/lib/weave/weave.db|$tmp/db/weave.db|" \
      -e 's|socket_mode: "0660"|socket_mode: "0666"|' \
      -e "s|https://sync.example.org/|https://127.0.0.1:$https_port/|" \
      -e 's|^  policy: closed$|  policy: open|' \
      "$root/conf/weave-$role.yaml" > "$tmp/$role.yaml"
  cat >> "$tmp/$role.yaml" <<YAML
accounts:
  lockout_max_failures: 0
security_log:
  target: file
  file: "$tmp/security-$role.log"
YAML
done
check "conf/weave-user.yaml opens registration here" grep -q '^  policy: open$' "$tmp/user.yaml"
for role in user storage; do
  check "conf/weave-$role.yaml names the shared database" \
    grep -q "path: $tmp/db/weave.db\$" "$tmp/$role.yaml"
  check_configs "$role"
done

# The shipped split site: loopback ports, these sockets, certificate, snippet and logs;
# then two plain ports that send every path to one server each (on the site's upstreams).
sed -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
    -e '/listen \[::\]/d' \
    -e "s|/etc/ssl/certs/sync.example.org.pem|$tmp/cert.pem|" \
    -e "s|/etc/ssl/private/sync.example.org.key|$tmp/key.pem|" \
    -e "s|/run/weave/|$tmp/|" \
    -e "s|/etc/nginx/snippets/fastcgi_weave.conf|$root/conf/nginx/fastcgi_weave.conf|" \
    -e "s|/var/log/nginx/|$tmp/nginx/logs/|" \
    "$root/conf/nginx/weave-split.conf" > "$tmp/nginx/site.conf"
direct="$(port_site "$user_port" weave_user)
$(port_site "$storage_port" weave_storage)"
nginx_conf "$tmp/nginx" "" "  include $tmp/nginx/site.conf;
$direct" > "$tmp/nginx/nginx.conf"
if ! nginx -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" > "$tmp/nginx/t.log" 2>&1; then
  fail "nginx -t rejects conf/nginx/weave-split.conf"
  sed 's/^/      /' "$tmp/nginx/t.log"
  finish
fi
pass "nginx -t accepts conf/nginx/weave-split.conf"

# Both servers start at once, as two systemd units would, on the one new database file.
start_servers user storage
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx/stderr.log" &
nginx_pid=$!

if wait_status "http://127.0.0.1:$user_port/__heartbeat__" 200 30 &&
   wait_status "http://127.0.0.1:$storage_port/__heartbeat__" 200 30 &&
   wait_status "https://127.0.0.1:$https_port/__heartbeat__" 200 30; then
  pass "both servers and nginx are up"
  SPLIT_URL="https://127.0.0.1:$https_port" \
    SPLIT_USER_URL="http://127.0.0.1:$user_port" \
    SPLIT_STORAGE_URL="http://127.0.0.1:$storage_port" \
    timeout -k 5 120 python3 "$here/split_checks.py" > "$tmp/checks.out" 2>&1
  sed 's/^/      /' "$tmp/checks.out"
  add_counts "$tmp/checks.out" || fail "split_checks.py did not finish"
  # A reset link's key must not end up in the web server's access log.
  key=KEYKEY-0000-SECRET-4242
  curl -sk -o /dev/null "https://127.0.0.1:$https_port/weave-password-reset?username=someone&key=$key"
  curl -sk -o /dev/null "https://127.0.0.1:$https_port/weave-password-reset/?key=$key&username=x"
  check "the access log has the reset page's requests" \
    grep -q "GET /weave-password-reset" "$tmp/nginx/logs/weave.access.log"
  check "the access log holds no reset key" \
    sh -c '! grep -q "$1" "$2"' sh "$key" "$tmp/nginx/logs/weave.access.log"
else
  fail "the servers or nginx did not come up"
  tail -n 15 "$tmp"/server-*.log "$tmp/nginx/stderr.log" "$tmp/nginx/logs/"*.log 2>/dev/null |
    sed 's/^/      /'
fi

stop_pid "$nginx_pid" 10
nginx_pid=""
stop_servers checked

finish
