#!/bin/sh
# make install and make uninstall into a staging folder (DESTDIR), as a package build does.
# Usage: tests/functional/test_install.sh BUILD_DIR   (BUILD_DIR holds weave-server and
#        weave-admin; they are the binaries installed, through INSTALL_FROM)
#
# Checks the layout for prefix=/usr (binaries, manual pages that groff renders without a
# warning, web server and systemd files naming the installed binary, the configuration
# with mode 640), that the installed programs answer --version and -t, that a second
# install keeps an edited configuration, that prefix=/usr/local moves binaries and
# configuration, and that uninstall removes all but the configuration. The last line is
# "N passed, N failed"; non-zero exit on failure.
# shellcheck source-path=SCRIPTDIR
set -u
# shellcheck source=../lib/harness.sh
. "$(dirname "$0")/../lib/harness.sh"
resolve_build "${1:-}"
need_built "$build/weave-server" "$build/weave-admin"
need_tools make groff scdoc python3

make_tmp install
version=$(cat "$root/VERSION")

# install_into DIR ARGS...: make install with DESTDIR=DIR; its output in DIR.log
install_into() {
  into=$1
  shift
  make -s -C "$root" install DESTDIR="$into" INSTALL_FROM="$build" "$@" > "$into.log" 2>&1
}

stage="$tmp/usr-stage"
if install_into "$stage" prefix=/usr; then
  pass "make install prefix=/usr DESTDIR=... succeeds"
else
  fail "make install failed:"
  sed 's/^/      /' "$stage.log" | tail -n 20
  finish
fi

for file in usr/bin/weave-server usr/bin/weave-admin usr/share/man/man8/weave-server.8 \
            usr/share/man/man8/weave-admin.8 usr/share/man/man5/weave.yaml.5 \
            usr/share/weave/nginx/weave.conf usr/share/weave/apache/weave-fcgid.conf \
            usr/share/weave/systemd/weave-server.service usr/share/weave/sql/sqlite/schema.sql \
            usr/share/weave/ldap/weave-schema.ldif usr/share/weave/examples/weave.yaml \
            usr/share/weave/templates/en/reset_request.html \
            usr/share/weave/templates/de/reset_mail_body.txt usr/share/weave/templates/head.html \
            usr/share/doc/weave-server/README.md etc/weave/weave.yaml; do
  check "installed: /$file" test -s "$stage/$file"
done
check "the configuration is not readable by others (640)" \
  test "$(stat -c %a "$stage/etc/weave/weave.yaml")" = 640
check "the installed configuration keeps its data in /var/lib/weave" \
  grep -q 'path: /var/lib/weave/weave.db' "$stage/etc/weave/weave.yaml"
check "weave-server --version prints $version" \
  test "$("$stage/usr/bin/weave-server" --version)" = "weave-server $version"
check "weave-admin --version prints $version" \
  test "$("$stage/usr/bin/weave-admin" --version)" = "weave-admin $version"
check "the systemd unit starts the installed binary" \
  grep -q '^ExecStart=/usr/bin/weave-server -c /etc/weave/weave.yaml$' \
  "$stage/usr/share/weave/systemd/weave-server.service"

# Every manual page renders, and groff has nothing to warn about.
for page in man8/weave-server.8 man8/weave-admin.8 man5/weave.yaml.5; do
  warnings=$(groff -k -man -Tutf8 -ww -z "$stage/usr/share/man/$page" 2>&1)
  check "$page renders without warnings${warnings:+: $warnings}" test -z "$warnings"
done
# weave.yaml(5) lists the README's keys: pick the first and the last of its table.
keys=$(sed -n '/^## Configuration/,/^## /p' "$root/README.md" | grep -o '^| `[a-z_.]*`' | tr -d '|` ')
for key in $(printf '%s\n' "$keys" | head -n 1) $(printf '%s\n' "$keys" | tail -n 1); do
  check "weave.yaml(5) documents $key" \
    sh -c "groff -k -man -Tutf8 '$stage/usr/share/man/man5/weave.yaml.5' 2>/dev/null | sed 's/.\x08//g' | grep -qF '$key'"
done

# The installed example configuration is valid: -t with only the database moved here.
sed "s|/var/lib/weave/weave.db|$tmp/check.db|" "$stage/etc/weave/weave.yaml" > "$tmp/check.yaml"
check "weave-server -t accepts the installed configuration" \
  "$stage/usr/bin/weave-server" -t -c "$tmp/check.yaml"

# A second install leaves an edited configuration alone.
echo "# edited" >> "$stage/etc/weave/weave.yaml"
install_into "$stage" prefix=/usr
check "a second install keeps the edited configuration" grep -q '^# edited$' "$stage/etc/weave/weave.yaml"

local_stage="$tmp/local-stage"
install_into "$local_stage" prefix=/usr/local
check "prefix=/usr/local: binaries in /usr/local/bin" test -x "$local_stage/usr/local/bin/weave-server"
check "prefix=/usr/local: configuration in /usr/local/etc/weave" \
  test -s "$local_stage/usr/local/etc/weave/weave.yaml"
check "prefix=/usr/local: the operator's templates in /usr/local/etc/weave/templates" \
  grep -q 'templates_dir: "/usr/local/etc/weave/templates"' "$local_stage/usr/local/etc/weave/weave.yaml"
check "prefix=/usr/local: the unit names /usr/local/bin and /usr/local/etc" \
  grep -q '^ExecStart=/usr/local/bin/weave-server -c /usr/local/etc/weave/weave.yaml$' \
  "$local_stage/usr/local/share/weave/systemd/weave-server.service"

make -s -C "$root" uninstall DESTDIR="$stage" prefix=/usr > "$tmp/uninstall.log" 2>&1
left=$(cd "$stage" && find . -type f | sort | tr '\n' ' ')
check "uninstall leaves only the configuration (left: $left)" test "$left" = "./etc/weave/weave.yaml "

finish
