#!/bin/sh
# The Debian package, built, checked, installed, used, removed and purged on this machine.
# Usage: tests/functional/test_package.sh BUILD_DIR   (BUILD_DIR is not used: the package
#        is built from the checkout by `make deb`, the release build only, make -j2)
#
# Needs root (it installs a package); as another user it says so and counts nothing. It
# refuses to run on a machine that already has weave-server, the user _weave or
# /var/lib/weave, and purges what it installed when it stops, so the machine ends as it
# was. Checks: the .deb's name carries VERSION, debian/changelog follows VERSION (and the
# build stops when they differ), Build-Depends match install-deps.sh's build list,
# lintian --info has nothing to say about the .deb and the .changes; after
# `apt-get install ./weave-server_*.deb`: the user, the files with their owners and modes,
# the conffile, the units (the socket enabled the Debian way); then weave-server, as
# _weave, on a socket passed as weave-server.socket passes it, with the installed
# configuration, behind nginx with the shipped site and snippet (TLS on loopback ports):
# an account made with the installed weave-admin syncs (deploy_smoke.py), another is
# registered through the User API and syncs (register_sync.py); `dpkg -i` again keeps the
# edited configuration and its mode; `dpkg -r` keeps the data, the user and the edited
# configuration, `dpkg -P` removes them. The last line is
# "N passed, N failed". WEAVE_DEB_DIR=dir checks the package that `make deb DEB_DIR=dir`
# built there instead of building one; with WEAVE_DEB_READY=file as well, it first waits
# (up to 20 minutes) for that file to appear: CI builds the package in the background and
# writes it when the build has ended, however it ended.
# shellcheck source-path=SCRIPTDIR
set -u

# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
# shellcheck source=deploy_lib.sh
. "$here/deploy_lib.sh"
resolve_build "${1:-}"
if [ "$(id -u)" -ne 0 ]; then
  echo "$me: skipped: installing a package needs root (run it as root, as CI does)"
  echo "0 passed, 0 failed"
  exit 0
fi
need_tools dpkg-buildpackage lintian apt-get nginx python3 openssl setpriv flock

version=$(cat "$root/VERSION")
arch=$(dpkg --print-architecture)

# One run at a time on a machine (several checkouts may run make check).
exec 9> /run/lock/weave-server-package-test.lock
flock -w 900 9 || setup_fail "another test_package.sh holds /run/lock/weave-server-package-test.lock"

# package_state: dpkg's status of weave-server ("" when dpkg never heard of it)
package_state() {
  dpkg-query -W -f='${db:Status-Abbrev}' weave-server 2> /dev/null | tr -d ' '
}
case $(package_state) in
  "" | un) ;;
  *) setup_fail "weave-server is already installed here ($(package_state)): this test installs and purges it; purge it first" ;;
esac
getent passwd _weave > /dev/null && setup_fail "the user _weave exists already: this test creates and removes it"
[ -e /var/lib/weave ] && setup_fail "/var/lib/weave exists already: this test creates and removes it"

make_tmp package
server_pid="" nginx_pid="" installed=0
# shellcheck disable=SC2317  # called by harness.sh on exit
on_exit() {
  [ -n "$nginx_pid" ] && stop_pid "$nginx_pid" 10
  [ -n "$server_pid" ] && stop_pid "$server_pid" 20
  nginx_pid="" server_pid=""
  if [ "$installed" = 1 ] && package_state | grep -qv '^un$'; then
    echo "$me: purging weave-server" >&2
    dpkg_locked -P weave-server > /dev/null 2>&1
  fi
}

# dpkg_locked ARGS...: dpkg, waiting (up to 5 minutes) while another dpkg or apt holds
# the lock; its output in $tmp/dpkg.log
dpkg_locked() {
  waited=0
  while :; do
    dpkg "$@" > "$tmp/dpkg.log" 2>&1 && return 0
    grep -q 'lock' "$tmp/dpkg.log" && [ "$waited" -lt 300 ] || return 1
    sleep 2
    waited=$((waited + 2))
  done
}
# stat_is PATH "OWNER:GROUP MODE"
# shellcheck disable=SC2317  # called through check
stat_is() { [ "$(stat -c '%U:%G %a' "$1" 2> /dev/null)" = "$2" ]; }

# --- the version: VERSION, debian/changelog and the package agree
changelog_version=$(dpkg-parsechangelog -l "$root/debian/changelog" -S Version)
check "debian/changelog's version ($changelog_version) is VERSION ($version)" \
  test "$changelog_version" = "$version"

