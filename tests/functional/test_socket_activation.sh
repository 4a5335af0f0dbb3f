#!/bin/sh
# systemd socket activation, by hand, behind the shipped nginx site (TLS).
# Usage: tests/functional/test_socket_activation.sh BUILD_DIR
#
# systemd is not PID 1 here, so the socket is passed the way weave-server.socket +
# weave-server.service pass it: a listening Unix socket (mode 0660, group www-data) on
# fd 3 with LISTEN_FDS=1 and LISTEN_PID=<the server's pid>. Two rounds:
#   1. systemd-socket-activate (Debian's systemd package), API at the root
#   2. tests/functional/socket_activate.py (the same by hand), API under /sync
# Each serves conf/nginx/weave.conf (ports, certificate and paths substituted; a fresh
# self-signed certificate) and checks: the server took fd 3 (its own `listen:` path is
# never created), deploy_smoke.py over HTTPS passes, port 80 redirects to HTTPS,
# SIGHUP replaces the workers on the same socket, SIGTERM exits 0 and leaves the socket
# file to its owner (systemd). The last line is "N passed, N failed".
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
need_tools nginx python3 openssl

make_tmp activation
server_pid="" nginx_pid=""
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid" 10
  [ -n "$server_pid" ] && stop_pid "$server_pid" 20
  nginx_pid="" server_pid=""
}

# As root, nginx's workers run as www-data, as on Debian: the socket's group and mode
# (SocketGroup=www-data, SocketMode=0660) are what lets them in.
if [ "$(id -u)" -eq 0 ] && getent group www-data > /dev/null; then
  web_user=www-data socket_group=www-data
else
  web_user="" socket_group=-
fi

# A certificate for 127.0.0.1, trusted by the client through WEAVE_CAFILE.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; setup_fail "openssl req failed"; }
chmod 644 "$tmp/key.pem"
export WEAVE_CAFILE="$tmp/cert.pem"

# round NAME ACTIVATOR PREFIX
round() {
  name=$1 activator=$2 prefix=$3
  dir="$tmp/$name"
  mkdir -p "$dir/run" "$dir/nginx"
  sock="$dir/run/weave.sock"
  conf="$dir/weave.yaml"
  http_port=$(free_port)
  https_port=$(free_port)
  cat > "$conf" <<YAML
server:
  # Never used: the socket from LISTEN_FDS wins.
  listen: "unix:$dir/not-used.sock"
  workers: 3
  shutdown_timeout_seconds: 10
  path_prefix: "$prefix"
  public_url: "https://127.0.0.1:$https_port$prefix/"
database:
  sqlite:
    path: "$dir/weave.db"
accounts:
  lockout_max_failures: 0
security_log:
  target: file
  file: "$dir/security.log"
YAML
  if ! printf '%s\n' 'alice-password-1' | "$admin_bin" -c "$conf" add alice > /dev/null ||
     ! printf '%s\n' 'co:lon pässwörd:✓' | "$admin_bin" -c "$conf" add carol > /dev/null; then
    fail "$name: weave-admin add"
    return
  fi

  # The shipped site, made local: loopback ports, this round's socket, certificate, logs.
  location_sed=""
  [ -n "$prefix" ] && location_sed="s|location / {|location $prefix/ {|"
  sed -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
      -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
      -e '/listen \[::\]/d' \
      -e "s|/etc/ssl/certs/sync.example.org.pem|$tmp/cert.pem|" \
      -e "s|/etc/ssl/private/sync.example.org.key|$tmp/key.pem|" \
      -e "s|/run/weave/weave.sock|$sock|" \
      -e "s|/etc/nginx/snippets/fastcgi_weave.conf|$root/conf/nginx/fastcgi_weave.conf|" \
      -e "s|/var/log/nginx/|$dir/nginx/logs/|" \
      -e "$location_sed" \
      "$root/conf/nginx/weave.conf" > "$dir/nginx/site.conf"
  nginx_conf "$dir/nginx" "$web_user" "  include $dir/nginx/site.conf;" > "$dir/nginx/nginx.conf"
  if ! nginx -t -p "$dir/nginx" -c "$dir/nginx/nginx.conf" > "$dir/nginx/t.log" 2>&1; then
    fail "$name: nginx -t rejects conf/nginx/weave.conf"
    sed 's/^/      /' "$dir/nginx/t.log"
    return
  fi

  case $activator in
    systemd)
      systemd-socket-activate -l "$sock" "$server_bin" -c "$conf" 2> "$dir/server.log" &
      server_pid=$!
      # systemd-socket-activate has no SocketMode/SocketGroup: set them as the unit would.
      waited=0
      while [ ! -S "$sock" ] && [ "$waited" -lt 100 ]; do sleep 0.1; waited=$((waited + 1)); done
      [ "$socket_group" != - ] && chgrp "$socket_group" "$sock"
      chmod 0660 "$sock"
      ;;
    python)
      python3 "$here/socket_activate.py" "$sock" 0660 "$socket_group" -- \
        "$server_bin" -c "$conf" 2> "$dir/server.log" &
      server_pid=$!
      ;;
  esac
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -g 'daemon off;' 2> "$dir/nginx/stderr.log" &
  nginx_pid=$!

  base="https://127.0.0.1:$https_port$prefix"
  if wait_status "$base/__heartbeat__" 200 30; then
    pass "$name: activated by $activator, serves $base/ through nginx"
  else
    fail "$name: no heartbeat at $base/"
    tail -n 20 "$dir/server.log" "$dir/nginx/logs/"*.log 2>/dev/null | sed 's/^/      /'
  fi
  check "$name: the server took fd 3 (its listen: path was not created)" \
    test ! -e "$dir/not-used.sock"
  check "$name: LISTEN_PID is the server's own pid" \
    sh -c "tr '\\0' '\\n' < /proc/$server_pid/environ | grep -qx 'LISTEN_PID=$server_pid'"

  echo "--- $name: deploy_smoke.py over HTTPS"
  WEAVE_URL="$base" WEAVE_USER=alice WEAVE_PASSWORD='alice-password-1' \
    WEAVE_USER_SPECIAL=carol WEAVE_PASSWORD_SPECIAL='co:lon pässwörd:✓' \
    timeout 300 python3 "$here/deploy_smoke.py" > "$dir/smoke.out" 2>&1
  sed 's/^/      /' "$dir/smoke.out"
  add_counts "$dir/smoke.out" || fail "$name: deploy_smoke.py did not finish"

  check "$name: plain HTTP redirects to HTTPS" python3 - "$http_port" "$prefix" <<'PY'
import http.client, sys
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("GET", sys.argv[2] + "/1.1/alice/info/collections")
r = c.getresponse()
location = r.getheader("Location") or ""
sys.exit(0 if r.status == 301 and location.startswith("https://") and
         location.endswith(sys.argv[2] + "/1.1/alice/info/collections") else 1)
PY

  # Reload on the inherited socket: new workers, same socket, no error. The old workers
  # retire once nginx has closed the connections it keeps to them (the site's upstream
  # keepalive_timeout, 10 s, when idle).
  before=$(children "$server_pid")
  kill -HUP "$server_pid"
  half_seconds=0
  after=$(children "$server_pid")
  while ! disjoint "$before" "$after" && [ "$half_seconds" -lt 30 ]; do
    sleep 0.5
    half_seconds=$((half_seconds + 1))
    after=$(children "$server_pid")
  done
  check "$name: SIGHUP replaced the workers ($before-> $after)" disjoint "$before" "$after"
  check "$name: serves after SIGHUP" wait_status "$base/__heartbeat__" 200 10

  stop_pid "$nginx_pid" 10
  nginx_pid=""
  stop_pid "$server_pid" 20
  server_pid=""
  check "$name: SIGTERM: the server exits 0 (status $stop_status)" test "$stop_status" = 0
  check "$name: the socket file is left to its owner" test -S "$sock"
  if sanitizer_report "$dir/server.log"; then fail "$name: sanitizer report"; fi
  if grep -qE '\] error: |died' "$dir/server.log"; then
    fail "$name: errors in the server log:"
    grep -E '\] error: |died' "$dir/server.log" | head -n 10 | sed 's/^/      /'
  fi
}

if command -v systemd-socket-activate > /dev/null 2>&1; then
  round systemd-root systemd ""
else
  echo "(systemd-socket-activate not installed: both rounds use socket_activate.py)"
  round python-root python ""
fi
round python-sync python /sync

finish