# --- Build-Depends: the build list of install-deps.sh, but for build-essential's packages
wanted=$(sh "$root/scripts/install-deps.sh" build --list | grep -vx 'g++\|make' | sort)
declared=$(python3 - "$root/debian/control" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
field = re.search(r"^Build-Depends:(.*?)(?=^\S)", text, re.S | re.M).group(1)
for item in field.split(","):
    name = item.split()[0].split(":")[0] if item.strip() else ""
    if name and name != "debhelper-compat":
        print(name)
PY
)
declared=$(printf '%s\n' "$declared" | sort)
check "Build-Depends are install-deps.sh's build list (but g++ and make)" \
  test "$wanted" = "$declared"

# --- build (WEAVE_DEB_DIR: a folder where `make deb` built the package already; its
# .deb and .changes are checked instead, to iterate on the checks or the maintainer scripts)
started=$(date +%s)
deb_dir=${WEAVE_DEB_DIR:-$tmp/deb}
if [ -n "${WEAVE_DEB_DIR:-}" ]; then
  deb="$deb_dir/weave-server_${version}_$arch.deb"
  if [ -n "${WEAVE_DEB_READY:-}" ]; then
    waited=0
    while [ ! -e "$WEAVE_DEB_READY" ] && [ "$waited" -lt 1200 ]; do
      sleep 2
      waited=$((waited + 2))
    done
    echo "$me: waited $waited s for the package's build ($WEAVE_DEB_READY)"
  fi
  if [ -f "$deb" ]; then pass "WEAVE_DEB_DIR: checking $deb"; else
    fail "WEAVE_DEB_DIR: no $deb"
    finish
  fi
elif deb=$(make -s -C "$root" deb DEB_DIR="$deb_dir" 2> "$tmp/deb.err" | tail -n 1) && [ -f "$deb" ]; then
  pass "make deb builds $(basename "$deb") in $(($(date +%s) - started)) s"
else
  fail "make deb failed:"
  sed 's/^/      /' "$tmp/deb.err" | tail -n 30
  finish
fi
check "the package is named weave-server_${version}_$arch.deb" \
  test "$(basename "$deb")" = "weave-server_${version}_$arch.deb"
changes="$deb_dir/weave-server_${version}_$arch.changes"

# debian/rules refuses to build when the changelog and VERSION differ (in a copy).
src="$tmp/mismatch"
mkdir -p "$src"
cp -r "$root/debian" "$src/"
echo "$version.1" > "$src/VERSION"
if (cd "$src" && debian/rules clean) > "$tmp/mismatch.log" 2>&1; then
  fail "debian/rules accepted a VERSION that debian/changelog does not carry"
else
  check "debian/rules stops when VERSION is not debian/changelog's version" \
    grep -q "VERSION says $version.1" "$tmp/mismatch.log"
fi

# --- lintian: nothing to say (overridden tags carry their reason in debian/)
lintian --info --fail-on error,warning,info --tag-display-limit 0 "$changes" > "$tmp/lintian.log" 2>&1
lintian_status=$?
tags=$(grep -E '^[EWIXP]: ' "$tmp/lintian.log")
if [ "$lintian_status" = 0 ] && [ -z "$tags" ]; then
  pass "lintian --info: no tags on the .deb and the .changes"
else
  fail "lintian (status $lintian_status):"
  sed 's/^/      /' "$tmp/lintian.log" | head -n 60
fi

# --- install
installed=1
if apt-get install -y -q --no-install-recommends -o DPkg::Lock::Timeout=300 "$deb" \
     > "$tmp/install.log" 2>&1; then
  pass "apt-get install ./$(basename "$deb")"
else
  fail "apt-get install failed:"
  sed 's/^/      /' "$tmp/install.log" | tail -n 30
  finish
fi
check "dpkg: installed, version $version" \
  test "$(dpkg-query -W -f='${db:Status-Abbrev}${Version}' weave-server)" = "ii $version"
user_line=$(getent passwd _weave)
uid=$(echo "$user_line" | cut -d: -f3)
check "the system user _weave ($user_line)" \
  sh -c "[ -n '$uid' ] && [ '$uid' -lt 1000 ] && [ '$(echo "$user_line" | cut -d: -f6)' = /var/lib/weave ]"
check "the user _weave logs in nowhere" \
  sh -c "case '$(echo "$user_line" | cut -d: -f7)' in */nologin | */false) exit 0;; esac; exit 1"
check "the group _weave" sh -c 'getent group _weave > /dev/null'
check "/etc/weave/weave.yaml: root:_weave 640" stat_is /etc/weave/weave.yaml "root:_weave 640"
check "/etc/weave/weave.yaml is a conffile" \
  sh -c "dpkg-query -W -f='\${Conffiles}' weave-server | grep -q '^ /etc/weave/weave.yaml '"
check "/var/lib/weave: _weave:_weave 750" stat_is /var/lib/weave "_weave:_weave 750"
check "/usr/bin/weave-server: root:root 755" stat_is /usr/bin/weave-server "root:root 755"
check "weave-server --version prints $version" \
  test "$(/usr/bin/weave-server --version)" = "weave-server $version"
check "weave-admin --version prints $version" \
  test "$(/usr/bin/weave-admin --version)" = "weave-admin $version"
for page in man8/weave-server.8 man8/weave-admin.8 man5/weave.yaml.5; do
  check "manual page /usr/share/man/$page.gz" test -s "/usr/share/man/$page.gz"
done
check "the socket unit is installed" test -s /lib/systemd/system/weave-server.socket
check "the service runs as _weave" grep -q '^User=_weave$' /lib/systemd/system/weave-server.service
check "the service tells systemd when its workers serve (Type=notify)" \
  grep -q '^Type=notify$' /lib/systemd/system/weave-server.service
check "the service starts the installed binary on the installed configuration" \
  grep -q '^ExecStart=/usr/bin/weave-server -c /etc/weave/weave.yaml$' \
  /lib/systemd/system/weave-server.service
check "the socket unit is enabled (sockets.target wants it)" \
  test -L /etc/systemd/system/sockets.target.wants/weave-server.socket
check "the service is left to the socket (not enabled by itself)" \
  test ! -e /etc/systemd/system/multi-user.target.wants/weave-server.service
for file in nginx/weave.conf nginx/fastcgi_weave.conf apache/weave-proxy-fcgi.conf \
            apache/weave-fcgid.conf; do
  check "/usr/share/weave/$file, also under /usr/share/doc/weave-server/examples" \
    sh -c "test -s /usr/share/weave/$file && test -s /usr/share/doc/weave-server/examples/$file"
done

# as_weave COMMAND...: as the service runs it (User=_weave, Group=_weave, no other groups)
as_weave() { setpriv --reuid=_weave --regid=_weave --clear-groups -- "$@"; }
check "weave-server -t accepts the installed configuration (as _weave)" \
  as_weave /usr/bin/weave-server -c /etc/weave/weave.yaml -t > "$tmp/t.log" 2>&1

# --- serve: the installed configuration, opened for registration (an administrator's
# edit of the conffile, kept by dpkg -r below)
sed -i 's/^  policy: closed$/  policy: open/' /etc/weave/weave.yaml
check "the configuration now allows registration" grep -q '^  policy: open$' /etc/weave/weave.yaml
if ! printf '%s\n' 'package-admin-pw-1' |
     as_weave /usr/bin/weave-admin -c /etc/weave/weave.yaml add alice > "$tmp/admin.log" 2>&1; then
  fail "weave-admin add (as _weave) failed:"
  sed 's/^/      /' "$tmp/admin.log"
fi
check "the database is /var/lib/weave/weave.db, _weave's" \
  sh -c "stat -c %U /var/lib/weave/weave.db | grep -qx _weave"

openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=127.0.0.1" \
  -addext "subjectAltName=IP:127.0.0.1" -keyout "$tmp/key.pem" -out "$tmp/cert.pem" \
  > "$tmp/openssl.log" 2>&1 || { cat "$tmp/openssl.log"; setup_fail "openssl req failed"; }
chmod 644 "$tmp/key.pem"
export WEAVE_CAFILE="$tmp/cert.pem"

# weave-server.socket: root's socket, group www-data, 0660, passed on fd 3 to the service.
mkdir -p "$tmp/run"
sock="$tmp/run/weave.sock"
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin python3 "$here/socket_activate.py" "$sock" 0660 www-data -- \
  setpriv --reuid=_weave --regid=_weave --clear-groups -- \
  /usr/bin/weave-server -c /etc/weave/weave.yaml 2> "$tmp/server.log" &
server_pid=$!

http_port=$(free_port)
https_port=$(free_port)
mkdir -p "$tmp/nginx"
sed -e "s|listen 80;|listen 127.0.0.1:$http_port;|" \
    -e "s|listen 443 ssl;|listen 127.0.0.1:$https_port ssl;|" \
    -e '/listen \[::\]/d' \
    -e "s|/etc/ssl/certs/sync.example.org.pem|$tmp/cert.pem|" \
    -e "s|/etc/ssl/private/sync.example.org.key|$tmp/key.pem|" \
    -e "s|/run/weave/weave.sock|$sock|" \
    -e "s|/etc/nginx/snippets/fastcgi_weave.conf|/usr/share/weave/nginx/fastcgi_weave.conf|" \
    -e "s|/var/log/nginx/|$tmp/nginx/logs/|" \
    /usr/share/weave/nginx/weave.conf > "$tmp/nginx/site.conf"
nginx_conf "$tmp/nginx" www-data "  include $tmp/nginx/site.conf;" > "$tmp/nginx/nginx.conf"
if ! nginx -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" > "$tmp/nginx/t.log" 2>&1; then
  fail "nginx -t rejects the installed site:"
  sed 's/^/      /' "$tmp/nginx/t.log"
fi
nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' 2> "$tmp/nginx/stderr.log" &
nginx_pid=$!

base="https://127.0.0.1:$https_port"
if wait_status "$base/__heartbeat__" 200 30; then
  pass "the installed server answers through nginx at $base/"
else
  fail "no heartbeat at $base/"
  tail -n 20 "$tmp/server.log" "$tmp/nginx/logs/"*.log 2> /dev/null | sed 's/^/      /'
fi
check "the server runs as _weave" \
  sh -c "ps -o user= -p $server_pid | grep -qx _weave"

echo "--- register_sync.py: an account from the User API syncs"
WEAVE_URL="$base" timeout 120 python3 "$here/register_sync.py" > "$tmp/register.out" 2>&1
sed 's/^/      /' "$tmp/register.out"
add_counts "$tmp/register.out" || fail "register_sync.py did not finish"
echo "--- deploy_smoke.py: weave-admin's account syncs through the shipped site"
WEAVE_URL="$base" WEAVE_USER=alice WEAVE_PASSWORD='package-admin-pw-1' \
  timeout 300 python3 "$here/deploy_smoke.py" > "$tmp/smoke.out" 2>&1
sed 's/^/      /' "$tmp/smoke.out"
add_counts "$tmp/smoke.out" || fail "deploy_smoke.py did not finish"

stop_pid "$nginx_pid" 10
nginx_pid=""
stop_pid "$server_pid" 20
server_pid=""
check "SIGTERM: the server exits 0 (status $stop_status)" test "$stop_status" = 0
if grep -qE '\] error: |died' "$tmp/server.log"; then
  fail "errors in the server log:"
  grep -E '\] error: |died' "$tmp/server.log" | head -n 10 | sed 's/^/      /'
fi

# --- installed again (as an upgrade is): the edited configuration keeps its content,
# owner and mode, and the data stays (stdin is empty: a dpkg question would fail it)
if dpkg_locked -i "$deb" < /dev/null; then pass "dpkg -i over the installed package"; else
  fail "dpkg -i over the installed package:"
  sed 's/^/      /' "$tmp/dpkg.log"
fi
check "after dpkg -i again: the edited configuration stays" \
  grep -q '^  policy: open$' /etc/weave/weave.yaml
check "after dpkg -i again: /etc/weave/weave.yaml is root:_weave 640" \
  stat_is /etc/weave/weave.yaml "root:_weave 640"
check "after dpkg -i again: the database stays" test -s /var/lib/weave/weave.db

# --- remove: the programs go, the data, the user and the edited configuration stay
if dpkg_locked -r weave-server; then pass "dpkg -r weave-server"; else
  fail "dpkg -r weave-server:"
  sed 's/^/      /' "$tmp/dpkg.log"
fi
check "after dpkg -r: only the configuration is left to dpkg (rc)" test "$(package_state)" = rc
check "after dpkg -r: /usr/bin/weave-server is gone" test ! -e /usr/bin/weave-server
check "after dpkg -r: the database stays" test -s /var/lib/weave/weave.db
check "after dpkg -r: the user _weave stays" sh -c 'getent passwd _weave > /dev/null'
check "after dpkg -r: the edited configuration stays" grep -q '^  policy: open$' /etc/weave/weave.yaml

# --- purge: nothing is left
if dpkg_locked -P weave-server; then pass "dpkg -P weave-server"; else
  fail "dpkg -P weave-server:"
  sed 's/^/      /' "$tmp/dpkg.log"
fi
check "after dpkg -P: dpkg forgot the package" sh -c "test -z \"\$(dpkg-query -W -f='\${db:Status-Abbrev}' weave-server 2> /dev/null | grep -v '^un')\""
check "after dpkg -P: /var/lib/weave is gone" test ! -e /var/lib/weave
check "after dpkg -P: /etc/weave is gone" test ! -e /etc/weave
check "after dpkg -P: the user _weave is gone" sh -c '! getent passwd _weave > /dev/null'
check "after dpkg -P: the group _weave is gone" sh -c '! getent group _weave > /dev/null'
check "after dpkg -P: no statoverride is left" \
  sh -c '! dpkg-statoverride --list /etc/weave/weave.yaml > /dev/null'
check "after dpkg -P: the socket unit is no longer enabled" \
  test ! -e /etc/systemd/system/sockets.target.wants/weave-server.socket
installed=0

finish
